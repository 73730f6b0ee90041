import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeBin, spawnEnv } from '../../../helpers/context.js';

// The scripts run `osmeta __complete` at every TAB: it must not load undici (≈80 ms). A module
// hook in the spawned node records every module the built bin/osmeta.js loads.

const BIN = new URL('../../../../bin/osmeta.js', import.meta.url).pathname;
const HOOK = `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`
export async function load(url, context, next) {
  const r = await next(url, context);
  if (/undici/.test(url) || (r.source && /llhttp|class Agent extends DispatcherBase/.test(String(r.source))))
    process.stderr.write('undici loaded: ' + url + '\\\\n');
  return r;
}\`));
`;

describe('osmeta __complete at start-up', () => {
  it('loads no undici, also when it reads clouds.yaml', () => {
    const dir = mkdtempSync(join(tmpdir(), 'osmeta-startup-'));
    try {
      writeFileSync(join(dir, 'hook.mjs'), HOOK);
      writeFileSync(join(dir, 'clouds.yaml'), 'clouds:\n  lab: {}\n');
      const run = (...args: string[]) =>
        spawnSync(nodeBin(), ['--import', join(dir, 'hook.mjs'), BIN, ...args], {
          encoding: 'utf8',
          timeout: 15_000,
          env: { ...spawnEnv(), OS_CLIENT_CONFIG_FILE: join(dir, 'clouds.yaml') },
        });
      const r = run('__complete', '--os-cloud', '');
      expect(r.stdout).toBe('lab\n:none\n');
      expect(r.stderr).toBe('');
      // the hook does see undici where it is loaded: get goes to the network code
      const get = run(
        'get',
        '--metadata-url',
        'http://127.0.0.1:9',
        '--secret-file',
        '/nonexistent',
        'web-1',
      );
      expect(get.stderr).toContain('undici loaded');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
