import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../helpers/context.js';
import { fixture } from '../../../helpers/host-fixtures.js';
import {
  AGENT_CONF,
  AGENT_PID,
  HAPROXY_CONF,
  HAPROXY_PID,
  type LabNode,
  labNode,
  NET,
  NOVA_CONF,
  NS,
  SECRET,
  STATE,
  STRAY_IP,
  VM1,
  WORKER_PID,
} from '../../../helpers/lab-node.js';
import { TRACE_HOPS } from '../../../helpers/trace-contract.js';

let lab: LabNode;
beforeEach(async () => {
  lab = await labNode();
});
afterEach(async () => {
  await lab.close();
});

const trace = (args: string[], o: { uid?: number; stdoutIsTTY?: boolean } = {}) =>
  runCli(['trace', ...args], {
    fs: lab.node.fs(),
    exec: lab.exec,
    uid: o.uid ?? 0,
    stdoutIsTTY: o.stdoutIsTTY ?? false,
    env: { FORCE_COLOR: '0' },
  });

interface HopJson {
  name: string;
  status: string;
  target: string;
  detail: string;
  durationMs: number;
  evidence: Record<string, unknown>;
}
interface TraceJson {
  netns: string;
  kind: string;
  id: string;
  ok: boolean;
  hops: HopJson[];
  diagnosis: { hop: string; cause: string; fix: string } | null;
}

async function traceJson(args: string[]) {
  const r = await trace([...args, '--json']);
  return { ...r, doc: JSON.parse(r.stdout) as TraceJson };
}

const status = (doc: TraceJson) => Object.fromEntries(doc.hops.map((h) => [h.name, h.status]));

describe('osmeta trace on a healthy node', () => {
  it('exits 0 with every hop ok and the JSON contract', async () => {
    const { code, doc, stderr } = await traceJson(['--netns', NS, '--ip', VM1.ip]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(doc).toMatchObject({ netns: NS, kind: 'qdhcp', id: NET, ok: true, diagnosis: null });
    expect(doc.hops.map((h) => h.name)).toEqual(TRACE_HOPS);
    for (const h of doc.hops) {
      // ML2/OVS: the ovn hop has nothing to check
      expect(h.status, h.name).toBe(h.name === 'ovn' ? 'skip' : 'ok');
      expect(Object.keys(h).sort()).toEqual(['detail', 'durationMs', 'evidence', 'name', 'status', 'target']);
      expect(typeof h.durationMs).toBe('number');
    }
    const hop = (n: string) => doc.hops.find((h) => h.name === n)!;
    expect(hop('haproxy').evidence).toMatchObject({
      pid: HAPROXY_PID,
      config: HAPROXY_CONF,
      pidFilePid: HAPROXY_PID,
    });
    expect(hop('socket').evidence).toMatchObject({
      path: lab.socketPath,
      mode: '0644',
      owner: 'neutron',
      listenerPids: [AGENT_PID, WORKER_PID],
    });
    expect(hop('agent').evidence).toMatchObject({
      pid: AGENT_PID,
      workers: 1,
      secretSet: true,
      secretMatchesNova: true,
      configFiles: ['/var/lib/osmeta-lab/etc/neutron/neutron.conf', AGENT_CONF],
    });
    expect(hop('nova').evidence).toMatchObject({ status: 200, serviceMetadataProxy: true });
    expect((hop('nova').evidence.novaConfig as { files: string[]; source: string }).files).toEqual([
      NOVA_CONF,
    ]);
    expect(hop('probe-haproxy').evidence).toMatchObject({ status: 404, answeredBy: 'webob' });
    expect(hop('probe-socket').evidence).toMatchObject({
      status: 200,
      instanceId: VM1.id,
      projectId: VM1.project,
    });
    expect(hop('probe-nova').evidence).toMatchObject({ status: 200, instanceId: VM1.id });
  });

  it('sends the guest request the agent expects on the socket, and a signed one to nova', async () => {
    await trace(['--netns', NS, '--ip', VM1.ip, '--json']);
    expect(lab.agent.requests[0]).toMatchObject({
      url: '/openstack/latest/meta_data.json',
      'x-forwarded-for': VM1.ip,
      'x-neutron-network-id': NET,
    });
    const signed = lab.nova.requests.find((r) => r['x-instance-id'] !== undefined);
    expect(signed).toMatchObject({ 'x-instance-id': VM1.id, 'x-tenant-id': VM1.project });
    expect(signed?.['x-instance-id-signature']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('probes haproxy by re-running osmeta inside the namespace, never from the host', async () => {
    await trace(['--netns', NS, '--ip', VM1.ip, '--json']);
    const probe = lab.calls.find((c) => c.includes('__probe-http'))!;
    expect(probe.slice(0, 4)).toEqual(['ip', 'netns', 'exec', NS]);
    expect(probe).toContain('http://169.254.169.254:80/openstack');
    expect(probe.slice(-2)).toEqual(['--wait', '5']);
  });

  it('draws the chain on a terminal, in colour, and ends with the verdict', async () => {
    const r = await trace(['--netns', NS, '--ip', VM1.ip], { stdoutIsTTY: true });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('\u001b[32m✔');
    const plain = r.stdout.replace(/\u001b\[[0-9;]*m/g, '');
    const lines = plain.split('\n');
    expect(lines[0]).toContain(NS);
    for (const name of TRACE_HOPS.filter((n) => n !== 'ovn'))
      expect(plain).toMatch(new RegExp(`✔ ${name}\\s`));
    // an ML2/OVS namespace: no ovn line, and not counted as unchecked
    expect(plain).not.toMatch(/ ovn /);
    expect(plain).not.toContain('not checked');
    expect(plain).toContain(`pid ${HAPROXY_PID}`);
    expect(plain).toContain('bind 169.254.169.254:80, fe80::a9fe:a9fe:80');
    expect(plain).toContain('srw-r--r-- neutron:neutron');
    expect(plain).toMatch(/\d+ ms/);
    expect(lines.filter((l) => l !== '').at(-1)).toBe('✔ every hop is healthy');
  });

  it('prints the same content without colour when piped', async () => {
    const r = await trace(['--netns', NS, '--ip', VM1.ip]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('\u001b[');
    expect(r.stdout).toMatch(/✔ probe-nova\s/);
  });

  it('prints nothing with --quiet and still exits 0', async () => {
    const r = await trace(['--netns', NS, '--ip', VM1.ip, '--quiet']);
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  it('never prints the shared secret, not even with --debug', async () => {
    const r = await trace(['--netns', NS, '--ip', VM1.ip, '--json', '--debug']);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    expect(r.stderr).toContain('X-Instance-ID-Signature: <redacted>');
  });

  it('impersonates a guest from the DHCP host file when no --ip is given', async () => {
    lab.node.file(
      `${STATE}/dhcp/${NET}/host`,
      `fa:16:3e:11:86:24,host-10-90-0-2,10.90.0.2\nfa:16:3e:fe:cc:24,host-10-90-0-10,${VM1.ip}\n`,
    );
    const { code, doc } = await traceJson(['--netns', NS]);
    expect(code).toBe(0);
    expect(lab.agent.requests.map((r) => r['x-forwarded-for'])).toEqual([VM1.ip]);
    expect(doc.hops.find((h) => h.name === 'probe-socket')?.evidence.guestSource).toBe('dhcp-host-file');
  });

  it('skips the socket probe with a note when no guest is known', async () => {
    const { code, doc } = await traceJson(['--netns', NS]);
    expect(code).toBe(0);
    expect(status(doc)).toMatchObject({ 'probe-socket': 'skip', 'probe-nova': 'skip' });
    expect(doc.hops.find((h) => h.name === 'probe-socket')?.detail).toContain('give --ip');
  });
});

describe('osmeta trace names the broken hop', () => {
  it('haproxy killed: the haproxy hop, from the stale pid file', async () => {
    lab.node.kill(HAPROXY_PID);
    lab.haproxyProbe = { outcome: 'refused' };
    const { code, doc } = await traceJson(['--netns', NS, '--ip', VM1.ip]);
    expect(code).toBe(3);
    expect(doc.diagnosis?.hop).toBe('haproxy');
    expect(doc.diagnosis?.cause).toContain(`names pid ${HAPROXY_PID}, which is not running`);
    expect(doc.diagnosis?.fix).toContain(`ip netns exec ${NS} haproxy -f ${HAPROXY_CONF}`);
    expect(status(doc)).toMatchObject({ haproxy: 'fail', 'probe-haproxy': 'fail', 'probe-socket': 'ok' });
  });

  it('agent stopped: the agent hop, though the stale socket fails first', async () => {
    lab.node.kill(AGENT_PID).kill(WORKER_PID);
    lab.node.file('/proc/net/unix', fixture('node/proc-net-unix.agent-stopped.txt'));
    lab.haproxyProbe = { file: 'haproxy-chain/qdhcp-probe-openstack.agent-stopped.503.http' };
    const { code, doc } = await traceJson(['--netns', NS]);
    expect(code).toBe(3);
    expect(status(doc)).toMatchObject({ socket: 'fail', agent: 'fail', 'probe-haproxy': 'fail' });
    expect(doc.diagnosis?.hop).toBe('agent');
    expect(doc.diagnosis?.cause).toContain('neutron-metadata-agent is not running');
    expect(doc.hops.find((h) => h.name === 'probe-haproxy')?.evidence).toMatchObject({
      status: 503,
      answeredBy: 'haproxy',
    });
  });

  it("socket path: haproxy's server line names another path than the agent's", async () => {
    lab.node.file(
      HAPROXY_CONF,
      fixture('haproxy-config/lab-live-qdhcp.conf').replace(
        '/var/lib/osmeta-lab/neutron/metadata_proxy',
        '/var/lib/neutron/metadata_proxy',
      ),
    );
    lab.haproxyProbe = { file: 'haproxy-chain/qdhcp-probe-openstack.agent-stopped.503.http' };
    const { code, doc } = await traceJson(['--netns', NS, '--ip', VM1.ip]);
    expect(code).toBe(3);
    expect(doc.diagnosis?.hop).toBe('socket');
    expect(doc.diagnosis?.cause).toContain("haproxy's server line names /var/lib/neutron/metadata_proxy");
    expect(doc.diagnosis?.cause).toContain(lab.socketPath);
    // the agent itself is fine on its own socket
    expect(status(doc)['probe-socket']).toBe('ok');
  });

  it('socket owned by root 0600 while haproxy runs as neutron: EACCES', async () => {
    lab.node.socket(lab.socketPath, { uid: 0, gid: 0, mode: 0o140600, ino: 274722 });
    const { code, doc } = await traceJson(['--netns', NS, '--ip', VM1.ip]);
    expect(code).toBe(3);
    expect(doc.diagnosis?.hop).toBe('socket');
    expect(doc.diagnosis?.cause).toContain('haproxy runs as neutron and may not connect');
  });

  it('secret mismatch: the agent hop, comparing without printing either value', async () => {
    lab.nova.secret = 'nova-side-secret';
    lab.node.file(
      NOVA_CONF,
      fixture('config/nova.conf.api-neutron-sections.ini').replace('<shared-secret>', 'nova-side-secret'),
    );
    lab.agent.behaviour = 'forbidden';
    const r = await trace(['--netns', NS, '--ip', VM1.ip, '--json']);
    const doc = JSON.parse(r.stdout) as TraceJson;
    expect(r.code).toBe(3);
    expect(doc.diagnosis?.hop).toBe('agent');
    expect(doc.diagnosis?.cause).toMatch(
      /metadata_proxy_shared_secret in .*metadata_agent\.ini:5 differs from nova\.conf \[neutron\]/,
    );
    expect(status(doc)).toMatchObject({ 'probe-socket': 'fail', 'probe-nova': 'skip' });
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    expect(r.stdout + r.stderr).not.toContain('nova-side-secret');
  });

  it('secret mismatch without nova.conf on the node: the relayed 403 tells', async () => {
    lab.nova.secret = 'nova-side-secret';
    lab.node.remove(NOVA_CONF);
    lab.agent.behaviour = 'forbidden';
    const { code, doc } = await traceJson(['--netns', NS, '--ip', VM1.ip]);
    expect(code).toBe(3);
    expect(status(doc)).toMatchObject({ agent: 'ok', 'probe-socket': 'fail', 'probe-nova': 'skip' });
    expect(doc.diagnosis?.hop).toBe('probe-socket');
    expect(doc.diagnosis?.cause).toContain("the agent's metadata_proxy_shared_secret differs from nova's");
  });

  it('nova stopped: the nova hop', async () => {
    const conf = fixture('config/metadata_agent.ini')
      .replace('<shared-secret>', SECRET)
      .replace('/var/lib/osmeta-lab/neutron/metadata_proxy', lab.socketPath)
      .replace('nova_metadata_port = 8775', 'nova_metadata_port = 1');
    lab.node.file(AGENT_CONF, conf);
    // nothing listens on nova's port: its config is only a guess at Debian's default file
    lab.node.kill(9001).kill(9002);
    lab.node.file('/etc/nova/nova.conf', '[neutron]\nservice_metadata_proxy = true\n');
    lab.agent.behaviour = 'nova-down';
    const { code, doc } = await traceJson(['--netns', NS, '--ip', VM1.ip]);
    expect(code).toBe(3);
    expect(doc.diagnosis?.hop).toBe('nova');
    expect(doc.diagnosis?.cause).toContain('nothing listens on http://127.0.0.1:1');
    expect(status(doc)).toMatchObject({ agent: 'ok', 'probe-socket': 'fail' });
    const agent = doc.hops.find((h) => h.name === 'agent')!;
    expect(agent.detail).toContain(
      'secret differs from /etc/nova/nova.conf, which no nova on this node reads',
    );
    expect(doc.hops.find((h) => h.name === 'nova')?.evidence.novaConfig).toMatchObject({
      files: ['/etc/nova/nova.conf'],
      source: 'default',
      trusted: false,
    });
  });

  it('service_metadata_proxy = false: the nova hop', async () => {
    lab.node.file(
      NOVA_CONF,
      fixture('config/nova.conf.api-neutron-sections.ini')
        .replace('<shared-secret>', SECRET)
        .replace('service_metadata_proxy = true', 'service_metadata_proxy = false'),
    );
    const { code, doc } = await traceJson(['--netns', NS, '--ip', VM1.ip]);
    expect(code).toBe(3);
    expect(doc.diagnosis?.hop).toBe('nova');
    expect(doc.diagnosis?.cause).toContain('[neutron] service_metadata_proxy = false');
  });

  it('agent hangs (neutron-server down): reported as a hang within --probe-timeout', async () => {
    lab.agent.behaviour = 'hang';
    lab.haproxyProbe = { outcome: 'hang' };
    const started = performance.now();
    const { code, doc } = await traceJson(['--netns', NS, '--ip', VM1.ip, '--probe-timeout', '0.3']);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(code).toBe(3);
    expect(doc.diagnosis?.hop).toBe('probe-socket');
    expect(doc.diagnosis?.cause).toContain('did not answer within 0.3 s');
    expect(doc.diagnosis?.cause).toContain('neutron-server');
  });

  it('an address no port owns: the agent answers 404 itself', async () => {
    const { code, doc } = await traceJson(['--netns', NS, '--ip', STRAY_IP]);
    expect(code).toBe(3);
    expect(doc.diagnosis?.hop).toBe('probe-socket');
    expect(doc.diagnosis?.cause).toContain(`the agent answered 404 for ${STRAY_IP}`);
  });

  it('a namespace that is not on this node: the namespace hop', async () => {
    const other = 'qdhcp-00000000-1111-4222-8333-444444444444';
    const { code, doc } = await traceJson(['--netns', other, '--ip', VM1.ip]);
    expect(code).toBe(3);
    expect(doc.diagnosis?.hop).toBe('namespace');
    expect(doc.diagnosis?.cause).toContain(`there is no ${other} on this node`);
    expect(status(doc)).toMatchObject({ haproxy: 'skip', 'probe-haproxy': 'skip' });
  });

  it('prints cause: and fix: for people', async () => {
    lab.node.kill(HAPROXY_PID);
    lab.haproxyProbe = { outcome: 'refused' };
    const r = await trace(['--netns', NS, '--ip', VM1.ip]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/✖ haproxy\s/);
    expect(r.stdout).toContain('✖ haproxy is broken');
    expect(r.stdout).toMatch(/^cause: haproxy is dead in /m);
    expect(r.stdout).toMatch(/^fix: {3}/m);
  });
});

describe('osmeta trace --all', () => {
  it('one line per namespace, then the failing one in detail', async () => {
    const other = '0011f5d3-30a2-478d-bdf6-432c585c5cb3';
    lab.node.file(`/run/netns/qdhcp-${other}`, '', { ino: 4026532700 });
    const r = await trace(['--all']);
    expect(r.code).toBe(3);
    const lines = r.stdout.split('\n');
    expect(lines.find((l) => l.includes(NET))).toMatch(/✔\s+qdhcp\s+.*ok/);
    expect(lines.find((l) => l.includes(other) && l.includes('broken'))).toMatch(
      /✖\s+qdhcp\s+.*broken\s+haproxy/,
    );
    expect(r.stdout).toContain('1 of 2 namespaces broken');
    expect(r.stdout).toContain(`qdhcp-${other}  (DHCP agent`);
  });

  it('--json: {ok, namespaces}, shared hops checked once', async () => {
    const r = await trace(['--all', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { ok: boolean; namespaces: TraceJson[] };
    expect(doc.ok).toBe(true);
    expect(doc.namespaces.map((n) => n.netns)).toEqual([NS]);
    expect(doc.namespaces[0]!.hops.map((h) => h.name)).toEqual(TRACE_HOPS);
    expect(lab.calls.filter((c) => c.includes('__probe-http'))).toEqual([]);
    expect(lab.nova.requests.filter((q) => q.url === '/')).toHaveLength(1);
  });
});

describe('osmeta trace refuses', () => {
  it('exits 1 with one line when not root', async () => {
    const r = await trace(['--netns', NS], { uid: 1000 });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toMatch(/^error: trace needs root/);
    expect(r.stderr).toContain('hint: run it with sudo');
  });

  it.each([
    [['--netns', 'vm1'], "'vm1' is not a metadata namespace name"],
    [[], 'trace needs --netns, --server, --ip or --all'],
    [['--all', '--netns', NS], '--all traces every namespace'],
    [['--netns', NS, '--ip', 'not-an-ip'], "'not-an-ip' is not an IP address"],
    [['--netns', NS, '--probe-timeout', '0'], '--probe-timeout takes a positive number of seconds'],
    [['--netns', NS, '--probe-all'], '--probe-all goes with --all'],
  ])('exits 2 for %j', async (args, message) => {
    const r = await trace(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
  });

  it('answers --json errors as one document', async () => {
    const r = await trace(['--netns', 'vm1', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'INVALID_NETNS', exitCode: 2 } });
  });
});

describe('osmeta __probe-http (run by trace inside a namespace)', () => {
  it('prints one JSON document: status, who answered, latency', async () => {
    const { createServer } = await import('node:http');
    const server = createServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'text/html', 'cache-control': 'no-cache' });
      res.end(
        '<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n',
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      const r = await runCli(['__probe-http', `http://127.0.0.1:${port}/openstack`, '--wait', '2']);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toMatchObject({
        outcome: 'response',
        status: 503,
        form: 'haproxy',
        connected: true,
      });
    } finally {
      server.close();
    }
  });

  it('reports a hang as a hang once --wait is up', async () => {
    const { createServer } = await import('node:http');
    const server = createServer(() => {});
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      const started = performance.now();
      const r = await runCli([
        '__probe-http',
        `http://127.0.0.1:${port}/`,
        '--wait',
        '0.2',
        '--timeout',
        '30',
      ]);
      expect(performance.now() - started).toBeLessThan(1500);
      expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'hang', connected: true });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('is not listed in the help', async () => {
    const r = await runCli(['--help']);
    expect(r.stdout).toContain('trace');
    expect(r.stdout).not.toContain('__probe-http');
  });
});
