import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../helpers/context.js';
import { fixture } from '../../../helpers/host-fixtures.js';
import {
  DHCP_AGENT_CONF,
  DHCP_AGENT_PID,
  HAPROXY_CONF,
  HAPROXY_PID,
  type LabNode,
  labNode,
  NET,
  NS,
  OVS_AGENT_PID,
  PIDFILE,
  STATE,
  VM1,
} from '../../../helpers/lab-node.js';

// The spawner and router hops on a qdhcp- namespace: the DHCP agent behind it, its options, respawns.

interface HopJson {
  name: string;
  status: string;
  detail: string;
  evidence: Record<string, unknown>;
}
interface TraceJson {
  ok: boolean;
  hops: HopJson[];
  diagnosis: { hop: string; cause: string; fix: string } | null;
}

let lab: LabNode;
beforeEach(async () => {
  lab = await labNode();
});
afterEach(async () => {
  await lab.close();
});

async function trace(args: string[]): Promise<{ code: number; doc: TraceJson }> {
  const r = await runCli(['trace', ...args, '--json'], { fs: lab.node.fs(), exec: lab.exec, uid: 0 });
  return { code: r.code, doc: JSON.parse(r.stdout) as TraceJson };
}
const hop = (doc: TraceJson, name: string) => doc.hops.find((h) => h.name === name)!;

/** dhcp_agent.ini as the lab writes it, with one line changed and the fake node's socket kept */
function dhcpConf(from: RegExp, to: string) {
  const current = lab.node.entries.get(DHCP_AGENT_CONF);
  const text = current?.content ?? fixture('config/dhcp_agent.ini');
  lab.node.file(DHCP_AGENT_CONF, text.replace(from, to));
}

describe('the spawner hop (the DHCP agent behind qdhcp-)', () => {
  it('healthy: the agent, its respawn interval and why it serves this network', async () => {
    const { code, doc } = await trace(['--netns', NS, '--ip', VM1.ip]);
    expect(code).toBe(0);
    expect(hop(doc, 'spawner')).toMatchObject({ status: 'ok' });
    expect(hop(doc, 'spawner').detail).toContain(`pid ${DHCP_AGENT_PID}, respawns proxies every 10 s`);
    expect(hop(doc, 'spawner').evidence).toMatchObject({
      program: 'neutron-dhcp-agent',
      pid: DHCP_AGENT_PID,
      enableIsolatedMetadata: true,
      forceMetadata: false,
      checkChildProcessesInterval: 10,
      respawns: true,
    });
    expect(hop(doc, 'router')).toMatchObject({ status: 'ok' });
    expect(hop(doc, 'router').detail).toContain('isolated: no router');
  });

  it('haproxy killed while the agent runs: dead, respawned within check_child_processes_interval', async () => {
    lab.node.kill(HAPROXY_PID);
    lab.haproxyProbe = { outcome: 'refused' };
    const { code, doc } = await trace(['--netns', NS, '--ip', VM1.ip]);
    expect(code).toBe(3);
    expect(doc.diagnosis?.hop).toBe('haproxy');
    expect(doc.diagnosis?.cause).toContain(`names pid ${HAPROXY_PID}, which is not running`);
    expect(doc.diagnosis?.cause).toContain(
      `neutron-dhcp-agent (pid ${DHCP_AGENT_PID}) respawns it within check_child_processes_interval = 10 s (${DHCP_AGENT_CONF}:`,
    );
    expect(doc.diagnosis?.fix).toContain('wait up to 10 s');
    expect(hop(doc, 'haproxy').evidence).toMatchObject({ respawnIntervalS: 10, willRespawn: true });
    expect(hop(doc, 'haproxy').detail).toContain('respawn due within 10 s');
  });

  it('haproxy killed with check_child_processes_interval = 0: nothing respawns it', async () => {
    dhcpConf(/check_child_processes_interval = 10/, 'check_child_processes_interval = 0');
    lab.node.kill(HAPROXY_PID);
    lab.haproxyProbe = { outcome: 'refused' };
    const { doc } = await trace(['--netns', NS, '--ip', VM1.ip]);
    expect(doc.diagnosis?.hop).toBe('haproxy');
    expect(doc.diagnosis?.cause).toContain('nothing respawns it: check_child_processes_interval = 0');
    expect(doc.diagnosis?.fix).toContain('restart neutron-dhcp-agent');
    expect(hop(doc, 'haproxy').evidence).toMatchObject({ respawnIntervalS: 0, willRespawn: false });
  });

  it('the DHCP agent stopped: the spawner hop, though its proxy still answers', async () => {
    lab.node.kill(DHCP_AGENT_PID);
    const { code, doc } = await trace(['--netns', NS, '--ip', VM1.ip]);
    expect(code).toBe(3);
    expect(doc.diagnosis?.hop).toBe('spawner');
    expect(doc.diagnosis?.cause).toContain('neutron-dhcp-agent is not running on this node');
    expect(doc.diagnosis?.fix).toContain('systemctl start neutron-dhcp-agent');
    expect(hop(doc, 'probe-socket').status).toBe('ok');
  });

  it('enable_isolated_metadata = False on an isolated network: the option is the cause', async () => {
    dhcpConf(/enable_isolated_metadata = True/, 'enable_isolated_metadata = False');
    const { doc } = await trace(['--netns', NS, '--ip', VM1.ip]);
    expect(doc.diagnosis?.hop).toBe('spawner');
    expect(doc.diagnosis?.cause).toMatch(
      /^the DHCP agent serves no metadata to network .*: isolated \(no router\) and enable_isolated_metadata = False \(/,
    );
    expect(doc.diagnosis?.fix).toContain('enable_isolated_metadata = True');
  });

  it('a routed network: no proxy in qdhcp- is expected, the router serves it', async () => {
    lab.node.kill(HAPROXY_PID);
    lab.node.remove(HAPROXY_CONF).remove(PIDFILE);
    lab.node.file(
      `${STATE}/dhcp/${NET}/opts`,
      fixture('node/dhcp-opts.routed.txt')
        .replaceAll('10.92.0.1', '10.90.0.1')
        .replaceAll('10.92.0.2', '10.90.0.2'),
    );
    lab.haproxyProbe = { outcome: 'refused' };
    const { doc } = await trace(['--netns', NS, '--ip', VM1.ip]);
    expect(hop(doc, 'haproxy').status).toBe('skip');
    expect(hop(doc, 'haproxy').detail).toContain('the router at 10.90.0.1 serves its metadata');
    expect(hop(doc, 'probe-haproxy').status).toBe('skip');
    expect(hop(doc, 'router').detail).toBe('routed: metadata via the router at 10.90.0.1');
    expect(doc.diagnosis).toBeNull();
  });

  it('neutron-openvswitch-agent stopped: new ports stay DOWN', async () => {
    lab.node.kill(OVS_AGENT_PID);
    const { doc } = await trace(['--netns', NS, '--ip', VM1.ip]);
    expect(doc.diagnosis?.hop).toBe('spawner');
    expect(doc.diagnosis?.cause).toContain('neutron-openvswitch-agent is not running on this node');
    expect(doc.diagnosis?.cause).toContain('stay DOWN');
  });
});

describe('haproxy rate limiting (neutron 2024.1+ templates)', () => {
  it('reads the limits and names them when a guest is answered 429', async () => {
    lab.node.file(
      HAPROXY_CONF,
      fixture('haproxy-config/neutron-master-qdhcp-rate-limited.conf')
        .replaceAll('4f0c3a2e-7b1d-4e9a-9c55-2d8e6f1a0b37', NET)
        .replace('/var/lib/neutron/metadata_proxy', lab.socketPath)
        .replace(/pidfile .*/, `pidfile ${PIDFILE}`),
    );
    lab.haproxyProbe = { file: 'haproxy-chain/rate-limited.429.http' };
    const { code, doc } = await trace(['--netns', NS, '--ip', VM1.ip]);
    expect(code).toBe(3);
    expect(hop(doc, 'haproxy').evidence).toMatchObject({
      nbthread: 2,
      rateLimit: [
        { table: 'base_rate_limiter', max: 10, windowS: 10, status: 429 },
        { table: 'burst_rate_limiter', max: 10, windowS: 10, status: 429 },
      ],
    });
    expect(doc.diagnosis?.hop).toBe('probe-haproxy');
    expect(doc.diagnosis?.cause).toContain('haproxy answered its own 429: it rate-limits metadata requests');
    expect(doc.diagnosis?.cause).toContain('more than 10 requests per 10 s (base_rate_limiter)');
    expect(doc.diagnosis?.fix).toContain('base_query_rate_limit');
  });
});
