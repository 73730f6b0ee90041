import { Command, CommanderError, Option } from 'commander';
import { registerSecret } from './commands/secret.js';
import { parsePositiveSeconds, takeExitCode } from './commands/shared.js';
import { registerSign } from './commands/sign.js';
import type { Context } from './context.js';
import { ExitCode, OsmetaError, usageError } from './errors.js';
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

export function buildProgram(ctx: Context): Command {
  const program = new Command('osmeta');
  program
    .description("An operator's debugging CLI for OpenStack's metadata service")
    .version(VERSION, '--version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .option('--json', 'one JSON document on stdout (also on failure)')
    .option('-q, --quiet', 'print nothing but errors')
    .option('--debug', 'log every request and command on stderr (secrets redacted)')
    .option('--no-color', 'no colour (NO_COLOR is honoured too)')
    .addOption(
      new Option('--timeout <seconds>', 'timeout for every network request')
        .default(10)
        .argParser(parsePositiveSeconds('--timeout')),
    )
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.out(s),
      writeErr: (s) => ctx.io.err(s),
      // usage errors are rendered by main() like every other error
      outputError: () => {},
    })
    .addHelpText('after', EXAMPLES);

  program.hook('preAction', (_thisCommand, actionCommand) => {
    const o = actionCommand.optsWithGlobals();
    if (o.color === false) ctx.io.disableColor();
    if (o.debug === true || isTruthy(ctx.env.OSMETA_DEBUG)) {
      ctx.debug = (line: string) => ctx.io.err(`debug: ${line}\n`);
    }
  });

  registerSign(program, ctx);
  registerSecret(program, ctx);
  return program;
}

const isTruthy = (v: string | undefined) =>
  v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';

/** Runs osmeta; returns the exit code. Never throws, never exits. */
export async function main(argv: string[], ctx: Context): Promise<number> {
  const json = argv.includes('--json');
  const debug = argv.includes('--debug') || isTruthy(ctx.env.OSMETA_DEBUG);
  try {
    const program = buildProgram(ctx);
    if (argv.length === 0) {
      program.outputHelp();
      return ExitCode.USAGE;
    }
    await program.parseAsync(argv, { from: 'user' });
    return takeExitCode(ctx);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.version' ||
        err.code === 'commander.help'
      ) {
        return ExitCode.OK;
      }
      if (err.code === 'commander.executeSubCommandAsync') return ExitCode.OK;
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
