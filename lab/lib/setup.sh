# shellcheck shell=bash
# One-time and idempotent set-up steps of lab/up. Needs common.sh, services.sh,
# configs.sh and netns.sh.

PACKAGES=(mariadb-server rabbitmq-server keystone python3-keystone uwsgi uwsgi-plugin-python3
  nova-api python3-nova glance-api neutron-server neutron-metadata-agent python3-neutron
  haproxy python3-openstackclient python3-novaclient python3-neutronclient python3-pymysql
  rsyslog iproute2 curl jq procps
  openvswitch-switch neutron-openvswitch-agent neutron-dhcp-agent neutron-l3-agent
  sudo iptables ethtool busybox)
# ML2/OVN: OVN central (NB, SB, northd), ovn-controller and the OVN metadata agent
[ "$LAB_FLAVOUR" != ovn ] || PACKAGES+=(ovn-central ovn-host neutron-ovn-metadata-agent)

install_packages() {
  local p missing=()
  for p in "${PACKAGES[@]}"; do
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
  done
  [ "${#missing[@]}" -gt 0 ] || return 0
  say "installing ${#missing[@]} packages (with dependencies): ${missing[*]}"
  local own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    # the packages' own daemons must not take the lab's ports
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
    own_policy=1
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  mkdir -p "$LOG/setup"
  local rc=0
  { DEBIAN_FRONTEND=noninteractive apt-get update -q \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
         -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${PACKAGES[@]}"
  } >"$LOG/setup/apt.log" 2>&1 || rc=$?
  if [ $own_policy = 1 ]; then rm -f /usr/sbin/policy-rc.d; trap - EXIT; fi
  [ $rc = 0 ] || { tail -n 20 "$LOG/setup/apt.log" >&2; die "apt-get failed (exit $rc); see $LOG/setup/apt.log"; }
  say "packages installed"
}

new_secret() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }

SECRET_NAMES=(ADMIN_PASSWORD DEMO_PASSWORD ALT_DEMO_PASSWORD NOVA_PASSWORD NEUTRON_PASSWORD
  GLANCE_PASSWORD RABBIT_PASSWORD DB_KEYSTONE_PASSWORD DB_GLANCE_PASSWORD DB_NOVA_PASSWORD
  DB_NEUTRON_PASSWORD METADATA_SECRET)

prepare_state() {
  install -d -m 0755 "$S" "$RUN" "$LOG" "$ETC"
  install -d -m 0700 "$PRISTINE" "$LOG/setup"
  install -d -m 0750 -o mysql -g mysql "$S/mysql" "$LOG/mysql"
  install -d -m 0755 -o mysql -g mysql "$RUN/mysqld"
  install -d -m 0750 -o rabbitmq -g rabbitmq "$S/rabbitmq" "$LOG/rabbitmq"
  install -d -m 0750 -o keystone -g keystone "$S/keystone" "$LOG/keystone"
  install -d -m 0750 -o glance -g glance "$S/glance" "$S/glance/images" "$S/glance/staging" \
    "$S/glance/tasks" "$S/glance/lock" "$LOG/glance"
  install -d -m 0750 -o nova -g nova "$S/nova" "$S/nova/lock" "$LOG/nova"
  # the agents (user neutron) write their haproxy configs, pid directories and
  # dnsmasq files under the shared state_path, as under /var/lib/neutron
  install -d -m 0755 -o neutron -g neutron "$NSTATE" "$LOG/neutron" "$NSTATE/external" \
    "$NSTATE/external/pids" "$NSTATE/ns-metadata-proxy"
  install -d -m 0755 "$LOG/haproxy" "$LOG/rsyslog" "$S/rsyslog"
  install -d -m 0750 -o neutron -g neutron "$NSTATE/lock"
  install -d -m 0750 "$OVS_DB_DIR" "$LOG/openvswitch"
  install -d -m 0755 "$OVS_RUN"
  if [ "$LAB_FLAVOUR" = ovn ]; then
    install -d -m 0750 "$OVN_DB_DIR" "$LOG/ovn"
    install -d -m 0755 "$OVN_RUN" /var/run/ovn
    # the OVN agent's haproxy configs, as under /var/lib/neutron/ovn-metadata-proxy
    install -d -m 0755 -o neutron -g neutron "$NSTATE/ovn-metadata-proxy"
    [ -s "$OVN_DB_DIR/system-id" ] || cat /proc/sys/kernel/random/uuid >"$OVN_DB_DIR/system-id"
  fi
  touch "$SECRETS"; chmod 0600 "$SECRETS"
  local n
  for n in "${SECRET_NAMES[@]}"; do
    grep -q "^$n=" "$SECRETS" || printf '%s=%s\n' "$n" "$(new_secret)" >>"$SECRETS"
  done
}

# run_logged NAME USER CMD...: output to $LOG/setup/NAME.log; on failure show its tail
run_logged() {
  local name=$1 user=$2; shift 2
  local logf=$LOG/setup/$name.log rc=0
  if [ "$user" = root ]; then
    "$@" >"$logf" 2>&1 || rc=$?
  else
    : >"$logf"
    setpriv --reuid="$user" --regid="$(id -gn "$user")" --init-groups \
      env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/ "$@" >>"$logf" 2>&1 || rc=$?
  fi
  if [ $rc != 0 ]; then
    tail -n 15 "$logf" >&2
    die "$name failed (exit $rc); full log: $logf"
  fi
}

# services whose config files changed while they run get restarted
restart_changed() {
  local f s
  declare -A todo=()
  for f in "$@"; do
    case $f in
      mysql/*) todo[mariadb]=1 ;;
      rabbitmq/*) todo[rabbitmq]=1 ;;
      keystone/*) todo[keystone]=1 ;;
      glance/*) todo[glance]=1 ;;
      nova/nova.conf) todo[nova-api]=1; todo[nova-metadata]=1 ;;
      nova/nova-api*) todo[nova-api]=1 ;;
      nova/nova-metadata*) todo[nova-metadata]=1 ;;
      neutron/neutron.conf) todo[neutron-server]=1; todo[neutron-metadata-agent]=1
        todo[neutron-ovn-metadata-agent]=1
        todo[neutron-openvswitch-agent]=1; todo[neutron-dhcp-agent]=1; todo[neutron-l3-agent]=1 ;;
      neutron/ml2_conf.ini) todo[neutron-server]=1 ;;
      neutron/metadata_agent.ini) todo[neutron-metadata-agent]=1 ;;
      neutron/plugins/ml2/openvswitch_agent.ini) todo[neutron-openvswitch-agent]=1 ;;
      neutron/dhcp_agent.ini) todo[neutron-dhcp-agent]=1 ;;
      neutron/neutron_ovn_metadata_agent.ini) todo[neutron-ovn-metadata-agent]=1 ;;
      neutron/l3_agent.ini) todo[neutron-l3-agent]=1 ;;
      rsyslog.conf) todo[rsyslog]=1 ;;
    esac
  done
  for s in "${!todo[@]}"; do
    if svc_running "$s"; then say "config of $s changed: restarting it"; stop_svc "$s"; fi
  done
}

init_mariadb() {
  [ -d "$S/mysql/mysql" ] && return 0
  run_logged mariadb-install-db root mariadb-install-db --defaults-file="$ETC/mysql/my.cnf" \
    --user=mysql --auth-root-authentication-method=socket --skip-test-db
  say "mariadb data directory initialised"
}

mysql_root() { mariadb --defaults-file="$ETC/mysql/my.cnf" -uroot; }

create_databases() {
  local sql="" db user pw
  for db in keystone glance nova_api nova nova_cell0 neutron; do
    case $db in nova*) user=nova ;; *) user=$db ;; esac
    pw=DB_${user^^}_PASSWORD; pw=${!pw}
    sql+="CREATE DATABASE IF NOT EXISTS \`$db\` CHARACTER SET utf8mb4;"
    sql+="CREATE USER IF NOT EXISTS '$user'@'127.0.0.1' IDENTIFIED BY '$pw';"
    sql+="ALTER USER '$user'@'127.0.0.1' IDENTIFIED BY '$pw';"
    sql+="GRANT ALL PRIVILEGES ON \`$db\`.* TO '$user'@'127.0.0.1';"
  done
  # on stdin: passwords stay off command lines
  mysql_root <<<"$sql" || die "creating the databases failed"
}

keystone_manage() { keystone-manage --config-file "$ETC/keystone/keystone.conf" "$@"; }
nova_manage() { nova-manage --config-file "$ETC/nova/nova.conf" --config-file "$ETC/nova/nova-manage.conf" "$@"; }

setup_keystone() {
  run_logged keystone-db-sync keystone keystone-manage --config-file "$ETC/keystone/keystone.conf" db_sync
  run_logged keystone-keys keystone bash -c "
    keystone-manage --config-file '$ETC/keystone/keystone.conf' fernet_setup --keystone-user keystone --keystone-group keystone &&
    keystone-manage --config-file '$ETC/keystone/keystone.conf' credential_setup --keystone-user keystone --keystone-group keystone"
  # the password arrives on stdin, keystone-manage reads OS_BOOTSTRAP_PASSWORD
  run_logged keystone-bootstrap keystone bash -c "
    read -r OS_BOOTSTRAP_PASSWORD; export OS_BOOTSTRAP_PASSWORD
    exec keystone-manage --config-file '$ETC/keystone/keystone.conf' bootstrap \
      --bootstrap-username admin \
      --bootstrap-project-name admin --bootstrap-role-name admin \
      --bootstrap-service-name keystone --bootstrap-region-id RegionOne \
      --bootstrap-admin-url http://127.0.0.1:5000/v3/ \
      --bootstrap-internal-url http://127.0.0.1:5000/v3/ \
      --bootstrap-public-url http://127.0.0.1:5000/v3/" <<<"$ADMIN_PASSWORD"
  touch "$S/.done-keystone"
}

setup_glance() {
  run_logged glance-db-sync glance glance-manage --config-file "$ETC/glance/glance-api.conf" db_sync
  touch "$S/.done-glance"
}

setup_nova() {
  local c=$ETC/nova/nova.conf m=$ETC/nova/nova-manage.conf
  run_logged nova-api-db-sync nova nova-manage --config-file "$c" --config-file "$m" api_db sync
  # cell0's URL is [database] connection + "_cell0": nova_cell0
  run_logged nova-map-cell0 nova nova-manage --config-file "$c" --config-file "$m" cell_v2 map_cell0
  if ! setpriv --reuid=nova --regid=nova --init-groups nova-manage --config-file "$c" --config-file "$m" \
      cell_v2 list_cells 2>/dev/null | awk '$2 == "cell1" { f=1 } END { exit !f }'; then
    run_logged nova-create-cell1 nova nova-manage --config-file "$c" --config-file "$m" cell_v2 create_cell --name cell1
  fi
  run_logged nova-db-sync nova nova-manage --config-file "$c" --config-file "$m" db sync
  touch "$S/.done-nova"
}

setup_neutron() {
  run_logged neutron-db-manage neutron neutron-db-manage --config-file "$ETC/neutron/neutron.conf" \
    --config-file "$ETC/neutron/ml2_conf.ini" upgrade heads
  touch "$S/.done-neutron"
}

sync_databases() {
  local -a pids=() names=()
  local n i rc=0
  for n in keystone glance nova neutron; do
    [ -f "$S/.done-$n" ] && continue
    ( "setup_$n" ) & pids+=($!); names+=("$n")
  done
  [ "${#pids[@]}" -gt 0 ] || return 0
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || { printf 'error: database set-up of %s failed\n' "${names[$i]}" >&2; rc=1; }
  done
  [ $rc = 0 ] || exit 1
  say "schemas ready (${names[*]}), keystone bootstrapped"
}

start_bg_svcs() {  # start without waiting; wait_svcs waits
  local s
  for s in "$@"; do svc_running "$s" || svc_start_raw "$s"; done
}
wait_svcs() { local s; for s in "$@"; do ensure_svc "$s"; done; }

# the physical bridge of physnet1 (VLAN tenant networks): userspace, no uplink.
# br-int is the OVS agent's to create (datapath_type from its config).
ensure_bridges() {
  ovs_vsctl --no-wait init
  ovs_vsctl --may-exist add-br br-phys -- set Bridge br-phys datapath_type=netdev
}

# lab/break haproxy-respawn: how long the guest had no proxy (the new haproxy's
# start time minus the kill), kept in log/neutron/haproxy-respawn.log
report_respawn() {
  local f=$S/haproxy-respawn.killed old killed uuid pid start gap
  [ -s "$f" ] || return 0
  read -r old killed <"$f"
  uuid=$(net_field demo id)
  local agent="the DHCP agent"
  [ "$LAB_FLAVOUR" != ovn ] || agent="the OVN metadata agent"
  wait_for 90 "$agent's ProcessMonitor to respawn lab-net's haproxy" haproxy_pid "$uuid" \
    || { rm -f "$f"; return 0; }
  pid=$(haproxy_pid "$uuid")
  start=$(awk -v tck="$(getconf CLK_TCK)" -v bt="$(awk '/^btime/ {print $2}' /proc/stat)" \
    '{ printf "%.2f", bt + $22 / tck }' "/proc/$pid/stat")
  gap=$(awk -v a="$start" -v b="$killed" 'BEGIN { printf "%.1f", a - b }')
  say "lab-net's haproxy (killed: pid $old) respawned by $agent's ProcessMonitor as pid $pid, ${gap} s later"
  printf '%s killed pid %s, respawned as pid %s after %s s (check_child_processes_interval = %s)\n' \
    "$(date -u +%FT%TZ)" "$old" "$pid" "$gap" "$CHILD_CHECK_INTERVAL" >>"$LOG/neutron/haproxy-respawn.log"
  rm -f "$f"
}

# lab/break ovs-agent's probe guest: its port, OVS port and namespace go
remove_probe() {
  local port
  [ -s "$S/probe-port" ] || return 0
  port=$(cat "$S/probe-port")
  "$PY" "$LAB_LIB/resources.py" probe del >>"$LOG/setup/probe.log" 2>&1 || true
  ovs_vsctl --if-exists del-port br-int "tap${port:0:11}" || true
  if netns_exists lab-probe; then ip netns del lab-probe; fi
  rm -f "$S/probe-port"
}

# a state directory made by another flavour of the lab (or by none recorded: the
# agentless lab before) cannot be carried over: its networks are of another type
flavour_mismatch() {
  [ -s "$IDS" ] || [ -d "$S/mysql/mysql" ] || return 1
  [ "$(cat "$S/flavour" 2>/dev/null)" != "$LAB_FLAVOUR" ]
}

guest_probe() {  # guest_probe vm1: the guest reads its own meta_data.json
  local key=$1 want ns body
  [ -n "$(jq -r ".vms.$key.id // empty" "$IDS" 2>/dev/null)" ] || return 1
  want=$(ids_get ".vms.$key.id"); ns=$(ids_get ".vms.$key.netns")
  body=$(ip netns exec "$ns" curl -s -m 10 http://169.254.169.254/openstack/latest/meta_data.json) || return 1
  [ "$(printf '%s' "$body" | jq -r .uuid 2>/dev/null)" = "$want" ]
}

guest_probes() { local g; for g in "${PROBED[@]}"; do guest_probe "$g" || return 1; done; }

# the guests read their metadata; from 20 s on, an agent whose privsep client died is restarted
guests_served() {
  guest_probes && return 0
  if [ $(( $(date +%s) - ${GUESTS_WAIT_T0:-0} )) -ge 20 ]; then restart_hung_agents; fi
  return 1
}

# steps whose results live in the databases: done once, redone only after a purge
step_done() { [ -f "$S/.done-$1" ] && [ -s "$IDS" ]; }
mark_done() { touch "$S/.done-$1"; }

lab_healthy() {
  local s ns
  [ -r "$IDS" ] && [ -r "$S/env" ] || return 1
  for s in "${SERVICES[@]}"; do svc_running "$s" && svc_healthy "$s" >/dev/null 2>&1 || return 1; done
  haproxy_pid "$(net_field demo id)" >/dev/null && haproxy_pid "$(net_field alt id)" >/dev/null \
    && haproxy_pid "$(ids_get .router.id)" >/dev/null || return 1
  for ns in lab-vm1 lab-vm2 lab-vm3 lab-vm4 lab-stray; do netns_exists "$ns" || return 1; done
  guest_probes
}

write_env() {
  local tmp=$S/env.tmp
  jq -r --arg S "$S" --arg ETC "$ETC" --arg N "$NSTATE" --arg secret "$METADATA_SECRET" \
    --arg flavour "$LAB_FLAVOUR" --arg ovsrun "$OVS_RUN" --arg interval "$CHILD_CHECK_INTERVAL" '
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
    [ "LAB_FLAVOUR=\($flavour|q)",
      "OS_CLIENT_CONFIG_FILE=\("\($ETC)/clouds.yaml"|q)",
      "OS_CLOUD=osmeta-lab",
      "LAB_STATE_DIR=\($S|q)",
      "LAB_SECRET=\($secret|q)",
      "LAB_METADATA_URL=http://127.0.0.1:8775",
      "LAB_SOCKET=\("\($N)/metadata_proxy"|q)",
      "LAB_NEUTRON_STATE_PATH=\($N|q)",
      "LAB_AGENT_CONFIG=\("\($ETC)/neutron/metadata_agent.ini"|q)",
      "LAB_NEUTRON_CONF=\("\($ETC)/neutron/neutron.conf"|q)",
      "LAB_NOVA_CONF=\("\($ETC)/nova/nova.conf"|q)",
      "LAB_DEMO_PROJECT_ID=\(.projects.demo|q)",
      "LAB_ALT_PROJECT_ID=\(.projects.alt_demo|q)",
      "LAB_ADMIN_PROJECT_ID=\(.projects.admin|q)",
      "LAB_NETWORK_ID=\(.networks.demo.id|q)",
      "LAB_ALT_NETWORK_ID=\(.networks.alt.id|q)",
      "LAB_QDHCP_NETNS=\("qdhcp-\(.networks.demo.id)"|q)",
      "LAB_ALT_QDHCP_NETNS=\("qdhcp-\(.networks.alt.id)"|q)",
      "LAB_HAPROXY_CONF=\("\($N)/ns-metadata-proxy/\(.networks.demo.id).conf"|q)",
      "LAB_HAPROXY_PIDFILE=\("\($N)/external/pids/\(.networks.demo.id).pid.haproxy"|q)",
      "LAB_ALT_HAPROXY_CONF=\("\($N)/ns-metadata-proxy/\(.networks.alt.id).conf"|q)",
      "LAB_ALT_HAPROXY_PIDFILE=\("\($N)/external/pids/\(.networks.alt.id).pid.haproxy"|q)",
      "LAB_ROUTED_NETWORK_ID=\(.networks.routed.id|q)",
      "LAB_ROUTED_QDHCP_NETNS=\("qdhcp-\(.networks.routed.id)"|q)",
      "LAB_ROUTER_ID=\(.router.id|q)",
      "LAB_ROUTER_PORT_ID=\(.router.port_id|q)",
      "LAB_QROUTER_NETNS=\(.router.netns|q)",
      "LAB_ROUTER_HAPROXY_CONF=\("\($N)/ns-metadata-proxy/\(.router.id).conf"|q)",
      "LAB_ROUTER_HAPROXY_PIDFILE=\("\($N)/external/pids/\(.router.id).pid.haproxy"|q)",
      "LAB_DHCP_AGENT_CONFIG=\("\($ETC)/neutron/dhcp_agent.ini"|q)",
      "LAB_L3_AGENT_CONFIG=\("\($ETC)/neutron/l3_agent.ini"|q)",
      "LAB_OVS_AGENT_CONFIG=\("\($ETC)/neutron/plugins/ml2/openvswitch_agent.ini"|q)",
      "LAB_ML2_CONF=\("\($ETC)/neutron/ml2_conf.ini"|q)",
      "LAB_AGENT_HOST=\(.host|q)",
      "LAB_CHILD_CHECK_INTERVAL=\($interval|q)",
      "LAB_OVS_RUNDIR=\($ovsrun|q)",
      "LAB_OVSDB=\("unix:\($ovsrun)/db.sock"|q)",
      "LAB_GUESTS=\("vm1 vm2 vm3 vm4 stray"|q)" ]
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
