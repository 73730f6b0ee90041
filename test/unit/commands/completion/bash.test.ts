import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolRequired } from '../../../helpers/ci.js';
import { nodeBin, spawnEnv } from '../../../helpers/context.js';

// bash's own completion machinery, for real: the script `osmeta completion bash` prints is sourced,
// the function `complete -p osmeta` names is called as readline would call it (COMP_WORDS,
// COMP_CWORD, COMP_LINE, COMP_POINT), and COMPREPLY is what bash would offer. The script runs the
// built bin/osmeta.js (`npm test` builds first) through an `osmeta` on PATH.

const hasBash = spawnSync('bash', ['-c', 'exit 0']).status === 0;
if (!hasBash && toolRequired('BASH')) throw new Error('bash is required (CI)');

const BIN = new URL('../../../../bin/osmeta.js', import.meta.url).pathname;
let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'osmeta-bash-'));
  mkdirSync(join(dir, 'bin'));
  const wrapper = join(dir, 'bin', 'osmeta');
  writeFileSync(wrapper, `#!/bin/sh\nexec '${nodeBin()}' '${BIN}' "$@"\n`);
  chmodSync(wrapper, 0o755);
  writeFileSync(
    join(dir, 'clouds.yaml'),
    'clouds:\n  prod:\n    auth: {auth_url: "http://127.0.0.1:5000/v3"}\n  prod-admin: {}\n  lab: {}\n',
  );
  mkdirSync(join(dir, 'netns'));
  for (const ns of ['qdhcp-3f1c', 'qrouter-77aa', 'ovnmeta-91be']) writeFileSync(join(dir, 'netns', ns), '');
  mkdirSync(join(dir, 'work'));
  writeFileSync(join(dir, 'work', 'secret.txt'), 'x', { mode: 0o600 });
  writeFileSync(join(dir, 'work', 'second.ini'), 'x');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DRIVER = `
source <(osmeta completion bash) || exit 10
spec=$(complete -p osmeta) || exit 11
fn=\${spec#*-F }; fn=\${fn%% *}
COMP_WORDS=("$@")
COMP_CWORD=$(($# - 1))
COMP_LINE="$*"
COMP_POINT=\${#COMP_LINE}
"$fn" osmeta "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\\n' "\${COMPREPLY[@]}"
`;

/** COMPREPLY for the command line `words` (the last one is the word under the cursor), sorted. */
function complete(...words: string[]): string[] {
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', DRIVER, 'bash', 'osmeta', ...words], {
    cwd: join(dir, 'work'),
    encoding: 'utf8',
    timeout: 15_000,
    env: {
      ...spawnEnv(),
      PATH: `${join(dir, 'bin')}:${spawnEnv().PATH}`,
      HOME: dir,
      OS_CLIENT_CONFIG_FILE: join(dir, 'clouds.yaml'),
      OSMETA_NETNS_DIR: join(dir, 'netns'),
    },
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .sort();
}

describe.skipIf(!hasBash)('bash completion in a real bash', () => {
  it('registers a function for osmeta with complete -F', () => {
    const r = spawnSync('bash', ['--norc', '-c', 'source <(osmeta completion bash); complete -p osmeta'], {
      encoding: 'utf8',
      env: { ...spawnEnv(), PATH: `${join(dir, 'bin')}:${spawnEnv().PATH}` },
    });
    expect(r.stdout.trim()).toBe('complete -F _osmeta osmeta');
  });

  it('completes the command names, without the hidden ones', () => {
    expect(complete('')).toEqual(['completion', 'get', 'guest', 'secret', 'sign', 'smoke', 'trace']);
    expect(complete('s')).toEqual(['secret', 'sign', 'smoke']);
  });

  it("completes a command's own options and the global ones", () => {
    const opts = complete('trace', '--');
    expect(opts).toEqual(
      expect.arrayContaining(['--netns', '--probe-timeout', '--json', '--os-cloud', '--help']),
    );
    expect(opts).not.toContain('--ec2');
    expect(complete('get', 'web-1', '--ec')).toEqual(['--ec2']);
  });

  it('completes the subcommands of secret and their options', () => {
    expect(complete('secret', '')).toEqual(['delete', 'set', 'status']);
    expect(complete('secret', 'status', '--na')).toEqual(['--name']);
  });

  it('completes --os-cloud with the clouds of clouds.yaml, also after --os-cloud=', () => {
    expect(complete('get', '--os-cloud', '')).toEqual(['lab', 'prod', 'prod-admin']);
    expect(complete('--os-cloud', 'pr')).toEqual(['prod', 'prod-admin']);
    // readline splits at '=' (COMP_WORDBREAKS): the words are --os-cloud, =, and the value
    expect(complete('smoke', '--os-cloud', '=', 'l')).toEqual(['lab']);
    expect(complete('smoke', '--os-cloud', '=')).toEqual(['=lab', '=prod', '=prod-admin']);
  });

  it("completes get's document names, and the EC2 paths with --ec2", () => {
    expect(complete('get', 'web-1', '')).toEqual([
      'meta_data.json',
      'network_data.json',
      'password',
      'user_data',
      'vendor_data.json',
      'vendor_data2.json',
    ]);
    expect(complete('get', 'web-1', 'v')).toEqual(['vendor_data.json', 'vendor_data2.json']);
    expect(complete('get', '--ec2', 'web-1', 'meta-data/local')).toEqual([
      'meta-data/local-hostname',
      'meta-data/local-ipv4',
    ]);
    expect(complete('get', 'web-1', '/openstack/latest/n')).toEqual(['/openstack/latest/network_data.json']);
  });

  it('completes --netns with the namespaces of the netns directory', () => {
    expect(complete('trace', '--netns', '')).toEqual(['ovnmeta-91be', 'qdhcp-3f1c', 'qrouter-77aa']);
    expect(complete('trace', '--netns', 'qr')).toEqual(['qrouter-77aa']);
  });

  it('completes file names for options that take a file', () => {
    expect(complete('sign', '--secret-file', 'se')).toEqual(['second.ini', 'secret.txt']);
    expect(complete('get', 'web-1', '-o', 'secr')).toEqual(['secret.txt']);
  });

  it('offers nothing where nothing is known: a server name, an unknown option value', () => {
    expect(complete('get', '')).toEqual([]);
    expect(complete('get', '--forwarded-for', '')).toEqual([]);
  });

  it('completes the shells of the completion command', () => {
    expect(complete('completion', '')).toEqual(['bash', 'fish', 'zsh']);
  });
});
