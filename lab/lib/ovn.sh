# shellcheck shell=bash
# The ML2/OVN flavour (LAB_FLAVOUR=ovn): this host as an OVN chassis, the guests
# plugged as nova's os-vif would, and the ovnmeta- namespaces that
# neutron-ovn-metadata-agent makes. Needs common.sh, services.sh and netns.sh.
#
#   lab-vm1 (eth0, port MAC) ==veth== tap<port[:11]> on br-int (iface-id = port)
#        br-int (netdev, made by ovn-controller) ── tap<net[:10]>0 ==veth== tap<net[:10]>1
#                                                   in ovnmeta-<net>: metadata port's MAC and IP,
#                                                   169.254.169.254/32, haproxy :80
#
# Guests take their address and the option-121 route to 169.254.169.254 (via the
# network's metadata port) from OVN's native DHCP, answered by ovn-controller.

OVN_OTHER_CHASSIS=lab-other-chassis   # lab/break chassis: a Chassis row no ovn-controller serves
OVN_OTHER_HOST=lab-other-host

ovnmeta_ns() { printf 'ovnmeta-%s' "$(net_field "$1" id)"; }
# the agent's veth pair: tap<net[:10]>0 on br-int, tap<net[:10]>1 in the namespace
ovnmeta_dev() { printf 'tap%s%s' "$(net_field "$1" id | cut -c1-10)" "$2"; }
ovn_haproxy_conf_of() { printf '%s/ovn-metadata-proxy/%s.conf' "$NSTATE" "$1"; }
OVN_NETS=(demo alt routed)

# the chassis: Open_vSwitch external_ids that ovn-controller reads (before it starts)
ensure_ovn_chassis() {
  ovs_vsctl --no-wait init
  ovs_vsctl --no-wait set Open_vSwitch . \
    "external_ids:system-id=$(ovn_chassis)" \
    "external_ids:ovn-remote=$OVN_SB_REMOTE" \
    external_ids:ovn-encap-type=geneve \
    external_ids:ovn-encap-ip=127.0.0.1 \
    external_ids:ovn-bridge=br-int \
    external_ids:ovn-bridge-datapath-type=netdev
}

# ovn-controller has claimed the OVS interface and installed its flows
ovn_port_claimed() {
  local v
  v=$(ovs_vsctl get Interface "$1" external_ids:ovn-installed 2>/dev/null) || return 1
  [ "${v//\"/}" = true ]
}

# the Port_Binding's chassis name ("" when unbound)
port_binding_chassis() {
  local ch
  ch=$(ovn_sbctl --bare --columns=chassis find Port_Binding "logical_port=$1" 2>/dev/null) || return 1
  [ -n "$ch" ] || { echo; return 0; }
  ovn_sbctl --bare --columns=name list Chassis "$ch" 2>/dev/null
}

port_on_this_chassis() { [ "$(port_binding_chassis "$1")" = "$(ovn_chassis)" ]; }

ovn_guest_dhcp() {
  ip netns exec "$1" busybox udhcpc -i eth0 -f -q -n -t 4 -T 2 -O staticroutes \
    -s "$LAB_LIB/udhcpc.script" >>"$LOG/setup/udhcpc-$1.log" 2>&1
}

# ensure_ovn_guest KEY: KEY is vm1..vm4 or stray
ensure_ovn_guest() {
  local key=$1 ns ip mac port dev vm netkey md_ip gw i
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
  wait_for 60 "ovn-controller to claim $dev (port $port)" ovn_port_claimed "$dev" || return 1
  guest_addressed "$ns" "$ip" && return 0
  if [ "$key" = stray ]; then
    # static: no port owns this address, OVN's DHCP would not answer
    md_ip=$(net_field "$netkey" metadata_ip); gw=$(net_field "$netkey" gateway_ip)
    ip -n "$ns" addr replace "$ip/24" dev eth0
    ip -n "$ns" route replace default via "$gw" dev eth0
    ip -n "$ns" route replace 169.254.169.254/32 via "$md_ip" dev eth0
    return 0
  fi
  for i in 1 2 3 4 5 6 7 8; do
    ovn_guest_dhcp "$ns" && guest_addressed "$ns" "$ip" && return 0
    sleep 1
  done
  printf 'error: %s got no DHCP lease for %s from OVN (see %s)\n' "$ns" "$ip" "$LOG/setup/udhcpc-$ns.log" >&2
  return 1
}

ensure_ovn_guests() { local g; for g in "${GUESTS[@]}"; do ensure_ovn_guest "$g"; done; }

# the agent has provisioned the network: its namespace, the inner veth end with
# 169.254.169.254, and haproxy
ovnmeta_ready() {
  local key=$1 ns uuid
  ns=$(ovnmeta_ns "$key"); uuid=$(net_field "$key" id)
  netns_exists "$ns" && link_exists "$ns" "$(ovnmeta_dev "$key" 1)" \
    && [ -n "$(ip -n "$ns" -4 addr show dev "$(ovnmeta_dev "$key" 1)" to 169.254.169.254/32 2>/dev/null)" ] \
    && haproxy_pid "$uuid" >/dev/null
}

# The userspace datapath does not complete partial checksums: the agent's veth
# pair needs transmit checksum offload off on both ends, as the guests' veths do.
# The agent makes (and remakes) the pair itself, so this runs after it provisioned,
# in lab/up and (through it) lab/heal.
ovnmeta_tx_off() {
  local key ns d0 d1
  for key in "${OVN_NETS[@]}"; do
    ns=$(ovnmeta_ns "$key"); d0=$(ovnmeta_dev "$key" 0); d1=$(ovnmeta_dev "$key" 1)
    ip link show dev "$d0" >/dev/null 2>&1 && tx_off - "$d0"
    netns_exists "$ns" && link_exists "$ns" "$d1" && tx_off "$ns" "$d1"
  done
  return 0
}

tx_is_off() {  # tx_is_off NS|- DEV
  local out
  if [ "$1" = - ]; then out=$(ethtool -k "$2" 2>/dev/null) || return 1
  else out=$(ip netns exec "$1" ethtool -k "$2" 2>/dev/null) || return 1; fi
  [[ $out == *"tx-checksumming: off"* ]]
}

ensure_ovnmeta() {
  local key
  for key in "${OVN_NETS[@]}"; do
    wait_for 120 "neutron-ovn-metadata-agent to provision $(ovnmeta_ns "$key") (veth, 169.254.169.254, haproxy)" \
      ovnmeta_ready "$key" || return 1
  done
  ovnmeta_tx_off
}

# lab/break chassis: another chassis (Chassis and Chassis_Private rows, no
# ovn-controller behind them) that Neutron sees alive for a moment, so that it
# binds a port to its host
add_other_chassis() {
  local nb_cfg ch
  ovn_sbctl --may-exist chassis-add "$OVN_OTHER_CHASSIS" geneve 127.0.0.2
  ovn_sbctl set Chassis "$OVN_OTHER_CHASSIS" "hostname=$OVN_OTHER_HOST"
  ch=$(ovn_sbctl --bare --columns=_uuid find Chassis "name=$OVN_OTHER_CHASSIS")
  nb_cfg=$(ovn_nbctl get NB_Global . nb_cfg)
  if [ -z "$(ovn_sbctl --bare --columns=_uuid find Chassis_Private "name=$OVN_OTHER_CHASSIS")" ]; then
    ovn_sbctl create Chassis_Private "name=$OVN_OTHER_CHASSIS" "chassis=$ch" "nb_cfg=$nb_cfg" \
      "nb_cfg_timestamp=$(date +%s%3N)" >/dev/null
  fi
}

del_other_chassis() {
  ovn_sbctl --if-exists destroy Chassis_Private "$OVN_OTHER_CHASSIS"
  ovn_sbctl --if-exists chassis-del "$OVN_OTHER_CHASSIS"
}

# lab/break chassis, undone: the guest's port bound to this host again
heal_ovn_chassis() {
  local f=$S/chassis-fault key port
  [ -s "$f" ] || return 0
  read -r key port <"$f"
  ovn_sbctl lsp-unbind "$port" 2>/dev/null || true
  # neutron-server may still be starting (lab/heal): resources.py waits for the agent
  run_logged move-port root "$PY" "$LAB_LIB/resources.py" move-port "$key" home
  del_other_chassis
  wait_for 60 "ovn-controller to claim port $port again" port_on_this_chassis "$port" \
    || say "warning: port $port is not bound to this chassis yet"
  rm -f "$f"
  say "port $port bound to this host again (chassis $(ovn_chassis)); $OVN_OTHER_CHASSIS removed"
}

ovn_agent_namespaces() {  # the ovnmeta- namespaces of the lab's networks
  if [ -r "$IDS" ]; then
    jq -r '(.networks // {} | .[] | "ovnmeta-\(.id)")' "$IDS"
  fi
  return 0
}

ovn_lab_healthy() {
  local s ns key
  [ -r "$IDS" ] && [ -r "$S/env" ] || return 1
  for s in "${SERVICES[@]}"; do svc_running "$s" && svc_healthy "$s" >/dev/null 2>&1 || return 1; done
  for key in "${OVN_NETS[@]}"; do ovnmeta_ready "$key" || return 1; done
  for ns in lab-vm1 lab-vm2 lab-vm3 lab-vm4 lab-stray; do netns_exists "$ns" || return 1; done
  guest_probes
}

write_ovn_env() {
  local tmp=$S/env.tmp
  jq -r --arg S "$S" --arg ETC "$ETC" --arg N "$NSTATE" --arg secret "$METADATA_SECRET" \
    --arg flavour "$LAB_FLAVOUR" --arg ovsrun "$OVS_RUN" --arg interval "$CHILD_CHECK_INTERVAL" \
    --arg ovnrun "$OVN_RUN" --arg nb "$OVN_NB_REMOTE" --arg sb "$OVN_SB_REMOTE" \
    --arg chassis "$(ovn_chassis)" '
    def q: @sh;
    def vm($k; $p):
      .vms[$k] as $v |
      [ "LAB_\($p)_ID=\($v.id|q)", "LAB_\($p)_NAME=\($v.name|q)", "LAB_\($p)_IP=\($v.ip|q)",
        "LAB_\($p)_MAC=\($v.mac|q)", "LAB_\($p)_PORT_ID=\($v.port_id|q)",
        "LAB_\($p)_NETNS=\($v.netns|q)", "LAB_\($p)_PROJECT_ID=\($v.project_id|q)",
        "LAB_\($p)_PROJECT=\($v.project|q)",
        "LAB_\($p)_NETWORK_ID=\($v.network_id|q)",
        "LAB_\($p)_METADATA_NETNS=\($v.metadata_netns|q)",
        "LAB_\($p)_METADATA_KIND=\($v.metadata_netns|split("-")[0]|q)" ];
    def net($k; $p):
      .networks[$k] as $n |
      [ "LAB_\($p)OVNMETA_NETNS=\("ovnmeta-\($n.id)"|q)",
        "LAB_\($p)HAPROXY_CONF=\("\($N)/ovn-metadata-proxy/\($n.id).conf"|q)",
        "LAB_\($p)HAPROXY_PIDFILE=\("\($N)/external/pids/\($n.id).pid.haproxy"|q)",
        "LAB_\($p)METADATA_PORT_ID=\($n.metadata_port_id|q)",
        "LAB_\($p)METADATA_PORT_IP=\($n.metadata_ip|q)",
        "LAB_\($p)METADATA_PORT_MAC=\($n.metadata_mac|q)" ];
    [ "LAB_FLAVOUR=\($flavour|q)",
      "OS_CLIENT_CONFIG_FILE=\("\($ETC)/clouds.yaml"|q)",
      "OS_CLOUD=osmeta-lab",
      "LAB_STATE_DIR=\($S|q)",
      "LAB_SECRET=\($secret|q)",
      "LAB_METADATA_URL=http://127.0.0.1:8775",
      "LAB_SOCKET=\("\($N)/metadata_proxy"|q)",
      "LAB_NEUTRON_STATE_PATH=\($N|q)",
      "LAB_AGENT_CONFIG=\("\($ETC)/neutron/neutron_ovn_metadata_agent.ini"|q)",
      "LAB_NEUTRON_CONF=\("\($ETC)/neutron/neutron.conf"|q)",
      "LAB_ML2_CONF=\("\($ETC)/neutron/ml2_conf.ini"|q)",
      "LAB_NOVA_CONF=\("\($ETC)/nova/nova.conf"|q)",
      "LAB_DEMO_PROJECT_ID=\(.projects.demo|q)",
      "LAB_ALT_PROJECT_ID=\(.projects.alt_demo|q)",
      "LAB_ADMIN_PROJECT_ID=\(.projects.admin|q)",
      "LAB_NETWORK_ID=\(.networks.demo.id|q)",
      "LAB_ALT_NETWORK_ID=\(.networks.alt.id|q)",
      "LAB_ROUTED_NETWORK_ID=\(.networks.routed.id|q)",
      "LAB_ROUTER_ID=\(.router.id|q)",
      "LAB_ROUTER_PORT_ID=\(.router.port_id|q)",
      "LAB_AGENT_HOST=\(.host|q)",
      "LAB_CHILD_CHECK_INTERVAL=\($interval|q)",
      "LAB_OVS_RUNDIR=\($ovsrun|q)",
      "LAB_OVSDB=\("unix:\($ovsrun)/db.sock"|q)",
      "LAB_OVN_RUNDIR=\($ovnrun|q)",
      "LAB_OVN_NB=\($nb|q)",
      "LAB_OVN_SB=\($sb|q)",
      "LAB_OVN_NB_DB=\("unix:\($ovnrun)/ovnnb_db.sock"|q)",
      "LAB_OVN_SB_DB=\("unix:\($ovnrun)/ovnsb_db.sock"|q)",
      "LAB_OVN_CHASSIS=\($chassis|q)",
      "LAB_GUESTS=\("vm1 vm2 vm3 vm4 stray"|q)" ]
    + net("demo"; "") + net("alt"; "ALT_") + net("routed"; "ROUTED_")
    + vm("vm1"; "VM1") + vm("vm2"; "VM2") + vm("vm3"; "VM3") + vm("vm4"; "VM4")
    + [ "LAB_VM3_PORT_PROJECT_ID=\(.vms.vm3.port_project_id|q)",
        "LAB_STRAY_IP=\(.stray.ip|q)", "LAB_STRAY_NETNS=\(.stray.netns|q)",
        "LAB_STRAY_MAC=\(.stray.mac|q)", "LAB_STRAY_PORT_ID=\(.stray.port_id|q)",
        "LAB_STRAY_PROJECT_ID=\(.stray.project_id|q)",
        "LAB_STRAY_NETWORK_ID=\(.stray.network_id|q)",
        "LAB_STRAY_METADATA_NETNS=\(.stray.metadata_netns|q)",
        "LAB_INSTANCE_ID=\(.vms.vm1.id|q)",
        "LAB_TENANT_ID=\(.projects.demo|q)",
        "LAB_ALT_TENANT_ID=\(.projects.alt_demo|q)" ]
    | .[] | "export \(.)"' "$IDS" >"$tmp"
  chmod 0600 "$tmp"
  mv "$tmp" "$S/env"
}

ovn_usage() {
  cat >&2 <<'EOF2'
usage: lab/break FAULT          (flavour ovn)
  ovn-controller      ovn-controller stopped: bindings and br-int's flows stay, nothing maintains them
  sb-unreachable      the agent's ovn_sb_connection a closed port (tcp:127.0.0.1:6649), agent restarted
  metadata-port       lab-net's metadata port (localport) left without an address; the agent's sync
                      (restart) tears ovnmeta-<lab-net> down
  chassis             lab-vm1's port bound to another chassis (requested-chassis, a Chassis row
                      no ovn-controller serves)
  ovn-metadata-agent  neutron-ovn-metadata-agent stopped; its haproxy runs on, the socket file stays
  secret              wrong metadata_proxy_shared_secret in the agent's ini, agent restarted
  nova-metadata       nova's metadata API stopped
  proxy-off           nova.conf [neutron] service_metadata_proxy = false
  haproxy             lab-net's haproxy killed, the agent's ProcessMonitor off (interval 0)
  haproxy-respawn     lab-net's haproxy killed; the agent's ProcessMonitor respawns it
  neutron             neutron-server stopped (the OVN agent does not need it to serve)
EOF2
}
