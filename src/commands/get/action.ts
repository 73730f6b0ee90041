import type { Context } from '../../context.js';
import { ExitCode } from '../../errors.js';
import { note, warn } from '../../output.js';
import type { Invocation } from '../definition.js';
import { type GlobalFlags, globalsOf, openStackFlagsOf } from '../shared.js';
import { maxResponseBytesOf } from '../values.js';
import type { GET } from './definition.js';
import type { GetOptions } from './run.js';
import { allObject, getView } from './view.js';

export type GetInvocation = Invocation<typeof GET, GlobalFlags>;

/** get's options for its logic: the view's own (--raw, -o) taken out. */
export function getOptionsOf({ args, opts: o }: GetInvocation, ctx: Pick<Context, 'env'>): GetOptions {
  const [server, document] = args;
  const { raw: _raw, output: _output, ...rest } = o;
  const max = maxResponseBytesOf(o, ctx.env);
  return {
    ...(max === undefined ? {} : { maxResponseBytes: max }),
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
  const { raw, output } = inv.opts;
  const r = await getMetadata(getOptionsOf(inv, ctx), ctx, output === undefined ? {} : { output });
  const g = globalsOf(inv.opts);
  for (const w of r.warnings) await warn(ctx, g, w);
  if (output !== undefined) {
    let bytes: number;
    if (r.document) {
      // streamed straight into the file by getMetadata
      bytes = r.document.written ?? 0;
    } else {
      const data = allObject(r);
      const { writeFileAtomic } = await import('../../safe-file.js');
      await writeFileAtomic(ctx.fs, output, data);
      bytes = Buffer.byteLength(data);
    }
    note(ctx, g, `wrote ${bytes} bytes${r.document ? ` of ${r.document.name}` : ''} to ${output}`);
  }
  await getView(r, ctx, g, { ...(raw ? { raw } : {}), ...(output === undefined ? {} : { output }) });
  return ExitCode.OK;
}
