# shellcheck shell=bash
# lab/break for the ML2/OVN flavour (sourced by lab/break: $fault, record, ini_set,
# the env and the secrets are there). lab/heal (lab/up) undoes each.

AGENT_INI=$LAB_AGENT_CONFIG
net=$LAB_NETWORK_ID
CLOSED_SB=tcp:127.0.0.1:6649   # nothing listens there

case $fault in
  ovn-controller)
    record
    stop_svc ovn-controller
    say "ovn-controller stopped (SIGTERM): the Port_Bindings and the flows it installed in br-int stay, nothing maintains them; Neutron marks the OVN Controller agent dead after agent_down_time" ;;
  sb-unreachable)
    ! tcp_listening 6649 || die "something listens on 127.0.0.1:6649; this fault needs a closed port"
    record
    sed -i "s|^ovn_sb_connection = .*|ovn_sb_connection = $CLOSED_SB|" "$AGENT_INI"
    restart_svc neutron-ovn-metadata-agent
    say "neutron-ovn-metadata-agent restarted with [ovn] ovn_sb_connection = $CLOSED_SB (connection refused)" ;;
  metadata-port)
    ns=$LAB_OVNMETA_NETNS
    record
    "$PY" "$LAB_LIB/resources.py" break-metadata-port 2>>"$LOG/setup/metadata-port.log" \
      || die "removing the metadata port's address failed; see $LOG/setup/metadata-port.log"
    # the agent rereads the metadata port on a sync (start, a binding change, a reconnect)
    restart_svc neutron-ovn-metadata-agent
    wait_for 90 "the agent to tear $ns down" bash -c "! [ -e /run/netns/$ns ]" \
      || die "the agent kept $ns"
    say "lab-net's metadata port $LAB_METADATA_PORT_ID has no address (neutron:cidrs empty); the agent, restarted, tore $ns down (veth, haproxy)" ;;
  chassis)
    port=$LAB_VM1_PORT_ID
    record
    printf 'vm1 %s\n' "$port" >"$S/chassis-fault"
    add_other_chassis
    # what nova does when it moves an instance: the port bound to the other host;
    # neutron-server sets options:requested-chassis, this ovn-controller releases it
    "$PY" "$LAB_LIB/resources.py" move-port vm1 "$OVN_OTHER_HOST" 2>>"$LOG/setup/move-port.log" >/dev/null \
      || die "binding the port to $OVN_OTHER_HOST failed; see $LOG/setup/move-port.log"
    wait_for 30 "ovn-controller to release port $port" bash -c \
      "[ -z \"\$(OVN_RUNDIR='$OVN_RUN' ovn-sbctl --db='unix:$OVN_SB_SOCK' --bare --columns=chassis find Port_Binding logical_port='$port')\" ]" \
      || die "ovn-controller did not release $port"
    # and the other chassis' ovn-controller would claim it
    ovn_sbctl lsp-bind "$port" "$OVN_OTHER_CHASSIS"
    say "lab-vm1's port $port bound to $OVN_OTHER_HOST (requested-chassis), its Port_Binding on $OVN_OTHER_CHASSIS (a Chassis row no ovn-controller serves); this chassis no longer wires lab-vm1's veth" ;;
  ovn-metadata-agent)
    record
    stop_svc neutron-ovn-metadata-agent
    if [ -S "$LAB_SOCKET" ]; then say "neutron-ovn-metadata-agent stopped; $LAB_SOCKET is left with no listener, the haproxies run on"
    else say "neutron-ovn-metadata-agent stopped; it removed $LAB_SOCKET, the haproxies run on"; fi ;;
  secret)
    record
    sed -i 's/^metadata_proxy_shared_secret = .*/metadata_proxy_shared_secret = not-the-shared-secret/' "$AGENT_INI"
    restart_svc neutron-ovn-metadata-agent
    say "agent restarted with a wrong metadata_proxy_shared_secret in $AGENT_INI" ;;
  nova-metadata)
    record
    stop_svc nova-metadata
    say "nova metadata API (127.0.0.1:8775) stopped" ;;
  proxy-off)
    record
    sed -i 's/^service_metadata_proxy = .*/service_metadata_proxy = false/' "$LAB_NOVA_CONF"
    restart_svc nova-metadata
    say "nova metadata API restarted with [neutron] service_metadata_proxy = false" ;;
  haproxy)
    haproxy_pid "$net" >/dev/null || die "the demo network's haproxy is not running"
    record
    # a node whose ProcessMonitor is off: nothing brings the proxy back
    ini_set "$AGENT_INI" check_child_processes_interval 0
    restart_svc neutron-ovn-metadata-agent
    wait_for 60 "lab-net's haproxy after the agent's restart" haproxy_pid "$net" \
      || die "lab-net's haproxy is not running after the agent's restart"
    pid=$(haproxy_pid "$net")
    kill -KILL "$pid"
    wait_for 5 "haproxy $pid to die" bash -c "! [ -d /proc/$pid ]"
    say "killed haproxy $pid ($LAB_OVNMETA_NETNS); check_child_processes_interval = 0: no respawn; $LAB_HAPROXY_PIDFILE still names it" ;;
  haproxy-respawn)
    pid=$(haproxy_pid "$net") || die "the demo network's haproxy is not running"
    record
    now=$(date +%s.%N)
    kill -KILL "$pid"
    printf '%s %s\n' "$pid" "$now" >"$S/haproxy-respawn.killed"
    say "killed haproxy $pid ($LAB_OVNMETA_NETNS); the agent's ProcessMonitor respawns it within check_child_processes_interval = $LAB_CHILD_CHECK_INTERVAL s (lab/heal waits and reports the gap)" ;;
  neutron)
    record
    stop_svc neutron-server 30
    say "neutron-server stopped (the OVN metadata agent reads the SB database, not neutron-server)" ;;
  -h|--help) usage ;;
  *) printf 'error: unknown fault %s\n' "$fault" >&2; usage ;;
esac
