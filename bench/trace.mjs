// osmeta trace on the lab (issue 5): a healthy single-namespace trace (goal < 1 s wall) and
// --all over 200 namespaces (lab/scale-netns 200; goal < 3 s). Bounded in runs and time; the scale
// namespaces are removed again whatever happens. Skipped when the lab is not up.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { labEnv, paired, report } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const osmeta = process.env.OSMETA_BIN ? [process.env.OSMETA_BIN] : [process.execPath, `${root}bin/osmeta.js`];
const rounds = Number(process.env.BENCH_ROUNDS ?? 10);
const scale = Number(process.env.BENCH_NETNS ?? 200);

const lab = labEnv(root);
if (lab === undefined) {
  console.log('lab not up (lab/up): trace benchmark skipped');
  process.exit(0);
}
const env = { ...process.env, ...lab, NO_COLOR: '1' };
const state = ['--state-path', lab.LAB_NEUTRON_STATE_PATH];
const cmd = osmeta[0];
const pre = osmeta.slice(1);

function labScript(...args) {
  const r = spawnSync(`${root}lab/${args[0]}`, args.slice(1), { encoding: 'utf8', timeout: 15 * 60_000 });
  if (r.status !== 0) throw new Error(`lab/${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
}

// 1. one namespace, healthy: every hop, every probe
const single = paired(
  [
    { name: 'node -e 0', cmd: process.execPath, args: ['-e', '0'], env },
    {
      name: 'trace --netns (guest from Neutron)',
      cmd,
      args: [...pre, 'trace', '--netns', lab.LAB_QDHCP_NETNS, ...state, '-q'],
      env,
    },
    {
      name: 'trace --netns --ip (no API calls)',
      cmd,
      args: [...pre, 'trace', '--netns', lab.LAB_QDHCP_NETNS, '--ip', lab.LAB_VM1_IP, ...state, '-q'],
      env: { ...env, OS_CLOUD: '' },
    },
  ],
  { rounds, warmup: 2, maxSeconds: 180 },
);
const singleRows = report(`trace, one healthy namespace (${rounds} rounds)`, single, 'node -e 0');

// 2. --all over the lab's namespaces plus `scale` more, each with a real haproxy
let allRows;
let count = 0;
const t0 = performance.now();
labScript('scale-netns', String(scale));
console.log(`\nlab/scale-netns ${scale}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
try {
  // 200 namespaces of evidence is over a megabyte of JSON
  const json = spawnSync(cmd, [...pre, 'trace', '--all', ...state, '--json'], {
    env,
    timeout: 120_000,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (json.status !== 0)
    throw new Error(
      `trace --all: exit ${json.status}: ${json.stdout.slice(0, 400)}${json.stderr.slice(0, 400)}`,
    );
  count = JSON.parse(json.stdout).namespaces.length;
  const all = paired(
    [
      {
        name: `trace --all (${count} namespaces)`,
        cmd,
        args: [...pre, 'trace', '--all', ...state, '-q'],
        env,
      },
    ],
    {
      rounds: Math.min(rounds, 5),
      warmup: 1,
      maxSeconds: 180,
    },
  );
  allRows = report(`trace --all over ${count} namespaces`, all, `trace --all (${count} namespaces)`);
} finally {
  labScript('scale-netns', '0');
}

const med = (rows, prefix) => rows.find((r) => r.name.startsWith(prefix)).median;
const one = med(singleRows, 'trace --netns (guest');
const bare = med(singleRows, 'trace --netns --ip');
const sweep = med(allRows, 'trace --all');
console.log(
  `\nsingle namespace: ${one.toFixed(0)} ms median (${bare.toFixed(0)} ms without API calls), goal < 1000 ms: ${one < 1000 ? 'met' : 'MISSED'}`,
);
console.log(
  `--all over ${count} namespaces: ${sweep.toFixed(0)} ms median, goal < 3000 ms: ${sweep < 3000 ? 'met' : 'MISSED'}`,
);
