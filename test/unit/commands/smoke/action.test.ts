import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signInstanceId } from '../../../../src/signature.js';
import { runCli } from '../../../helpers/context.js';
import { mockCloud } from '../../../helpers/mock-cloud.js';
import { FX, httpFixture, keystoneToken, replyWith } from '../../../helpers/openstack-fixtures.js';

// osmeta smoke through the in-process CLI, against undici's MockAgent (Keystone, nova, the metadata API).

const SECRET = 'lab-shared-s3cr3t';
const PASSWORD = 'admin-pa55word';
const TOKEN = 'gAAAAB-keystone-token';
const VM2 = 'dd55eb2c-bb7d-4bc3-a37e-42bb7f245fc1';

let dir = '';
let agent: MockAgent;
let env: Record<string, string>;

beforeEach(() => {
  ({ dir, agent, env } = mockCloud('osmeta-smoke-', {
    secret: SECRET,
    password: PASSWORD,
    extraEnv: { OSMETA_METADATA_URL: FX.metadata },
  }));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function keystone() {
  agent
    .get(FX.keystone)
    .intercept({ path: '/v3/auth/tokens', method: 'POST' })
    .reply(keystoneToken(TOKEN, new Date(Date.now() + 3600_000)));
}

/** nova's server show for vm1, and the same server under another ID. */
function novaServers() {
  agent
    .get(FX.nova)
    .intercept({ path: `/v2.1/servers/${FX.vm1}`, headers: { 'x-auth-token': TOKEN } })
    .reply(replyWith('api/nova-server-show.200.http'));
  const f = httpFixture('api/nova-server-show.200.http');
  const body = f.body.toString('utf8').replaceAll(FX.vm1, VM2).replace('"lab-vm1"', '"lab-vm2"');
  agent
    .get(FX.nova)
    .intercept({ path: `/v2.1/servers/${VM2}`, headers: { 'x-auth-token': TOKEN } })
    .reply(200, body, { headers: { 'content-type': 'application/json' } });
}

const PATHS = [
  '/openstack',
  '/openstack/latest/meta_data.json',
  '/openstack/latest/network_data.json',
  '/openstack/latest/vendor_data.json',
  '/openstack/latest/vendor_data2.json',
];

/** The metadata API: reachable, and 404 for every document of both servers; vm1's answers come late. */
function metadata404(delayForVm1: number) {
  agent.get(FX.metadata).intercept({ path: '/' }).reply(200, 'latest\n');
  for (const id of [FX.vm1, VM2]) {
    for (const path of PATHS) {
      const reply = agent
        .get(FX.metadata)
        .intercept({
          path,
          headers: { 'x-instance-id': id, 'x-instance-id-signature': signInstanceId(SECRET, id) },
        })
        .reply(404, 'Not Found', { headers: { 'content-type': 'text/plain' } });
      if (id === FX.vm1 && delayForVm1 > 0) reply.delay(delayForVm1);
    }
  }
}

const smoke = (args: string[]) => runCli(['smoke', ...args], { env, dispatcher: agent });

describe('osmeta smoke', () => {
  it('rejects servers together with --project: exit 2, one line, no request', async () => {
    const r = await smoke(['--project', 'demo', 'lab-vm1']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe('error: give servers or --project, not both');
    agent.assertNoPendingInterceptors();
  });

  it('reports servers in the order they were given, not the order they finished in', async () => {
    keystone();
    novaServers();
    metadata404(150);
    const r = await smoke(['--json', '--retries', '0', FX.vm1, VM2]);
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout) as { ok: boolean; servers: { id: string; ok: boolean }[] };
    expect(doc.ok).toBe(false);
    expect(doc.servers.map((s) => s.id)).toEqual([FX.vm1, VM2]);
    expect(doc.servers.every((s) => !s.ok)).toBe(true);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    agent.assertNoPendingInterceptors();
  });

  it('a table when piped, with the verdict, and exit 3 when a server fails', async () => {
    keystone();
    novaServers();
    metadata404(0);
    const r = await smoke(['--retries', '0', VM2, FX.vm1]);
    expect(r.code).toBe(3);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^SERVER\s+PROJECT\s+CHECKS/);
    expect(lines.findIndex((l) => l.startsWith('lab-vm2'))).toBeLessThan(
      lines.findIndex((l) => l.startsWith('lab-vm1')),
    );
    expect(r.stdout).toContain('✖ 2/2 servers failed');
    expect(r.stderr).toBe('');
  });
});

describe('osmeta smoke --via-socket (a real HTTP server on a temp UNIX socket)', () => {
  const serve = async (seen: Record<string, unknown>[]) => {
    const { createServer } = await import('node:http');
    const meta = httpFixture('nova-metadata/openstack-latest-meta_data.json.200.http').body.toString();
    const server = createServer((req, res) => {
      seen.push({ ...req.headers, path: req.url });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(meta);
    });
    const socket = join(dir, 'metadata_proxy');
    await new Promise<void>((ok) => server.listen(socket, ok));
    return { socket, close: () => new Promise((ok) => server.close(ok)) };
  };
  const neutron = (networkPorts: Record<string, string>[]) => {
    agent
      .get(FX.neutron)
      .intercept({ path: (p: string) => p.startsWith('/v2.0/ports?') && p.includes(`device_id=${FX.vm1}`) })
      .reply(replyWith('api/neutron-ports-by-device_id.200.http'));
    agent
      .get(FX.neutron)
      .intercept({
        path: (p: string) => p.startsWith('/v2.0/ports?') && p.includes(`network_id=${FX.network}`),
      })
      .reply(200, JSON.stringify({ ports: networkPorts }));
  };
  const socketCheck = (stdout: string) =>
    (
      JSON.parse(stdout) as { servers: { checks: { name: string; ok: boolean; detail: string }[] }[] }
    ).servers[0]!.checks.find((c) => c.name === 'socket')!;

  it.each([
    [
      'ML2/OVN (the network has a network:distributed port): X-OVN-Network-ID, whatever the routers',
      [
        { id: 'p-r', network_id: FX.network, device_id: 'r-1', device_owner: 'network:router_interface' },
        {
          id: 'p-md',
          network_id: FX.network,
          device_id: `ovnmeta-${FX.network}`,
          device_owner: 'network:distributed',
        },
      ],
      'x-ovn-network-id',
      FX.network,
      `(as OVN network ${FX.network})`,
    ],
    [
      'ML2/OVS, a routed network: X-Neutron-Router-ID',
      [{ id: 'p-r', network_id: FX.network, device_id: 'r-1', device_owner: 'network:router_interface' }],
      'x-neutron-router-id',
      'r-1',
      '(as router r-1)',
    ],
    ['ML2/OVS, an isolated network: X-Neutron-Network-ID', [], 'x-neutron-network-id', FX.network, undefined],
  ])('%s', async (_what, ports, header, value, suffix) => {
    const seen: Record<string, unknown>[] = [];
    const s = await serve(seen);
    try {
      keystone();
      novaServers();
      metadata404(0);
      neutron(ports);
      const r = await smoke(['--json', '--retries', '0', '--via-socket', s.socket, FX.vm1]);
      expect(r.code).toBe(3);
      const c = socketCheck(r.stdout);
      expect(c.ok).toBe(true);
      if (suffix) expect(c.detail.endsWith(suffix)).toBe(true);
      else expect(c.detail).not.toMatch(/\(as /);
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({
        path: '/openstack/latest/meta_data.json',
        'x-forwarded-for': FX.vm1Ip,
        [header]: value,
      });
      const others = ['x-ovn-network-id', 'x-neutron-router-id', 'x-neutron-network-id'].filter(
        (h) => h !== header,
      );
      for (const h of others) expect(seen[0]![h]).toBeUndefined();
    } finally {
      await s.close();
    }
  });
});
