// The single executable (npm run build:standalone): its size, and `sign` cold start against
// `node bin/osmeta.js sign` in paired runs (issue 7).
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { paired, report } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const exe = `${root}dist/osmeta-linux-x64`;
if (!existsSync(exe)) {
  console.log('skipped: no dist/osmeta-linux-x64 (npm run build:standalone)');
  process.exit(0);
}
const ID = 'cc44da1b-aa6c-4ab2-926d-31aa6e134fb0';
const env = { ...process.env, OSMETA_SHARED_SECRET: 'bench-secret' };
const rounds = Number(process.env.BENCH_ROUNDS ?? 30);
const times = paired(
  [
    { name: 'node -e 0', cmd: process.execPath, args: ['-e', '0'], env },
    {
      name: 'node bin/osmeta.js sign',
      cmd: process.execPath,
      args: [`${root}bin/osmeta.js`, 'sign', ID],
      env,
    },
    { name: 'osmeta-linux-x64 sign', cmd: exe, args: ['sign', ID], env },
  ],
  { rounds, warmup: 3, maxSeconds: 240 },
);
const rows = report(`standalone cold start (${rounds} paired rounds)`, times, 'node bin/osmeta.js sign');
const sea = rows.find((r) => r.name === 'osmeta-linux-x64 sign');
const js = rows.find((r) => r.name === 'node bin/osmeta.js sign');
console.log(
  `dist/osmeta-linux-x64: ${(statSync(exe).size / 1048576).toFixed(1)} MiB; sign cold start ${sea.median.toFixed(1)} ms vs ${js.median.toFixed(1)} ms (${(sea.median / js.median).toFixed(2)}×)`,
);
