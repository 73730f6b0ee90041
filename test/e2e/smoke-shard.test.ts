import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lab, osmeta } from './lab.js';

// smoke --shard K/N against the lab's real nova: three runners, each its own JUnit and JSON; the
// union is every server of the cloud exactly once. Read-only.

const env = () => ({ OSMETA_SHARED_SECRET: lab('LAB_SECRET') });
interface SmokeJson {
  summary: { total: number };
  servers: Array<{ id: string }>;
}

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'osmeta-e2e-shard-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('osmeta smoke --shard against the lab', () => {
  it('three shards check every server once', async () => {
    const all = await osmeta(['--json', 'smoke', '--all-projects'], { env: env(), timeoutMs: 300_000 });
    const every = (JSON.parse(all.stdout) as SmokeJson).servers.map((s) => s.id).sort();
    expect(every.length).toBeGreaterThan(1);
    const seen: string[] = [];
    for (const k of [1, 2, 3]) {
      const junit = join(dir, `smoke-${k}.xml`);
      const r = await osmeta(['--json', 'smoke', '--all-projects', '--shard', `${k}/3`, '--junit', junit], {
        env: env(),
        timeoutMs: 300_000,
      });
      expect([0, 3], r.stderr).toContain(r.code);
      const doc = JSON.parse(r.stdout) as SmokeJson;
      const ids = doc.servers.map((s) => s.id);
      const xml = await readFile(junit, 'utf8');
      for (const id of ids) expect(xml).toContain(id);
      for (const id of every.filter((x) => !ids.includes(x))) expect(xml).not.toContain(id);
      seen.push(...ids);
    }
    expect(seen.sort()).toEqual(every);
  }, 900_000);
});
