# shellcheck shell=bash
# Writes every config of the lab into $PRISTINE, then installs changed files
# into $ETC. lab/break edits files in $ETC; lab/heal copies them back from $PRISTINE.
# Needs common.sh and the secrets loaded.

# cfg_file REL OWNER_GROUP MODE < content   (REL is relative to etc/)
cfg_file() {
  local rel=$1 group=$2 mode=$3
  mkdir -p "$PRISTINE/$(dirname "$rel")"
  cat >"$PRISTINE/$rel"
  chmod 0600 "$PRISTINE/$rel"
  CFG_META+=("$rel $group $mode")
}

gen_configs() {
  CFG_META=()
  local db="mysql+pymysql"
  local ks=http://127.0.0.1:5000
  local rabbit="rabbit://osmeta:${RABBIT_PASSWORD}@127.0.0.1:5672/"

  cfg_file mysql/my.cnf root 0644 <<EOF
[mysqld]
user = mysql
datadir = $S/mysql
socket = $RUN/mysqld/mysqld.sock
pid-file = $RUN/mysqld/mysqld.pid
bind-address = 127.0.0.1
port = 3306
log-error = $LOG/mysql/error.log
skip-name-resolve
max_connections = 500
innodb_buffer_pool_size = 128M
character-set-server = utf8mb4
collation-server = utf8mb4_general_ci

[client]
socket = $RUN/mysqld/mysqld.sock
EOF

  cfg_file rabbitmq/rabbitmq.conf rabbitmq 0640 <<EOF
listeners.tcp.default = 127.0.0.1:5672
default_user = osmeta
default_pass = ${RABBIT_PASSWORD}
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
log.file.level = info
EOF
  cfg_file rabbitmq/enabled_plugins rabbitmq 0644 <<<'[].'

  cfg_file keystone/keystone.conf keystone 0640 <<EOF
[DEFAULT]
log_file = $LOG/keystone/keystone.log

[database]
connection = $db://keystone:${DB_KEYSTONE_PASSWORD}@127.0.0.1/keystone

[token]
provider = fernet

[fernet_tokens]
key_repository = $S/keystone/fernet-keys

[fernet_receipts]
key_repository = $S/keystone/fernet-keys

[credential]
key_repository = $S/keystone/credential-keys
EOF

  cfg_file keystone/keystone-uwsgi.ini keystone 0640 <<EOF
[uwsgi]
http-socket = 127.0.0.1:5000
buffer-size = 65535
rem-header = Content-Length
master = true
lazy-apps = true
no-orphans = true
die-on-term = true
enable-threads = true
processes = 1
threads = 4
listen = 100
name = keystone-api
# Python's teardown in a threaded worker can segfault and stall the shutdown
skip-atexit-teardown = true
worker-reload-mercy = 5
chdir = $S/keystone
plugins = python3
wsgi-file = /usr/bin/keystone-wsgi-public
env = OS_KEYSTONE_CONFIG_DIR=$ETC/keystone
EOF

  authtoken() {  # authtoken USER PASSWORD
    cat <<EOF
[keystone_authtoken]
www_authenticate_uri = $ks/
auth_url = $ks/
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $1
password = $2
EOF
  }

  cfg_file glance/glance-api.conf glance 0640 <<EOF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = 9292
workers = 1
log_file = $LOG/glance/glance-api.log
enabled_backends = fs:file

[database]
connection = $db://glance:${DB_GLANCE_PASSWORD}@127.0.0.1/glance

$(authtoken glance "$GLANCE_PASSWORD")

[paste_deploy]
flavor = keystone
config_file = /etc/glance/glance-api-paste.ini

[glance_store]
default_backend = fs

[fs]
filesystem_store_datadir = $S/glance/images

[os_glance_staging_store]
filesystem_store_datadir = $S/glance/staging

[os_glance_tasks_store]
filesystem_store_datadir = $S/glance/tasks

[oslo_concurrency]
lock_path = $S/glance/lock
EOF

  cfg_file nova/nova.conf nova 0640 <<EOF
[DEFAULT]
host = lab-compute-1
my_ip = 127.0.0.1
state_path = $S/nova
transport_url = $rabbit
use_syslog = false

[api]
auth_strategy = keystone

[api_database]
connection = $db://nova:${DB_NOVA_PASSWORD}@127.0.0.1/nova_api

[database]
connection = $db://nova:${DB_NOVA_PASSWORD}@127.0.0.1/nova

$(authtoken nova "$NOVA_PASSWORD")

[neutron]
auth_url = $ks/
auth_type = password
project_domain_name = Default
user_domain_name = Default
region_name = RegionOne
project_name = service
username = neutron
password = ${NEUTRON_PASSWORD}
service_metadata_proxy = true
metadata_proxy_shared_secret = ${METADATA_SECRET}

[glance]
region_name = RegionOne

[wsgi]
api_paste_config = $ETC/nova/api-paste.ini

[oslo_concurrency]
lock_path = $S/nova/lock

[oslo_messaging_notifications]
driver = noop
EOF
  # one log file per uwsgi app (both read nova.conf)
  cfg_file nova/nova-api.conf nova 0640 <<EOF
[DEFAULT]
log_file = $LOG/nova/nova-api.log
EOF
  cfg_file nova/nova-metadata.conf nova 0640 <<EOF
[DEFAULT]
log_file = $LOG/nova/nova-metadata.log
EOF
  cfg_file nova/nova-manage.conf nova 0640 <<EOF
[DEFAULT]
log_file = $LOG/nova/nova-manage.log
EOF

  # nova's wsgi_app loads paste from the first of OS_NOVA_CONFIG_FILES
  cfg_file nova/api-paste.ini nova 0640 </etc/nova/api-paste.ini

  # nova's metadata API answers a guest's parallel requests in parallel, as on a real node
  # (Debian's nova-api-metadata-uwsgi.ini: 8 processes): here 2 processes of one thread each.
  # Not threads: nova's eventlet-patched code hangs in a uwsgi thread (with
  # service_metadata_proxy = false every request then timed out). nova-api needs one process.
  local app port procs
  for app in api metadata; do
    if [ "$app" = api ]; then port=8774 procs=1; else port=8775 procs=2; fi
    cfg_file "nova/nova-$app-uwsgi.ini" nova 0640 <<EOF
[uwsgi]
http-socket = 127.0.0.1:$port
buffer-size = 65535
rem-header = Content-Length
master = true
lazy-apps = true
no-orphans = true
die-on-term = true
enable-threads = true
processes = $procs
threads = 1
listen = 100
name = nova-$app
skip-atexit-teardown = true
worker-reload-mercy = 5
chdir = $S/nova
plugins = python3
wsgi-file = /usr/bin/nova-$app-wsgi
env = OS_NOVA_CONFIG_DIR=$ETC/nova
env = OS_NOVA_CONFIG_FILES=api-paste.ini;nova.conf;nova-$app.conf
EOF
  done

  if [ "$LAB_FLAVOUR" = ovn ]; then gen_neutron_ovn_configs; else gen_neutron_ovs_configs; fi

  cfg_file rsyslog.conf root 0644 <<EOF
global(workDirectory="$S/rsyslog")
module(load="imuxsock" SysSock.Name="/dev/log")
template(name="lab" type="string" string="%TIMESTAMP:::date-rfc3339% %HOSTNAME% %syslogtag%%msg:::sp-if-no-1st-sp%%msg:::drop-last-lf%\n")
if \$programname startswith "haproxy" then {
  action(type="omfile" file="$LOG/haproxy/haproxy.log" template="lab")
  stop
}
*.* action(type="omfile" file="$LOG/rsyslog/messages.log" template="lab")
EOF

  cfg_file clouds.yaml root 0600 <<EOF
clouds:
  osmeta-lab:
    auth:
      auth_url: $ks/v3
      username: admin
      password: "${ADMIN_PASSWORD}"
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: public
    identity_api_version: 3
  osmeta-lab-demo:
    auth:
      auth_url: $ks/v3
      username: demo
      password: "${DEMO_PASSWORD}"
      project_name: demo
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: public
    identity_api_version: 3
  osmeta-lab-alt:
    auth:
      auth_url: $ks/v3
      username: alt_demo
      password: "${ALT_DEMO_PASSWORD}"
      project_name: alt_demo
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: public
    identity_api_version: 3
EOF
}

# ML2/OVS: neutron-server and neutron's OVS, DHCP, L3 and metadata agents
gen_neutron_ovs_configs() {
  local db="mysql+pymysql" ks=http://127.0.0.1:5000
  local rabbit="rabbit://osmeta:${RABBIT_PASSWORD}@127.0.0.1:5672/"
  # read by neutron-server and by every agent (state_path, RPC, root helper), as
  # /etc/neutron/neutron.conf is on a Debian node
  cfg_file neutron/neutron.conf neutron 0640 <<EOF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = 9696
state_path = $NSTATE
core_plugin = ml2
service_plugins = router
auth_strategy = keystone
transport_url = $rabbit
api_workers = 1
rpc_workers = 1
rpc_state_report_workers = 1
# no nova-compute takes nova's external events in this lab
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
api_paste_config = /etc/neutron/api-paste.ini
log_file = $LOG/neutron/neutron-server.log

[agent]
root_helper = sudo neutron-rootwrap /etc/neutron/rootwrap.conf
report_interval = 10

[database]
connection = $db://neutron:${DB_NEUTRON_PASSWORD}@127.0.0.1/neutron

$(authtoken neutron "$NEUTRON_PASSWORD")

[oslo_concurrency]
lock_path = $NSTATE/lock
EOF

  # tenant networks are VLANs on br-phys, a netdev bridge with no uplink: one node
  cfg_file neutron/ml2_conf.ini neutron 0640 <<EOF
[ml2]
type_drivers = flat,vlan
tenant_network_types = vlan
mechanism_drivers = openvswitch
extension_drivers = port_security

[ml2_type_vlan]
network_vlan_ranges = physnet1:100:199
EOF

  cfg_file neutron/plugins/ml2/openvswitch_agent.ini neutron 0640 <<EOF
[DEFAULT]
log_file = $LOG/neutron/neutron-openvswitch-agent.log

[ovs]
integration_bridge = br-int
datapath_type = netdev
bridge_mappings = physnet1:br-phys
ovsdb_connection = tcp:127.0.0.1:6640
of_listen_address = 127.0.0.1
of_listen_port = 6633

[agent]
tunnel_types =

[securitygroup]
firewall_driver = noop
EOF

  cfg_file neutron/dhcp_agent.ini neutron 0640 <<EOF
[DEFAULT]
interface_driver = openvswitch
dhcp_driver = neutron.agent.linux.dhcp.Dnsmasq
enable_isolated_metadata = True
force_metadata = False
# one network at a time: the sync greenthreads raced to start privsep (restart_hung_agents)
num_sync_threads = 1
log_file = $LOG/neutron/neutron-dhcp-agent.log

[agent]
check_child_processes_action = respawn
check_child_processes_interval = $CHILD_CHECK_INTERVAL

[ovs]
integration_bridge = br-int
datapath_type = netdev
ovsdb_connection = tcp:127.0.0.1:6640
EOF

  cfg_file neutron/l3_agent.ini neutron 0640 <<EOF
[DEFAULT]
interface_driver = openvswitch
agent_mode = legacy
enable_metadata_proxy = True
metadata_port = 9697
log_file = $LOG/neutron/neutron-l3-agent.log

[agent]
check_child_processes_action = respawn
check_child_processes_interval = $CHILD_CHECK_INTERVAL

[ovs]
integration_bridge = br-int
datapath_type = netdev
ovsdb_connection = tcp:127.0.0.1:6640
EOF

  cfg_file neutron/metadata_agent.ini neutron 0640 <<EOF
[DEFAULT]
nova_metadata_host = 127.0.0.1
nova_metadata_port = 8775
nova_metadata_protocol = http
metadata_proxy_shared_secret = ${METADATA_SECRET}
metadata_proxy_socket = $NSTATE/metadata_proxy
metadata_workers = 1
debug = true
log_file = $LOG/neutron/neutron-metadata-agent.log

[agent]
report_interval = 30
EOF
}

# ML2/OVN: neutron-server with the ovn mechanism driver and ovn-router, and
# neutron-ovn-metadata-agent (no DHCP, L3 or OVS agent: OVN does their part)
gen_neutron_ovn_configs() {
  local db="mysql+pymysql" ks=http://127.0.0.1:5000
  local rabbit="rabbit://osmeta:${RABBIT_PASSWORD}@127.0.0.1:5672/"
  # read by neutron-server and, last (Debian's order), by the OVN metadata agent:
  # no log_file here (neutron-server gets --log-file), the agent's own is in its ini
  cfg_file neutron/neutron.conf neutron 0640 <<EOF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = 9696
state_path = $NSTATE
core_plugin = ml2
service_plugins = ovn-router
auth_strategy = keystone
transport_url = $rabbit
api_workers = 1
rpc_workers = 1
rpc_state_report_workers = 1
# no nova-compute takes nova's external events in this lab
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
api_paste_config = /etc/neutron/api-paste.ini

[agent]
root_helper = sudo neutron-rootwrap /etc/neutron/rootwrap.conf

[database]
connection = $db://neutron:${DB_NEUTRON_PASSWORD}@127.0.0.1/neutron

$(authtoken neutron "$NEUTRON_PASSWORD")

[oslo_concurrency]
lock_path = $NSTATE/lock
EOF

  # tenant networks are Geneve overlays; one chassis, so no tunnel carries anything
  cfg_file neutron/ml2_conf.ini neutron 0640 <<EOF
[ml2]
type_drivers = geneve,flat
tenant_network_types = geneve
mechanism_drivers = ovn
extension_drivers = port_security
overlay_ip_version = 4

[ml2_type_geneve]
vni_ranges = 1:65536
max_header_size = 38

[securitygroup]
enable_security_group = true

[ovn]
ovn_nb_connection = $OVN_NB_REMOTE
ovn_sb_connection = $OVN_SB_REMOTE
ovn_metadata_enabled = True
enable_distributed_floating_ip = False
ovn_l3_scheduler = leastloaded
EOF

  cfg_file neutron/neutron_ovn_metadata_agent.ini neutron 0640 <<EOF
[DEFAULT]
nova_metadata_host = 127.0.0.1
nova_metadata_port = 8775
nova_metadata_protocol = http
metadata_proxy_shared_secret = ${METADATA_SECRET}
metadata_proxy_socket = $NSTATE/metadata_proxy
metadata_workers = 1
debug = true
log_file = $LOG/neutron/neutron-ovn-metadata-agent.log

[agent]
root_helper = sudo neutron-rootwrap /etc/neutron/rootwrap.conf
check_child_processes_action = respawn
check_child_processes_interval = $CHILD_CHECK_INTERVAL

[ovs]
ovsdb_connection = tcp:127.0.0.1:6640

[ovn]
ovn_sb_connection = $OVN_SB_REMOTE
EOF
}

configs_pending() {  # does any generated file differ from the installed one?
  local meta rel
  for meta in "${CFG_META[@]}"; do
    rel=${meta%% *}
    cmp -s "$PRISTINE/$rel" "$ETC/$rel" || return 0
  done
  return 1
}

# install_configs: copy changed pristine files into etc/; prints the changed
# paths (relative to etc/) so the caller can restart what reads them.
install_configs() {
  local meta rel group mode dst
  for meta in "${CFG_META[@]}"; do
    read -r rel group mode <<<"$meta"
    dst=$ETC/$rel
    mkdir -p "$(dirname "$dst")"
    if ! cmp -s "$PRISTINE/$rel" "$dst"; then
      install -m "$mode" -o root -g "$group" "$PRISTINE/$rel" "$dst"
      printf '%s\n' "$rel"
    fi
  done
}
