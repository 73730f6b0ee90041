import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolRequired } from '../helpers/ci.js';
import { UNIT_DIR } from '../helpers/unit-file.js';

// systemd's own check of the units the .deb installs, in a scratch root that holds systemd's
// units, the two of ours and /usr/bin/osmeta (verify checks that ExecStart exists). No systemd
// runs here: verify only loads the files. CI (CI=true or 1, or OSMETA_REQUIRE_SYSTEMD_ANALYZE=1) fails
// without systemd-analyze instead of skipping.

const ANALYZE = '/usr/bin/systemd-analyze';
const UNITS = ['osmeta-trace.service', 'osmeta-trace.timer'];
const available = existsSync(ANALYZE) && existsSync('/lib/systemd/system/sysinit.target');
if (!available && toolRequired('SYSTEMD_ANALYZE')) {
  throw new Error('systemd-analyze is required (apt-get install systemd)');
}

const run = promisify(execFile);
let root = '';

async function verify(files: string[]): Promise<{ code: number; stderr: string }> {
  try {
    const r = await run(ANALYZE, ['verify', '--man=no', `--root=${root}`, ...files], { timeout: 30_000 });
    return { code: 0, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stderr: e.stderr ?? String(err) };
  }
}

describe.skipIf(!available)('systemd-analyze verify', () => {
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'osmeta-units-'));
    await mkdir(join(root, 'usr/bin'), { recursive: true });
    await mkdir(join(root, 'lib/systemd'), { recursive: true });
    await writeFile(join(root, 'usr/bin/osmeta'), '#!/bin/sh\n');
    await chmod(join(root, 'usr/bin/osmeta'), 0o755);
    await cp('/lib/systemd/system', join(root, 'lib/systemd/system'), { recursive: true });
    for (const u of UNITS) await cp(new URL(u, UNIT_DIR), join(root, 'lib/systemd/system', u));
  });
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('accepts the service and the timer without a single warning', async () => {
    const r = await verify(UNITS.map((u) => join(root, 'lib/systemd/system', u)));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('would notice a misspelt option or a bad value (verify warns and still exits 0)', async () => {
    const bad = join(root, 'lib/systemd/system', 'osmeta-trace.service');
    const good = await readFile(bad, 'utf8');
    try {
      await writeFile(bad, good.replace('ProtectSystem=strict', 'ProtectSystem=stricter'));
      const r = await verify([bad]);
      expect(r.stderr).toContain('protect system value');
    } finally {
      await writeFile(bad, good);
    }
  });
});
