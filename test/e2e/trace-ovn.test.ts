import { describe, expect, it } from 'vitest';
import { hopStatuses, TRACE_HOPS } from '../helpers/trace-contract.js';
import { BREAK_TIMEOUT, broken, healAround, lab, labFlavour, osmeta } from './lab.js';
import { statePath, trace } from './trace-lab.js';

// osmeta trace against the ML2/OVN flavour of the lab (lab/up --ovn): the ovnmeta- namespaces that
// neutron-ovn-metadata-agent provisions, ovn-controller, the southbound database. Every break is
// healed right away (the other end-to-end suites share the lab).

const OVN = labFlavour() === 'ovn';

const vm1 = () => ['--netns', lab('LAB_OVNMETA_NETNS'), '--ip', lab('LAB_VM1_IP')];

healAround(OVN);

describe.runIf(OVN)('osmeta trace on a healthy ML2/OVN lab', () => {
  it('--netns ovnmeta-<network> --ip lab-vm1: every hop, OVN included, healthy', async () => {
    const { code, doc, hop, stderr } = await trace(vm1());
    expect(code, JSON.stringify(doc.diagnosis)).toBe(0);
    expect(stderr).toBe('');
    expect(doc).toMatchObject({
      netns: lab('LAB_OVNMETA_NETNS'),
      kind: 'ovnmeta',
      id: lab('LAB_NETWORK_ID'),
    });
    expect(doc.hops.map((h) => h.name)).toEqual(TRACE_HOPS);
    // OVN has no DHCP/L3 agent and no router namespace: their hops have nothing to check
    expect(doc.hops.filter((h) => h.status !== 'ok').map((h) => h.name)).toEqual(['spawner', 'router']);
    expect(hop('namespace').detail).toContain(lab('LAB_METADATA_PORT_IP'));
    expect(hop('namespace').detail).toMatch(/^169\.254\.169\.254, /);
    expect(hop('ovn').evidence).toMatchObject({
      systemId: lab('LAB_OVN_CHASSIS'),
      sbAnswered: true,
      metadataPort: { ips: [lab('LAB_METADATA_PORT_IP')] },
      guestBinding: { here: true },
      agentRecord: { key: 'neutron:ovn-metadata-id' },
    });
    expect(hop('ovn').detail).toMatch(/^ovn-controller pid \d+, SB \S+ answers, chassis /);
    expect(hop('haproxy').evidence).toMatchObject({
      header: `X-OVN-Network-ID ${lab('LAB_NETWORK_ID')}`,
      config: lab('LAB_HAPROXY_CONF'),
    });
    expect(hop('socket').evidence).toMatchObject({ path: lab('LAB_SOCKET') });
    expect(hop('agent').evidence).toMatchObject({
      program: 'neutron-ovn-metadata-agent',
      running: true,
      secretMatchesNova: true,
    });
    expect(hop('agent').evidence.configFiles).toContain(lab('LAB_AGENT_CONFIG'));
    expect(hop('probe-haproxy').evidence).toMatchObject({ status: 404, answeredBy: 'webob' });
    expect(hop('probe-socket').evidence).toMatchObject({
      status: 200,
      instanceId: lab('LAB_VM1_ID'),
      header: `X-OVN-Network-ID: ${lab('LAB_NETWORK_ID')}`,
    });
    expect(hop('probe-nova').evidence).toMatchObject({ status: 200 });
    expect(JSON.stringify(doc)).not.toContain(lab('LAB_SECRET'));
  });

  it('--server finds the server, its port and its ovnmeta- namespace', async () => {
    const { code, doc } = await trace(['--server', lab('LAB_VM1_NAME')]);
    expect(code, JSON.stringify(doc.diagnosis)).toBe(0);
    expect(doc.netns).toBe(lab('LAB_OVNMETA_NETNS'));
    expect(doc.guest).toMatchObject({ ip: lab('LAB_VM1_IP'), instanceId: lab('LAB_VM1_ID') });
  });

  it('--ip of the routed guest: OVN serves it from its own network namespace, not a router', async () => {
    const { code, doc } = await trace(['--ip', lab('LAB_VM4_IP')]);
    expect(code, JSON.stringify(doc.diagnosis)).toBe(0);
    expect(doc.netns).toBe(lab('LAB_VM4_METADATA_NETNS'));
    expect(doc.kind).toBe('ovnmeta');
  });

  it('draws the ovn hop for people', async () => {
    const r = await osmeta(['trace', ...vm1(), ...statePath()]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(
      new RegExp(`✔ ovn\\s+network ${lab('LAB_NETWORK_ID')} on ${lab('LAB_OVN_CHASSIS')}`),
    );
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^✔ every hop is healthy/);
  });

  it('--all includes every ovnmeta- namespace; the Prometheus metrics carry the ovn hop', async () => {
    const r = await osmeta(['trace', '--all', ...statePath()]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`✔\\s+ovnmeta\\s+${lab('LAB_NETWORK_ID')}\\s+ok`));
    expect(r.stdout).toMatch(new RegExp(`✔\\s+ovnmeta\\s+${lab('LAB_ROUTED_NETWORK_ID')}\\s+ok`));
    const m = await osmeta(['trace', '--all', '--prometheus', '-', ...statePath()]);
    expect(m.code).toBe(0);
    expect(m.stdout).toContain(
      `osmeta_metadata_hop_up{netns="${lab('LAB_OVNMETA_NETNS')}",kind="ovnmeta",id="${lab('LAB_NETWORK_ID')}",hop="ovn"} 1`,
    );
    expect(m.stdout).toMatch(/^osmeta_metadata_node_up 1$/m);
  });

  it('an address no port owns: the ovn hop says the SB has no binding for it', async () => {
    const { code, doc } = await trace(['--netns', lab('LAB_OVNMETA_NETNS'), '--ip', lab('LAB_STRAY_IP')]);
    expect(code).toBe(3);
    expect(doc.diagnosis).toMatchObject({ hop: 'ovn', code: 'guest_port_missing' });
  });

  it('a port in another project than its instance: probe-nova names both projects', async () => {
    const { code, doc } = await trace(['--ip', lab('LAB_VM3_IP')]);
    expect(code).toBe(3);
    expect(hopStatuses(doc)).toMatchObject({ ovn: 'ok', 'probe-socket': 'fail', 'probe-nova': 'fail' });
    expect(doc.diagnosis?.hop).toBe('probe-nova');
    expect(doc.diagnosis?.cause).toContain(`the port's project ${lab('LAB_VM3_PORT_PROJECT_ID')}`);
  });
});

const server = () => ['--server', lab('LAB_VM1_NAME')];

// each fault, the hop trace must name and its cause code, the args that trace the hurt guest
const FAULTS = [
  ['ovn-controller', 'ovn', 'ovn_controller_down', vm1, /^ovn-controller is not running on this node/],
  [
    'sb-unreachable',
    'ovn',
    'sb_unreachable',
    vm1,
    /^the southbound database at the agent's \[ovn\] ovn_sb_connection = tcp:127\.0\.0\.1:6649 .* does not answer \(connection refused\)/,
  ],
  [
    'metadata-port',
    'ovn',
    'metadata_port_no_ip',
    vm1,
    /^the network's metadata port \S+ has no IPv4 address/,
  ],
  [
    'chassis',
    'ovn',
    'port_bound_elsewhere',
    server,
    /is bound to lab-other-chassis \(host lab-other-host\), not to this node's chassis/,
  ],
  [
    'ovn-metadata-agent',
    'agent',
    'agent_down',
    vm1,
    /^neutron-ovn-metadata-agent is not running on this node/,
  ],
  ['secret', 'agent', 'secret_mismatch', vm1, /differs from nova\.conf \[neutron\]/],
  ['nova-metadata', 'nova', 'nova_down', vm1, /^nothing listens on http:\/\/127\.0\.0\.1:8775/],
  ['proxy-off', 'nova', 'nova_service_metadata_proxy_off', vm1, /service_metadata_proxy = false/],
  ['haproxy', 'haproxy', 'haproxy_dead', vm1, /^haproxy is dead in ovnmeta-.*; nothing respawns it/],
] as const;

describe.runIf(OVN)(
  'the ML2/OVN fault matrix: trace names each fault at its hop, with its cause code',
  () => {
    it.each(FAULTS)(
      'lab/break %s: the %s hop, %s',
      async (fault, hop, code, args, cause) => {
        const r = await broken(fault, () => trace(args()));
        expect(r.code, r.stderr).toBe(3);
        expect(r.doc.ok).toBe(false);
        expect(r.doc.diagnosis, JSON.stringify(r.doc.diagnosis)).toMatchObject({ hop, code });
        expect(r.doc.diagnosis?.cause).toMatch(cause);
        expect(r.doc.diagnosis?.fix).not.toBe('');
        expect(JSON.stringify(r.doc)).not.toContain(lab('LAB_SECRET'));
      },
      BREAK_TIMEOUT,
    );
  },
);
