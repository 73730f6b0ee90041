# shellcheck shell=bash
# lab/check's node checks for the ML2/OVN flavour (sourced by lab/check: ok, fail,
# $TMP and the env are there).

for key in "${OVN_NETS[@]}"; do
  uuid=$(net_field "$key" id); ns=$(ovnmeta_ns "$key"); name=$(net_field "$key" name)
  d0=$(ovnmeta_dev "$key" 0); d1=$(ovnmeta_dev "$key" 1)
  md_ip=$(net_field "$key" metadata_ip); md_mac=$(net_field "$key" metadata_mac)
  c="the OVN agent's haproxy serves $ns on 169.254.169.254:80 ($name)"
  if pid=$(haproxy_pid "$uuid") \
     && [ -n "$(ip netns exec "$ns" ss -Hltn 'sport = :80' 2>/dev/null)" ]; then
    user=$(ps -o user= -p "$pid" | tr -d ' ')
    if [ "$user" != neutron ]; then fail "$c" "haproxy runs as $user, not neutron"
    elif ! grep -q "X-OVN-Network-ID $uuid" "$(ovn_haproxy_conf_of "$uuid")" 2>/dev/null; then
      fail "$c" "no 'X-OVN-Network-ID $uuid' in $(ovn_haproxy_conf_of "$uuid")"
    else ok "$c"; fi
  else fail "$c" "no haproxy (pid file $NSTATE/external/pids/$uuid.pid.haproxy) listening"; fi
  c="$d1 in $ns has the metadata port's MAC, $md_ip and 169.254.169.254/32"
  addrs=$(ip -n "$ns" -4 -o addr show dev "$d1" 2>/dev/null | awk '{print $4}' | sort | tr '\n' ' ')
  mac=$(ip -n "$ns" -o link show dev "$d1" 2>/dev/null | awk '{for (i=1;i<NF;i++) if ($i == "link/ether") print $(i+1)}')
  if [[ " $addrs" == *" $md_ip/"* ]] && [[ " $addrs" == *" 169.254.169.254/32 "* ]] && [ "$mac" = "$md_mac" ]; then ok "$c"
  else fail "$c" "addresses '${addrs% }', MAC '${mac:-none}'"; fi
  c="tx checksum offload off on the agent's veths $d0 and $d1"
  if tx_is_off - "$d0" && tx_is_off "$ns" "$d1"; then ok "$c"; else fail "$c" "ethtool -k shows tx-checksumming on (or no device)"; fi
  c="$d0 is on br-int with iface-id of $name's metadata port"
  v=$(ovs_vsctl get Interface "$d0" external_ids:iface-id 2>/dev/null | tr -d '"' || true)
  [ "$v" = "$(net_field "$key" metadata_port_id)" ] && ok "$c" || fail "$c" "iface-id '${v:-none}'"
done
for n in 1 2 4; do
  ns_var=LAB_VM${n}_NETNS net_var=LAB_VM${n}_NETWORK_ID
  case ${!net_var} in
    "$LAB_NETWORK_ID") want=$LAB_METADATA_PORT_IP ;;
    "$LAB_ALT_NETWORK_ID") want=$LAB_ALT_METADATA_PORT_IP ;;
    *) want=$LAB_ROUTED_METADATA_PORT_IP ;;
  esac
  route=$(ip -n "${!ns_var}" route show 169.254.169.254/32 2>/dev/null)
  c="lab-vm$n has OVN DHCP's route to 169.254.169.254 via the metadata port $want"
  [[ $route == *"via $want "* ]] && ok "$c" || fail "$c" "route: '${route:-none}'"
done
c="this chassis ($LAB_OVN_CHASSIS) is registered, with the OVN metadata agent's id"
v=$(ovn_sbctl --bare --columns=external_ids find Chassis_Private "name=$LAB_OVN_CHASSIS" 2>/dev/null || true)
[[ $v == *"neutron:ovn-metadata-id="* ]] && ok "$c" || fail "$c" "Chassis_Private external_ids: '${v:-none}'"
for g in vm1 vm2 vm3 vm4 stray; do
  c="$g's Port_Binding is on this chassis"
  ch=$(port_binding_chassis "$(guest_field "$g" port_id)" 2>/dev/null || true)
  [ "$ch" = "$LAB_OVN_CHASSIS" ] && ok "$c" || fail "$c" "chassis '${ch:-none}'"
done
c="no qdhcp- or qrouter- namespace for the lab's networks and router (no DHCP or L3 agent in ML2/OVN)"
left=""
for ns in "qdhcp-$LAB_NETWORK_ID" "qdhcp-$LAB_ALT_NETWORK_ID" "qdhcp-$LAB_ROUTED_NETWORK_ID" "qrouter-$LAB_ROUTER_ID"; do
  if netns_exists "$ns"; then left+="$ns "; fi
done
[ -z "$left" ] && ok "$c" || fail "$c" "$left"
# Neutron counts an OVN agent dead while its chassis lags two nb_cfg pings behind and
# its last acknowledgement is older than agent_down_time: right after a bring-up that
# shows for a few seconds (measured), so ask up to three times
for try in 1 2 3; do
  state=$(load_secrets; timeout 60 "$PY" "$LAB_LIB/resources.py" state 2>"$TMP/err") || state=""
  [ "$(jq -r '[.agents[] | select(.host == env.LAB_AGENT_HOST) | .alive] | all' <<<"${state:-{\"agents\":[]\}}" 2>/dev/null)" = true ] && break
  [ $try = 3 ] || sleep 5
done
for a in "${AGENTS[@]}"; do
  c="Neutron sees $a alive and up"
  v=$(jq -r --arg b "$a" '[.agents[] | select(.binary == $b)][0] | "\(.alive) \(.admin_state_up)"' <<<"${state:-{\"agents\":[]\}}" 2>/dev/null || true)
  [ "$v" = "true true" ] && ok "$c" || fail "$c" "alive/admin: ${v:-unknown}"
done
for g in vm1 vm2 vm3 vm4 stray; do
  c="$g's port is ACTIVE, bound to this host by ML2/OVN"
  v=$(jq -r --arg g "$g" '.ports[$g] | "\(.status) \(.["binding:vif_type"]) \(.["binding:host_id"])"' <<<"${state:-{\"ports\":{\}}}" 2>/dev/null || true)
  [ "$v" = "ACTIVE ovs $LAB_AGENT_HOST" ] && ok "$c" || fail "$c" "status/vif_type/host: ${v:-unknown}"
done
