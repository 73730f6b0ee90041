# shellcheck shell=bash
# Namespaces, veth pairs and the per-network haproxy, as a DHCP agent would lay
# them out. Needs common.sh; reads ids.json.
#
#   lab-vm1 (eth0 10.90.0.10, port MAC) ==veth== tapXXXXXXXXXXX (qdhcp-<lab-net>)
#   lab-vm3 (eth0 10.90.0.11)           ==veth== vm3-peer       (qdhcp-<lab-net>, /32 route)
#   lab-stray (eth0 10.90.0.99)         ==veth== stray-peer     (qdhcp-<lab-net>, /32 route)
#   lab-vm2 (eth0 10.91.0.10)           ==veth== tapYYYYYYYYYYY (qdhcp-<lab-alt-net>)

NETNS_LIST=$S/netns.list          # every namespace this lab created
SCALE_NETNS_LIST=$S/scale-netns.list

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

# ensure_guest KEY: KEY is vm1|vm2|vm3|stray
ensure_guest() {
  local key=$1 ns ip mac netkey qns qdev primary dhcp_ip
  if [ "$key" = stray ]; then
    ns=$(ids_get .stray.netns); ip=$(ids_get .stray.ip); netkey=$(ids_get .stray.network)
    mac=fa:16:3e:00:00:99
  else
    ns=$(ids_get ".vms.$key.netns"); ip=$(ids_get ".vms.$key.ip"); mac=$(ids_get ".vms.$key.mac")
    netkey=$(ids_get ".vms.$key.network")
  fi
  qns=$(qdhcp_ns "$netkey")
  dhcp_ip=$(net_field "$netkey" dhcp_ip)
  primary=0
  { [ "$key" = vm1 ] || [ "$key" = vm2 ]; } && primary=1
  if [ $primary = 1 ]; then qdev=$(tap_of "$netkey"); else qdev=$key-peer; fi
  ensure_netns "$qns"
  ensure_netns "$ns"
  if ! link_exists "$ns" eth0 || ! link_exists "$qns" "$qdev"; then
    ip -n "$ns" link del eth0 2>/dev/null || true
    ip -n "$qns" link del "$qdev" 2>/dev/null || true
    ip link add "$qdev" netns "$qns" type veth peer name eth0 netns "$ns"
  fi
  ip -n "$ns" link set eth0 address "$mac"
  ip -n "$ns" addr replace "$ip/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$qns" link set "$qdev" up
  if [ $primary = 1 ]; then
    ip -n "$qns" link set "$qdev" address "$(net_field "$netkey" dhcp_mac)"
    ip -n "$qns" addr replace "$dhcp_ip/24" dev "$qdev"
    ip -n "$qns" addr replace 169.254.169.254/32 dev "$qdev"
    ip -n "$qns" addr replace fe80::a9fe:a9fe/64 dev "$qdev"
  else
    ip -n "$qns" route replace "$ip/32" dev "$qdev"
  fi
  # what DHCP gives a guest: a default route via the subnet's gateway (.1, which
  # nothing in the lab owns: traffic stays in the lab's namespaces) and dnsmasq's
  # classless route to the metadata address via the DHCP port
  ip -n "$ns" route replace default via "${dhcp_ip%.*}.1" dev eth0
  ip -n "$ns" route replace 169.254.169.254/32 via "$dhcp_ip" dev eth0
}

# ---- haproxy ---------------------------------------------------------------
haproxy_conf_of() { printf '%s/ns-metadata-proxy/%s.conf' "$NSTATE" "$1"; }
haproxy_pidfile_of() { printf '%s/external/pids/%s.pid.haproxy' "$NSTATE" "$1"; }

haproxy_pid() {  # the running proxy of network UUID (neutron: the pid's cmdline holds the uuid)
  local uuid=$1 pid
  pid=$(read_pid "$(haproxy_pidfile_of "$uuid")" 2>/dev/null) || return 1
  pid_alive "$pid" || return 1
  cmdline_has "$pid" "$uuid" || return 1
  printf '%s\n' "$pid"
}

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

stop_haproxy() {
  local uuid=$1 pid
  pid=$(read_pid "$(haproxy_pidfile_of "$uuid")" 2>/dev/null || true)
  if [ -n "$pid" ] && pid_alive "$pid" && cmdline_has "$pid" "$uuid"; then
    stop_pid "haproxy-$uuid" "$pid" 10
  fi
  rm -f "$(haproxy_pidfile_of "$uuid")"
}

ensure_qdhcp_proxy() {  # ensure_qdhcp_proxy demo|alt
  local key=$1 uuid
  uuid=$(net_field "$key" id)
  start_haproxy "$uuid" "$(qdhcp_ns "$key")" "$(tap_of "$key")"
}

ensure_topology() {
  local g
  for g in vm1 vm3 stray vm2; do ensure_guest "$g"; done
  ensure_qdhcp_proxy demo
  ensure_qdhcp_proxy alt
}

# ---- scale namespaces (no neutron network behind them) ---------------------
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
