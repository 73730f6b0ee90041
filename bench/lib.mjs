// Shared helpers for the benchmarks: paired, interleaved runs of whole commands; medians and ratios.
import { spawnSync } from 'node:child_process';

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function timeCommand(cmd, args, { env = process.env, input, timeoutMs = 60_000 } = {}) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, {
    env,
    input,
    timeout: timeoutMs,
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const ms = performance.now() - t0;
  return { ms, status: r.status, stdout: r.stdout?.toString() ?? '', stderr: r.stderr?.toString() ?? '' };
}

/**
 * Runs each variant once per round, in a rotating order, for `rounds` rounds (bounded), after
 * `warmup` unrecorded rounds. Returns {name: [ms…]}. Fails if any run exits non-zero.
 */
export function paired(variants, { rounds = 30, warmup = 3, maxSeconds = 300 } = {}) {
  const times = Object.fromEntries(variants.map((v) => [v.name, []]));
  const deadline = performance.now() + maxSeconds * 1000;
  for (let r = 0; r < warmup + rounds && performance.now() < deadline; r++) {
    const order = variants.map((_, i) => variants[(i + r) % variants.length]);
    for (const v of order) {
      const res = timeCommand(v.cmd, v.args, v);
      if (res.status !== (v.expectStatus ?? 0)) {
        throw new Error(`${v.name}: exit ${res.status}: ${res.stderr.slice(0, 300)}`);
      }
      if (r >= warmup) times[v.name].push(res.ms);
    }
  }
  return times;
}

export function report(title, times, baseline) {
  const rows = Object.entries(times).map(([name, xs]) => ({
    name,
    n: xs.length,
    median: median(xs),
    min: Math.min(...xs),
  }));
  const base = rows.find((r) => r.name === baseline);
  console.log(`\n${title}`);
  console.log(
    `${'command'.padEnd(44)} ${'runs'.padStart(5)} ${'median ms'.padStart(10)} ${'min ms'.padStart(8)} ${('÷ ' + baseline).padStart(16)}`,
  );
  for (const r of rows) {
    const ratio = base ? (r.median / base.median).toFixed(2) : '';
    console.log(
      `${r.name.padEnd(44)} ${String(r.n).padStart(5)} ${r.median.toFixed(1).padStart(10)} ${r.min.toFixed(1).padStart(8)} ${ratio.padStart(16)}`,
    );
  }
  return rows;
}

/**
 * The lab's variables (`. <root>lab/env`, or another checkout's `<labDir>/env`), or undefined when the lab is not up: the benchmark that
 * needs it then says so and is skipped.
 */
export function labEnv(root, labDir = `${root}lab`) {
  const r = spawnSync('bash', ['-c', `. "${labDir}/env" && env -0`], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  return Object.fromEntries(
    r.stdout
      .split('\0')
      .filter((kv) => kv.includes('='))
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
}
