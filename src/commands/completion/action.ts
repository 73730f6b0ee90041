import type { Context } from '../../context.js';
import { ExitCode, usageError } from '../../errors.js';
import type { Invocation } from '../definition.js';
import type { GlobalFlags } from '../shared.js';
import { type COMPLETION, SHELLS, type Shell } from './definition.js';
import { runComplete } from './run.js';
import { completeView, SCRIPTS } from './view.js';

export type CompletionInvocation = Invocation<typeof COMPLETION, GlobalFlags>;

const isShell = (s: string): s is Shell => (SHELLS as readonly string[]).includes(s);

/** `osmeta completion <shell>`: the script on stdout. */
export async function completionAction({ args }: CompletionInvocation, ctx: Context): Promise<number> {
  const [shell] = args;
  if (!isShell(shell)) {
    throw usageError('INVALID_ARGUMENT', `completion takes ${SHELLS.join(', ')}, not '${shell}'`);
  }
  ctx.io.out(SCRIPTS[shell]);
  return ExitCode.OK;
}

/** `osmeta __complete <words…>`: the candidates, for the scripts. Quiet: a shell shows no errors on TAB. */
export async function completeAction(words: readonly string[], ctx: Context): Promise<number> {
  try {
    ctx.io.out(completeView(await runComplete(words, ctx)));
  } catch {
    ctx.io.out(':none\n');
  }
  return ExitCode.OK;
}
