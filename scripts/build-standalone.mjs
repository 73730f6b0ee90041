// npm run build:standalone → dist/osmeta-linux-x64: one file that runs osmeta without a Node.js
// installation (Node's single-executable applications, with postject). The CLI is bundled into one
// CommonJS script first; @napi-rs/keyring's native binding rides along as an SEA asset.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const out = `${root}dist/sea`;
const exe = `${root}dist/osmeta-linux-x64`;
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
const require = createRequire(import.meta.url);

if (process.platform !== 'linux' || process.arch !== 'x64') {
  throw new Error(
    `build:standalone makes a linux-x64 executable; this is ${process.platform}-${process.arch}`,
  );
}
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

await build({
  entryPoints: [`${root}src/sea/main.ts`],
  outfile: `${out}/osmeta.cjs`,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  define: { __OSMETA_VERSION__: JSON.stringify(pkg.version) },
  alias: { '@napi-rs/keyring': `${root}src/sea/keyring.ts` },
  logLevel: 'warning',
});

// A single executable has no ESM loader (Node 20: "A dynamic import callback was not specified"):
// the lazily imported built-ins become requires; anything else dynamic would be a build error.
const bundle = `${out}/osmeta.cjs`;
const code = readFileSync(bundle, 'utf8').replace(
  /\bimport\("(node:[a-z_/]+)"\)/g,
  (_m, name) => `Promise.resolve().then(()=>require("${name}"))`,
);
const left = code.match(/\bimport\([^)]{0,60}\)/g);
if (left) throw new Error(`dynamic imports left in the standalone bundle: ${left.join(', ')}`);
writeFileSync(bundle, code);

const binding = require.resolve('@napi-rs/keyring-linux-x64-gnu/keyring.linux-x64-gnu.node');
writeFileSync(
  `${out}/sea-config.json`,
  JSON.stringify({
    main: `${out}/osmeta.cjs`,
    output: `${out}/osmeta.blob`,
    disableExperimentalSEAWarning: true,
    useCodeCache: true,
    assets: { 'keyring.node': binding },
  }),
);
execFileSync(process.execPath, ['--experimental-sea-config', `${out}/sea-config.json`], { stdio: 'inherit' });

rmSync(exe, { force: true });
copyFileSync(process.execPath, exe);
chmodSync(exe, 0o755);
execFileSync(
  process.execPath,
  [
    require.resolve('postject/dist/cli.js'),
    exe,
    'NODE_SEA_BLOB',
    `${out}/osmeta.blob`,
    '--sentinel-fuse',
    'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
  ],
  { stdio: ['ignore', 'ignore', 'inherit'] },
);
const version = execFileSync(exe, ['--version'], { encoding: 'utf8' }).trim();
if (version !== pkg.version) throw new Error(`the executable says ${version}, package.json ${pkg.version}`);
console.log(
  `${exe}: ${(statSync(exe).size / 1048576).toFixed(1)} MiB, osmeta ${version} (node ${process.version})`,
);
