import type { Context } from '../../context.js';
import { ExitCode } from '../../errors.js';
import { emit } from '../../output.js';
import type { Invocation } from '../definition.js';
import { type GlobalFlags, globalsOf } from '../shared.js';
import type { GUEST } from './definition.js';
import type { GuestTransport } from './transport.js';

export type GuestInvocation = Invocation<typeof GUEST, GlobalFlags>;

/** `osmeta guest`; tests hand it a fake transport (the real one talks to 169.254.169.254). */
export async function guestAction(
  { opts: o }: GuestInvocation,
  ctx: Context,
  transport?: GuestTransport,
): Promise<number> {
  const g = globalsOf(o);
  const [{ runGuest }, { systemTransport }, { resultToJson }, { renderGuest, verdict }] = await Promise.all([
    import('./run.js'),
    import('./transport.js'),
    import('./types.js'),
    import('./view.js'),
  ]);
  const r = await runGuest(ctx, transport ?? systemTransport(ctx), { timeoutMs: g.timeout * 1000 });
  const tty = ctx.io.stdoutIsTTY;
  const s = await ctx.io.styles('stdout');
  await emit(ctx, g, {
    json: resultToJson(r),
    human: () => (tty ? renderGuest(r, s, (t) => ctx.io.external(t), ctx.io.columns) : verdict(r)),
  });
  if (r.diagnosis && !tty && !g.json && !g.quiet) {
    // piped: the verdict alone on stdout, the why on stderr
    ctx.io.err(`cause: ${ctx.io.external(r.diagnosis.cause, { stream: 'stderr' })}\n`);
    if (r.diagnosis.fix) ctx.io.err(`fix: ${ctx.io.external(r.diagnosis.fix, { stream: 'stderr' })}\n`);
  }
  return r.ok ? ExitCode.OK : ExitCode.DIAGNOSIS_FAILED;
}
