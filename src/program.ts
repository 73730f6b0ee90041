import type { Command } from 'commander';
import { type CompletionInvocation, completeAction, completionAction } from './commands/completion/action.js';
import { COMPLETION } from './commands/completion/definition.js';
import { addOptions, type CommandSpec, type Invocation, wire } from './commands/definition.js';
import { type GetInvocation, getAction } from './commands/get/action.js';
import { GET } from './commands/get/definition.js';
import { type GuestInvocation, guestAction } from './commands/guest/action.js';
import { GUEST } from './commands/guest/definition.js';
import { type SecretInvocation, secretAction } from './commands/secret/action.js';
import { SECRET } from './commands/secret/definition.js';
import {
  applyGlobalOptions,
  GLOBAL_OPTIONS,
  type GlobalFlags,
  OPENSTACK_OPTIONS,
} from './commands/shared.js';
import { type SignInvocation, signAction } from './commands/sign/action.js';
import { SIGN } from './commands/sign/definition.js';
import { type SmokeInvocation, smokeAction } from './commands/smoke/action.js';
import { SMOKE } from './commands/smoke/definition.js';
import { probeHttpAction, type TraceInvocation, traceAction } from './commands/trace/action.js';
import { PROBE_HTTP, TRACE } from './commands/trace/definition.js';
import type { Context } from './context.js';
import { ExitCode } from './errors.js';
import { VERSION } from './version.js';

// The full program: every command's definition wired to commander with its action. commander is
// loaded here, on first use, not at start-up (see src/dispatch.ts for the fast path).

type Action<I> = (inv: I, ctx: Context) => Promise<number>;

/** Every command's action; tests pass spies to check parsing alone. */
export interface Actions {
  sign: Action<SignInvocation>;
  get: Action<GetInvocation>;
  smoke: Action<SmokeInvocation>;
  trace: Action<TraceInvocation>;
  secretSet: Action<SecretInvocation>;
  secretDelete: Action<SecretInvocation>;
  secretStatus: Action<SecretInvocation>;
  probeHttp: Action<Invocation<typeof PROBE_HTTP, GlobalFlags>>;
  completion: Action<CompletionInvocation>;
  guest: Action<GuestInvocation>;
}

export const ACTIONS: Actions = {
  sign: signAction,
  get: getAction,
  smoke: smokeAction,
  trace: traceAction,
  secretSet: secretAction('set'),
  secretDelete: secretAction('delete'),
  secretStatus: secretAction('status'),
  probeHttp: probeHttpAction,
  completion: completionAction,
  guest: (inv, ctx) => guestAction(inv, ctx),
};

/** `osmeta __complete`, for the completion scripts (src/dispatch.ts sends it here, before commander). */
export { completeAction };

const EXAMPLES = `
Examples:
  osmeta sign --secret-from-config /etc/neutron/metadata_agent.ini <instance-uuid>
  osmeta get web-1                         # the document list nova serves web-1
  osmeta get web-1 meta_data.json --json
  sudo osmeta trace --netns qdhcp-<network-id>
  osmeta smoke --all-projects --junit smoke.xml
  osmeta guest                             # inside a guest: its half of the path

Exit codes: 0 ok, 1 operational failure, 2 usage, 3 diagnosis found failures,
4 credentials or signature rejected, 130 interrupted.`;

/** The commander program; the exit code of the action it runs goes to `done`. */
export async function buildProgram(
  ctx: Context,
  actions: Actions,
  done: (code: number) => void,
): Promise<Command> {
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
      // usage errors are rendered by dispatch() like every other error
      outputError: () => {},
    })
    .addHelpText('after', EXAMPLES);
  addOptions(program, OPENSTACK_OPTIONS);

  program.hook('preAction', (_thisCommand, actionCommand) => {
    applyGlobalOptions(actionCommand.optsWithGlobals(), ctx);
  });

  // commander hands over exactly what the definition declares, so the cast is the declaration's type
  const add = <I>(parent: Command, spec: CommandSpec, action: Action<I>) =>
    wire(parent, spec, (inv) => action(inv as I, ctx), done);
  add(program, SIGN, actions.sign);
  const secret = program.command(SECRET.name).description(SECRET.description);
  const [set, del, status] = SECRET.commands;
  add(secret, set!, actions.secretSet);
  add(secret, del!, actions.secretDelete);
  add(secret, status!, actions.secretStatus);
  if (SECRET.help !== undefined) secret.addHelpText('after', SECRET.help);
  add(program, GET, actions.get);
  add(program, SMOKE, actions.smoke);
  add(program, TRACE, actions.trace);
  add(program, PROBE_HTTP, actions.probeHttp);
  add(program, COMPLETION, actions.completion);
  add(program, GUEST, actions.guest);
  return program;
}

/** Runs argv through commander; returns the action's exit code. Throws what commander or the action throws. */
export async function runProgram(
  argv: readonly string[],
  ctx: Context,
  actions: Partial<Actions> = {},
): Promise<number> {
  let code: number = ExitCode.OK;
  const program = await buildProgram(ctx, { ...ACTIONS, ...actions }, (c) => {
    code = c;
  });
  if (argv.length === 0) {
    program.outputHelp();
    return ExitCode.USAGE;
  }
  await program.parseAsync([...argv], { from: 'user' });
  return code;
}
