import type { CommanderError } from 'commander';
import { COMPLETE_COMMAND } from './commands/completion/entry.js';
import { fastParse } from './commands/definition.js';
import { GET } from './commands/get/definition.js';
import { applyGlobalOptions, debugRequested, ROOT_OPTIONS } from './commands/shared.js';
import { signAction } from './commands/sign/action.js';
import { SIGN } from './commands/sign/definition.js';
import type { Context } from './context.js';
import { ExitCode, OsmetaError, usageError } from './errors.js';
import { renderError } from './output.js';
import type { Actions } from './program.js';
import { errorMessage } from './util/errors.js';

// The one way into osmeta, for bin/osmeta.js and the single executable alike: the fast path for
// the hot commands, commander for the rest, and the one place where a failure becomes an exit code
// and a message (never a stack trace unless --debug).

export interface DispatchOptions {
  /** stand-ins for the commands' actions (tests check parsing alone) */
  actions?: Partial<Actions>;
  /** false: straight to commander (the parity test compares both ways) */
  fastPath?: boolean;
}

// sign and get are the hot paths (scripts call them in loops): a well-formed call skips commander.
// bench/sign.mjs measures sign's start; get's action is loaded with the program, lazily.
const FAST = [SIGN, GET] as const;
type FastName = (typeof FAST)[number]['name'];

export interface FastInvocation {
  name: FastName;
  args: (string | undefined)[];
  opts: Record<string, unknown>;
}

/** The well-formed invocation of a hot command argv is, or undefined: then commander decides. */
export function fastInvocation(argv: readonly string[]): FastInvocation | undefined {
  for (const spec of FAST) {
    const parsed = fastParse(argv, ROOT_OPTIONS, spec);
    if (parsed) return { name: spec.name as FastName, ...parsed };
  }
  return undefined;
}

/** Runs osmeta; returns the exit code. Never throws, never exits. */
export async function dispatch(
  argv: readonly string[],
  ctx: Context,
  o: DispatchOptions = {},
): Promise<number> {
  try {
    // the completion scripts' entry: commander would read its words as options
    if (argv[0] === COMPLETE_COMMAND) {
      return await (await import('./program.js')).completeAction(argv.slice(1), ctx);
    }
    const fast = o.fastPath === false ? undefined : fastInvocation(argv);
    if (fast) {
      applyGlobalOptions(fast.opts, ctx);
      const inv = { args: fast.args, opts: fast.opts } as never;
      if (fast.name === 'sign') return await (o.actions?.sign ?? signAction)(inv, ctx);
      const get = o.actions?.get ?? (await import('./program.js')).ACTIONS.get;
      return await get(inv, ctx);
    }
    const { runProgram } = await import('./program.js');
    return await runProgram(argv, ctx, o.actions);
  } catch (err) {
    return handleFailure(err, argv, ctx);
  }
}

const isCommanderError = (e: unknown): e is CommanderError => {
  const code = (e as { code?: unknown } | undefined)?.code;
  return e instanceof Error && typeof code === 'string' && code.startsWith('commander.');
};

/** Any failure → its exit code, the one-line error (and the JSON error with --json). */
export async function handleFailure(err: unknown, argv: readonly string[], ctx: Context): Promise<number> {
  const json = argv.includes('--json');
  const debug = debugRequested(argv, ctx.env);
  if (isCommanderError(err)) {
    if (
      err.code === 'commander.helpDisplayed' ||
      err.code === 'commander.version' ||
      err.code === 'commander.help'
    ) {
      return ExitCode.OK;
    }
    const message = err.message.replace(/^error: /, '');
    await renderError(ctx, json, usageError('USAGE', message, { hint: "see 'osmeta --help'" }));
    return ExitCode.USAGE;
  }
  if (ctx.signal.aborted) {
    await renderError(ctx, json, new OsmetaError('INTERRUPTED', ExitCode.INTERRUPTED, 'interrupted'));
    return ExitCode.INTERRUPTED;
  }
  if (err instanceof OsmetaError) {
    if (debug && err.cause instanceof Error && err.cause.stack) ctx.io.err(`debug: ${err.cause.stack}\n`);
    await renderError(ctx, json, err);
    return err.exitCode;
  }
  if (debug && err instanceof Error && err.stack) ctx.io.err(`debug: ${err.stack}\n`);
  const message = errorMessage(err);
  await renderError(
    ctx,
    json,
    new OsmetaError('INTERNAL_ERROR', ExitCode.OPERATIONAL, `unexpected error: ${message.split('\n')[0]}`, {
      hint: 'run again with --debug for the stack trace',
    }),
  );
  return ExitCode.OPERATIONAL;
}
