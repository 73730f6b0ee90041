import type { Context } from '../../context.js';
import { ExitCode, operationalError, usageError } from '../../errors.js';
import { warn } from '../../output.js';
import { fsReason } from '../../util/fs-reason.js';
import type { Invocation } from '../definition.js';
import { type GlobalFlags, globalsOf, openStackFlagsOf } from '../shared.js';
import type { SMOKE } from './definition.js';
import { junitXml, progressBar, showProgress, smokeView } from './view.js';

export type SmokeInvocation = Invocation<typeof SMOKE, GlobalFlags>;

/** Written next to the target and renamed: a CI job never reads half a report. */
async function writeAtomically(ctx: Context, path: string, data: string): Promise<void> {
  const tmp = `${path}.${ctx.pid}.${ctx.now()}.tmp`;
  try {
    await ctx.fs.writeFile(tmp, data, { mode: 0o644 });
    await ctx.fs.rename(tmp, path);
  } catch (err) {
    await ctx.fs.unlink(tmp).catch(() => {});
    throw operationalError('OUTPUT_UNWRITABLE', `cannot write ${path}: ${fsReason(err)}`);
  }
}

export async function smokeAction({ args, opts: o }: SmokeInvocation, ctx: Context): Promise<number> {
  const [servers] = args;
  const g = globalsOf(o);
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
      { ...rest, servers, os: openStackFlagsOf(o), timeout: g.timeout },
      ctx,
      progress ? { onServer: progress.update } : {},
    );
  } finally {
    progress?.clear();
  }
  for (const w of result.warnings) await warn(ctx, g, w);
  if (junit !== undefined) await writeAtomically(ctx, junit, junitXml(result));
  if (prometheus !== undefined)
    await (await import('./prometheus.js')).writeSmokeMetrics(ctx, prometheus, result);
  if (prometheus !== '-') await smokeView(result, ctx, g);
  return result.ok ? ExitCode.OK : ExitCode.DIAGNOSIS_FAILED;
}
