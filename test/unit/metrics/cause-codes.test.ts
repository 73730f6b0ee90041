import { describe, expect, it } from 'vitest';
import { CAUSE_CODES, CAUSE_RULES, causeCode, UNKNOWN_CAUSE } from '../../../src/metrics/cause-codes.js';

const NS = 'qdhcp-42c285f8-e8c2-4e66-bcfa-798fb177d538';
const SOCK = '/var/lib/neutron/metadata_proxy';
const CONF = '/var/lib/neutron/ns-metadata-proxy/42c285f8-e8c2-4e66-bcfa-798fb177d538.conf';
const URL = 'http://127.0.0.1:8775';

// Each cause as trace words it (src/host/trace: hops.ts, service-hops.ts, probes.ts, run.ts),
// with sample values where trace puts paths, pids and addresses.
const CASES: [hop: string, cause: string, code: string][] = [
  [
    'namespace',
    `tap3c5e7a9b-21 in ovnmeta-1 carries 169.254.169.254 but not the network's metadata port address: guests reach`,
    'metadata_port_address_missing',
  ],
  ['ovn', 'ovn-controller is not running on this node: the ports stay bound', 'ovn_controller_down'],
  [
    'ovn',
    "the southbound database at the agent's [ovn] ovn_sb_connection = tcp:127.0.0.1:6642 (default) does not answer (connection refused)",
    'sb_unreachable',
  ],
  [
    'ovn',
    'the local Open vSwitch database has no external_ids:system-id: this node is no OVN chassis',
    'ovs_system_id_missing',
  ],
  [
    'ovn',
    "the SB has no Chassis named node-1 (this node's system-id): ovn-controller has not",
    'chassis_missing',
  ],
  [
    'ovn',
    'Chassis_Private node-1 has no external_ids:neutron:ovn-metadata-id: neutron-ovn-metadata-agent has not registered',
    'agent_chassis_record_missing',
  ],
  [
    'ovn',
    'Chassis node-1 has no external_ids:neutron:ovn-metadata-id: the agent has not registered',
    'agent_chassis_record_missing',
  ],
  ['ovn', 'the SB has no datapath for network 3c5e (no Datapath_Binding …)', 'ovn_network_missing'],
  [
    'ovn',
    'network 3c5e has no metadata port in the SB (no Port_Binding of type localport on its datapath)',
    'metadata_port_missing',
  ],
  ['ovn', "the network's metadata port 5c1d has no IPv4 address (mac …)", 'metadata_port_no_ip'],
  [
    'ovn',
    "the metadata port's address 10.0.0.2 (SB) is on no device of ovnmeta-3c5e (169.254.169.254)",
    'metadata_port_ip_mismatch',
  ],
  [
    'ovn',
    'no port of network 3c5e has 10.0.0.9 in its SB Port_Binding (mac column): the agent answers 404',
    'guest_port_missing',
  ],
  [
    'ovn',
    '2 ports of network 3c5e have 10.0.0.9 in the SB (a, b): the agent answers 404',
    'guest_port_duplicate',
  ],
  ['ovn', "10.0.0.9's port 16de is bound to no chassis: no ovn-controller claims it", 'guest_port_unbound'],
  [
    'ovn',
    "10.0.0.9's port 16de is bound to node-2 (host node-2.lab), not to this node's chassis node-1: the guest's metadata",
    'port_bound_elsewhere',
  ],
  [
    'ovn',
    'no VIF port of network 3c5e is bound to this chassis (node-1): the agent provisions',
    'no_port_bound_here',
  ],
  [
    'agent',
    'neutron-ovn-agent runs without its metadata extension ([agent] extensions = qos_hwol): nothing listens',
    'ovn_agent_metadata_off',
  ],
  [
    'namespace',
    `there is no ${NS} on this node: the DHCP agent here does not serve network 42c2`,
    'namespace_missing',
  ],
  [
    'namespace',
    `no namespace on this node serves the guest's network: it would be ${NS}, and none exists here; the agent that serves it runs on another node, or on none`,
    'namespace_elsewhere',
  ],
  ['namespace', `ip -n ${NS} addr failed: Cannot open network namespace`, 'namespace_unreadable'],
  [
    'namespace',
    `169.254.169.254 is not configured on any interface of ${NS}: haproxy cannot bind it and guests get no answer`,
    'metadata_address_missing',
  ],
  [
    'namespace',
    `the interface carrying 169.254.169.254 in ${NS} (tap9b8d174b-43) is down`,
    'metadata_interface_down',
  ],
  [
    'namespace',
    `fe80::a9fe:a9fe is failed duplicate address detection in ${NS} while the host has IPv6: neutron 21.0.0 spawns no metadata proxy`,
    'metadata_ipv6_not_ready',
  ],
  ['namespace', `iptables-save in qrouter-1 failed: exit 1`, 'iptables_unreadable'],
  [
    'namespace',
    `the nat rule that sends 169.254.169.254:80 to the proxy (REDIRECT --to-ports 9697) is missing in qrouter-1: guests time out`,
    'nat_redirect_missing',
  ],
  [
    'haproxy',
    `haproxy is dead in ${NS}: the pid file /x.pid names pid 8469, which is not running (guests get connection refused)`,
    'haproxy_dead',
  ],
  [
    'haproxy',
    `no haproxy runs in ${NS}: the pid file /x.pid names pid 8469, which is not a haproxy in this namespace`,
    'haproxy_pid_file_stale',
  ],
  [
    'haproxy',
    `no haproxy runs in ${NS} and there is no pid file /x.pid: it was never started or died before writing it (haproxy missing from PATH?)`,
    'haproxy_not_started',
  ],
  ['haproxy', `no metadata proxy is set up in ${NS} (no ${CONF})`, 'haproxy_not_configured'],
  ['haproxy', `haproxy (pid 8469) runs with ${CONF}, which cannot be read`, 'haproxy_config_unreadable'],
  [
    'haproxy',
    `${CONF} sets no X-Neutron-Network-ID/X-Neutron-Router-ID/X-OVN-Network-ID header: the agent cannot find any guest (500)`,
    'haproxy_header_missing',
  ],
  [
    'haproxy',
    `${CONF} sets X-Neutron-Network-ID 0011f5d3, not this namespace's 42c285f8: the agent looks guests up in the wrong network (404)`,
    'haproxy_header_wrong_id',
  ],
  [
    'haproxy',
    `${CONF} sets X-Neutron-Router-ID, but a ovnmeta namespace is served with X-OVN-Network-ID`,
    'haproxy_header_wrong_kind',
  ],
  [
    'haproxy',
    `${CONF} has no 'server metadata <socket>' line pointing at a UNIX socket`,
    'haproxy_no_socket_server',
  ],
  [
    'haproxy',
    `haproxy in ${NS} binds 169.254.169.254:8080, but guests arrive on port 80`,
    'haproxy_wrong_port',
  ],
  [
    'haproxy',
    `haproxy (pid 8469) runs in ${NS} but does not listen on 169.254.169.254:80`,
    'haproxy_not_listening',
  ],
  [
    'socket',
    `haproxy's server line names ${SOCK}, but the metadata agent's metadata_proxy_socket is /run/x: haproxy answers 503`,
    'socket_path_mismatch',
  ],
  [
    'socket',
    `neutron-dhcp-agent's metadata_proxy_socket (/etc/neutron/dhcp_agent.ini:3) is /run/x, not the metadata agent's ${SOCK}: the proxies it spawns answer 503`,
    'socket_spawner_path_mismatch',
  ],
  [
    'socket',
    `${SOCK} does not exist (no such file): the metadata agent is not running; haproxy answers 503`,
    'socket_missing',
  ],
  [
    'socket',
    `${SOCK} is not a UNIX socket (-rw-r--r-- root:root): haproxy answers 503`,
    'socket_not_a_socket',
  ],
  [
    'socket',
    `nothing listens on ${SOCK}, though the metadata agent (pid 8256) runs: it is still starting`,
    'socket_not_listening',
  ],
  [
    'socket',
    `nothing listens on ${SOCK}: the socket file is stale, the metadata agent is down; haproxy answers 503`,
    'socket_stale',
  ],
  [
    'socket',
    `haproxy runs as neutron and may not connect to ${SOCK} (srw------- root:root): EACCES, haproxy answers 503`,
    'socket_permission_denied',
  ],
  [
    'socket',
    `haproxy runs as neutron and cannot reach ${SOCK}: /var/lib/neutron has no search permission for it (EACCES, 503)`,
    'socket_dir_not_searchable',
  ],
  [
    'agent',
    `neutron-metadata-agent is not running on this node: nothing answers on its socket and haproxy answers 503`,
    'agent_down',
  ],
  [
    'agent',
    `nova.conf sets metadata_proxy_shared_secret in [DEFAULT] (/etc/nova/nova.conf:4), where nova never reads it`,
    'nova_secret_in_default',
  ],
  [
    'agent',
    `metadata_proxy_shared_secret in /etc/neutron/metadata_agent.ini:5 differs from nova.conf [neutron] (/etc/nova/nova.conf:9): nova rejects every signature with 403`,
    'secret_mismatch',
  ],
  [
    'nova',
    `nothing listens on ${URL}: nova's metadata API (nova-api-metadata) is down, or nova_metadata_host/port/protocol in x point elsewhere; the agent answers 500`,
    'nova_down',
  ],
  [
    'nova',
    `nova at ${URL} accepted the connection but did not answer GET / within 5 s: nova-api-metadata is hung or overloaded`,
    'nova_hang',
  ],
  [
    'nova',
    `${URL} does not accept connections within 5 s (filtered or unreachable): check x`,
    'nova_unreachable',
  ],
  ['nova', `${URL} reset the connection: nova may speak HTTPS there`, 'nova_connection_reset'],
  [
    'nova',
    `${URL}/ answered 404 instead of nova's version list: something else listens there`,
    'nova_wrong_answer',
  ],
  [
    'nova',
    `[neutron] service_metadata_proxy = false (/etc/nova/nova.conf:7) in nova.conf: nova ignores the agent's X-Instance-ID headers, looks up the agent's own address and answers 404 to every guest`,
    'nova_service_metadata_proxy_off',
  ],
  ['nova', `GET ${URL}/ failed: tls`, 'nova_request_failed'],
  [
    'probe-haproxy',
    `haproxy answered its own 503 (No server is available): it cannot connect to the agent's socket`,
    'haproxy_503',
  ],
  [
    'probe-haproxy',
    `haproxy answered its own 504 after its 'timeout server' (32 s): the agent did not answer in time`,
    'haproxy_504',
  ],
  [
    'probe-haproxy',
    `haproxy answered its own 502: the agent broke the response (a worker crashed?)`,
    'haproxy_502',
  ],
  ['probe-haproxy', `haproxy answered 408: the request did not reach it in time`, 'haproxy_408'],
  ['probe-haproxy', `haproxy answered its own 418 page`, 'haproxy_error_page'],
  [
    'probe-haproxy',
    `haproxy answered its own 429: it rate-limits metadata requests per source address (more than 10 requests per 10 s (base_rate_limiter) is answered 429, ${CONF}) and this address went over it`,
    'haproxy_rate_limited',
  ],
  [
    'spawner',
    'neutron-dhcp-agent is not running on this node: the dnsmasq and haproxy it started run on, but nothing respawns a dead proxy',
    'spawner_not_running',
  ],
  [
    'spawner',
    'neutron-l3-agent runs here (pid 42) but its reports do not reach neutron-server (last heartbeat never)',
    'spawner_dead_in_neutron',
  ],
  [
    'spawner',
    'neutron-dhcp-agent is disabled in Neutron (admin_state_up = False): Neutron hosts no network on it',
    'spawner_disabled',
  ],
  [
    'spawner',
    'the DHCP agent serves no metadata to network 42c2: isolated (no router) and enable_isolated_metadata = False (default)',
    'isolated_metadata_off',
  ],
  [
    'spawner',
    'the L3 agent runs no metadata proxy and no REDIRECT in its routers: enable_metadata_proxy = False (/etc/neutron/l3_agent.ini:3)',
    'l3_metadata_proxy_off',
  ],
  [
    'spawner',
    'neutron-openvswitch-agent is not running on this node: ports plugged now are never bound or tagged',
    'ovs_agent_not_running',
  ],
  [
    'router',
    'router 9a8b has no interface on the subnet of 10.92.0.10: its interface was removed or never added',
    'router_interface_missing',
  ],
  [
    'router',
    'router 9a8b has no internal (qr-) interface: no guest network reaches it',
    'router_no_interfaces',
  ],
  [
    'router',
    "the router's interface on 10.92.0.10's subnet (qr-6d1c40f0-cf) is down",
    'router_interface_down',
  ],
  ['router', 'ip -n qrouter-9a8b addr failed: exit 1', 'router_unreadable'],
  [
    'probe-haproxy',
    `the agent answered 500 through haproxy to a request from inside the namespace (healthy is 404)`,
    'agent_error_via_haproxy',
  ],
  [
    'probe-haproxy',
    `nothing listens on 169.254.169.254:80 in ${NS}: haproxy is not running there (guests get connection refused)`,
    'haproxy_refused',
  ],
  [
    'probe-haproxy',
    `haproxy in ${NS} accepted the connection but no answer came within 5 s: the agent behind it hangs`,
    'haproxy_hang',
  ],
  [
    'probe-haproxy',
    `169.254.169.254:80 does not accept connections inside ${NS} within 5 s`,
    'haproxy_connect_timeout',
  ],
  ['probe-haproxy', `169.254.169.254:80 is not reachable inside ${NS} (EHOSTUNREACH)`, 'haproxy_unreachable'],
  ['probe-haproxy', `the request to 169.254.169.254:80 in ${NS} failed: reset`, 'haproxy_request_failed'],
  [
    'probe-socket',
    `the socket answered 200 for 10.90.0.10 with something that is not nova's meta_data.json`,
    'socket_wrong_answer',
  ],
  [
    'probe-socket',
    `the agent served instance de99 for 10.90.0.10, but that address belongs to cc44: duplicate fixed IPs or a stale port`,
    'wrong_instance',
  ],
  [
    'probe-socket',
    `the agent relays nova's 403 for 10.90.0.10: nova rejects the agent's signature, so the agent's metadata_proxy_shared_secret differs from nova's`,
    'secret_mismatch',
  ],
  [
    'probe-socket',
    `no Neutron port has the fixed IP 10.90.0.99 on network 42c2: the agent finds no port and answers 404 without asking nova`,
    'no_port_for_ip',
  ],
  [
    'probe-socket',
    `2 Neutron ports have the fixed IP 10.90.0.10: the agent needs exactly one and answers 404`,
    'duplicate_port_ip',
  ],
  [
    'probe-socket',
    `the agent found port 75cf (device 9cf6, project 3ea6) for 10.90.0.11, but nova answered 404 for it`,
    'nova_404_for_port',
  ],
  [
    'probe-socket',
    `the agent answered 404 for 10.90.0.99 on neutron-network 42c2: either no port on it has that fixed IP (nova is never asked), or nova does not serve the port's device`,
    'agent_404',
  ],
  ['probe-socket', `nova answered 500 for 10.90.0.10's instance: nova's own lookup fails`, 'nova_500'],
  [
    'probe-socket',
    `the agent failed with 500 (An unknown error has occurred): it cannot reach nova at its nova_metadata_host/port`,
    'agent_500',
  ],
  ['probe-socket', `the agent answered 400 for 10.90.0.10 on neutron-network 42c2: bad`, 'agent_error'],
  [
    'probe-socket',
    `the agent accepted the request for 10.90.0.10 but did not answer within 5 s: its port lookup hangs`,
    'agent_hang',
  ],
  ['probe-socket', `nothing accepts connections on ${SOCK}: the socket is stale`, 'socket_refused'],
  ['probe-socket', `${SOCK} does not exist`, 'socket_missing'],
  ['probe-socket', `connecting to ${SOCK} was denied`, 'socket_permission_denied'],
  ['probe-socket', `the request on ${SOCK} failed: EPIPE`, 'socket_request_failed'],
  [
    'probe-nova',
    `nova rejects a request signed with the agent's metadata_proxy_shared_secret (x.ini:5): it differs from nova's [neutron] metadata_proxy_shared_secret`,
    'secret_mismatch',
  ],
  [
    'probe-nova',
    `nova has no instance cc44 (deleted, or the port's device_id is not an instance): 404`,
    'instance_missing',
  ],
  [
    'probe-nova',
    `the port's project 3ea6 is not instance 9cf6's project 1bdf: nova answers 404 (Tenant_id does not match)`,
    'project_mismatch',
  ],
  [
    'probe-nova',
    `nova answers 404 for instance cc44 with project 1bdf: the instance is unknown to nova`,
    'nova_404',
  ],
  ['probe-nova', `nova fails for instance cc44 (500: boom): its own lookup breaks`, 'nova_500'],
  ['probe-nova', `nova answered 400 to a signed request: bad`, 'nova_error'],
  ['probe-nova', `the signed request to ${URL} failed: no answer within 5 s`, 'nova_request_failed'],
];

describe('causeCode', () => {
  it.each(CASES)('%s: %s → %s', (hop, cause, code) => {
    expect(causeCode({ hop, cause })).toBe(code);
  });

  it('has a case here for every rule', () => {
    const covered = new Set(CASES.map(([hop, , code]) => `${hop}|${code}`));
    const rules = Object.entries(CAUSE_RULES).flatMap(([hop, rs]) => rs.map(([code]) => `${hop}|${code}`));
    expect(rules.filter((r) => !covered.has(r))).toEqual([]);
  });

  it('answers unknown for a cause no rule knows, and for a hop it does not know', () => {
    expect(causeCode({ hop: 'agent', cause: 'something new went wrong' })).toBe(UNKNOWN_CAUSE);
    expect(
      causeCode({ hop: 'warp-drive', cause: 'neutron-metadata-agent is not running on this node' }),
    ).toBe(UNKNOWN_CAUSE);
  });

  it("prefers the diagnosis's own snake_case code, and ignores one that is not", () => {
    expect(causeCode({ hop: 'agent', cause: 'x', code: 'agent_down' })).toBe('agent_down');
    expect(causeCode({ hop: 'agent', cause: 'x', code: 'Agent Down"}' })).toBe(UNKNOWN_CAUSE);
  });

  it('codes are short snake_case words, each listed once, unknown among them', () => {
    for (const c of CAUSE_CODES) expect(c).toMatch(/^[a-z][a-z0-9_]{0,47}$/);
    expect(new Set(CAUSE_CODES).size).toBe(CAUSE_CODES.length);
    expect(CAUSE_CODES).toContain(UNKNOWN_CAUSE);
  });
});
