// osmeta smoke --all-projects against a bare loop that makes the same requests (bench/smoke-bare.mjs)
// with the same concurrency, in paired runs on the lab (issue 6); both authenticate with Keystone
// (osmeta without its token cache). Scale the lab first:
// lab/scale-servers 1000. Reports servers/s, CPU-ms per server and peak memory (GNU time).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { median } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
if (!existsSync('/usr/bin/time')) {
  console.log('skipped: needs GNU time (apt-get install time)');
  process.exit(0);
}
let labEnv;
try {
  labEnv = Object.fromEntries(
    execFileSync('bash', ['-c', `. "${root}lab/env" && env -0`], { encoding: 'utf8' })
      .split('\0')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
} catch {
  console.log('skipped: the lab is not up (lab/up)');
  process.exit(0);
}
const env = { ...process.env, ...labEnv, OSMETA_SHARED_SECRET: labEnv.LAB_SECRET, NO_COLOR: '1' };
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const concurrency = process.env.BENCH_CONCURRENCY ?? '16';
const osmeta = process.env.OSMETA_BIN ? [process.env.OSMETA_BIN] : [process.execPath, `${root}bin/osmeta.js`];

function timed(cmd, args) {
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %e %U %S %M', cmd, ...args], {
    env: { ...env, BENCH_CONCURRENCY: concurrency },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: 15 * 60_000,
  });
  const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
  if (!m) throw new Error(`no timing from ${cmd}: ${r.stderr.slice(-500)}`);
  return { status: r.status, stdout: r.stdout, wall: +m[1], cpu: +m[2] + +m[3], rssKb: +m[4] };
}

const runs = { osmeta: [], bare: [] };
for (let i = 0; i < rounds; i++) {
  for (const which of i % 2 ? ['bare', 'osmeta'] : ['osmeta', 'bare']) {
    let t;
    let servers;
    if (which === 'osmeta') {
      t = timed(osmeta[0], [
        ...osmeta.slice(1),
        '--json',
        '--no-token-cache',
        'smoke',
        '--all-projects',
        '--concurrency',
        concurrency,
      ]);
      if (t.status !== 0 && t.status !== 3) throw new Error(`osmeta smoke exited ${t.status}`);
      servers = JSON.parse(t.stdout).summary.total;
    } else {
      t = timed(process.execPath, [`${root}bench/smoke-bare.mjs`]);
      if (t.status !== 0) throw new Error(`the bare loop exited ${t.status}`);
      servers = JSON.parse(t.stdout).servers;
    }
    runs[which].push({ ...t, servers });
  }
}

const row = (name, xs) => {
  const servers = xs[0].servers;
  const rate = median(xs.map((x) => x.servers / x.wall));
  return {
    name,
    servers,
    rate,
    wall: median(xs.map((x) => x.wall)),
    cpuPerServer: median(xs.map((x) => (x.cpu * 1000) / x.servers)),
    rssMb: Math.max(...xs.map((x) => x.rssKb)) / 1024,
  };
};
const o = row('osmeta smoke --all-projects', runs.osmeta);
const b = row('bare loop (same requests)', runs.bare);
console.log(`\nsmoke throughput (${rounds} paired rounds, concurrency ${concurrency})`);
console.log(
  `${'command'.padEnd(32)} ${'servers'.padStart(8)} ${'median s'.padStart(9)} ${'servers/s'.padStart(10)} ${'CPU-ms/server'.padStart(14)} ${'peak RSS MB'.padStart(12)}`,
);
for (const r of [o, b]) {
  console.log(
    `${r.name.padEnd(32)} ${String(r.servers).padStart(8)} ${r.wall.toFixed(2).padStart(9)} ${r.rate.toFixed(1).padStart(10)} ${r.cpuPerServer.toFixed(2).padStart(14)} ${r.rssMb.toFixed(0).padStart(12)}`,
  );
}
console.log(`osmeta ÷ bare loop throughput = ${(o.rate / b.rate).toFixed(2)} (goal ≥ 0.8)`);
