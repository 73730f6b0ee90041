import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';

/**
 * A fresh temporary directory for each test of the file, removed after it. Call at module level:
 * `const tmp = useTempDir('osmeta-safe-')`, then `tmp.dir` inside the tests.
 */
export function useTempDir(prefix: string): { readonly dir: string } {
  const state = { dir: '' };
  beforeEach(() => {
    state.dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterEach(() => rmSync(state.dir, { recursive: true, force: true }));
  return state;
}
