import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeBin, spawnEnv } from '../../../helpers/context.js';

// The zsh and fish scripts in the real shells, where they are installed: fish's own `complete -C`;
// for zsh, the script's function with compsys's _describe and _files standing in (they print what
// they are handed). Both run the built bin/osmeta.js through an `osmeta` on PATH.

const has = (shell: string) => spawnSync(shell, ['-c', 'exit 0']).status === 0;
const BIN = new URL('../../../../bin/osmeta.js', import.meta.url).pathname;
let dir = '';
let env: Record<string, string> = {};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'osmeta-shells-'));
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'bin', 'osmeta'), `#!/bin/sh\nexec '${nodeBin()}' '${BIN}' "$@"\n`);
  chmodSync(join(dir, 'bin', 'osmeta'), 0o755);
  writeFileSync(join(dir, 'clouds.yaml'), 'clouds:\n  prod: {}\n  prod-admin: {}\n  lab: {}\n');
  mkdirSync(join(dir, 'netns'));
  writeFileSync(join(dir, 'netns', 'qdhcp-3f1c'), '');
  env = {
    ...spawnEnv(),
    PATH: `${join(dir, 'bin')}:${spawnEnv().PATH}`,
    HOME: dir,
    OS_CLIENT_CONFIG_FILE: join(dir, 'clouds.yaml'),
    OSMETA_NETNS_DIR: join(dir, 'netns'),
  };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!has('zsh'))('zsh completion', () => {
  const zsh = (...words: string[]) => {
    const script = `compdef() { :; }
source <(osmeta completion zsh)
_describe() { print -rl -- "\${(@P)4}"; }
_files() { print '<files>'; }
words=(osmeta "$@"); CURRENT=$#words
_osmeta`;
    const r = spawnSync('zsh', ['-f', '-c', script, 'zsh', ...words], {
      encoding: 'utf8',
      env,
      timeout: 15_000,
    });
    expect(r.stderr).toBe('');
    return r.stdout.split('\n').filter((l) => l !== '');
  };

  it('hands _describe value:description pairs, and asks _files for a file', () => {
    expect(zsh('trace', '--netns', '')).toEqual(['qdhcp-3f1c:DHCP agent']);
    expect(zsh('--os-cloud=p')).toEqual(['--os-cloud=prod', '--os-cloud=prod-admin']);
    expect(zsh('sign', '--secret-file', '')).toEqual(['<files>']);
    expect(zsh('s')[0]).toMatch(/^sign:print the X-Instance-ID-Signature/);
  });
});

describe.skipIf(!has('fish'))('fish completion', () => {
  const fish = (line: string) => {
    const r = spawnSync(
      'fish',
      ['--no-config', '-c', `osmeta completion fish | source; complete -C '${line}'`],
      {
        encoding: 'utf8',
        env,
        timeout: 15_000,
      },
    );
    expect(r.stderr).toBe('');
    return r.stdout.split('\n').filter((l) => l !== '');
  };

  it('completes commands, clouds, namespaces and documents', () => {
    expect(fish('osmeta sm')).toEqual([expect.stringMatching(/^smoke\tcheck that every server/)]);
    expect(fish('osmeta --os-cloud p')).toEqual(['prod', 'prod-admin']);
    expect(fish('osmeta trace --netns ')).toEqual(['qdhcp-3f1c\tDHCP agent']);
    expect(fish('osmeta get web-1 vendor')).toEqual(['vendor_data.json', 'vendor_data2.json']);
  });
});
