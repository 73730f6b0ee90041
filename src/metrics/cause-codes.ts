// A stable short code for each cause trace can diagnose, for osmeta_metadata_diagnosis_info's
// cause_code label. Trace words its causes for people (with paths, pids and addresses in them);
// each code is matched on the fixed part of one of those sentences, per hop. The codes are a
// contract like the metric names: added freely, never renamed.

/** [code, what the cause sentence says] in the order they are tried. */
type Rule = readonly [code: string, match: RegExp];

export const CAUSE_RULES: Readonly<Record<string, readonly Rule[]>> = {
  namespace: [
    ['namespace_missing', /^there is no \S+ on this node/],
    ['namespace_elsewhere', /^no namespace on this node serves the guest's/],
    ['namespace_unreadable', /^ip -n \S+ addr failed/],
    ['metadata_address_missing', /is not configured on any interface of/],
    ['metadata_interface_down', /^the interface carrying \S+ in \S+ \(.*\) is down/],
    ['metadata_ipv6_not_ready', /while the host has IPv6/],
    ['iptables_unreadable', /^iptables-save in \S+ failed/],
    ['nat_redirect_missing', /^the nat rule that sends .* is missing/],
    ['metadata_port_address_missing', /but not the network's metadata port address/],
  ],
  spawner: [
    ['spawner_not_running', /^neutron-(dhcp|l3)-agent is not running on this node/],
    ['spawner_dead_in_neutron', /its reports do not reach neutron-server/],
    ['spawner_disabled', /is disabled in Neutron \(admin_state_up = False\)/],
    ['isolated_metadata_off', /^the DHCP agent serves no metadata to network/],
    ['l3_metadata_proxy_off', /^the L3 agent runs no metadata proxy/],
    ['ovs_agent_not_running', /^neutron-openvswitch-agent is not running on this node/],
  ],
  router: [
    ['router_interface_missing', /has no interface on the subnet of/],
    ['router_no_interfaces', /has no internal \(qr-\) interface/],
    ['router_interface_down', /^the router's interface on .* is down/],
    ['router_unreadable', /^ip -n \S+ addr failed/],
  ],
  ovn: [
    ['ovn_controller_down', /^ovn-controller is not running on this node/],
    ['sb_unreachable', /^the southbound database at .* (does not answer|stopped answering)/],
    ['ovs_system_id_missing', /^the local Open vSwitch database has no external_ids:system-id/],
    ['chassis_missing', /^the SB has no Chassis named /],
    ['agent_chassis_record_missing', /^Chassis(_Private)? \S+ has no external_ids:/],
    ['ovn_network_missing', /^the SB has no datapath for network /],
    ['metadata_port_missing', /has no metadata port in the SB/],
    ['metadata_port_no_ip', /^the network's metadata port \S+ has no IPv4 address/],
    ['metadata_port_ip_mismatch', /^the metadata port's address .* is on no device of /],
    ['guest_port_missing', /^no port of network \S+ has \S+ in its SB Port_Binding/],
    ['guest_port_duplicate', /^\d+ ports of network \S+ have \S+ in the SB/],
    ['guest_port_unbound', /'s port \S+ is bound to no chassis/],
    ['port_bound_elsewhere', /'s port \S+ is bound to .*, not to this node's chassis/],
    ['no_port_bound_here', /^no VIF port of network \S+ is bound to this chassis/],
  ],
  haproxy: [
    ['haproxy_dead', /^haproxy is dead in /],
    ['haproxy_pid_file_stale', /^no haproxy runs in \S+: the pid file/],
    ['haproxy_not_started', /^no haproxy runs in \S+ and there is no pid file/],
    ['haproxy_not_configured', /^no metadata proxy is set up in /],
    ['haproxy_config_unreadable', /^haproxy \(pid \d+\) runs with .*, which cannot be read/],
    ['haproxy_header_missing', / sets no X-Neutron-Network-ID\/X-Neutron-Router-ID\/X-OVN-Network-ID header/],
    ['haproxy_header_wrong_id', / sets \S+ \S+, not this namespace's /],
    ['haproxy_header_wrong_kind', / sets \S+, but a \S+ namespace is served with /],
    ['haproxy_no_socket_server', / has no 'server metadata <socket>' line/],
    ['haproxy_wrong_port', /^haproxy in \S+ binds .*, but guests arrive on port/],
    ['haproxy_not_listening', /^haproxy \(pid \d+\) runs in \S+ but does not listen on/],
  ],
  socket: [
    [
      'socket_path_mismatch',
      /^haproxy's server line names .*, but the metadata agent's metadata_proxy_socket is/,
    ],
    ['socket_spawner_path_mismatch', /'s metadata_proxy_socket.* is .*, not the metadata agent's /],
    ['socket_missing', /^\S+ does not exist \(/],
    ['socket_not_a_socket', / is not a UNIX socket \(/],
    ['socket_not_listening', /^nothing listens on \S+, though the metadata agent \(pid \d+\) runs/],
    ['socket_stale', /^nothing listens on \S+: the socket file is stale/],
    ['socket_permission_denied', /^haproxy runs as \S+ and may not connect to /],
    ['socket_dir_not_searchable', /^haproxy runs as \S+ and cannot reach .* has no search permission/],
  ],
  agent: [
    ['ovn_agent_metadata_off', /^neutron-ovn-agent runs without its metadata extension/],
    ['agent_down', / is not running on this node/],
    ['nova_secret_in_default', /^nova\.conf sets metadata_proxy_shared_secret in \[DEFAULT\]/],
    ['secret_mismatch', /^metadata_proxy_shared_secret in .* differs from nova\.conf \[neutron\]/],
  ],
  nova: [
    ['nova_down', /^nothing listens on \S+: nova's metadata API/],
    ['nova_hang', /accepted the connection but did not answer GET \//],
    ['nova_unreachable', / does not accept connections within /],
    ['nova_connection_reset', / reset the connection/],
    ['nova_wrong_answer', / instead of nova's version list/],
    ['nova_service_metadata_proxy_off', /nova ignores the agent's X-Instance-ID headers/],
    ['nova_request_failed', /^GET \S+ failed/],
  ],
  'probe-haproxy': [
    ['haproxy_rate_limited', /^haproxy answered its own 429/],
    ['haproxy_503', /^haproxy answered its own 503/],
    ['haproxy_504', /^haproxy answered its own 504/],
    ['haproxy_502', /^haproxy answered its own 502/],
    ['haproxy_408', /^haproxy answered 408/],
    ['haproxy_error_page', /^haproxy answered its own \d+ page/],
    ['agent_error_via_haproxy', /^the agent answered \d+ through haproxy/],
    ['haproxy_refused', /^nothing listens on \S+ in \S+: haproxy is not running there/],
    ['haproxy_hang', /^haproxy in \S+ accepted the connection but no answer came/],
    ['haproxy_connect_timeout', / does not accept connections inside /],
    ['haproxy_unreachable', / is not reachable inside /],
    ['haproxy_request_failed', /^the request to \S+ in \S+ failed/],
  ],
  'probe-socket': [
    ['socket_wrong_answer', /^the socket answered 200 for .* not nova's meta_data\.json/],
    ['wrong_instance', /^the agent served instance \S+ for .*, but that address belongs to/],
    ['secret_mismatch', /^the agent relays nova's 403/],
    ['no_port_for_ip', /^no Neutron port has the fixed IP/],
    ['duplicate_port_ip', /^\d+ Neutron ports have the fixed IP/],
    ['nova_404_for_port', /^the agent found port .* but nova answered 404/],
    ['agent_404', /^the agent answered 404 for /],
    ['nova_500', /^nova answered 500 for /],
    ['agent_500', /^the agent failed with 500/],
    ['agent_hang', /^the agent accepted the request for .* but did not answer within/],
    ['socket_refused', /^nothing accepts connections on \S+: the socket is stale/],
    ['socket_permission_denied', /^connecting to \S+ was denied/],
    ['socket_missing', /^\S+ does not exist$/],
    ['socket_request_failed', /^the request on \S+ failed/],
    ['agent_error', /^the agent answered \d+ for /],
  ],
  'probe-nova': [
    ['secret_mismatch', /^nova rejects a request signed with the agent's metadata_proxy_shared_secret/],
    ['instance_missing', /^nova has no instance /],
    ['project_mismatch', /^the port's project \S+ is not instance \S+'s project/],
    ['nova_404', /^nova answers 404 for instance /],
    ['nova_500', /^nova fails for instance .*\(500/],
    ['nova_error', /^nova answered \d+ to a signed request/],
    ['nova_request_failed', /^the signed request to \S+ failed/],
  ],
};

/** A cause no rule knows (a newer trace's wording): still a series, never the prose. */
export const UNKNOWN_CAUSE = 'unknown';

const CODE = /^[a-z][a-z0-9_]{0,47}$/;

/** Every code, each once, for the docs and the tests. */
export const CAUSE_CODES: readonly string[] = [
  ...new Set([...Object.values(CAUSE_RULES).flatMap((rules) => rules.map(([code]) => code)), UNKNOWN_CAUSE]),
].sort();

/**
 * The code of a diagnosis: its own `code` when trace gives one (a snake_case word), else the first
 * rule of its hop that matches the cause sentence, else `unknown`.
 */
export function causeCode(d: { hop: string; cause: string; code?: string | undefined }): string {
  if (d.code !== undefined && CODE.test(d.code)) return d.code;
  for (const [code, match] of CAUSE_RULES[d.hop] ?? []) {
    if (match.test(d.cause)) return code;
  }
  return UNKNOWN_CAUSE;
}
