import type { Command, CommanderError } from 'commander';
import { GET_COMMAND, getAction, registerGet } from './commands/get.js';
import { registerSecret } from './commands/secret.js';
import { applyGlobalOptions, debugRequested, GLOBAL_OPTIONS, takeExitCode } from './commands/shared.js';
import { registerSign, SIGN_COMMAND, signAction } from './commands/sign.js';
import { registerSmoke } from './commands/smoke.js';
import { addOptions, type CommandSpec, fastParse } from './commands/spec.js';
import { registerTrace } from './commands/trace.js';
import type { Context } from './context.js';
import { ExitCode, OsmetaError, usageError } from './errors.js';
import { addOpenStackOptions, OPENSTACK_OPTIONS } from './openstack/options.js';
import { renderError } from './output.js';
import { VERSION } from './version.js';

const EXAMPLES = `
Examples:
  osmeta sign --secret-from-config /etc/neutron/metadata_agent.ini <instance-uuid>
  osmeta get web-1                         # the document list nova serves web-1
  osmeta get web-1 meta_data.json --json
  sudo osmeta trace --netns qdhcp-<network-id>
  osmeta smoke --all-projects --junit smoke.xml

Exit codes: 0 ok, 1 operational failure, 2 usage, 3 diagnosis found failures,
4 credentials or signature rejected, 130 interrupted.`;

/** The full commander program. commander is loaded here, not at start-up (see fastParse). */
export async function buildProgram(ctx: Context): Promise<Command> {
  const { Command } = await import('commander');
  const program = new Command('osmeta');
  program
    .description("An operator's debugging CLI for OpenStack's metadata service")
    .version(VERSION, '--version', 'print the version')
    .helpOption('-h, --help', 'show help');
  addOptions(program, GLOBAL_OPTIONS);
  program
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.out(s),
      writeErr: (s) => ctx.io.err(s),
      // usage errors are rendered by main() like every other error
      outputError: () => {},
    })
    .addHelpText('after', EXAMPLES);
  addOpenStackOptions(program);

  program.hook('preAction', (_thisCommand, actionCommand) => {
    applyGlobalOptions(actionCommand.optsWithGlobals(), ctx);
  });

  registerSign(program, ctx);
  registerSecret(program, ctx);
  registerGet(program, ctx);
  registerSmoke(program, ctx);
  registerTrace(program, ctx);
  return program;
}

const isCommanderError = (e: unknown): e is CommanderError => {
  const code = (e as { code?: unknown } | undefined)?.code;
  return e instanceof Error && typeof code === 'string' && code.startsWith('commander.');
};

export const FAST_GLOBALS = [...GLOBAL_OPTIONS, ...OPENSTACK_OPTIONS];
const FAST_COMMANDS: ReadonlyArray<{
  spec: CommandSpec;
  action: (args: readonly string[], o: Record<string, unknown>, ctx: Context) => Promise<number>;
}> = [
  { spec: SIGN_COMMAND, action: (args, o, ctx) => signAction(args[0]!, o, ctx) },
  { spec: GET_COMMAND, action: getAction },
];

/** Runs osmeta; returns the exit code. Never throws, never exits. */
export async function main(argv: string[], ctx: Context): Promise<number> {
  const json = argv.includes('--json');
  const debug = debugRequested(argv, ctx.env);
  try {
    // sign and get are the hot paths (scripts call them in loops): a well-formed call skips commander
    for (const { spec, action } of FAST_COMMANDS) {
      const fast = fastParse(argv, FAST_GLOBALS, spec);
      if (fast) {
        applyGlobalOptions(fast.opts, ctx);
        return await action(fast.args, fast.opts, ctx);
      }
    }
    const program = await buildProgram(ctx);
    if (argv.length === 0) {
      program.outputHelp();
      return ExitCode.USAGE;
    }
    await program.parseAsync(argv, { from: 'user' });
    return takeExitCode(ctx);
  } catch (err) {
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
}
