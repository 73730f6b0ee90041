import type { Context } from '../../context.js';
import { ExitCode, usageError } from '../../errors.js';
import { warn } from '../../output.js';
import { requireValid } from '../../util/validate.js';
import type { Invocation } from '../definition.js';
import { type GlobalFlags, globalsOf, openStackFlagsOf } from '../shared.js';
import { maxResponseBytesOf, nameProblem } from '../values.js';
import type { SMOKE } from './definition.js';
import { junitXml, progressBar, showProgress, smokeView } from './view.js';

export type SmokeInvocation = Invocation<typeof SMOKE, GlobalFlags>;

const maxOf = (n: number | undefined) => (n === undefined ? {} : { maxResponseBytes: n });

export async function smokeAction({ args, opts: o }: SmokeInvocation, ctx: Context): Promise<number> {
  const [servers] = args;
  const g = globalsOf(o);
  for (const s of servers) requireValid('the server', s, nameProblem);
  if (o.project !== undefined && servers.length > 0) {
    throw usageError('CONFLICTING_OPTIONS', 'give servers or --project, not both');
  }
  if (o.shard !== undefined && o.limit !== undefined) {
    throw usageError('CONFLICTING_OPTIONS', '--shard splits the whole list of servers: it takes no --limit');
  }
  if (o.prometheus === '-' && g.json) {
    throw usageError(
      'CONFLICTING_OPTIONS',
      '--prometheus - writes the metrics to stdout: it takes no --json',
    );
  }
  const { junit, prometheus, ...rest } = o;
  // network code is loaded here, not at start-up
  const { runSmoke } = await import('./run.js');
  const progress = showProgress(ctx, g) ? progressBar(ctx) : undefined;
  let result: Awaited<ReturnType<typeof runSmoke>>;
  try {
    result = await runSmoke(
      {
        ...rest,
        servers,
        os: openStackFlagsOf(o),
        timeout: g.timeout,
        ...maxOf(maxResponseBytesOf(o, ctx.env)),
      },
      ctx,
      progress ? { onServer: progress.update } : {},
    );
  } finally {
    progress?.clear();
  }
  for (const w of result.warnings) await warn(ctx, g, w);
  if (junit !== undefined) {
    // a CI job never reads half a report, and a planted symlink is never followed
    const { writeFileAtomic } = await import('../../safe-file.js');
    await writeFileAtomic(ctx.fs, junit, junitXml(result));
  }
  if (prometheus !== undefined)
    await (await import('./prometheus.js')).writeSmokeMetrics(ctx, prometheus, result);
  if (prometheus !== '-') await smokeView(result, ctx, g);
  return result.ok ? ExitCode.OK : ExitCode.DIAGNOSIS_FAILED;
}
