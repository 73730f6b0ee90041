# shellcheck shell=bash
# shellcheck disable=SC2034  # variables used by the scripts that source this file
# The lab's long-running services: how each starts, how to tell it is healthy.
# Needs common.sh.

# In start order. The haproxy and dnsmasq instances are the agents' (their
# ProcessMonitor starts and respawns them); netns.sh finds them by pid file.
if [ "$LAB_FLAVOUR" = ovn ]; then
  # ML2/OVN: no DHCP, L3 or OVS agent; OVN's own daemons and the OVN metadata agent
  SERVICES=(rsyslog mariadb epmd rabbitmq ovsdb-server ovs-vswitchd ovn-nb ovn-sb ovn-northd
    ovn-controller keystone glance nova-api nova-metadata neutron-server neutron-ovn-metadata-agent)
  # what neutron-server lists in GET /v2.0/agents (from OVN's Chassis_Private rows), by binary
  AGENTS=(ovn-controller neutron-ovn-metadata-agent)
else
SERVICES=(rsyslog mariadb epmd rabbitmq ovsdb-server ovs-vswitchd keystone glance nova-api
  nova-metadata neutron-server neutron-metadata-agent neutron-openvswitch-agent
  neutron-dhcp-agent neutron-l3-agent)
# the agents that report to neutron-server (GET /v2.0/agents), by binary name
AGENTS=(neutron-openvswitch-agent neutron-dhcp-agent neutron-l3-agent neutron-metadata-agent)
fi

declare -A SVC_USER=(
  [rsyslog]=root [mariadb]=mysql [epmd]=rabbitmq [rabbitmq]=rabbitmq [keystone]=keystone
  [glance]=glance [nova-api]=nova [nova-metadata]=nova [neutron-server]=neutron
  [neutron-metadata-agent]=neutron [ovsdb-server]=root [ovs-vswitchd]=root
  [neutron-openvswitch-agent]=neutron [neutron-dhcp-agent]=neutron [neutron-l3-agent]=neutron
  [ovn-nb]=root [ovn-sb]=root [ovn-northd]=root [ovn-controller]=root
  [neutron-ovn-metadata-agent]=neutron
)
# what the process of each pid file must show before the lab trusts (or signals) it
declare -A SVC_TOKEN=(
  [rsyslog]=rsyslogd [mariadb]=mariadbd [epmd]=epmd [rabbitmq]=rabbitmq-server
  [keystone]=keystone-uwsgi.ini [glance]=glance-api [nova-api]=nova-api-uwsgi.ini
  [nova-metadata]=nova-metadata-uwsgi.ini [neutron-server]=neutron-server
  [neutron-metadata-agent]=neutron-metadata-agent [ovsdb-server]=ovsdb-server
  [ovs-vswitchd]=ovs-vswitchd [neutron-openvswitch-agent]=neutron-openvswitch-agent
  [neutron-dhcp-agent]=neutron-dhcp-agent [neutron-l3-agent]=neutron-l3-agent
  [ovn-nb]=ovnnb_db.db [ovn-sb]=ovnsb_db.db [ovn-northd]=ovn-northd [ovn-controller]=ovn-controller
  [neutron-ovn-metadata-agent]=neutron-ovn-metadata-agent
)
declare -A SVC_LISTEN=(
  [rsyslog]=/dev/log [mariadb]=127.0.0.1:3306 [epmd]=127.0.0.1:4369 [rabbitmq]=127.0.0.1:5672
  [keystone]=127.0.0.1:5000 [glance]=127.0.0.1:9292 [nova-api]=127.0.0.1:8774
  [nova-metadata]=127.0.0.1:8775 [neutron-server]=127.0.0.1:9696
  [neutron-metadata-agent]="$NSTATE/metadata_proxy"
  [ovsdb-server]="$OVS_DB_SOCK, 127.0.0.1:6640" [ovs-vswitchd]="$OVS_RUN/ovs-vswitchd.ctl"
  [neutron-openvswitch-agent]="127.0.0.1:6633 (OpenFlow)" [neutron-dhcp-agent]="RPC"
  [neutron-l3-agent]="RPC"
  [ovn-nb]="$OVN_NB_SOCK, 127.0.0.1:6641" [ovn-sb]="$OVN_SB_SOCK, 127.0.0.1:6642"
  [ovn-northd]="$OVN_RUN/ovn-northd.ctl" [ovn-controller]="SB $OVN_SB_REMOTE, chassis"
  [neutron-ovn-metadata-agent]="$NSTATE/metadata_proxy"
)
# generous bounds for a cold start on 2 cores
declare -A SVC_WAIT=(
  [rsyslog]=10 [mariadb]=60 [epmd]=10 [rabbitmq]=90 [keystone]=60 [glance]=60
  [nova-api]=90 [nova-metadata]=90 [neutron-server]=120 [neutron-metadata-agent]=60
  [ovsdb-server]=20 [ovs-vswitchd]=30 [neutron-openvswitch-agent]=90 [neutron-dhcp-agent]=60
  [neutron-l3-agent]=60
  [ovn-nb]=20 [ovn-sb]=20 [ovn-northd]=20 [ovn-controller]=30 [neutron-ovn-metadata-agent]=60
)

# svc_pid NAME: the pid of NAME if the process in its pid file is still the one
# this lab started (same user, expected command line); a reused pid is not.
svc_pid() {
  local name=$1 pid
  pid=$(read_pid "$(pidfile_of "$name")" 2>/dev/null) || return 1
  pid_alive "$pid" || return 1
  [ "$(stat -c %U "/proc/$pid" 2>/dev/null)" = "${SVC_USER[$name]}" ] || return 1
  cmdline_has "$pid" "${SVC_TOKEN[$name]}" || return 1
  printf '%s\n' "$pid"
}
svc_running() { svc_pid "$1" >/dev/null; }

stop_svc() {  # stop_svc NAME [SECONDS]: only a verified pid is signalled
  local name=$1 pid
  if pid=$(svc_pid "$name"); then stop_pid "$name" "$pid" "${2:-15}"; fi
  rm -f "$(pidfile_of "$name")"
}

rabbit_env() {
  printf '%s\n' "HOME=$S/rabbitmq" \
    RABBITMQ_NODENAME=rabbit@localhost \
    "RABBITMQ_CONFIG_FILE=$ETC/rabbitmq/rabbitmq.conf" \
    "RABBITMQ_ADVANCED_CONFIG_FILE=$ETC/rabbitmq/advanced.config" \
    "RABBITMQ_ENABLED_PLUGINS_FILE=$ETC/rabbitmq/enabled_plugins" \
    "RABBITMQ_MNESIA_BASE=$S/rabbitmq/mnesia" \
    "RABBITMQ_LOG_BASE=$LOG/rabbitmq" \
    "RABBITMQ_PID_FILE=$S/rabbitmq/rabbit.pid" \
    RABBITMQ_DIST_PORT=25672 \
    "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1}" \
    RABBITMQ_CTL_DIST_PORT_MIN=35672 RABBITMQ_CTL_DIST_PORT_MAX=35682 \
    ERL_EPMD_ADDRESS=127.0.0.1
}

svc_healthy() {
  case $1 in
    rsyslog) [ -S /dev/log ] ;;
    mariadb) mariadb-admin --defaults-file="$ETC/mysql/my.cnf" -uroot ping ;;
    epmd) tcp_listening 4369 ;;
    rabbitmq) tcp_listening 5672 ;;
    keystone) http_ok http://127.0.0.1:5000/v3 ;;
    glance) http_ok http://127.0.0.1:9292/ ;;
    nova-api) http_ok http://127.0.0.1:8774/ ;;
    nova-metadata) http_ok http://127.0.0.1:8775/ ;;
    neutron-server) http_ok http://127.0.0.1:9696/ ;;
    neutron-metadata-agent) unix_listening "$NSTATE/metadata_proxy" ;;
    ovsdb-server) ovs_vsctl show && tcp_listening 6640 ;;
    ovs-vswitchd) ovs_appctl -t "$OVS_RUN/ovs-vswitchd.ctl" version ;;
    # the OVS agent made br-int and is its OpenFlow controller
    neutron-openvswitch-agent) ovs_vsctl br-exists br-int && tcp_listening 6633 ;;
    # the agents' own health is what neutron-server says (lab/status); here: they run
    neutron-dhcp-agent|neutron-l3-agent) svc_running "$1" ;;
    ovn-nb) ovsdb-client list-dbs "unix:$OVN_NB_SOCK" && tcp_listening 6641 ;;
    ovn-sb) ovsdb-client list-dbs "unix:$OVN_SB_SOCK" && tcp_listening 6642 ;;
    ovn-northd) OVN_RUNDIR=$OVN_RUN ovn-appctl --timeout=10 -t "$OVN_RUN/ovn-northd.ctl" status ;;
    # connected to the SB, its chassis registered, br-int made
    ovn-controller) [ "$(ovn_controller_appctl connection-status)" = connected ] \
      && [ -n "$(ovn_sbctl --bare --columns=name find Chassis "name=$(ovn_chassis)")" ] \
      && ovs_vsctl br-exists br-int ;;
    neutron-ovn-metadata-agent) unix_listening "$NSTATE/metadata_proxy" ;;
    *) return 1 ;;
  esac
}

svc_start_raw() {
  local name=$1
  case $name in
    rsyslog)
      mkdir -p "$S/rsyslog" "$LOG/haproxy" "$LOG/rsyslog"
      start_svc rsyslog root "$LOG/rsyslog/rsyslogd.out" -- \
        rsyslogd -n -f "$ETC/rsyslog.conf" -i "$RUN/rsyslogd.pid" ;;
    mariadb)
      start_svc mariadb mysql "$LOG/mysql/mariadbd.out" -- \
        mariadbd --defaults-file="$ETC/mysql/my.cnf" ;;
    epmd)
      start_svc epmd rabbitmq "$LOG/rabbitmq/epmd.out" "HOME=$S/rabbitmq" -- \
        epmd -address 127.0.0.1 ;;
    rabbitmq)
      local -a renv; mapfile -t renv < <(rabbit_env)
      start_svc rabbitmq rabbitmq "$LOG/rabbitmq/rabbitmq-server.out" "${renv[@]}" -- \
        /usr/lib/rabbitmq/bin/rabbitmq-server ;;
    keystone)
      start_svc keystone keystone "$LOG/keystone/uwsgi.log" -- \
        uwsgi --ini "$ETC/keystone/keystone-uwsgi.ini" ;;
    glance)
      start_svc glance glance "$LOG/glance/glance-api.out" -- \
        glance-api --config-file "$ETC/glance/glance-api.conf" ;;
    nova-api|nova-metadata)
      start_svc "$name" nova "$LOG/nova/uwsgi-$name.log" -- \
        uwsgi --ini "$ETC/nova/$name-uwsgi.ini" ;;
    neutron-server)
      local -a logopt=()
      # flavour ovn: neutron.conf is also the OVN agent's last config file, so the
      # server's log file is named on its command line (as Debian's init script does)
      [ "$LAB_FLAVOUR" = ovn ] && logopt=(--log-file "$LOG/neutron/neutron-server.log")
      start_svc neutron-server neutron "$LOG/neutron/neutron-server.out" -- \
        neutron-server --config-file "$ETC/neutron/neutron.conf" --config-file "$ETC/neutron/ml2_conf.ini" \
          "${logopt[@]}" ;;
    neutron-metadata-agent)
      start_svc neutron-metadata-agent neutron "$LOG/neutron/neutron-metadata-agent.out" -- \
        neutron-metadata-agent --config-file "$ETC/neutron/neutron.conf" --config-file "$ETC/neutron/metadata_agent.ini" ;;
    ovsdb-server)
      [ -s "$OVS_DB_DIR/conf.db" ] \
        || ovsdb-tool create "$OVS_DB_DIR/conf.db" /usr/share/openvswitch/vswitch.ovsschema
      start_svc ovsdb-server root "$LOG/openvswitch/ovsdb-server.out" "OVS_RUNDIR=$OVS_RUN" \
        "OVS_DBDIR=$OVS_DB_DIR" "OVS_LOGDIR=$LOG/openvswitch" -- \
        ovsdb-server "$OVS_DB_DIR/conf.db" --remote="punix:$OVS_DB_SOCK" \
          --remote=ptcp:6640:127.0.0.1 \
          --unixctl="$OVS_RUN/ovsdb-server.ctl" --pidfile="$OVS_RUN/ovsdb-server.pid" \
          --log-file="$LOG/openvswitch/ovsdb-server.log" ;;
    ovs-vswitchd)
      start_svc ovs-vswitchd root "$LOG/openvswitch/ovs-vswitchd.out" "OVS_RUNDIR=$OVS_RUN" \
        "OVS_DBDIR=$OVS_DB_DIR" "OVS_LOGDIR=$LOG/openvswitch" -- \
        ovs-vswitchd "unix:$OVS_DB_SOCK" --unixctl="$OVS_RUN/ovs-vswitchd.ctl" \
          --pidfile="$OVS_RUN/ovs-vswitchd.pid" --log-file="$LOG/openvswitch/ovs-vswitchd.log" ;;
    neutron-openvswitch-agent)
      start_svc "$name" neutron "$LOG/neutron/$name.out" -- \
        neutron-openvswitch-agent --config-file "$ETC/neutron/neutron.conf" \
          --config-file "$ETC/neutron/plugins/ml2/openvswitch_agent.ini" ;;
    neutron-dhcp-agent)
      start_svc "$name" neutron "$LOG/neutron/$name.out" -- \
        neutron-dhcp-agent --config-file "$ETC/neutron/neutron.conf" --config-file "$ETC/neutron/dhcp_agent.ini" ;;
    neutron-l3-agent)
      start_svc "$name" neutron "$LOG/neutron/$name.out" -- \
        neutron-l3-agent --config-file "$ETC/neutron/neutron.conf" --config-file "$ETC/neutron/l3_agent.ini" ;;
    ovn-nb|ovn-sb)
      local db=ovn${name#ovn-}_db
      [ -s "$OVN_DB_DIR/$db.db" ] \
        || ovsdb-tool create "$OVN_DB_DIR/$db.db" "/usr/share/ovn/ovn-${name#ovn-}.ovsschema"
      start_svc "$name" root "$LOG/ovn/ovsdb-server-${name#ovn-}.out" "OVN_RUNDIR=$OVN_RUN" -- \
        ovsdb-server "$OVN_DB_DIR/$db.db" --remote="punix:$OVN_RUN/$db.sock" \
          --remote="ptcp:$( [ "$name" = ovn-nb ] && echo 6641 || echo 6642 ):127.0.0.1" \
          --unixctl="$OVN_RUN/$db.ctl" --pidfile="$OVN_RUN/$db.pid" \
          --log-file="$LOG/ovn/ovsdb-server-${name#ovn-}.log" ;;
    ovn-northd)
      start_svc ovn-northd root "$LOG/ovn/ovn-northd.out" "OVN_RUNDIR=$OVN_RUN" -- \
        ovn-northd --ovnnb-db="unix:$OVN_NB_SOCK" --ovnsb-db="unix:$OVN_SB_SOCK" \
          --unixctl="$OVN_RUN/ovn-northd.ctl" --pidfile="$OVN_RUN/ovn-northd.pid" \
          --log-file="$LOG/ovn/ovn-northd.log" ;;
    ovn-controller)
      # no --unixctl option: its control socket is $OVN_RUNDIR/ovn-controller.<pid>.ctl;
      # it finds br-int's management socket in OVS_RUNDIR
      mkdir -p /var/run/ovn
      start_svc ovn-controller root "$LOG/ovn/ovn-controller.out" "OVN_RUNDIR=$OVN_RUN" \
        "OVS_RUNDIR=$OVS_RUN" -- \
        ovn-controller "unix:$OVS_DB_SOCK" --pidfile="$OVN_RUN/ovn-controller.pid" \
          --log-file="$LOG/ovn/ovn-controller.log" ;;
    neutron-ovn-metadata-agent)
      # Debian's order (the unit): the agent's ini first, neutron.conf last
      start_svc "$name" neutron "$LOG/neutron/$name.out" -- \
        neutron-ovn-metadata-agent --config-file "$ETC/neutron/neutron_ovn_metadata_agent.ini" \
          --config-file "$ETC/neutron/neutron.conf" ;;
    *) die "unknown service $name" ;;
  esac
}

ovn_controller_appctl() {  # ovn-appctl to the running ovn-controller
  local pid
  pid=$(svc_pid ovn-controller) || return 1
  OVN_RUNDIR=$OVN_RUN ovn-appctl --timeout=10 -t "$OVN_RUN/ovn-controller.$pid.ctl" "$@"
}

# ensure_svc NAME: start it unless it runs; wait (bounded) until it answers.
ensure_svc() {
  local name=$1 end
  if svc_running "$name"; then
    svc_healthy "$name" >/dev/null 2>&1 && return 0
  else
    svc_start_raw "$name"
  fi
  end=$(( $(date +%s) + ${SVC_WAIT[$name]} ))
  until svc_healthy "$name" >/dev/null 2>&1; do
    svc_running "$name" || { printf 'error: %s exited during start-up; see lab/logs\n' "$name" >&2; return 1; }
    [ "$(date +%s)" -lt "$end" ] || { printf 'error: %s did not answer on %s within %ss\n' "$name" "${SVC_LISTEN[$name]}" "${SVC_WAIT[$name]}" >&2; return 1; }
    sleep 0.3
  done
}

restart_svc() { stop_svc "$1"; ensure_svc "$1"; }

# oslo.privsep under eventlet (Zed): now and then an agent's privsep client dies as it starts
# ("privsep log: greenlet.error: cannot switch to a different thread" in its log), and every
# privileged call of that agent hangs from then on: the DHCP agent gives up after 300 s and its
# proxies are never respawned. dhcp_agent.ini's num_sync_threads = 1 makes it rarer (the DHCP
# agent's sync greenthreads raced to start privsep); an agent whose log says so is restarted.
# What is said goes to fd 3, which the caller opens: wait_for silences its command's output.
restart_hung_agents() {
  local svc pid
  for svc in neutron-dhcp-agent neutron-l3-agent; do
    pid=$(svc_pid "$svc") || continue
    grep -q "^[-0-9]* [0-9:.]* $pid WARNING oslo.privsep.daemon .*greenlet.error: cannot switch to a different thread" \
      "$LOG/neutron/$svc.log" 2>/dev/null || continue
    say "$svc (pid $pid): its privsep client died as it started (greenlet.error in its log): restarting it" >&3
    restart_svc "$svc" 3>&-   # the agent must not hold the caller's fd 3 open
  done
}
