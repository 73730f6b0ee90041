// npm run bench: every benchmark in turn (each bounded in runs and time). Those that need the lab
// say so and are skipped when it is not up.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv.slice(2);
const all = ['sign', 'standalone', 'get', 'trace', 'smoke', 'prometheus', 'guest'];
let failed = 0;
for (const name of only.length ? only : all) {
  const file = `${here}${name}.mjs`;
  if (!existsSync(file)) continue;
  console.log(`\n### ${name}`);
  const r = spawnSync(process.execPath, [file], { stdio: 'inherit', timeout: 20 * 60_000 });
  if (r.status !== 0) {
    failed++;
    console.log(`(${name}: exit ${r.status ?? r.signal})`);
  }
}
process.exit(failed ? 1 : 0);
