# shellcheck shell=bash
# lab/up's second half for the ML2/OVN flavour (sourced by lab/up after the
# packages, the state directory and the configs are in place).
#   OVN central: NB and SB ovsdb-servers (unix sockets under run/ovn, and
#   tcp:127.0.0.1:6641/6642), ovn-northd; this host as a chassis: Open vSwitch in
#   userspace and ovn-controller, which makes br-int (netdev); neutron-server with
#   the ovn mechanism driver; neutron-ovn-metadata-agent, which makes ovnmeta-<net>.

ensure_svc rsyslog
init_mariadb
ensure_svc mariadb;  say "mariadb up"
create_databases;    say "databases ready"
ensure_svc epmd
ensure_svc rabbitmq; say "rabbitmq up"
ensure_svc ovsdb-server
ensure_svc ovs-vswitchd
ensure_ovn_chassis
ensure_svc ovn-nb
ensure_svc ovn-sb
ovn_nbctl --no-wait init; ovn_sbctl init   # NB_Global, SB_Global
ensure_svc ovn-northd; say "OVN central up (NB $OVN_NB_REMOTE, SB $OVN_SB_REMOTE, ovn-northd)"
if fault_active ovn-controller; then say "starting ovn-controller again (lab/break ovn-controller)"; fi
ensure_svc ovn-controller; say "Open vSwitch (userspace) and ovn-controller up: chassis $(ovn_chassis), br-int"
sync_databases       # keystone bootstrap + glance/nova/neutron schemas, in parallel

start_bg_svcs keystone glance nova-api nova-metadata neutron-server
wait_svcs keystone;  say "keystone up"
if ! step_done keystone-resources; then
  run_logged keystone-resources root "$PY" "$LAB_LIB/resources.py" keystone
  mark_done keystone-resources; say "keystone projects, users and catalog ready"
fi
wait_svcs glance nova-api nova-metadata neutron-server
say "glance, nova-api, nova metadata, neutron-server up"
ensure_svc neutron-ovn-metadata-agent; say "neutron-ovn-metadata-agent up"
heal_ovn_chassis
# networks (each gets its metadata port from neutron-server), the router, the ports
# (bound to this host: neutron binds them once it sees this chassis' ovn-controller)
if ! step_done neutron-resources || fault_active metadata-port; then
  run_logged image-and-neutron root "$PY" "$LAB_LIB/resources.py" image neutron
  mark_done neutron-resources; say "image, networks (with their metadata ports), router, subnets and ports ready"
fi
if fault_active metadata-port; then
  # the agent notices a metadata port's address only on a sync: restart it
  say "lab-net's metadata port has its address again: restarting the agent so that it provisions ovnmeta- again"
  restart_svc neutron-ovn-metadata-agent
fi
report_respawn
if ! step_done nova-records; then
  run_logged nova-records root "$PY" "$LAB_LIB/nova_records.py" guests
  mark_done nova-records; say "instances lab-vm1..4 and their network info caches ready"
fi

ensure_ovn_guests;   say "guests plugged into br-int, claimed by ovn-controller, addressed by OVN's DHCP"
ensure_ovnmeta;      say "the agent provisioned ovnmeta- for lab-net, lab-alt-net and lab-routed-net; tx checksum offload off on its veths"
run_logged ovn-agents root "$PY" "$LAB_LIB/resources.py" ovn-agents
say "Neutron sees the OVN Controller and OVN Metadata agents alive"
write_ovn_env
rm -f "$FAULTS"

wait_for 120 "lab-vm1, lab-vm2 and lab-vm4 to read their metadata through the OVN agent's proxies" guest_probes \
  || die "the chain does not answer the guests; run lab/check and lab/logs"
touch "$S/.up-done"
say "lab is up (ML2/OVN): . lab/env; lab/check"
