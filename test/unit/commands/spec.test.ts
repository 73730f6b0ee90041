import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { FAST_GLOBALS } from '../../../src/cli.js';
import { GET_COMMAND, type GetOptions, getAction, registerGet } from '../../../src/commands/get.js';
import { GLOBAL_OPTIONS } from '../../../src/commands/shared.js';
import { registerSign, SIGN_COMMAND, type SignOptions } from '../../../src/commands/sign.js';
import { addOptions, fastParse } from '../../../src/commands/spec.js';
import { OPENSTACK_OPTIONS } from '../../../src/openstack/options.js';
import { createTestContext } from '../../helpers/context.js';

const ID = 'cc44da1b-aa6c-4ab2-926d-31aa6e134fb0';

/** What commander hands runSign for argv. */
async function viaCommander(argv: string[]): Promise<SignOptions> {
  const { ctx } = createTestContext();
  const program = new Command('osmeta').exitOverride();
  addOptions(program, FAST_GLOBALS);
  let seen: SignOptions | undefined;
  registerSign(program, ctx, async (o) => {
    seen = o;
    throw new Error('stop');
  });
  await program.parseAsync(argv, { from: 'user' }).catch(() => {});
  if (!seen) throw new Error('commander did not run sign');
  return seen;
}

describe('fastParse reads sign exactly as commander does', () => {
  it.each([
    [['sign', ID]],
    [['--json', 'sign', ID]],
    [['sign', ID, '--json', '-q']],
    [['--timeout', '2.5', '--no-color', 'sign', '--debug', ID]],
    [['sign', '--secret-from-config', 'a.ini', '--secret-from-config=b.ini', ID]],
    [['sign', '--curl', '--project-id', 'p', '--forwarded-for', '10.0.0.1', '--path', 'x', ID]],
    [['sign', '--verify', 'abc', '--metadata-url=http://h:1', ID]],
    [['sign', '--secret-file', '/f', ID]],
    [['sign', '--secret-stdin', ID]],
    [['sign', '--secret-name', 'prod', ID]],
  ])('%j', async (argv) => {
    const fast = fastParse(argv, FAST_GLOBALS, SIGN_COMMAND);
    expect(fast).toBeDefined();
    const { instanceId, ...commander } = await viaCommander(argv);
    expect(fast!.args).toEqual([instanceId]);
    expect(fast!.opts).toEqual(commander);
  });
});

describe('fastParse leaves commander to decide', () => {
  it.each([
    [['sign']],
    [['sign', ID, 'extra']],
    [['sign', '--help']],
    [['sign', '-h', ID]],
    [['--version']],
    [['sign', '--frobnicate', ID]],
    [['sign', ID, '--verify']],
    [['sign', '--json=yes', ID]],
    [['secret', 'status']],
    [['get', ID]],
    [['sign', '--', ID]],
    [[]],
  ])('%j', (argv) => {
    expect(fastParse(argv, FAST_GLOBALS, SIGN_COMMAND)).toBeUndefined();
  });

  it('still validates values the same way (the parse function runs)', () => {
    expect(() => fastParse(['--timeout', '0', 'sign', ID], FAST_GLOBALS, SIGN_COMMAND)).toThrow(
      "--timeout takes a positive number of seconds, not '0'",
    );
  });
});

/** What runGet is handed for argv, by commander and by the fast path. */
async function getBothWays(argv: string[]): Promise<{ commander: GetOptions; fast: GetOptions | undefined }> {
  const { ctx } = createTestContext();
  const stop = new Error('stop');
  let commander: GetOptions | undefined;
  const program = new Command('osmeta').exitOverride();
  addOptions(program, [...GLOBAL_OPTIONS, ...OPENSTACK_OPTIONS]);
  registerGet(program, ctx, async (o) => {
    commander = o;
    throw stop;
  });
  await program.parseAsync(argv, { from: 'user' }).catch(() => {});
  let fast: GetOptions | undefined;
  const parsed = fastParse(argv, FAST_GLOBALS, GET_COMMAND);
  if (parsed) {
    await getAction(parsed.args, parsed.opts, ctx, async (o) => {
      fast = o;
      throw stop;
    }).catch(() => {});
  }
  if (!commander) throw new Error('commander did not run get');
  return { commander, fast };
}

describe('fastParse reads get exactly as commander does', () => {
  it.each([
    [['get', 'web-1']],
    [['get', 'web-1', 'meta_data.json']],
    [['--json', 'get', 'web-1', '--all', '--no-token-cache']],
    [['get', '--os-cloud', 'lab', '--os-region-name', 'R2', 'web-1', 'user_data', '-o', '/tmp/x', '--raw']],
    [
      [
        '--timeout',
        '3',
        'get',
        '--project-id',
        'p',
        ID,
        '--metadata-url',
        'http://h:8775',
        '--forwarded-for',
        '10.0.0.1',
      ],
    ],
    [['get', 'web-1', '--ec2', 'meta-data/local-ipv4', '--metadata-version', '2009-04-04']],
    [
      [
        'get',
        'web-1',
        '--via-socket',
        '/run/s',
        '--network-id',
        'n',
        '--secret-from-config',
        'a',
        '--secret-from-config',
        'b',
      ],
    ],
    [
      [
        '--os-insecure',
        '--os-auth-url',
        'http://k:5000/v3',
        'get',
        '--all-projects',
        'web-1',
        '--metadata-insecure',
      ],
    ],
  ])('%j', async (argv) => {
    const { commander, fast } = await getBothWays(argv);
    expect(fast).toBeDefined();
    expect(fast).toEqual(commander);
  });

  it.each([
    [['get']],
    [['get', 'a', 'b', 'c']],
    [['get', 'web-1', '--help']],
    [['get', 'web-1', '--os-password', 'x']],
  ])('leaves %j to commander', (argv) => {
    expect(fastParse(argv, FAST_GLOBALS, GET_COMMAND)).toBeUndefined();
  });
});
