import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExecResult } from '../../../../src/context.js';
import { runCli } from '../../../helpers/context.js';
import { TCP_HEADER } from '../../../helpers/fake-node.js';
import { fixture } from '../../../helpers/host-fixtures.js';
import { L3_AGENT_PID, type LabNode, labNode, STATE, VM1 } from '../../../helpers/lab-node.js';

// qrouter namespaces: covered by the captured haproxy configs and iptables-save output of
// neutron's own code.

const ROUTER = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const QROUTER = `qrouter-${ROUTER}`;
const LISTEN_ANY6_9697 =
  '   0: 00000000000000000000000000000000:25E1 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 91001 1 0000000000000000 100 0 0 10 0\n';

let lab: LabNode;
let iptables = '';
beforeEach(async () => {
  lab = await labNode();
  iptables = fixture('node/iptables-save.qrouter-metadata-only.txt');
  qrouterAddr = qrAddr('10.90.0.1', 24);
});

/** `ip -j addr` of a router namespace with one qr- port */
const qrAddr = (local: string, prefixlen: number, up = true) =>
  JSON.stringify([
    {
      ifname: 'lo',
      flags: ['LOOPBACK', 'UP'],
      addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }],
    },
    {
      ifname: 'qr-6d1c40f0-cf',
      flags: up ? ['BROADCAST', 'UP'] : ['BROADCAST'],
      addr_info: [{ family: 'inet', local, prefixlen }],
    },
  ]);
let qrouterAddr = '';
afterEach(async () => {
  await lab.close();
});

function exec(file: string, args: readonly string[]): Promise<ExecResult> {
  const ok = (stdout: string) =>
    Promise.resolve({ code: 0, signal: null, stdout, stderr: '', timedOut: false, durationMs: 1 });
  if (args[0] === 'netns' && args[2] === QROUTER && args[3] === 'iptables-save') return ok(iptables);
  if (args[0] === '-j' && args[2] === QROUTER) return ok(qrouterAddr);
  if (args[0] === 'netns' && args[2] === QROUTER && args[3] === 'ip6tables-save')
    return ok(fixture('node/ip6tables-save.qrouter-new-router.txt'));
  return lab.exec(file, args);
}

function addQrouter() {
  const conf = `${STATE}/ns-metadata-proxy/${ROUTER}.conf`;
  lab.node
    .file(`/run/netns/${QROUTER}`, '', { ino: 4026532800 })
    .file(
      conf,
      fixture('haproxy-config/qrouter-ipv6-host.conf').replace(
        '/var/lib/neutron/metadata_proxy',
        lab.socketPath,
      ),
    )
    .file(`${STATE}/external/pids/${ROUTER}.pid.haproxy`, '7001\n')
    .process(7001, {
      argv: ['haproxy', '-f', conf],
      uid: 107,
      gid: 115,
      netns: 4026532800,
      tcp: TCP_HEADER,
      tcp6: TCP_HEADER + LISTEN_ANY6_9697,
    });
}

const run = (args: string[]) => runCli(['trace', ...args, '--json'], { fs: lab.node.fs(), exec, uid: 0 });

describe('qrouter namespaces (L3 agent)', () => {
  it('checks the nat REDIRECT 80 → 9697 and the :::9697 listener; haproxy is not probed from inside', async () => {
    addQrouter();
    const r = await run(['--netns', QROUTER, '--ip', VM1.ip]);
    const doc = JSON.parse(r.stdout);
    expect(r.code).toBe(0);
    expect(doc).toMatchObject({ kind: 'qrouter', id: ROUTER, ok: true });
    const hop = (n: string) => doc.hops.find((h: { name: string }) => h.name === n);
    expect(hop('namespace')).toMatchObject({
      status: 'ok',
      detail: 'nat REDIRECT 169.254.169.254:80 → 9697',
    });
    expect(hop('namespace').evidence.redirectV6).toContain('fe80::a9fe:a9fe/128');
    expect(hop('haproxy')).toMatchObject({ status: 'ok', target: 'pid 7001' });
    expect(hop('haproxy').evidence.listening).toEqual([':::9697']);
    expect(hop('probe-haproxy').status).toBe('skip');
    expect(lab.agent.requests[0]).toMatchObject({ 'x-neutron-router-id': ROUTER, 'x-forwarded-for': VM1.ip });
    expect(lab.agent.requests[0]?.['x-neutron-network-id']).toBeUndefined();
  });

  it('names the missing REDIRECT rule', async () => {
    addQrouter();
    iptables = iptables.replace(/.*REDIRECT.*\n/, '');
    const doc = JSON.parse((await run(['--netns', QROUTER, '--ip', VM1.ip])).stdout);
    expect(doc.diagnosis.hop).toBe('namespace');
    expect(doc.diagnosis.cause).toContain('REDIRECT --to-ports 9697) is missing');
    expect(doc.diagnosis.fix).toContain('enable_metadata_proxy');
  });

  it('names a haproxy that binds but does not listen', async () => {
    addQrouter();
    lab.node.file('/proc/7001/net/tcp6', TCP_HEADER);
    const doc = JSON.parse((await run(['--netns', QROUTER, '--ip', VM1.ip])).stdout);
    expect(doc.diagnosis).toMatchObject({ hop: 'haproxy' });
    expect(doc.diagnosis.cause).toContain('does not listen on :::9697');
  });

  it("the router hop: the qr- interface that covers the guest's address", async () => {
    addQrouter();
    const doc = JSON.parse((await run(['--netns', QROUTER, '--ip', VM1.ip])).stdout);
    const hop = (n: string) => doc.hops.find((h: { name: string }) => h.name === n);
    expect(hop('router')).toMatchObject({
      status: 'ok',
      target: `router ${ROUTER}`,
      detail: `10.90.0.1/24 on qr-6d1c40f0-cf covers ${VM1.ip}`,
    });
    expect(hop('spawner')).toMatchObject({ status: 'ok', target: 'neutron-l3-agent' });
    expect(hop('spawner').evidence).toMatchObject({ enableMetadataProxy: true, metadataPort: 9697 });
  });

  it("router interface removed: the router hop names the guest's subnet", async () => {
    addQrouter();
    qrouterAddr = qrAddr('10.92.0.1', 24);
    const r = await run(['--netns', QROUTER, '--ip', VM1.ip]);
    const doc = JSON.parse(r.stdout);
    expect(r.code).toBe(3);
    expect(doc.diagnosis.hop).toBe('router');
    expect(doc.diagnosis.cause).toContain(`router ${ROUTER} has no interface on the subnet of ${VM1.ip}`);
    expect(doc.diagnosis.fix).toContain(`openstack router add subnet ${ROUTER}`);
  });

  it('the L3 agent stopped: the spawner hop, though its proxy runs on', async () => {
    addQrouter();
    lab.node.kill(L3_AGENT_PID);
    const doc = JSON.parse((await run(['--netns', QROUTER, '--ip', VM1.ip])).stdout);
    expect(doc.diagnosis.hop).toBe('spawner');
    expect(doc.diagnosis.cause).toContain('neutron-l3-agent is not running on this node');
    expect(doc.hops.find((h: { name: string }) => h.name === 'haproxy').status).toBe('ok');
  });

  it('the live router: the REDIRECT, the filter rules and the qr- port as the L3 agent made them', async () => {
    addQrouter();
    iptables = fixture('node/iptables-save.qrouter-lab-agent.txt');
    qrouterAddr = fixture('node/ip-n-qrouter-j-addr.json');
    const doc = JSON.parse((await run(['--netns', QROUTER, '--ip', '10.92.0.10'])).stdout);
    const hop = (n: string) => doc.hops.find((h: { name: string }) => h.name === n);
    expect(hop('namespace').detail).toBe('nat REDIRECT 169.254.169.254:80 → 9697');
    expect(hop('namespace').evidence.filterAccept).toContain('--mark 0x1/0xffff -j ACCEPT');
    expect(hop('router').detail).toMatch(/^10\.92\.0\.1\/24 on qr-[0-9a-f-]{11} covers 10\.92\.0\.10$/);
  });
});

// ovnmeta- namespaces: ovn.test.ts (with the OVN databases they need)
