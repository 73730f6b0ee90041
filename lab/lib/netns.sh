# shellcheck shell=bash
# The guests, as nova's os-vif would plug them, and the namespaces, haproxy and
# dnsmasq that neutron's agents make. Needs common.sh; reads ids.json.
#
#   lab-vm1 (eth0, port MAC) ==veth== tap<port[:11]> on br-int (iface-id = port)
#        br-int (netdev) ── tap<dhcp port[:11]> (OVS internal port) in qdhcp-<net>
#                                                 dnsmasq, haproxy 169.254.169.254:80
#        br-int (netdev) ── qr-<router port[:11]> in qrouter-<router>: REDIRECT → haproxy :9697
#
# Guests take their address, routes included, from the DHCP agent's dnsmasq
# (busybox udhcpc in the namespace); lab-stray's is static (its port has none).

NETNS_LIST=$S/netns.list          # every namespace this lab created (guests, scale)
SCALE_NETNS_LIST=$S/scale-netns.list
GUESTS=(vm1 vm2 vm3 vm4 stray)
PROBED=(vm1 vm2 vm4)              # the guests that must read their own metadata

record_netns() {
  touch "$NETNS_LIST"
  grep -qxF "$1" "$NETNS_LIST" || printf '%s\n' "$1" >>"$NETNS_LIST"
}

ensure_netns() {
  local ns=$1
  netns_exists "$ns" || ip netns add "$ns"
  record_netns "$ns"
  ip -n "$ns" link set lo up
}

link_exists() { ip -n "$1" link show dev "$2" >/dev/null 2>&1; }

v6_ready() {  # v6_ready NS DEV ADDR: present and past DAD
  local out
  out=$(ip -n "$1" -6 addr show dev "$2" 2>/dev/null) || return 1
  printf '%s\n' "$out" | awk -v a="$3/" 'index($0, "inet6 " a) { f=1; if ($0 ~ /tentative/) t=1 } END { exit !(f && !t) }'
}

net_field() { jq -er --arg k "$1" ".networks[\$k].$2" "$IDS"; }
qdhcp_ns() { printf 'qdhcp-%s' "$(net_field "$1" id)"; }
tap_of() { printf 'tap%s' "$(net_field "$1" dhcp_port_id | cut -c1-11)"; }
guest_field() {  # guest_field vm1|...|stray FIELD
  if [ "$1" = stray ]; then ids_get ".stray.$2"; else ids_get ".vms.$1.$2"; fi
}
guest_dev() { printf 'tap%s' "$(guest_field "$1" port_id | cut -c1-11)"; }

# the OVS agent has bound the port: it tags it with the network's local VLAN
port_tagged() {
  local tag
  tag=$(ovs_vsctl get Port "$1" tag 2>/dev/null) || return 1
  [[ $tag =~ ^[0-9]+$ ]] && [ "$tag" != 4095 ]
}

guest_addressed() {  # the address and the route to 169.254.169.254 are in place
  local ns=$1 ip=$2
  [ -n "$(ip -n "$ns" -4 addr show dev eth0 to "$ip/32" 2>/dev/null)" ] \
    && [ -n "$(ip -n "$ns" route show 169.254.169.254/32 2>/dev/null)" ]
}

# guest_dhcp NS: busybox udhcpc asks dnsmasq once (address, router, classless routes)
guest_dhcp() {
  ip netns exec "$1" busybox udhcpc -i eth0 -f -q -n -t 4 -T 2 -O staticroutes \
    -s "$LAB_LIB/udhcpc.script" >>"$LOG/setup/udhcpc-$1.log" 2>&1
}

# ensure_guest KEY: KEY is vm1..vm4 or stray
ensure_guest() {
  local key=$1 ns ip mac port dev vm netkey dhcp_ip gw
  ns=$(guest_field "$key" netns); ip=$(guest_field "$key" ip); mac=$(guest_field "$key" mac)
  port=$(guest_field "$key" port_id); dev=$(guest_dev "$key")
  if [ "$key" = stray ]; then vm=lab-stray; netkey=$(ids_get .stray.network)
  else vm=$(guest_field "$key" id); netkey=$(guest_field "$key" network); fi
  ensure_netns "$ns"
  if ! link_exists "$ns" eth0 || ! ip link show dev "$dev" >/dev/null 2>&1; then
    ip -n "$ns" link del eth0 2>/dev/null || true
    ip link del "$dev" 2>/dev/null || true
    ip link add "$dev" type veth peer name eth0 netns "$ns"
  fi
  ip -n "$ns" link set eth0 address "$mac"
  ip link set "$dev" up
  ip -n "$ns" link set eth0 up
  tx_off - "$dev"; tx_off "$ns" eth0
  ovs_vsctl --may-exist add-port br-int "$dev" -- set Interface "$dev" \
    "external_ids:iface-id=$port" "external_ids:attached-mac=$mac" \
    external_ids:iface-status=active "external_ids:vm-uuid=$vm"
  wait_for 60 "the OVS agent to bind $dev (port $port)" port_tagged "$dev" || return 1
  guest_addressed "$ns" "$ip" && return 0
  if [ "$key" = stray ]; then
    # static: no port owns this address, dnsmasq would not answer
    dhcp_ip=$(net_field "$netkey" dhcp_ip); gw=$(net_field "$netkey" gateway_ip)
    ip -n "$ns" addr replace "$ip/24" dev eth0
    ip -n "$ns" route replace default via "$gw" dev eth0
    ip -n "$ns" route replace 169.254.169.254/32 via "$dhcp_ip" dev eth0
    return 0
  fi
  # the DHCP agent's dnsmasq for the network, with the port in its host file
  local hosts i
  hosts=$NSTATE/dhcp/$(net_field "$netkey" id)/host
  wait_for 180 "the DHCP agent's dnsmasq to know $mac ($ns)" \
    bash -c "grep -qi '^$mac,' '$hosts' && [ -d /proc/\$(cat '$NSTATE/dhcp/$(net_field "$netkey" id)/pid') ]" || return 1
  for i in 1 2 3 4 5 6; do
    guest_dhcp "$ns" && guest_addressed "$ns" "$ip" && return 0
    sleep 1
  done
  printf 'error: %s got no DHCP lease for %s from dnsmasq (see %s)\n' "$ns" "$ip" "$LOG/setup/udhcpc-$ns.log" >&2
  return 1
}

ensure_guests() { local g; for g in "${GUESTS[@]}"; do ensure_guest "$g"; done; }

# ---- the agents' haproxy and dnsmasq ------------------------------------------
haproxy_conf_of() { printf '%s/ns-metadata-proxy/%s.conf' "$NSTATE" "$1"; }
haproxy_pidfile_of() { printf '%s/external/pids/%s.pid.haproxy' "$NSTATE" "$1"; }

haproxy_pid() {  # the running proxy of network/router UUID (neutron: the pid's cmdline holds the uuid)
  local uuid=$1 pid
  pid=$(read_pid "$(haproxy_pidfile_of "$uuid")" 2>/dev/null) || return 1
  pid_alive "$pid" || return 1
  cmdline_has "$pid" "$uuid" || return 1
  printf '%s\n' "$pid"
}

dnsmasq_pid() {  # the DHCP agent's dnsmasq for network UUID
  local uuid=$1 pid
  pid=$(read_pid "$NSTATE/dhcp/$uuid/pid" 2>/dev/null) || return 1
  pid_alive "$pid" || return 1
  cmdline_has "$pid" "$uuid" || return 1
  printf '%s\n' "$pid"
}

stop_haproxy() {
  local uuid=$1 pid
  pid=$(read_pid "$(haproxy_pidfile_of "$uuid")" 2>/dev/null || true)
  if [ -n "$pid" ] && pid_alive "$pid" && cmdline_has "$pid" "$uuid"; then
    stop_pid "haproxy-$uuid" "$pid" 10
  fi
  rm -f "$(haproxy_pidfile_of "$uuid")"
}

# what the agents started (lab/down, after the agents are stopped): every haproxy
# and dnsmasq with a pid file in the lab's state_path, then the agents' namespaces
stop_agent_children() {
  local pidf uuid pid
  for pidf in "$NSTATE"/external/pids/*.pid.haproxy; do
    [ -e "$pidf" ] || continue
    stop_haproxy "$(basename "$pidf" .pid.haproxy)"
  done
  for pidf in "$NSTATE"/dhcp/*/pid; do
    [ -e "$pidf" ] || continue
    uuid=$(basename "$(dirname "$pidf")")
    if pid=$(dnsmasq_pid "$uuid"); then stop_pid "dnsmasq-$uuid" "$pid" 10; fi
  done
}

agent_namespaces() {  # the qdhcp-/qrouter- namespaces of the lab's networks and router
  local d
  if [ -r "$IDS" ]; then
    jq -r '(.networks // {} | .[] | "qdhcp-\(.id)"), (if .router then "qrouter-\(.router.id)" else empty end)' "$IDS"
  fi
  for d in "$NSTATE"/dhcp/*/; do
    [ -d "$d" ] && printf 'qdhcp-%s\n' "$(basename "$d")"
  done
  return 0
}

delete_agent_namespaces() {
  local ns
  while read -r ns; do
    [ -n "$ns" ] || continue
    if netns_exists "$ns"; then ip netns del "$ns"; fi
  done < <(agent_namespaces | sort -u)
}

# With the userspace datapath an OVS internal port is a tap device that only the
# ovs-vswitchd which made it serves. When ovs-vswitchd is gone (killed, or the
# machine's processes ended) the ports the DHCP and L3 agents moved into their
# namespaces stay there, dead; a new ovs-vswitchd makes fresh ones in the host
# namespace, and the agents, seeing a device of the right name in the namespace,
# keep using the dead one. Before ovs-vswitchd starts again: stop the agents and
# delete those devices, so that the agents plug their ports afresh when they start.
drop_dead_agent_ports() {
  local ns dev n=0
  stop_svc neutron-dhcp-agent; stop_svc neutron-l3-agent
  while read -r ns; do
    [ -n "$ns" ] && netns_exists "$ns" || continue
    while read -r dev; do
      [ -n "$dev" ] && [ "$dev" != lo ] || continue
      ip -n "$ns" link del "$dev" 2>/dev/null && n=$((n + 1))
    done < <(ip -n "$ns" -o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }')
  done < <(agent_namespaces | sort -u)
  [ "$n" -eq 0 ] || say "ovs-vswitchd was not running: $n dead port(s) removed from the agents' namespaces, the agents will plug them afresh"
}

# ---- scale namespaces (no neutron network, no agent behind them) --------------
# Each has a haproxy the lab renders with neutron's template and starts itself.
render_haproxy() {  # render_haproxy [--socket PATH] UUID:TAP ...
  LAB_STATE_DIR=$S "$PY" "$LAB_LIB/haproxy_cfg.py" "$@" >/dev/null
}

# start_haproxy UUID NS TAP: neutron's command line, in the namespace.
start_haproxy() {
  local uuid=$1 ns=$2 tap=$3 pidf conf
  pidf=$(haproxy_pidfile_of "$uuid"); conf=$(haproxy_conf_of "$uuid")
  haproxy_pid "$uuid" >/dev/null && return 0
  [ -s "$conf" ] || render_haproxy "$uuid:$tap"
  mkdir -p "$(dirname "$pidf")"
  rm -f "$pidf"
  wait_for 15 "fe80::a9fe:a9fe on $tap to pass DAD" v6_ready "$ns" "$tap" fe80::a9fe:a9fe
  ip netns exec "$ns" haproxy -f "$conf" >>"$LOG/haproxy/haproxy-start.log" 2>&1 9>&- \
    || die "haproxy for $uuid did not start; see $LOG/haproxy/haproxy-start.log"
  wait_for 10 "haproxy of $uuid to write its pid file" haproxy_pid "$uuid"
}

# $SCALE_NETNS_LIST holds "uuid tap" per namespace qdhcp-<uuid>.

add_scale_netns() {  # add_scale_netns N: N namespaces, each with a real haproxy
  local n=$1 i uuid tap peer
  local -a pairs=()
  for (( i = 0; i < n; i++ )); do
    uuid=$(cat /proc/sys/kernel/random/uuid)
    tap=tap$(cut -c1-11 /proc/sys/kernel/random/uuid)
    peer=${tap/tap/ns-}
    ip netns add "qdhcp-$uuid"
    record_netns "qdhcp-$uuid"
    printf '%s %s\n' "$uuid" "$tap" >>"$SCALE_NETNS_LIST"
    ip -n "qdhcp-$uuid" link set lo up
    # no dummy driver on these kernels: a veth pair with both ends inside
    ip -n "qdhcp-$uuid" link add "$tap" type veth peer name "$peer"
    ip -n "qdhcp-$uuid" addr add 169.254.169.254/32 dev "$tap"
    ip -n "qdhcp-$uuid" addr add fe80::a9fe:a9fe/64 dev "$tap" nodad
    ip -n "qdhcp-$uuid" link set "$peer" up
    ip -n "qdhcp-$uuid" link set "$tap" up
    pairs+=("$uuid:$tap")
  done
  [ "${#pairs[@]}" -gt 0 ] || return 0
  render_haproxy "${pairs[@]}"
  for i in "${pairs[@]}"; do
    start_haproxy "${i%%:*}" "qdhcp-${i%%:*}" "${i#*:}"
  done
}

remove_scale_netns() {
  local uuid _tap
  [ -f "$SCALE_NETNS_LIST" ] || return 0
  while read -r uuid _tap; do
    [ -n "$uuid" ] || continue
    stop_haproxy "$uuid"
    rm -f "$(haproxy_conf_of "$uuid")"
    if netns_exists "qdhcp-$uuid"; then ip netns del "qdhcp-$uuid"; fi
    [ -f "$NETNS_LIST" ] && sed -i "/^qdhcp-$uuid\$/d" "$NETNS_LIST"
  done <"$SCALE_NETNS_LIST"
  rm -f "$SCALE_NETNS_LIST"
}

ensure_scale_netns() {  # after a reboot or lab/down: proxies of the recorded namespaces
  local uuid tap
  [ -s "$SCALE_NETNS_LIST" ] || return 0
  while read -r uuid tap; do
    netns_exists "qdhcp-$uuid" || continue
    start_haproxy "$uuid" "qdhcp-$uuid" "$tap"
  done <"$SCALE_NETNS_LIST"
}
