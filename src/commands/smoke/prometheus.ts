import type { Context } from '../../context.js';
import type { SmokeResult } from './run.js';

// smoke --prometheus FILE|-: the run as metrics (docs/prometheus.md, "smoke's metrics"), written
// also when a server failed (exit 3); not when smoke could not run at all (exit 1).

export const PROMETHEUS_STDOUT = '-';

export async function writeSmokeMetrics(ctx: Context, target: string, result: SmokeResult): Promise<void> {
  const [{ renderExposition }, { smokeMetrics }] = await Promise.all([
    import('../../metrics/exposition.js'),
    import('../../metrics/smoke.js'),
  ]);
  const text = renderExposition(smokeMetrics(result, ctx.now() / 1000));
  if (target === PROMETHEUS_STDOUT) {
    ctx.io.out(text);
    return;
  }
  const { writeMetricsFile } = await import('../../metrics/write.js');
  await writeMetricsFile(ctx.fs, target, text);
}
