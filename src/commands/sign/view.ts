import type { Context } from '../../context.js';
import { ExitCode } from '../../errors.js';
import { emit, type GlobalOptions, warn } from '../../output.js';
import type { SignResult } from './run.js';

/** sign's answer: the signature, the curl command, or the verdict of --verify (exit 4 on a mismatch). */
export async function signView(r: SignResult, ctx: Context, g: GlobalOptions): Promise<number> {
  for (const w of r.warnings) await warn(ctx, g, w);
  const json = {
    instanceId: r.instanceId,
    signature: r.signature,
    secretSource: r.secretSource,
    ...(r.match === undefined ? {} : { match: r.match }),
    ...(r.curl === undefined ? {} : { curl: r.curl }),
  };
  if (r.match !== undefined) {
    const s = await ctx.io.styles('stdout');
    await emit(ctx, g, {
      json,
      human: () =>
        r.match
          ? `${s.green('✔ match')}: the signature is nova's for ${r.instanceId} with this secret`
          : `${s.red('✖ mismatch')}: nova would answer 403 for ${r.instanceId} with this signature and secret`,
    });
    return r.match ? ExitCode.OK : ExitCode.CREDENTIALS;
  }
  await emit(ctx, g, { json, human: () => r.curl ?? r.signature });
  return ExitCode.OK;
}
