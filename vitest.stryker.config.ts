import { defineConfig } from 'vitest/config';

// The unit tests for StrykerJS (stryker.config.mjs): no projects, no end-to-end tests, and none of
// the tests that spawn the built bin/osmeta.js (they run dist/, which holds no mutant, and their
// timing does not survive a loaded 2-core machine).
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/hostile/**/*.test.ts'],
    exclude: [
      'test/unit/interrupts.test.ts',
      'test/unit/packaging/**',
      'test/unit/commands/completion/bash.test.ts',
      'test/unit/commands/completion/startup.test.ts',
      'test/unit/commands/completion/zsh-fish.test.ts',
    ],
    testTimeout: 20_000,
  },
});
