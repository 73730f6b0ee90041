import { Command } from 'commander';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  arg,
  defineCommand,
  fastParse,
  flag,
  type Invocation,
  list,
  parseFlags,
  text,
  value,
  wire,
} from '../../../src/commands/definition.js';
import { GET } from '../../../src/commands/get/definition.js';
import { ROOT_OPTIONS } from '../../../src/commands/shared.js';
import { SIGN } from '../../../src/commands/sign/definition.js';
import { SMOKE } from '../../../src/commands/smoke/definition.js';
import { TRACE } from '../../../src/commands/trace/definition.js';

const DEMO = defineCommand({
  name: 'demo',
  args: [arg('<target>'), arg('[extra]')],
  options: [
    flag('--dry-run', 'only say what would happen'),
    flag('--no-cache', 'skip the cache'),
    text('--metadata-url <url>', 'where'),
    text('--mode <mode>', 'how', { default: 'fast' }),
    value('--count <n>', 'how many', Number, 3),
    list('--header <line>', 'repeatable'),
  ],
});

/** What commander hands the action for argv (the definition wired, a spy as the action). */
async function viaCommander(argv: string[]) {
  const program = new Command('t').exitOverride();
  let seen: { args: unknown[]; opts: Record<string, unknown> } | undefined;
  wire(
    program,
    DEMO,
    async (inv) => {
      seen = inv;
      return 0;
    },
    () => {},
  );
  await program.parseAsync(argv, { from: 'user' });
  return seen;
}

describe('a definition drives commander and the fast path alike', () => {
  it.each([
    [['demo', 'x']],
    [['demo', 'x', 'y', '--dry-run', '--no-cache']],
    [['demo', '--metadata-url', 'http://h', '--mode', 'slow', '--count', '7', 'x']],
    [['demo', 'x', '--header', 'A: 1', '--header=B: 2']],
  ])('%j', async (argv) => {
    const fast = fastParse(argv, [], DEMO);
    expect(fast).toBeDefined();
    expect(fast).toEqual(await viaCommander(argv));
  });

  it('gives defaults, true for a --no- flag not given, and parsed values', () => {
    expect(fastParse(['demo', 'x', '--count', '9'], [], DEMO)?.opts).toEqual({
      cache: true,
      mode: 'fast',
      count: 9,
    });
  });

  it("names each option by commander's attribute: camelCase, without no-", () => {
    expect(parseFlags('--os-auth-url <value>').attr).toBe('osAuthUrl');
    expect(parseFlags('--no-token-cache').attr).toBe('tokenCache');
    expect(parseFlags('-o, --output <file>')).toMatchObject({ short: 'o', long: 'output', attr: 'output' });
  });
});

describe("the options' TypeScript type comes from the definition", () => {
  it('types each option by its key: present with a default, optional without', () => {
    type Opts = Invocation<typeof DEMO>['opts'];
    expectTypeOf<Opts['mode']>().toEqualTypeOf<string>();
    expectTypeOf<Opts['count']>().toEqualTypeOf<number>();
    expectTypeOf<Opts['cache']>().toEqualTypeOf<boolean>();
    expectTypeOf<Opts['metadataUrl']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<Opts['header']>().toEqualTypeOf<string[] | undefined>();
    expectTypeOf<Invocation<typeof DEMO>['args']>().toEqualTypeOf<[string, string | undefined]>();
  });

  it('makes a renamed option a compile error where it is read', () => {
    const o = {} as Invocation<typeof SIGN>['opts'] & Invocation<typeof GET>['opts'];
    // @ts-expect-error sign has --curl, not --kurl
    void o.kurl;
    // @ts-expect-error get has --metadata-url, not --metadata-uri
    void o.metadataUri;
    expectTypeOf<Invocation<typeof SMOKE>['opts']['concurrency']>().toEqualTypeOf<number>();
    expectTypeOf<Invocation<typeof TRACE>['opts']['novaConfig']>().toEqualTypeOf<string[] | undefined>();
  });

  it('declares every flag once across the root options and each command', () => {
    for (const c of [SIGN, GET, SMOKE, TRACE]) {
      const longs = [...ROOT_OPTIONS, ...c.options].map((o) => parseFlags(o.flags).long);
      expect(new Set(longs).size).toBe(longs.length);
    }
  });
});
