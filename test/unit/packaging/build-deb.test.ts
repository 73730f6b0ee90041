import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolRequired } from '../../helpers/ci.js';
import { nodeBin, spawnEnv } from '../../helpers/context.js';

// scripts/build-deb.mjs packing a stand-in executable (the real one takes minutes to build): what
// lands where in the .deb, with which mode, and what the maintainer scripts do.

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const available = existsSync('/usr/bin/dpkg-deb');
if (!available && toolRequired('DPKG_DEB')) throw new Error('dpkg-deb is required');

let dir = '';
let deb = '';
let listing: string[] = [];

beforeAll(async () => {
  if (!available) return;
  dir = await mkdtemp(join(tmpdir(), 'osmeta-deb-'));
  await writeFile(
    join(dir, 'osmeta'),
    '#!/bin/sh\n[ "$1" = completion ] && { echo "# osmeta $2 completion"; exit 0; }\necho "Usage: osmeta [options] [command]"\n',
  );
  await chmod(join(dir, 'osmeta'), 0o755);
  await run(nodeBin(), [join(ROOT, 'scripts/build-deb.mjs')], {
    env: {
      ...spawnEnv(),
      OSMETA_DEB_EXECUTABLE: join(dir, 'osmeta'),
      OSMETA_DEB_OUTDIR: join(dir, 'out'),
    },
  });
  const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
  deb = join(dir, 'out', `osmeta_${version}_amd64.deb`);
  listing = (await run('dpkg-deb', ['-c', deb])).stdout.trim().split('\n');
  await run('dpkg-deb', ['-x', deb, join(dir, 'root')]);
  await run('dpkg-deb', ['-e', deb, join(dir, 'control')]);
}, 60_000);
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const entry = (path: string) => {
  const line = listing.find((l) => l.endsWith(` ./${path}`));
  expect(line, path).toBeDefined();
  return line!.split(/\s+/)[0];
};

describe.skipIf(!available)('build-deb', () => {
  it.each([
    ['usr/bin/osmeta', '-rwxr-xr-x'],
    ['lib/systemd/system/osmeta-trace.service', '-rw-r--r--'],
    ['lib/systemd/system/osmeta-trace.timer', '-rw-r--r--'],
    ['usr/share/doc/osmeta/prometheus.md', '-rw-r--r--'],
    ['usr/share/doc/osmeta/examples/osmeta-rules.yml', '-rw-r--r--'],
    ['usr/share/bash-completion/completions/osmeta', '-rw-r--r--'],
    ['usr/share/zsh/vendor-completions/_osmeta', '-rw-r--r--'],
    ['usr/share/fish/vendor_completions.d/osmeta.fish', '-rw-r--r--'],
  ])('installs %s (%s, root-owned)', (path, mode) => {
    expect(entry(path)).toBe(mode);
    expect(listing.find((l) => l.endsWith(` ./${path}`))).toContain(' root/root ');
  });

  it('installs the units and the rules as they are in the source tree', async () => {
    for (const [from, to] of [
      ['packaging/systemd/osmeta-trace.service', 'lib/systemd/system/osmeta-trace.service'],
      ['packaging/systemd/osmeta-trace.timer', 'lib/systemd/system/osmeta-trace.timer'],
      ['docs/alerts/osmeta-rules.yml', 'usr/share/doc/osmeta/examples/osmeta-rules.yml'],
    ]) {
      expect(await readFile(join(dir, 'root', to!), 'utf8')).toBe(await readFile(join(ROOT, from!), 'utf8'));
    }
  });

  it("installs each shell's completion as the executable prints it (osmeta completion <shell>)", async () => {
    for (const [shell, path] of [
      ['bash', 'usr/share/bash-completion/completions/osmeta'],
      ['zsh', 'usr/share/zsh/vendor-completions/_osmeta'],
      ['fish', 'usr/share/fish/vendor_completions.d/osmeta.fish'],
    ]) {
      expect(await readFile(join(dir, 'root', path!), 'utf8')).toBe(`# osmeta ${shell} completion\n`);
    }
  });

  it('enables nothing: no wants symlink in the package, no enable or start in its scripts', async () => {
    expect(listing.filter((l) => l.includes('.wants/'))).toEqual([]);
    for (const s of ['postinst', 'prerm', 'postrm']) {
      const text = await readFile(join(dir, 'control', s), 'utf8');
      expect(text.startsWith('#!/bin/sh\nset -e\n')).toBe(true);
      const code = text
        .split('\n')
        .filter((l) => !l.trim().startsWith('#'))
        .join('\n');
      expect(code).not.toMatch(/\b(enable|start|restart)\b/);
      expect((await run('sh', ['-n', join(dir, 'control', s)])).stderr).toBe('');
    }
  });

  it('stops the timer on removal and drops the metrics file it wrote; daemon-reload only where systemd runs', async () => {
    const prerm = await readFile(join(dir, 'control', 'prerm'), 'utf8');
    expect(prerm).toContain('systemctl --system stop osmeta-trace.timer osmeta-trace.service');
    const postrm = await readFile(join(dir, 'control', 'postrm'), 'utf8');
    expect(postrm).toContain('rm -f /var/lib/prometheus/node-exporter/osmeta.prom');
    expect(postrm).toContain('rm -f /etc/systemd/system/timers.target.wants/osmeta-trace.timer');
    for (const s of [prerm, postrm, await readFile(join(dir, 'control', 'postinst'), 'utf8')]) {
      for (const line of s.split('\n').filter((l) => l.trim().startsWith('systemctl'))) {
        expect(s.slice(0, s.indexOf(line))).toContain('[ -d /run/systemd/system ]');
      }
    }
  });

  it('runs its maintainer scripts cleanly where systemd does not run', async () => {
    // without /run/systemd/system (this machine, a container) they must do nothing and exit 0
    for (const [s, arg] of [
      ['postinst', 'configure'],
      ['prerm', 'upgrade'],
    ]) {
      const r = await run('sh', [join(dir, 'control', s!), arg!]);
      expect(r.stdout + r.stderr).toBe('');
    }
  });
});
