import { describe, expect, it } from 'vitest';
import { dispatch, fastInvocation } from '../../src/dispatch.js';
import type { Actions } from '../../src/program.js';
import { createTestContext } from '../helpers/context.js';

const ID = 'cc44da1b-aa6c-4ab2-926d-31aa6e134fb0';

interface Seen {
  name: string;
  args: unknown[];
  opts: Record<string, unknown>;
}

/** What the real program hands each action for argv: by the fast path, and by commander alone. */
async function bothWays(argv: string[]): Promise<{ fast?: Seen; commander?: Seen }> {
  const run = async (fastPath: boolean): Promise<Seen | undefined> => {
    const { ctx } = createTestContext();
    let seen: Seen | undefined;
    const spy =
      (name: string) =>
      async (inv: { args: unknown[]; opts: Record<string, unknown> }): Promise<number> => {
        seen = { name, args: [...inv.args], opts: { ...inv.opts } };
        return 0;
      };
    const actions = { sign: spy('sign'), get: spy('get') } as unknown as Partial<Actions>;
    const code = await dispatch(argv, ctx, { actions, fastPath });
    expect(code).toBe(0);
    return seen;
  };
  const fast = await run(true);
  const commander = await run(false);
  return { ...(fast ? { fast } : {}), ...(commander ? { commander } : {}) };
}

describe('the fast path reads sign exactly as commander does', () => {
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
    [['--os-cloud', 'lab', 'sign', '--no-token-cache', ID]],
  ])('%j', async (argv) => {
    expect(fastInvocation(argv)?.name).toBe('sign');
    const { fast, commander } = await bothWays(argv);
    expect(commander?.name).toBe('sign');
    expect(fast).toEqual(commander);
  });
});

describe('the fast path reads get exactly as commander does', () => {
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
        ID,
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
    expect(fastInvocation(argv)?.name).toBe('get');
    const { fast, commander } = await bothWays(argv);
    expect(commander?.name).toBe('get');
    expect(fast).toEqual(commander);
  });
});

describe('the fast path leaves commander to decide', () => {
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
    [['sign', '--', ID]],
    [['get']],
    [['get', 'a', 'b', 'c']],
    [['get', 'web-1', '--help']],
    [['get', 'web-1', '--os-password', 'x']],
    [['smoke', 'web-1']],
    [[]],
  ])('%j', (argv) => {
    expect(fastInvocation(argv)).toBeUndefined();
  });

  it('still validates values the same way (the parse function runs)', async () => {
    const t = createTestContext();
    expect(() => fastInvocation(['--timeout', '0', 'sign', ID])).toThrow(
      "--timeout takes a positive number of seconds, not '0'",
    );
    expect(await dispatch(['--timeout', '0', 'sign', ID], t.ctx)).toBe(2);
    expect(t.stderr()).toContain("--timeout takes a positive number of seconds, not '0'");
  });
});
