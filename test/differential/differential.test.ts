import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASES, type Case } from './cases.js';
import { FakeCloud, makeTls, type Tls } from './fake-cloud.js';
import { type Outcome, REFERENCE_PYTHON, runOsmeta, runReference, type ToolRun } from './harness.js';

// osmeta against `openstack` (Debian 12: python3-openstackclient 6.0, python3-openstacksdk 0.101,
// python3-keystoneauth1 5.0): the same configuration, the same fake Keystone and Nova, the same
// answer — the Keystone request body, the nova endpoint, proxy and client-certificate use, and the
// stage at which a run stops. Differences on purpose are listed in cases.ts with their reason.

const env = process.env;
// OSMETA_DIFFERENTIAL_ONLY=regex: run the matching cases only (while working on them)
const only = env.OSMETA_DIFFERENTIAL_ONLY;
const SELECTED = only ? CASES.filter((c) => new RegExp(only).test(c.id)) : CASES;
const CONCURRENCY = 4;

function referenceAvailable(): string | undefined {
  if (!existsSync(REFERENCE_PYTHON)) return `${REFERENCE_PYTHON} is missing`;
  const r = spawnSync(
    REFERENCE_PYTHON,
    ['-c', 'import openstackclient.shell, openstack.config.loader, keystoneauth1, novaclient'],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) return `the reference libraries do not import: ${r.stderr.trim().split('\n').at(-1)}`;
  const v = spawnSync('/usr/bin/openstack', ['--version'], { encoding: 'utf8' });
  if (!`${v.stdout}${v.stderr}`.includes('openstack 6.')) return `openstack 6.x is not /usr/bin/openstack`;
  return undefined;
}

const missing = referenceAvailable();
// in CI a missing reference is a failure, not a skip
if (missing && env.CI)
  throw new Error(`differential: ${missing} (apt-get install python3-openstackclient python3-openstacksdk)`);

/** Outcome fields compared: what the servers saw. */
function comparable(o: Outcome): Outcome {
  return JSON.parse(JSON.stringify(o)) as Outcome;
}

async function pool<T>(items: T[], n: number, f: (t: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: n }, async () => {
      for (let t = queue.shift(); t !== undefined; t = queue.shift()) await f(t);
    }),
  );
}

describe.skipIf(missing !== undefined)('osmeta resolves clouds.yaml and OS_* as openstack(1) does', () => {
  let tmp: string;
  let tls: Tls;
  let cloud: FakeCloud;
  const osc = new Map<string, ToolRun>();
  const osmeta = new Map<string, ToolRun>();

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'osmeta-differential-'));
    tls = makeTls(`${tmp}/tls`);
    cloud = new FakeCloud(tls);
    await cloud.start();
    const ids = new Set<string>();
    for (const c of CASES) {
      if (ids.has(c.id)) throw new Error(`duplicate case id ${c.id}`);
      ids.add(c.id);
    }
    const [ref] = await Promise.all([
      runReference(cloud, tls, tmp, SELECTED),
      pool(SELECTED, CONCURRENCY, async (c) => {
        osmeta.set(c.id, await runOsmeta(cloud, tls, tmp, c));
      }),
    ]);
    for (const [k, v] of ref) osc.set(k, v);
  }, 600_000);

  afterAll(async () => {
    // OSMETA_DIFFERENTIAL_REPORT=file.json: both sides of every case, for reading the differences
    if (env.OSMETA_DIFFERENTIAL_REPORT) {
      const rows = SELECTED.map((c) => ({ id: c.id, openstack: osc.get(c.id), osmeta: osmeta.get(c.id) }));
      writeFileSync(env.OSMETA_DIFFERENTIAL_REPORT, JSON.stringify(rows, null, 1));
    }
    await cloud?.stop();
    if (tmp && !env.OSMETA_KEEP_DIFFERENTIAL) rmSync(tmp, { recursive: true, force: true });
  });

  it('has a table of at least a hundred configurations', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(100);
  });

  it.each(SELECTED.map((c) => [c.id, c] as [string, Case]))('%s', (_id, c) => {
    const ref = osc.get(c.id);
    const ours = osmeta.get(c.id);
    expect(ref, 'the reference ran').toBeDefined();
    expect(ours, 'osmeta ran').toBeDefined();
    if (!ref || !ours) return;
    const a = comparable(ref.outcome);
    const b = comparable(ours.outcome);
    const context = `\n  openstack: ${JSON.stringify(a)} (${ref.detail})\n  osmeta:    ${JSON.stringify(b)} (${ours.detail})`;
    // the exit status follows the stage: success exactly when nova was reached
    expect(ref.ok, `openstack's exit status${context}`).toBe(a.stage === 'nova');
    expect(ours.ok, `osmeta's result${context}`).toBe(b.stage === 'nova');
    expect(ours.detail, `osmeta failed unexpectedly${context}`).not.toMatch(/^UNEXPECTED|INTERNAL_ERROR/);
    if (c.differs) {
      expect(b, `the recorded difference (${c.differs.reason})${context}`).toMatchObject(c.differs.osmeta);
      expect(b, `the recorded difference no longer differs${context}`).not.toEqual(a);
    } else {
      expect(b, `an unexplained difference${context}`).toEqual(a);
    }
  });
});
