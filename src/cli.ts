import type { Command } from 'commander';
import { GET_COMMAND, getAction, registerGet } from './commands/get.js';
import { registerSecret } from './commands/secret.js';
import { applyGlobalOptions, GLOBAL_OPTIONS, takeExitCode } from './commands/shared.js';
import { registerSign, SIGN_COMMAND, signAction } from './commands/sign.js';
import { registerSmoke } from './commands/smoke.js';
import { addOptions } from './commands/spec.js';
import { registerTrace } from './commands/trace.js';
import type { Context } from './context.js';
import { ExitCode } from './errors.js';
import { addOpenStackOptions, OPENSTACK_OPTIONS } from './openstack/options.js';
import { type FastCommand, handleFailure, runFastPath } from './run.js';
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

export const FAST_GLOBALS = [...GLOBAL_OPTIONS, ...OPENSTACK_OPTIONS];
const FAST_COMMANDS: readonly FastCommand[] = [
  { spec: SIGN_COMMAND, action: (args, o, ctx) => signAction(args[0]!, o, ctx) },
  { spec: GET_COMMAND, action: getAction },
];

/** Runs osmeta; returns the exit code. Never throws, never exits. */
export async function main(argv: string[], ctx: Context): Promise<number> {
  // sign and get are the hot paths (scripts call them in loops): a well-formed call skips commander
  const fast = await runFastPath(argv, ctx, FAST_GLOBALS, FAST_COMMANDS);
  if (fast !== undefined) return fast;
  try {
    const program = await buildProgram(ctx);
    if (argv.length === 0) {
      program.outputHelp();
      return ExitCode.USAGE;
    }
    await program.parseAsync(argv, { from: 'user' });
    return takeExitCode(ctx);
  } catch (err) {
    return handleFailure(err, argv, ctx);
  }
}
