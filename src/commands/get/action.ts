import type { Context } from '../../context.js';
import { ExitCode, operationalError } from '../../errors.js';
import { note, warn } from '../../output.js';
import { fsReason } from '../../util/fs-reason.js';
import type { Invocation } from '../definition.js';
import { type GlobalFlags, globalsOf, openStackFlagsOf } from '../shared.js';
import type { GET } from './definition.js';
import type { GetOptions } from './run.js';
import { allObject, getView } from './view.js';

export type GetInvocation = Invocation<typeof GET, GlobalFlags>;

/** get's options for its logic: the view's own (--raw, -o) taken out. */
export function getOptionsOf({ args, opts: o }: GetInvocation): GetOptions {
  const [server, document] = args;
  const { raw: _raw, output: _output, ...rest } = o;
  return {
    ...rest,
    server,
    ...(document === undefined ? {} : { document }),
    os: openStackFlagsOf(o),
    timeout: globalsOf(o).timeout,
  };
}

export async function getAction(inv: GetInvocation, ctx: Context): Promise<number> {
  // network code is loaded here, not at start-up (sign must not pay for undici)
  const { getMetadata } = await import('./run.js');
  const r = await getMetadata(getOptionsOf(inv), ctx);
  const { raw, output } = inv.opts;
  const g = globalsOf(inv.opts);
  for (const w of r.warnings) await warn(ctx, g, w);
  if (output !== undefined) {
    const data = r.document ? (r.document.body ?? Buffer.alloc(0)) : allObject(r);
    await writeOutput(ctx, output, data);
    note(
      ctx,
      g,
      `wrote ${Buffer.byteLength(data)} bytes${r.document ? ` of ${r.document.name}` : ''} to ${output}`,
    );
  }
  await getView(r, ctx, g, { ...(raw ? { raw } : {}), ...(output === undefined ? {} : { output }) });
  return ExitCode.OK;
}

async function writeOutput(ctx: Context, path: string, data: Buffer | string): Promise<void> {
  try {
    // metadata holds user data and passwords: not for other users' eyes
    await ctx.fs.writeFile(path, data, { mode: 0o600 });
  } catch (err) {
    throw operationalError('OUTPUT_UNWRITABLE', `cannot write ${path}: ${fsReason(err)}`);
  }
}
