import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BREAK_TIMEOUT, broken, lab, labFlavour, osmeta } from './lab.js';

// osmeta smoke against the lab's real Keystone, Nova, nova metadata API and metadata agent.

const secret = () => ({ OSMETA_SHARED_SECRET: lab('LAB_SECRET') });
// the agent's socket is asked as each flavour's proxy asks (see get.test.ts)
const OVN = labFlavour() === 'ovn';
interface Check {
  name: string;
  ok: boolean;
  detail: string;
  durationMs: number;
}
interface ServerJson {
  id: string;
  name: string;
  projectId: string;
  ok: boolean;
  checks: Check[];
}
const byName = (servers: ServerJson[], name: string) => servers.find((s) => s.name === name)!;

describe('osmeta smoke against the lab', () => {
  it('passes lab-vm1 and lab-vm2, with the JSON contract', async () => {
    const r = await osmeta(['--json', 'smoke', '--all-projects', lab('LAB_VM1_NAME'), lab('LAB_VM2_ID')], {
      env: secret(),
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ ok: true, summary: { total: 2, passed: 2, failed: 0 } });
    const vm1 = byName(doc.servers, lab('LAB_VM1_NAME'));
    expect(vm1).toMatchObject({ id: lab('LAB_VM1_ID'), projectId: lab('LAB_VM1_PROJECT_ID'), ok: true });
    expect(vm1.checks.map((c) => c.name)).toEqual([
      'versions',
      'meta_data.json',
      'network_data.json',
      'vendor_data.json',
      'vendor_data2.json',
    ]);
    for (const c of vm1.checks) expect(c.durationMs).toBeGreaterThanOrEqual(0);
    expect(r.stdout).not.toContain(lab('LAB_SECRET'));
  });

  it('fails lab-vm3 (its port is in another project) among all projects: exit 3, the cause named, JUnit written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'osmeta-smoke-'));
    const junit = join(dir, 'smoke.xml');
    const r = await osmeta(['smoke', '--all-projects', '--junit', junit], {
      env: { ...secret(), COLUMNS: '200' },
    });
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/✖ 1\/\d+ servers failed/);
    expect(r.stdout).toContain('lab-vm3');
    expect(r.stdout).toContain('network_data.json');
    const xml = await readFile(junit, 'utf8');
    expect(xml).toContain('<testcase classname="lab-vm3 (');
    expect(xml).toMatch(/<failure message="network_data.json has no links/);
  });

  it('fails every server with the signature named when the secret is wrong (exit 3)', async () => {
    const r = await osmeta(['--json', 'smoke', '--all-projects', lab('LAB_VM1_ID'), lab('LAB_VM2_ID')], {
      env: { OSMETA_SHARED_SECRET: 'not-the-secret' },
    });
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout);
    expect(doc.summary).toEqual({ total: 2, passed: 0, failed: 2 });
    for (const s of doc.servers as ServerJson[]) {
      const md = s.checks.find((c) => c.name === 'meta_data.json')!;
      expect(md.ok).toBe(false);
      expect(md.detail).toContain('nova rejected the signature (403)');
    }
  });

  it('asks through the agent with --via-socket, and names the port in the wrong project', async () => {
    const r = await osmeta(
      [
        '--json',
        'smoke',
        '--all-projects',
        '--via-socket',
        lab('LAB_SOCKET'),
        lab('LAB_VM1_ID'),
        lab('LAB_VM3_ID'),
      ],
      { env: secret() },
    );
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout);
    const vm1 = byName(doc.servers, lab('LAB_VM1_NAME'));
    expect(vm1.checks.find((c) => c.name === 'socket')).toMatchObject({
      ok: true,
      detail: `the agent found the port and nova accepted its signature${OVN ? ` (as OVN network ${lab('LAB_NETWORK_ID')})` : ''}`,
    });
    const vm3 = byName(doc.servers, lab('LAB_VM3_NAME'));
    const sock = vm3.checks.find((c) => c.name === 'socket')!;
    expect(sock.ok).toBe(false);
    expect(sock.detail).toContain(
      `belongs to project ${lab('LAB_VM3_PORT_PROJECT_ID')}, the instance to ${lab('LAB_VM3_PROJECT_ID')}`,
    );
  });

  it("asks for lab-vm4 through the agent as its proxy does: its router's (ML2/OVS), its network's (ML2/OVN)", async () => {
    const r = await osmeta(
      ['--json', 'smoke', '--all-projects', '--via-socket', lab('LAB_SOCKET'), lab('LAB_VM4_ID')],
      { env: secret() },
    );
    expect(r.code, r.stderr).toBe(0);
    const vm4 = byName(JSON.parse(r.stdout).servers, lab('LAB_VM4_NAME'));
    expect(vm4.checks.find((c) => c.name === 'socket')).toMatchObject({
      ok: true,
      detail: `the agent found the port and nova accepted its signature (as ${OVN ? `OVN network ${lab('LAB_ROUTED_NETWORK_ID')}` : `router ${lab('LAB_ROUTER_ID')}`})`,
    });
  });

  it(
    'fails the socket check with the agent stopped',
    async () => {
      const r = await broken(OVN ? 'ovn-metadata-agent' : 'agent', () =>
        osmeta(['--json', 'smoke', '--all-projects', '--via-socket', lab('LAB_SOCKET'), lab('LAB_VM1_ID')], {
          env: secret(),
        }),
      );
      expect(r.code).toBe(3);
      const sock = (JSON.parse(r.stdout).servers[0] as ServerJson).checks.find((c) => c.name === 'socket')!;
      expect(sock.ok).toBe(false);
      expect(sock.detail).toMatch(/nothing listens on the socket/);
    },
    BREAK_TIMEOUT,
  );

  it('exits 4 when Keystone rejects the credentials', async () => {
    const r = await osmeta(['smoke'], {
      cleanEnv: true,
      env: {
        ...secret(),
        OS_AUTH_URL: 'http://127.0.0.1:5000/v3',
        OS_USERNAME: 'admin',
        OS_PASSWORD: 'wrong-password',
        OS_PROJECT_NAME: 'admin',
        OS_USER_DOMAIN_NAME: 'Default',
        OS_PROJECT_DOMAIN_NAME: 'Default',
        XDG_CACHE_HOME: await mkdtemp(join(tmpdir(), 'osmeta-cache-')),
      },
    });
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toContain('wrong-password');
  });

  it('exits 1 when the metadata API does not answer', async () => {
    const r = await osmeta(['smoke', '--metadata-url', 'http://127.0.0.1:9', lab('LAB_VM1_ID')], {
      env: secret(),
    });
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toMatch(
      /^error: nova's metadata API at http:\/\/127.0.0.1:9 does not answer/,
    );
  });
});
