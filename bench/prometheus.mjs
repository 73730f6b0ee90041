// trace --all --prometheus on a scaled-up lab (issue 16): over 1,000 namespaces (lab/scale-netns
// 1000) the goal is < 5 s wall, max RSS reported; the systemd timer's command over 200 namespaces
// must cost < 2 s of CPU (user + sys, /usr/bin/time). Measurements, not timed tests. The scaled
// namespaces change the shared lab: the whole scale-up / measure / scale-down runs under
// /run/osmeta-e2e.lock, and the scale namespaces are removed whatever happens.
//   BENCH_ROUNDS (default 3) runs per size; BENCH_PROM_SIZES (default "200,1000",
//   ascending is fastest);
//   OSMETA_BASE_BIN: a second osmeta (e.g. a build of an older commit, "node /path/bin/osmeta.js")
//   measured in the same rounds, alternating with this one (paired runs);
//   OSMETA_LAB_DIR: the lab scripts to use (default: this checkout's lab/)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labEnv, median } from './lib.mjs';

const self = fileURLToPath(import.meta.url);
const root = fileURLToPath(new URL('..', import.meta.url));
const LOCK = '/run/osmeta-e2e.lock';

// -o: the lab daemons scale-netns starts must not inherit the lock's descriptor
if (process.env.OSMETA_BENCH_LOCK_HELD !== '1') {
  const r = spawnSync('flock', ['-o', '-w', '1500', LOCK, process.execPath, self, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, OSMETA_BENCH_LOCK_HELD: '1' },
  });
  process.exit(r.status ?? 1);
}

const osmeta = process.env.OSMETA_BIN ? [process.env.OSMETA_BIN] : [process.execPath, `${root}bin/osmeta.js`];
const base = process.env.OSMETA_BASE_BIN ? process.env.OSMETA_BASE_BIN.split(' ') : undefined;
const labDir = (process.env.OSMETA_LAB_DIR ?? `${root}lab`).replace(/\/+$/, '');
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const sizes = (process.env.BENCH_PROM_SIZES ?? '200,1000').split(',').map(Number);

const lab = labEnv(root, labDir);
if (lab === undefined) {
  console.log('lab not up (lab/up): prometheus benchmark skipped');
  process.exit(0);
}
const env = { ...process.env, ...lab, NO_COLOR: '1' };

function labScript(...args) {
  const t0 = performance.now();
  const r = spawnSync(`${labDir}/${args[0]}`, args.slice(1), { encoding: 'utf8', timeout: 40 * 60_000 });
  if (r.status !== 0) throw new Error(`lab/${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
  console.log(`lab/${args.join(' ')}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/** One run under /usr/bin/time: wall, user, sys (s) and max RSS (MiB) of the osmeta process (and its children). */
function timed(cmd, args) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', ...cmd, ...args], {
    env,
    encoding: 'utf8',
    timeout: 300_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const last = r.stderr.trim().split('\n').at(-1) ?? '';
  const [wall, user, sys, rssKiB] = last.split(' ').map(Number);
  if (![0, 3].includes(r.status) || !Number.isFinite(wall)) {
    throw new Error(`${cmd.join(' ')} ${args.join(' ')}: exit ${r.status}: ${r.stderr.slice(0, 400)}`);
  }
  return { status: r.status, wall, cpu: user + sys, user, sys, rssMiB: rssKiB / 1024 };
}

function summary(runs) {
  return {
    wall: median(runs.map((r) => r.wall)),
    cpu: median(runs.map((r) => r.cpu)),
    user: median(runs.map((r) => r.user)),
    sys: median(runs.map((r) => r.sys)),
    rss: Math.max(...runs.map((r) => r.rssMiB)),
  };
}

const line = (s) =>
  `wall ${s.wall.toFixed(2)} s median, CPU ${s.cpu.toFixed(2)} s (user ${s.user.toFixed(2)} + sys ${s.sys.toFixed(2)}), max RSS ${s.rss.toFixed(0)} MiB`;

const dir = mkdtempSync(join(tmpdir(), 'osmeta-bench-prom-'));
const file = join(dir, 'osmeta.prom');
const results = [];
try {
  labScript('scale-netns', '0');
  // scale-netns N adds N: ascending sizes grow the lab step by step instead of rebuilding it
  let scaled = 0;
  for (const size of sizes) {
    if (size < scaled) {
      labScript('scale-netns', '0');
      scaled = 0;
    }
    if (size > scaled) labScript('scale-netns', String(size - scaled));
    scaled = size;
    // the timer's command, as osmeta-trace.service runs it (the lab's state path added)
    const args = ['trace', '--all', '--state-path', lab.LAB_NEUTRON_STATE_PATH, '--prometheus', file];
    const variants = [{ name: 'this', cmd: osmeta, runs: [] }];
    if (base) variants.push({ name: 'base', cmd: base, runs: [] });
    for (const v of variants) timed(v.cmd, args); // warm-up: page cache, the agent's first answers
    // paired: each round runs every variant, in an order that alternates
    for (let i = 0; i < rounds; i++) {
      for (const v of i % 2 ? [...variants].reverse() : variants) v.runs.push(timed(v.cmd, args));
    }
    const text = readFileSync(file, 'utf8');
    const namespaces = (text.match(/^osmeta_metadata_namespace_up\{/gm) ?? []).length;
    const row = { size, namespaces, ...summary(variants[0].runs), bytes: Buffer.byteLength(text) };
    console.log(
      `trace --all --prometheus, ${namespaces} namespaces: ${line(row)}, ${row.bytes} bytes of metrics (${rounds} runs)`,
    );
    if (base) {
      const b = summary(variants[1].runs);
      console.log(`  base (${base.join(' ')}): ${line(b)} (${rounds} runs)`);
    }
    results.push(row);
  }
} finally {
  labScript('scale-netns', '0');
  rmSync(dir, { recursive: true, force: true });
}

let missed = 0;
for (const r of results) {
  if (r.size >= 1000) {
    const ok = r.wall < 5;
    missed += ok ? 0 : 1;
    console.log(
      `goal: ${r.namespaces} namespaces in < 5 s wall: ${r.wall.toFixed(2)} s, ${ok ? 'met' : 'MISSED'} (max RSS ${r.rss.toFixed(0)} MiB)`,
    );
  }
  if (r.size === 200) {
    const ok = r.cpu < 2;
    missed += ok ? 0 : 1;
    console.log(
      `goal: the timer's run over ${r.namespaces} namespaces < 2 s CPU: ${r.cpu.toFixed(2)} s, ${ok ? 'met' : 'MISSED'}`,
    );
  }
}
process.exit(missed ? 1 : 0);
