import { spawn, spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { guestArgv } from '../helpers/guest-guard.js';
import { broken, lab, labEnv, labFlavour, osmetaCommand } from './lab.js';

// osmeta guest from inside the lab's guest namespaces: healthy guests on each network, the
// standing fixtures (lab-vm3, lab-stray), each fault as a guest sees it, and a guest that reads
// another instance's metadata. Never in the host's namespace (test/helpers/guest-guard.ts).
// On both flavours: under ML2/OVS a qdhcp- or qrouter- proxy answers, under ML2/OVN the network's
// ovnmeta- proxy, reached through the metadata port (OVN's DHCP routes 169.254.169.254 to it).
// Faults break the shared lab: run this file under the lock,
//   flock -w 1500 /run/osmeta-e2e.lock npx vitest run --project e2e test/e2e/guest.test.ts

interface Step {
  name: string;
  status: string;
  detail: string;
  code?: string;
  answeredBy?: string;
  evidence: Record<string, unknown>;
}
interface GuestJson {
  ok: boolean;
  target: string;
  steps: Step[];
  diagnosis: { step: string; code: string; cause: string; fix: string } | null;
}

const OVN = labFlavour() === 'ovn';

const STEPS = ['route', 'neighbour', 'tcp', 'tcp6', 'versions', 'openstack', 'meta-data', 'ec2', 'identity'];

function inGuest(ns: string, args: string[], timeoutMs = 60_000) {
  const argv = guestArgv(ns, osmetaCommand(), args, labEnv());
  return new Promise<{ code: number | null; stdout: string; stderr: string; durationMs: number }>(
    (resolve, reject) => {
      const started = performance.now();
      const child = spawn(argv[0]!, argv.slice(1), {
        env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr, durationMs: performance.now() - started });
      });
    },
  );
}

async function guest(ns: string, timeout = 5) {
  const r = await inGuest(ns, ['--json', '--timeout', String(timeout)]);
  let doc: GuestJson;
  try {
    doc = JSON.parse(r.stdout) as GuestJson;
  } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
  expect(doc.steps.map((s) => s.name)).toEqual(STEPS);
  return { ...r, doc };
}

const step = (doc: GuestJson, name: string) => doc.steps.find((s) => s.name === name)!;

describe('osmeta guest inside healthy lab guests', () => {
  it.each([
    ['LAB_VM1_NETNS', 'LAB_VM1_ID', 'LAB_VM1_NAME'],
    ['LAB_VM2_NETNS', 'LAB_VM2_ID', 'LAB_VM2_NAME'],
  ])('%s (isolated network): healthy, its own uuid, name and MAC', async (ns, id, name) => {
    const r = await guest(lab(ns));
    expect(r.code).toBe(0);
    expect(r.doc.ok).toBe(true);
    expect(r.doc.diagnosis).toBeNull();
    expect(r.stderr).toBe('');
    const route = step(r.doc, 'route');
    expect(route.evidence).toMatchObject({ viaDefault: false, gatewayKind: 'unknown' });
    expect(String(route.evidence.gateway)).toMatch(/\.2$/);
    // ML2/OVS: the qdhcp- proxy also binds fe80::a9fe:a9fe; Zed's OVN agent binds IPv4 only (a warning)
    expect(step(r.doc, 'tcp6').status).toBe(OVN ? 'warn' : 'ok');
    expect(step(r.doc, 'identity').evidence).toMatchObject({
      uuid: lab(id),
      name: lab(name),
      macMatch: true,
    });
    expect(step(r.doc, 'ec2').detail).toMatch(/^200: i-[0-9a-f]{8}$/);
  });

  it('lab-vm4 (routed network): healthy through its router (ML2/OVS) or its metadata port (ML2/OVN)', async () => {
    const r = await guest(lab('LAB_VM4_NETNS'));
    expect(r.code).toBe(0);
    expect(step(r.doc, 'route').evidence).toMatchObject(
      OVN
        ? { gatewayKind: 'unknown', gateway: lab('LAB_ROUTED_METADATA_PORT_IP') }
        : { gatewayKind: 'router', gateway: '10.92.0.1' },
    );
    expect(step(r.doc, 'identity').evidence).toMatchObject({ uuid: lab('LAB_VM4_ID'), macMatch: true });
    expect(step(r.doc, 'tcp6').status).not.toBe('fail');
  });

  it('prints a bare ok when piped', async () => {
    const r = await inGuest(lab('LAB_VM1_NETNS'), []);
    expect(r).toMatchObject({ code: 0, stdout: 'ok\n', stderr: '' });
  });
});

describe('the standing fixtures', () => {
  it("lab-vm3 (port in another project): nova's 404, after GET / answered", async () => {
    const r = await guest(lab('LAB_VM3_NETNS'));
    expect(r.code).toBe(3);
    expect(step(r.doc, 'versions').status).toBe('ok');
    expect(r.doc.diagnosis).toMatchObject({ step: 'openstack', code: 'NOVA_NOT_FOUND' });
    expect(step(r.doc, 'openstack').answeredBy).toBe('nova');
  });

  it("lab-stray (no port owns its address): the agent's 404, GET / too", async () => {
    const r = await guest(lab('LAB_STRAY_NETNS'));
    expect(r.code).toBe(3);
    expect(r.doc.diagnosis).toMatchObject({ step: 'versions', code: 'AGENT_NO_PORT' });
    expect(step(r.doc, 'versions').answeredBy).toBe('agent');
  });

  it('piped: the verdict on stdout, cause and fix on stderr', async () => {
    const r = await inGuest(lab('LAB_STRAY_NETNS'), []);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('fail versions AGENT_NO_PORT\n');
    expect(r.stderr).toMatch(/^cause: .*\nfix: .*\n$/);
  });
});

// lab/README "Faults": what each does to the guests
const AGENT_FAULT = OVN ? 'ovn-metadata-agent' : 'agent';
const FAULTS: [string, string, string, string][] = [
  ['haproxy', 'LAB_VM1_NETNS', 'tcp', 'NOTHING_LISTENS'],
  [AGENT_FAULT, 'LAB_VM1_NETNS', 'openstack', 'HAPROXY_NO_BACKEND'],
  ['secret', 'LAB_VM1_NETNS', 'openstack', 'SECRET_MISMATCH'],
  ['nova-metadata', 'LAB_VM1_NETNS', 'openstack', 'AGENT_ERROR'],
  ['proxy-off', 'LAB_VM1_NETNS', 'openstack', 'NOVA_NOT_FOUND'],
  // the ML2/OVS flavour's own: the DHCP agent's socket path, dnsmasq's classless route
  ...(OVN
    ? []
    : ([
        ['socket-path', 'LAB_VM1_NETNS', 'openstack', 'HAPROXY_NO_BACKEND'],
        ['route', 'LAB_VM1_NETNS', 'neighbour', 'NO_METADATA_ROUTE'],
      ] as [string, string, string, string][])),
];

describe('each lab fault as a guest sees it', () => {
  it.each(FAULTS)('%s: %s names %s as %s', async (fault, ns, at, code) => {
    await broken(fault, async () => {
      const r = await guest(lab(ns), 8);
      expect(r.code).toBe(3);
      expect(r.doc.ok).toBe(false);
      expect(r.doc.diagnosis).toMatchObject({ step: at, code });
      expect(r.doc.diagnosis!.fix).not.toBe('');
      if (fault === AGENT_FAULT) {
        // every haproxy shares the agent's socket: the routed guest sees the same
        const vm4 = await guest(lab('LAB_VM4_NETNS'));
        expect(vm4.doc.diagnosis).toMatchObject({ step: 'openstack', code: 'HAPROXY_NO_BACKEND' });
      }
      if (fault === 'socket-path') {
        // the L3 agent's proxy keeps the right path
        expect((await guest(lab('LAB_VM4_NETNS'))).code).toBe(0);
      }
    });
  });
});

describe("a guest that reads another instance's metadata", () => {
  // lab-stray (its port has no port security) takes lab-vm1's address as well and sends from it:
  // two machines with one address on one network, as with overlapping IPs or a stale port. The
  // agent finds lab-vm1's port, so under ML2/OVS lab-stray is served lab-vm1's metadata; under
  // ML2/OVN the answer is delivered to lab-vm1's port, which owns the address. Torn down after.
  const stray = () => lab('LAB_STRAY_NETNS');
  const vm1 = () => lab('LAB_VM1_NETNS');
  const ipIn = (ns: string, ...args: string[]) =>
    spawnSync('ip', ['netns', 'exec', ns, 'ip', ...args], { encoding: 'utf8' });
  let added = false;
  const restore = () => {
    if (!added) return;
    ipIn(stray(), 'route', 'replace', '169.254.169.254', 'via', '10.90.0.2', 'dev', 'eth0');
    ipIn(stray(), 'addr', 'del', `${lab('LAB_VM1_IP')}/32`, 'dev', 'eth0');
    ipIn(stray(), 'neigh', 'flush', 'dev', 'eth0');
    // lab-vm1 asks for the DHCP port again: the port's ARP entry for its address is lab-vm1's again
    ipIn(vm1(), 'neigh', 'flush', 'dev', 'eth0');
    added = false;
  };
  afterAll(restore);

  it('fails loudly, exit 3 (ML2/OVS: identity; ML2/OVN: no connection); lab-vm1 is healthy again after', async () => {
    const before = ipIn(stray(), '-j', 'route', 'get', '169.254.169.254');
    expect(before.stdout).toContain('"gateway":"10.90.0.2"');
    const add = ipIn(stray(), 'addr', 'add', `${lab('LAB_VM1_IP')}/32`, 'dev', 'eth0');
    expect(add.status, add.stderr).toBe(0);
    added = true;
    const via = ipIn(
      stray(),
      'route',
      'replace',
      '169.254.169.254',
      'via',
      '10.90.0.2',
      'dev',
      'eth0',
      'src',
      lab('LAB_VM1_IP'),
    );
    expect(via.status, via.stderr).toBe(0);
    ipIn(stray(), 'neigh', 'flush', 'dev', 'eth0');
    try {
      const r = await guest(stray());
      expect(r.code).toBe(3);
      expect(step(r.doc, 'route').evidence).toMatchObject({ src: lab('LAB_VM1_IP') });
      if (OVN) {
        // OVN knows which port owns the address: the proxy's answer goes to lab-vm1, not here
        expect(r.doc.diagnosis).toMatchObject({ step: 'tcp', code: 'CONNECT_TIMEOUT' });
      } else {
        expect(r.doc.diagnosis).toMatchObject({ step: 'identity', code: 'IDENTITY_MISMATCH' });
        expect(r.doc.diagnosis!.cause).toContain(lab('LAB_VM1_ID'));
        expect(step(r.doc, 'identity').evidence).toMatchObject({ uuid: lab('LAB_VM1_ID'), macMatch: false });
      }
    } finally {
      restore();
    }
    // bounded: the DHCP port relearns lab-vm1's MAC from its next ARP
    let back = await guest(vm1());
    for (let i = 0; i < 5 && back.code !== 0; i++) {
      await new Promise((ok) => setTimeout(ok, 2000));
      back = await guest(vm1());
    }
    expect(back.code).toBe(0);
  });
});
