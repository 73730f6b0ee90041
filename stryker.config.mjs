// StrykerJS: `npm run mutate` (all of src/) or one folder:
//   npm run mutate -- --mutate 'src/openstack/**/*.ts'
// Incremental: reports/stryker-incremental.json remembers which mutants the unchanged tests
// already killed, so a second run only tests what changed. Not part of CI (docs/mutation.md).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.stryker.config.ts', related: true },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate: [
    'src/**/*.ts',
    '!src/**/*.d.ts',
    // bundling glue and start-up shims: nothing a unit test can observe
    '!src/sea/**',
    '!src/openstack/wasm-baseline.ts',
    '!src/openstack/undici.ts',
    '!src/system.ts',
    '!src/main.ts',
  ],
  coverageAnalysis: 'perTest',
  // static mutants (module-level constants) re-run every test: too slow for 2 cores
  ignoreStatic: true,
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  concurrency: 2,
  timeoutMS: 10_000,
  timeoutFactor: 2,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
