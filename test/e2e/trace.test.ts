import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { hopStatuses, TRACE_HOPS } from '../helpers/trace-contract.js';
import { BREAK_TIMEOUT, broken, healAround, lab, labFlavour, osmeta, osmetaCommand } from './lab.js';
import { statePath, trace } from './trace-lab.js';

// osmeta trace against the lab's real qdhcp namespace, haproxy, neutron-metadata-agent and nova.
// Every break is healed right away (the other end-to-end suites share the lab). The ML2/OVS
// flavour's: the ML2/OVN one's are in trace-ovn.test.ts.

const OVS = labFlavour() === 'ovs';

healAround(OVS);

describe.runIf(OVS)('osmeta trace on a healthy lab', () => {
  it('is all ✔ for the demo network, impersonating a guest Neutron names', async () => {
    const { code, doc, stderr } = await trace(['--netns', lab('LAB_QDHCP_NETNS')]);
    expect(stderr).toBe('');
    expect(code, JSON.stringify(doc.diagnosis)).toBe(0);
    expect(doc).toMatchObject({
      netns: lab('LAB_QDHCP_NETNS'),
      kind: 'qdhcp',
      id: lab('LAB_NETWORK_ID'),
      ok: true,
    });
    expect(doc.diagnosis).toBeNull();
    expect(doc.hops.map((h) => h.name)).toEqual(TRACE_HOPS);
    // ML2/OVS: the ovn hop has nothing to check
    expect(doc.hops.filter((h) => h.status !== 'ok').map((h) => h.name)).toEqual(['ovn']);
    expect(doc.guest).toMatchObject({ ip: lab('LAB_VM1_IP'), instanceId: lab('LAB_VM1_ID') });
    const hop = (n: string) => doc.hops.find((h) => h.name === n)!;
    expect(hop('haproxy').evidence.pidFile).toBe(lab('LAB_HAPROXY_PIDFILE'));
    expect(hop('haproxy').evidence.config).toBe(lab('LAB_HAPROXY_CONF'));
    expect(hop('socket').evidence).toMatchObject({ path: lab('LAB_SOCKET'), owner: 'neutron', mode: '0644' });
    expect(hop('agent').evidence).toMatchObject({ secretMatchesNova: true });
    expect(hop('agent').evidence.configFiles).toContain(lab('LAB_AGENT_CONFIG'));
    expect((hop('nova').evidence.novaConfig as { files: string[] }).files).toContain(lab('LAB_NOVA_CONF'));
    expect(hop('probe-haproxy').evidence).toMatchObject({ status: 404, answeredBy: 'webob' });
    expect(hop('probe-socket').evidence).toMatchObject({ status: 200, instanceId: lab('LAB_VM1_ID') });
    expect(hop('probe-nova').evidence).toMatchObject({ status: 200 });
    expect(JSON.stringify(doc)).not.toContain(lab('LAB_SECRET'));
  });

  it('draws the chain for people and exits 0', async () => {
    const r = await osmeta([
      'trace',
      '--netns',
      lab('LAB_QDHCP_NETNS'),
      '--ip',
      lab('LAB_VM1_IP'),
      ...statePath(),
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    for (const h of TRACE_HOPS.filter((n) => n !== 'ovn')) expect(r.stdout).toMatch(new RegExp(`✔ ${h}\\s`));
    expect(r.stdout).toContain(lab('LAB_SOCKET'));
    expect(r.stdout.trim().split('\n').at(-1)).toBe('✔ every hop is healthy');
  });

  it('--ip alone finds the port, its network and the namespace', async () => {
    const { code, doc } = await trace(['--ip', lab('LAB_VM1_IP')]);
    expect(code, JSON.stringify(doc.diagnosis)).toBe(0);
    expect(doc.netns).toBe(lab('LAB_QDHCP_NETNS'));
  });

  it('--server finds the server, its port and the namespace', async () => {
    const { code, doc } = await trace(['--server', lab('LAB_VM1_NAME')]);
    expect(code, JSON.stringify(doc.diagnosis)).toBe(0);
    expect(doc.netns).toBe(lab('LAB_QDHCP_NETNS'));
    expect(doc.guest).toMatchObject({ ip: lab('LAB_VM1_IP'), instanceId: lab('LAB_VM1_ID') });
  });

  it('--all: one line per namespace, every one healthy', async () => {
    const r = await osmeta(['trace', '--all', ...statePath()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`✔\\s+qdhcp\\s+${lab('LAB_NETWORK_ID')}\\s+ok`));
    expect(r.stdout).toMatch(new RegExp(`✔\\s+qdhcp\\s+${lab('LAB_ALT_NETWORK_ID')}\\s+ok`));
  });
});

describe.runIf(OVS)('osmeta trace on a guest behind the L3 agent (qrouter-)', () => {
  it('--server lab-vm4 finds the router namespace and checks the REDIRECT, the proxy and the router', async () => {
    const { code, doc, stderr } = await trace(['--server', lab('LAB_VM4_NAME')]);
    expect(stderr).toBe('');
    expect(code, JSON.stringify(doc.diagnosis)).toBe(0);
    expect(doc).toMatchObject({ netns: lab('LAB_QROUTER_NETNS'), kind: 'qrouter', id: lab('LAB_ROUTER_ID') });
    expect(doc.hops.map((h) => h.name)).toEqual(TRACE_HOPS);
    expect(doc.hops.filter((h) => h.status !== 'ok').map((h) => h.name)).toEqual(['ovn', 'probe-haproxy']);
    const hop = (n: string) => doc.hops.find((h) => h.name === n)!;
    expect(hop('namespace').detail).toBe('nat REDIRECT 169.254.169.254:80 → 9697');
    expect(hop('namespace').evidence.filterAccept).toMatch(/--mark 0x1\/0xffff -j ACCEPT/);
    expect(hop('spawner').evidence).toMatchObject({
      program: 'neutron-l3-agent',
      enableMetadataProxy: true,
      checkChildProcessesInterval: Number(lab('LAB_CHILD_CHECK_INTERVAL')),
      neutron: { alive: true, adminStateUp: true },
    });
    expect(hop('router').detail).toMatch(new RegExp(`on qr-[0-9a-f-]{11} covers ${lab('LAB_VM4_IP')}$`));
    expect(hop('haproxy').evidence).toMatchObject({
      config: lab('LAB_ROUTER_HAPROXY_CONF'),
      header: `X-Neutron-Router-ID ${lab('LAB_ROUTER_ID')}`,
    });
    expect(hop('probe-socket').evidence).toMatchObject({ status: 200, instanceId: lab('LAB_VM4_ID') });
  });

  it("the routed network's qdhcp- has no proxy, and that is not a failure", async () => {
    const { code, doc } = await trace(['--netns', lab('LAB_ROUTED_QDHCP_NETNS'), '--ip', lab('LAB_VM4_IP')]);
    const hop = (n: string) => doc.hops.find((h) => h.name === n)!;
    expect(hop('haproxy').status).toBe('skip');
    expect(hop('haproxy').detail).toContain(`qrouter-${lab('LAB_ROUTER_ID')} serves its metadata`);
    expect(hop('router').detail).toBe(`routed: metadata via qrouter-${lab('LAB_ROUTER_ID')}`);
    expect(code, JSON.stringify(doc.diagnosis)).toBe(0);
  });

  it('--all lists both kinds', async () => {
    const r = await osmeta(['trace', '--all', ...statePath()]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`✔\\s+qrouter\\s+${lab('LAB_ROUTER_ID')}\\s+ok`));
    expect(r.stdout).toMatch(new RegExp(`✔\\s+qdhcp\\s+${lab('LAB_ROUTED_NETWORK_ID')}\\s+ok`));
  });
});

describe.runIf(OVS)('osmeta trace on the standing fixtures', () => {
  it('a guest address no port owns: probe-socket, no Neutron port', async () => {
    const { code, doc } = await trace(['--ip', lab('LAB_STRAY_IP')]);
    expect(code).toBe(3);
    expect(doc.netns).toBe(lab('LAB_QDHCP_NETNS'));
    expect(doc.diagnosis?.hop).toBe('probe-socket');
    expect(doc.diagnosis?.cause).toContain(`no Neutron port has the fixed IP ${lab('LAB_STRAY_IP')}`);
  });

  it('a port in another project than its instance: probe-nova, the projects named', async () => {
    const { code, doc } = await trace(['--ip', lab('LAB_VM3_IP')]);
    expect(code).toBe(3);
    expect(hopStatuses(doc)).toMatchObject({ 'probe-socket': 'fail', 'probe-nova': 'fail' });
    expect(doc.diagnosis?.hop).toBe('probe-nova');
    expect(doc.diagnosis?.cause).toContain(`the port's project ${lab('LAB_VM3_PORT_PROJECT_ID')}`);
    expect(doc.diagnosis?.cause).toContain(`project ${lab('LAB_VM3_PROJECT_ID')}`);
  });
});

describe.runIf(OVS)('osmeta trace names the broken hop', () => {
  it.each([
    ['haproxy', 'haproxy', /haproxy is dead in qdhcp-.*names pid \d+, which is not running/],
    ['agent', 'agent', /neutron-metadata-agent is not running/],
    [
      'socket-path',
      'socket',
      /haproxy's server line names \/var\/lib\/neutron\/metadata_proxy, but the metadata agent's metadata_proxy_socket is/,
    ],
    [
      'secret',
      'agent',
      /metadata_proxy_shared_secret in .*metadata_agent\.ini:\d+ differs from nova\.conf \[neutron\]/,
    ],
    ['nova-metadata', 'nova', /nothing listens on http:\/\/127\.0\.0\.1:8775/],
    ['proxy-off', 'nova', /\[neutron\] service_metadata_proxy = false/],
  ])(
    'lab/break %s: the %s hop',
    async (fault, hop, cause) => {
      const { code, doc, stderr } = await broken(fault, () =>
        trace(['--netns', lab('LAB_QDHCP_NETNS'), '--ip', lab('LAB_VM1_IP')]),
      );
      expect(code, stderr).toBe(3);
      expect(doc.ok).toBe(false);
      expect(doc.diagnosis?.hop).toBe(hop);
      expect(doc.diagnosis?.cause).toMatch(cause);
      expect(doc.diagnosis?.fix).not.toBe('');
      expect(JSON.stringify(doc)).not.toContain(lab('LAB_SECRET'));
    },
    BREAK_TIMEOUT,
  );

  // the agents behind the namespaces (ML2/OVS): each fault at its hop, for the guest it hurts
  const qdhcpVm1 = () => ['--netns', lab('LAB_QDHCP_NETNS'), '--ip', lab('LAB_VM1_IP')];
  const qrouterVm4 = () => ['--netns', lab('LAB_QROUTER_NETNS'), '--ip', lab('LAB_VM4_IP')];
  it.each([
    [
      'haproxy-respawn',
      'haproxy',
      qdhcpVm1,
      /haproxy is dead in qdhcp-.*; neutron-dhcp-agent \(pid \d+\) respawns it within check_child_processes_interval = 10 s/,
    ],
    ['dhcp-agent', 'spawner', qdhcpVm1, /^neutron-dhcp-agent is not running on this node/],
    ['l3-agent', 'spawner', qrouterVm4, /^neutron-l3-agent is not running on this node/],
    [
      'ovs-agent',
      'spawner',
      qdhcpVm1,
      /^neutron-openvswitch-agent is not running on this node: .* stay DOWN/,
    ],
    [
      'router-interface',
      'router',
      qrouterVm4,
      /^router \S+ has no (internal \(qr-\) )?interface.*the subnet of 10\.92\.0\.10/,
    ],
    [
      'isolated-metadata-off',
      'spawner',
      qdhcpVm1,
      /^the DHCP agent serves no metadata to network .*: isolated \(no router\) and enable_isolated_metadata = False/,
    ],
    [
      'redirect-rule',
      'namespace',
      qrouterVm4,
      /^the nat rule that sends 169\.254\.169\.254:80 to the proxy .* is missing/,
    ],
  ])(
    'lab/break %s: the %s hop',
    async (fault, hop, args, cause) => {
      const { code, doc, stderr } = await broken(fault, () => trace(args()));
      expect(code, stderr).toBe(3);
      expect(doc.diagnosis?.hop, JSON.stringify(doc.diagnosis)).toBe(hop);
      expect(doc.diagnosis?.cause).toMatch(cause);
      expect(doc.diagnosis?.fix).not.toBe('');
    },
    BREAK_TIMEOUT,
  );

  it(
    'lab/break neutron: the agent hangs on its port lookup, reported within --probe-timeout',
    async () => {
      const r = await broken('neutron', () =>
        trace(['--netns', lab('LAB_QDHCP_NETNS'), '--ip', lab('LAB_VM1_IP'), '--probe-timeout', '2']),
      );
      expect(r.code).toBe(3);
      expect(r.durationMs).toBeLessThan(15_000);
      expect(r.doc.diagnosis?.hop).toBe('probe-socket');
      expect(r.doc.diagnosis?.cause).toMatch(/did not answer within 2 s: its port lookup \(RPC get_ports/);
      expect(hopStatuses(r.doc)).toMatchObject({ nova: 'ok', 'probe-haproxy': 'fail' });
    },
    BREAK_TIMEOUT,
  );

  it(
    'human output: cause: and fix: for the broken hop',
    async () => {
      const r = await broken('haproxy', () =>
        osmeta(['trace', '--netns', lab('LAB_QDHCP_NETNS'), '--ip', lab('LAB_VM1_IP'), ...statePath()]),
      );
      expect(r.code).toBe(3);
      expect(r.stdout).toMatch(/✖ haproxy\s/);
      expect(r.stdout).toMatch(/^cause: haproxy is dead in /m);
      expect(r.stdout).toMatch(/^fix: {3}.*ip netns exec qdhcp-/m);
    },
    BREAK_TIMEOUT,
  );
});

describe.runIf(OVS)('osmeta trace without root', () => {
  it('exits 1 with a one-line error', () => {
    const [cmd, ...pre] = osmetaCommand();
    const r = spawnSync(
      'setpriv',
      [
        '--reuid=nobody',
        '--regid=nogroup',
        '--clear-groups',
        cmd!,
        ...pre,
        'trace',
        '--netns',
        lab('LAB_QDHCP_NETNS'),
      ],
      { encoding: 'utf8', env: { PATH: process.env.PATH, NO_COLOR: '1' } },
    );
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toMatch(/^error: trace needs root/);
  });
});
