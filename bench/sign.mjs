// osmeta sign cold start against Node's own start and the Python signer it replaces (issue 2).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { paired, report } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const ID = 'cc44da1b-aa6c-4ab2-926d-31aa6e134fb0';
const env = { ...process.env, OSMETA_SHARED_SECRET: 'bench-secret', SECRET: 'bench-secret' };
const rounds = Number(process.env.BENCH_ROUNDS ?? 40);
const osmeta = process.env.OSMETA_BIN ? [process.env.OSMETA_BIN] : [process.execPath, `${root}bin/osmeta.js`];

const anchor = `${root}../shared/anchors/sign_instance.py`;
// the anchor imports six: Debian's python3 has it
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

const variants = [
  { name: 'node -e 0', cmd: process.execPath, args: ['-e', '0'], env },
  { name: 'osmeta sign', cmd: osmeta[0], args: [...osmeta.slice(1), 'sign', ID], env },
];
if (existsSync(anchor))
  variants.push({ name: 'python3 sign_instance.py', cmd: python, args: [anchor, ID], env });

const times = paired(variants, { rounds, warmup: 3, maxSeconds: 240 });
const rows = report(`sign cold start (${rounds} paired rounds)`, times, 'node -e 0');
const get = (n) => rows.find((r) => r.name === n);
const py = get('python3 sign_instance.py');
console.log(
  `osmeta sign ÷ node -e 0 = ${(get('osmeta sign').median / get('node -e 0').median).toFixed(2)} (goal ≤ 1.15); ` +
    `overhead over node = ${(get('osmeta sign').median - get('node -e 0').median).toFixed(1)} ms` +
    (py ? `; ÷ python signer = ${(get('osmeta sign').median / py.median).toFixed(2)}` : ''),
);
