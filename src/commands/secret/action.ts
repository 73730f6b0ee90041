import type { Context } from '../../context.js';
import { ExitCode } from '../../errors.js';
import { warn } from '../../output.js';
import type { Invocation } from '../definition.js';
import { type GlobalFlags, globalsOf } from '../shared.js';
import type { SECRET_SET } from './definition.js';
import { runSecret, type SecretAction } from './run.js';
import { secretView } from './view.js';

/** set, delete and status take the same options. */
export type SecretInvocation = Invocation<typeof SECRET_SET, GlobalFlags>;

export function secretAction(action: SecretAction) {
  return async ({ opts: o }: SecretInvocation, ctx: Context): Promise<number> => {
    const g = globalsOf(o);
    const result = await runSecret({ action, name: o.name }, ctx);
    for (const w of result.warnings) await warn(ctx, g, w);
    await secretView(result, ctx, g);
    // status answers with the exit code too, for scripts: 0 stored, 1 not stored
    return result.action === 'status' && !result.stored ? ExitCode.OPERATIONAL : ExitCode.OK;
  };
}
