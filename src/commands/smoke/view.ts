import type { Context } from '../../context.js';
import { borderlessTable, emit, type GlobalOptions } from '../../output.js';
import type { ServerResult, SmokeResult } from './run.js';

/** On a terminal only: never in pipes, with --quiet, or in CI logs (CI set). */
export const showProgress = (ctx: Context, g: GlobalOptions) => ctx.io.stderrIsTTY && !g.quiet && !ctx.env.CI;

export function progressBar(ctx: Context) {
  const width = 30;
  let shown = false;
  let failed = 0;
  return {
    update: (r: ServerResult, done: number, total: number) => {
      if (!r.ok) failed++;
      const filled = total === 0 ? width : Math.round((done / total) * width);
      ctx.io.progress(
        `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} servers${failed ? `, ${failed} failed` : ''}`,
      );
      shown = true;
    },
    clear: () => {
      if (shown) ctx.io.clearProgress();
    },
  };
}

export function smokeJson(r: SmokeResult): Record<string, unknown> {
  return {
    ok: r.ok,
    summary: r.summary,
    metadataUrl: r.metadataUrl,
    durationMs: Math.round(r.durationMs),
    stoppedEarly: r.stoppedEarly,
    servers: r.servers.map((s) => ({
      id: s.id,
      name: s.name,
      projectId: s.projectId,
      ok: s.ok,
      checks: s.checks.map((c) => ({
        name: c.name,
        ok: c.ok,
        detail: c.detail,
        durationMs: c.durationMs,
        retries: c.retries,
      })),
    })),
  };
}

const xml = (s: string) =>
  s
    .replace(
      /[<>&"']/g,
      (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!,
    )
    // XML 1.0 forbids most control characters
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

/** JUnit XML: one testsuite, one testcase per server and check. */
export function junitXml(r: SmokeResult): string {
  const cases = r.servers.flatMap((s) => s.checks.map((c) => ({ s, c })));
  const failures = cases.filter(({ c }) => !c.ok).length;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="osmeta smoke" tests="${cases.length}" failures="${failures}" time="${(r.durationMs / 1000).toFixed(3)}">`,
    `  <testsuite name="osmeta smoke" tests="${cases.length}" failures="${failures}" errors="0" skipped="0" time="${(r.durationMs / 1000).toFixed(3)}">`,
  ];
  for (const { s, c } of cases) {
    const head = `    <testcase classname="${xml(`${s.name || s.id} (${s.id})`)}" name="${xml(c.name)}" time="${(c.durationMs / 1000).toFixed(3)}"`;
    if (c.ok) lines.push(`${head}/>`);
    else {
      lines.push(`${head}>`);
      lines.push(
        `      <failure message="${xml(c.detail)}" type="${xml(c.name)}">${xml(c.detail)}</failure>`,
      );
      lines.push('    </testcase>');
    }
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}

async function humanText(ctx: Context, r: SmokeResult): Promise<string> {
  const s = await ctx.io.styles('stdout');
  const table = await borderlessTable(['SERVER', 'PROJECT', 'CHECKS', 'SLOWEST', 'FIRST FAILURE'], {
    wordWrap: true,
    colWidths: [null, null, null, null, Math.max(30, ctx.io.columns - 80)],
  });
  for (const srv of r.servers) {
    const passed = srv.checks.filter((c) => c.ok).length;
    const slowest = srv.checks.reduce((a, c) => (c.durationMs > a.durationMs ? c : a), srv.checks[0]!);
    const first = srv.checks.find((c) => !c.ok);
    // names and failure details come from tenants and servers: visible on a terminal, colours too
    table.push([
      ctx.io.external(srv.name || srv.id),
      ctx.io.external(srv.projectId),
      srv.ok ? s.green(`✔ ${passed}/${srv.checks.length}`) : s.red(`✖ ${passed}/${srv.checks.length}`),
      slowest ? `${slowest.durationMs} ms ${slowest.name}` : '',
      first ? `${first.name}: ${ctx.io.external(first.detail)}` : '',
    ]);
  }
  const { total, passed, failed } = r.summary;
  const verdict =
    failed === 0
      ? s.green(`✔ ${passed}/${total} servers passed`)
      : s.red(`✖ ${failed}/${total} servers failed`);
  const rate = r.durationMs > 0 ? (total / (r.durationMs / 1000)).toFixed(1) : '∞';
  const tail = `${verdict} in ${(r.durationMs / 1000).toFixed(1)} s (${rate} servers/s) against ${r.metadataUrl}${r.stoppedEarly ? ' — stopped at the first failure (--fail-fast)' : ''}`;
  return total === 0 ? `no servers to check\n` : `${table.toString()}\n\n${tail}\n`;
}

/** The table, or the JSON document. */
export async function smokeView(r: SmokeResult, ctx: Context, g: GlobalOptions): Promise<void> {
  await emit(ctx, g, { json: smokeJson(r), human: () => humanText(ctx, r) });
}
