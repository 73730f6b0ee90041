import type { CommanderError } from 'commander';
import { applyGlobalOptions, debugRequested } from './commands/shared.js';
import { type CommandSpec, fastParse, type OptionSpec } from './commands/spec.js';
import type { Context } from './context.js';
import { ExitCode, OsmetaError, usageError } from './errors.js';
import { renderError } from './output.js';

// What every way into osmeta shares: the fast path for hot commands, and the one place where a
// failure becomes an exit code and a message (never a stack trace unless --debug).

export interface FastCommand {
  spec: CommandSpec;
  action: (args: readonly string[], o: Record<string, unknown>, ctx: Context) => Promise<number>;
}

/** Runs the first command whose well-formed invocation argv is; undefined leaves it to commander. */
export async function runFastPath(
  argv: string[],
  ctx: Context,
  globals: readonly OptionSpec[],
  commands: readonly FastCommand[],
): Promise<number | undefined> {
  try {
    for (const { spec, action } of commands) {
      const fast = fastParse(argv, globals, spec);
      if (fast) {
        applyGlobalOptions(fast.opts, ctx);
        return await action(fast.args, fast.opts, ctx);
      }
    }
    return undefined;
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
  const message = err instanceof Error ? err.message : String(err);
  await renderError(
    ctx,
    json,
    new OsmetaError('INTERNAL_ERROR', ExitCode.OPERATIONAL, `unexpected error: ${message.split('\n')[0]}`, {
      hint: 'run again with --debug for the stack trace',
    }),
  );
  return ExitCode.OPERATIONAL;
}
