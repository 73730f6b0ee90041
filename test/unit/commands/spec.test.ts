import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { GLOBAL_OPTIONS } from '../../../src/commands/shared.js';
import { registerSign, SIGN_COMMAND, type SignOptions } from '../../../src/commands/sign.js';
import { addOptions, fastParse } from '../../../src/commands/spec.js';
import { createTestContext } from '../../helpers/context.js';

const ID = 'cc44da1b-aa6c-4ab2-926d-31aa6e134fb0';

/** What commander hands runSign for argv. */
async function viaCommander(argv: string[]): Promise<SignOptions> {
  const { ctx } = createTestContext();
  const program = new Command('osmeta').exitOverride();
  addOptions(program, GLOBAL_OPTIONS);
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
    const fast = fastParse(argv, GLOBAL_OPTIONS, SIGN_COMMAND);
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
    expect(fastParse(argv, GLOBAL_OPTIONS, SIGN_COMMAND)).toBeUndefined();
  });

  it('still validates values the same way (the parse function runs)', () => {
    expect(() => fastParse(['--timeout', '0', 'sign', ID], GLOBAL_OPTIONS, SIGN_COMMAND)).toThrow(
      "--timeout takes a positive number of seconds, not '0'",
    );
  });
});
