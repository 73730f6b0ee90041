import type { Context } from '../../context.js';
import type { TraceAllResult } from './types.js';

// trace --all --prometheus FILE|-: what the trace found, as node_exporter's textfile collector
// reads it (docs/prometheus.md). Written also when a hop is broken (exit 3): the metrics carry
// the verdict. Not written when trace could not run (exit 1): the file ages instead.

/** `-` is stdout; anything else a file replaced atomically. */
export const PROMETHEUS_STDOUT = '-';

/** @param startedMs ctx.clock() taken before the trace */
export async function writeTraceMetrics(
  ctx: Context,
  target: string,
  result: TraceAllResult,
  startedMs: number,
): Promise<void> {
  const [{ renderExposition }, { traceMetrics }] = await Promise.all([
    import('../../metrics/exposition.js'),
    import('../../metrics/trace.js'),
  ]);
  const text = renderExposition(
    traceMetrics(result, {
      durationSeconds: (ctx.clock() - startedMs) / 1000,
      timestampSeconds: ctx.now() / 1000,
    }),
  );
  if (target === PROMETHEUS_STDOUT) {
    ctx.io.out(text);
    return;
  }
  const { writeMetricsFile } = await import('../../metrics/write.js');
  await writeMetricsFile(ctx.fs, target, text);
}
