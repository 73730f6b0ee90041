// Bundles src/ into dist/ with esbuild, in two parts (docs/startup.md):
// - dist/osmeta.js: what bin/osmeta.js loads, dispatch (src/main.ts) with the fast path and sign,
//   in one file with npm packages left external. Measured with bench/sign.mjs: every ESM chunk a
//   start links costs about a millisecond, and sign is the command scripts call in loops.
// - dist/program.js: the full program (src/program.ts), which dispatch imports on first use. What
//   only some commands need (undici, chalk, cli-table3, yaml, the keyring, host inspection) stays
//   in lazily imported chunks, and commander's child_process is lazy (it only uses it for
//   executable subcommands, which osmeta has none of).
import { readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onLoad({ filter: /commander[\\/]lib[\\/]command\.js$/ }, (args) => {
      const src = readFileSync(args.path, 'utf8').replace(
        "const childProcess = require('node:child_process');",
        "let childProcessCache; const childProcess = new Proxy({}, { get: (_t, k) => (childProcessCache ??= require('node:child_process'))[k] });",
      );
      if (!src.includes('childProcessCache'))
        throw new Error('commander changed: cannot make child_process lazy');
      return { contents: src, loader: 'js' };
    });
  },
};

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { program: 'src/program.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  legalComments: 'linked',
  chunkNames: 'chunks/[name]-[hash]',
  external: ['@napi-rs/keyring'],
  define: { __OSMETA_VERSION__: JSON.stringify(pkg.version) },
  plugins: [lazyChildProcess],
  banner: {
    js: "import{createRequire as __osmetaCreateRequire}from'node:module';const require=__osmetaCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});

// dispatch's one import of the program stays an import, of the other bundle
const programExternal = {
  name: 'program-external',
  setup(b) {
    b.onResolve({ filter: /^\.\/program\.js$/ }, () => ({ path: './program.js', external: true }));
  },
};

await build({
  entryPoints: { osmeta: 'src/main.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: false,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  packages: 'external',
  define: { __OSMETA_VERSION__: JSON.stringify(pkg.version) },
  plugins: [programExternal],
  logLevel: 'warning',
});
