// osmeta guest inside a lab guest namespace (issue 15): a healthy run as the single executable
// (npm run build:standalone) against a bare `curl` of meta_data.json, in paired runs; goal
// < 300 ms wall. Never in the host's namespace: every command is `ip netns exec <lab guest> …`
// (the same rule as test/helpers/guest-guard.ts). Skipped when the lab is not up.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { labEnv, median, paired, report } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const rounds = Number(process.env.BENCH_ROUNDS ?? 20);
const GOAL_MS = 300;

const lab = labEnv(root);
if (lab === undefined) {
  console.log('lab not up (lab/up): guest benchmark skipped');
  process.exit(0);
}
const guests = new Set(
  Object.entries(lab)
    .filter(([k]) => /^LAB_VM\d+_NETNS$/.test(k) || k === 'LAB_STRAY_NETNS')
    .map(([, v]) => v),
);
const ns = process.env.BENCH_GUEST_NETNS ?? lab.LAB_VM1_NETNS;
if (!guests.has(ns)) {
  console.error(`refusing: ${ns} is not one of the lab's guest namespaces (${[...guests].join(', ')})`);
  process.exit(1);
}
const inGuest = (...argv) => ({ cmd: 'ip', args: ['netns', 'exec', ns, ...argv] });

const exe = `${root}dist/osmeta-linux-x64`;
const env = { PATH: process.env.PATH, NO_COLOR: '1' };
const variants = [
  {
    name: `curl meta_data.json (${ns})`,
    ...inGuest(
      'curl',
      '-sf',
      '-o',
      '/dev/null',
      '-m',
      '10',
      'http://169.254.169.254/openstack/latest/meta_data.json',
    ),
    env,
  },
  {
    name: `node bin/osmeta.js guest (${ns})`,
    ...inGuest(process.execPath, `${root}bin/osmeta.js`, 'guest'),
    env,
  },
];
if (existsSync(exe)) variants.push({ name: `osmeta-linux-x64 guest (${ns})`, ...inGuest(exe, 'guest'), env });
else console.log('no dist/osmeta-linux-x64 (npm run build:standalone): the node build only');

const times = paired(variants, { rounds, warmup: 2, maxSeconds: 240 });
report(`osmeta guest, healthy, ${rounds} paired rounds`, times, variants[0].name);
const main = variants[variants.length - 1].name;
const m = median(times[main]);
const curl = median(times[variants[0].name]);
console.log(
  `${main}: median ${m.toFixed(0)} ms (goal < ${GOAL_MS} ms: ${m < GOAL_MS ? 'met' : 'NOT met'}); osmeta's own share over curl's one request: ${(m - curl).toFixed(0)} ms`,
);
