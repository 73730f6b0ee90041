import type { Context } from '../../context.js';
import type { Invocation } from '../definition.js';
import { type GlobalFlags, globalsOf, secretOptionsOf } from '../shared.js';
import type { SIGN } from './definition.js';
import { runSign } from './run.js';
import { signView } from './view.js';

export type SignInvocation = Invocation<typeof SIGN, GlobalFlags>;

export async function signAction({ args, opts: o }: SignInvocation, ctx: Context): Promise<number> {
  const [instanceId] = args;
  const result = await runSign(
    {
      ...secretOptionsOf(o),
      instanceId,
      ...(o.verify === undefined ? {} : { verify: o.verify }),
      ...(o.curl === undefined ? {} : { curl: o.curl }),
      ...(o.projectId === undefined ? {} : { projectId: o.projectId }),
      ...(o.forwardedFor === undefined ? {} : { forwardedFor: o.forwardedFor }),
      metadataUrl: o.metadataUrl,
      path: o.path,
    },
    ctx,
  );
  return signView(result, ctx, globalsOf(o));
}
