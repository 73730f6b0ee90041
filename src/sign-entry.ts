// sign's own bundle (dist/sign.js, see scripts/build.mjs): what a signing loop pays for at start.
import { GLOBAL_OPTIONS } from './commands/shared.js';
import { SIGN_COMMAND, signAction } from './commands/sign.js';
import type { Context } from './context.js';
import { OPENSTACK_OPTIONS } from './openstack/options.js';
import { runFastPath } from './run.js';

export { createSystemContext } from './context.js';

/** The exit code of a well-formed sign call, or undefined: then the full CLI decides. */
export function trySign(argv: string[], ctx: Context): Promise<number | undefined> {
  return runFastPath(
    argv,
    ctx,
    [...GLOBAL_OPTIONS, ...OPENSTACK_OPTIONS],
    [{ spec: SIGN_COMMAND, action: (args, o, c) => signAction(args[0]!, o, c) }],
  );
}
