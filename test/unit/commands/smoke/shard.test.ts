import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inShard, parseShard, shardOf } from '../../../../src/commands/smoke/shard.js';
import { OsmetaError } from '../../../../src/errors.js';
import { runCli } from '../../../helpers/context.js';
import { parseExposition } from '../../../helpers/exposition-parser.js';
import { mockCloud } from '../../../helpers/mock-cloud.js';
import { FX, keystoneToken } from '../../../helpers/openstack-fixtures.js';

describe('parseShard', () => {
  it.each([
    ['1/1', { index: 1, count: 1 }],
    ['2/4', { index: 2, count: 4 }],
    ['1000/1000', { index: 1000, count: 1000 }],
  ])('reads %s', (v, want) => {
    expect(parseShard(v)).toEqual(want);
  });

  it.each(['0/4', '5/4', '1/0', '1/1001', '2', '2/', '/4', '-1/4', '1.5/4', 'a/b', '2/4/8', ''])(
    "refuses '%s' as a usage error",
    (v) => {
      let err: unknown;
      try {
        parseShard(v);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(OsmetaError);
      expect((err as OsmetaError).exitCode).toBe(2);
      expect((err as OsmetaError).message).toBe(
        `--shard takes K/N with 1 ≤ K ≤ N ≤ 1000 (this runner's number, the number of runners), not '${v}'`,
      );
    },
  );
});

describe('shardOf', () => {
  it('is the first 8 hex digits of the ID’s SHA-256, mod N, plus 1', () => {
    // sha256("cc44da1b-…") starts f9b37ff6 = 4189290486; sha256("dd55eb2c-…") starts 401f81c8 = 1075806664
    expect(shardOf('cc44da1b-aa6c-4ab2-926d-31aa6e134fb0', 4)).toBe((4189290486 % 4) + 1);
    expect(shardOf('dd55eb2c-bb7d-4bc3-a37e-42bb7f245fc1', 4)).toBe((1075806664 % 4) + 1);
    expect(shardOf('dd55eb2c-bb7d-4bc3-a37e-42bb7f245fc1', 7)).toBe((1075806664 % 7) + 1);
    expect(shardOf('anything', 1)).toBe(1);
  });

  it('keeps the given order within a shard, and everything without one', () => {
    const servers = Array.from({ length: 50 }, (_, i) => ({ id: `server-${i}` }));
    expect(inShard(servers, undefined)).toEqual(servers);
    const two = inShard(servers, { index: 2, count: 3 });
    expect(two.length).toBeGreaterThan(0);
    expect(two).toEqual(servers.filter((s) => two.includes(s)));
  });
});

// A fake nova with thousands of servers (listed 1000 a page, as nova does), and a metadata API
// that answers every document 404: each server is reported, failed, once.

const SECRET = 'lab-shared-s3cr3t';
const TOKEN = 'gAAAAB-keystone-token';
const PROJECTS = [FX.demo, FX.alt];
const uuid = (i: number) => {
  const h = i.toString(16).padStart(12, '0');
  return `5e7a0000-0000-4000-8000-${h}`;
};

let dir = '';
let agent: MockAgent;
let env: Record<string, string>;

beforeEach(() => {
  ({ dir, agent, env } = mockCloud('osmeta-shard-', {
    secret: SECRET,
    password: 'admin-pa55word',
    extraEnv: { OSMETA_METADATA_URL: FX.metadata },
  }));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function fakeCloud(count: number) {
  const ids = Array.from({ length: count }, (_, i) => uuid(i));
  agent
    .get(FX.keystone)
    .intercept({ path: '/v3/auth/tokens', method: 'POST' })
    .reply(keystoneToken(TOKEN, new Date(Date.now() + 3600_000)))
    .persist();
  agent
    .get(FX.nova)
    .intercept({
      path: (p) => p.startsWith('/v2.1/servers/detail?'),
      headers: { 'x-auth-token': TOKEN },
    })
    .reply((req) => {
      const q = new URL(req.path, FX.nova).searchParams;
      const limit = Number(q.get('limit'));
      const marker = q.get('marker');
      const from = marker ? ids.indexOf(marker) + 1 : 0;
      const page = ids.slice(from, from + limit);
      const servers = page.map((id, i) => ({
        id,
        name: `vm-${from + i}`,
        status: 'ACTIVE',
        tenant_id: PROJECTS[(from + i) % 2],
        addresses: {},
      }));
      const links =
        from + limit < ids.length
          ? [{ rel: 'next', href: `${FX.nova}/v2.1/servers/detail?marker=${page.at(-1)}` }]
          : [];
      return {
        statusCode: 200,
        data: JSON.stringify({ servers, servers_links: links }),
        responseOptions: { headers: { 'content-type': 'application/json' } },
      };
    })
    .persist();
  agent.get(FX.metadata).intercept({ path: '/' }).reply(200, 'latest\n').persist();
  agent
    .get(FX.metadata)
    .intercept({ path: (p) => p.startsWith('/openstack') })
    .reply(404, 'Not Found', { headers: { 'content-type': 'text/plain' } })
    .persist();
  return ids;
}

const smoke = (args: string[]) => runCli(['smoke', ...args], { env, dispatcher: agent });

interface SmokeJson {
  summary: { total: number };
  servers: Array<{ id: string }>;
}

describe('osmeta smoke --shard K/N', () => {
  it('splits 2,000 servers over 3 runners: each its own JUnit and JSON, the union every server once', async () => {
    const ids = fakeCloud(2000);
    const seen: string[] = [];
    for (const k of [1, 2, 3]) {
      const junit = join(dir, `smoke-${k}.xml`);
      const r = await smoke([
        '--all-projects',
        '--retries',
        '0',
        '--concurrency',
        '64',
        '--shard',
        `${k}/3`,
        '--junit',
        junit,
        '--json',
      ]);
      expect(r.code).toBe(3);
      const doc = JSON.parse(r.stdout) as SmokeJson;
      const mine = doc.servers.map((s) => s.id);
      expect(doc.summary.total).toBe(mine.length);
      // a third each, give or take: the hash spreads them
      expect(mine.length).toBeGreaterThan(560);
      expect(mine.length).toBeLessThan(780);
      expect(mine.every((id) => shardOf(id, 3) === k)).toBe(true);
      const xml = readFileSync(junit, 'utf8');
      const cases = new Set([...xml.matchAll(/5e7a0000-0000-4000-8000-[0-9a-f]{12}/g)].map((m) => m[0]));
      expect([...cases].sort()).toEqual([...mine].sort());
      seen.push(...mine);
    }
    expect(seen).toHaveLength(ids.length);
    expect(new Set(seen).size).toBe(ids.length);
    expect([...seen].sort()).toEqual([...ids].sort());
  }, 120_000);

  it('--shard 1/1 checks every server', async () => {
    const ids = fakeCloud(120);
    const r = await smoke(['--all-projects', '--retries', '0', '--shard', '1/1', '--json']);
    expect((JSON.parse(r.stdout) as SmokeJson).servers.map((s) => s.id)).toEqual(ids);
  });

  it('exits 2 for --shard with --limit, before any request', async () => {
    const r = await smoke(['--all-projects', '--shard', '1/2', '--limit', '10']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe(
      'error: --shard splits the whole list of servers: it takes no --limit',
    );
  });

  it('exits 2 for a malformed --shard', async () => {
    const r = await smoke(['--all-projects', '--shard', '4/3']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("not '4/3'");
    expect(r.stderr).toContain('hint: e.g. --shard 2/4 on the second of four runners');
  });
});

describe('osmeta smoke --prometheus', () => {
  it('writes the run as metrics to a file, labelled by server and project ID, never by name', async () => {
    const ids = fakeCloud(5);
    const file = join(dir, 'smoke.prom');
    const r = await smoke(['--all-projects', '--retries', '0', '--prometheus', file]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('✖ 5/5 servers failed');
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('vm-');
    const fams = new Map(parseExposition(text).map((f) => [f.name, f.samples]));
    expect(fams.get('osmeta_smoke_servers_checked')?.[0]?.value).toBe(5);
    expect(fams.get('osmeta_smoke_servers_failed')?.[0]?.value).toBe(5);
    expect(fams.get('osmeta_smoke_ok')?.[0]?.value).toBe(0);
    const ok = fams.get('osmeta_smoke_check_ok') ?? [];
    expect(ok).toHaveLength(25);
    expect(ok.filter((s) => s.labels.check === 'meta_data.json').map((s) => s.value)).toEqual([
      0, 0, 0, 0, 0,
    ]);
    expect(
      ok.find((s) => s.labels.server_id === ids[1] && s.labels.check === 'meta_data.json')?.labels,
    ).toEqual({
      server_id: ids[1],
      project_id: FX.alt,
      check: 'meta_data.json',
    });
  });

  it("'-' writes the metrics alone to stdout", async () => {
    fakeCloud(2);
    const r = await smoke(['--all-projects', '--retries', '0', '--prometheus', '-']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^# HELP osmeta_smoke_/);
    expect(r.stdout).not.toContain('servers failed');
    const fams = new Map(parseExposition(r.stdout).map((f) => [f.name, f.samples]));
    expect(fams.get('osmeta_smoke_servers_checked')?.[0]?.value).toBe(2);
  });

  it('exits 2 for --prometheus - with --json', async () => {
    const r = await smoke(['--all-projects', '--prometheus', '-', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'CONFLICTING_OPTIONS', exitCode: 2 } });
  });
});
