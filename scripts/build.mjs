// Bundles src/ into dist/ with esbuild: one ESM entry per file bin/osmeta.js imports, shared chunks,
// and lazily imported modules (undici, chalk, cli-table3, the keyring) left in chunks of their own.
import { readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { cli: 'src/cli.ts', context: 'src/context.ts' },
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
  banner: {
    js: "import{createRequire as __osmetaCreateRequire}from'node:module';const require=__osmetaCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
