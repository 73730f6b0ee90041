import type { Command } from 'commander';
import type { Context } from '../context.js';
import { ExitCode, operationalError, usageError } from '../errors.js';
import { fsReason } from '../host/oslo-config.js';
import { openStackFlagsOf } from '../openstack/options.js';
import { borderlessTable, emit, type GlobalOptions, warn } from '../output.js';
import type { ServerResult, SmokeOptions, SmokeResult } from '../smoke/run.js';
import { addSecretOptions, globalsOf, parsePositiveInt, setExitCode } from './shared.js';

export type { SmokeOptions, SmokeResult };

/** Network code is loaded here, not at start-up. */
export async function runSmoke(o: SmokeOptions, ctx: Context, g: GlobalOptions): Promise<SmokeResult> {
  if (o.project !== undefined && o.servers.length > 0) {
    throw usageError('CONFLICTING_OPTIONS', 'give servers or --project, not both');
  }
  const { runSmoke: run } = await import('../smoke/run.js');
  const progress = showProgress(ctx, g) ? progressBar(ctx) : undefined;
  try {
    return await run(o, ctx, progress ? { onServer: progress.update } : {});
  } finally {
    progress?.clear();
  }
}

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
      ctx.io.err(
        `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} servers${failed ? `, ${failed} failed` : ''}`,
      );
      shown = true;
    },
    clear: () => {
      if (shown) ctx.io.err('\r\u001b[2K');
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

/** Written next to the target and renamed: a CI job never reads half a report. */
async function writeAtomically(ctx: Context, path: string, data: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    await ctx.fs.writeFile(tmp, data, { mode: 0o644 });
    await ctx.fs.rename(tmp, path);
  } catch (err) {
    await ctx.fs.unlink(tmp).catch(() => {});
    throw operationalError('OUTPUT_UNWRITABLE', `cannot write ${path}: ${fsReason(err)}`);
  }
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
    table.push([
      srv.name || srv.id,
      srv.projectId,
      srv.ok ? s.green(`✔ ${passed}/${srv.checks.length}`) : s.red(`✖ ${passed}/${srv.checks.length}`),
      slowest ? `${slowest.durationMs} ms ${slowest.name}` : '',
      first ? `${first.name}: ${first.detail}` : '',
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

export async function smokeView(
  r: SmokeResult,
  ctx: Context,
  g: GlobalOptions,
  junit?: string,
): Promise<number> {
  for (const w of r.warnings) await warn(ctx, g, w);
  if (junit !== undefined) await writeAtomically(ctx, junit, junitXml(r));
  await emit(ctx, g, { json: smokeJson(r), human: () => humanText(ctx, r) });
  return r.ok ? ExitCode.OK : ExitCode.DIAGNOSIS_FAILED;
}

export function registerSmoke(program: Command, ctx: Context, run = runSmoke): void {
  const cmd = program
    .command('smoke')
    .description(
      "check that every server's metadata is right: nova's documents validated, JSON/JUnit reports",
    )
    .argument(
      '[servers...]',
      'server names or IDs (default: every server of the project, or see --project / --all-projects)',
    )
    .option('--project <project>', 'every server of this project (name or ID)')
    .option('--all-projects', 'every server of every project (admin)')
    .addOption(
      program.createOption('--limit <n>', 'at most this many servers').argParser(parsePositiveInt('--limit')),
    )
    .addOption(
      program
        .createOption('--concurrency <n>', 'servers checked at once')
        .default(16)
        .argParser(parsePositiveInt('--concurrency')),
    )
    .addOption(
      program
        .createOption('--retries <n>', 'retries of a 5xx answer, with backoff')
        .default(2)
        .argParser((v: string) => {
          const n = Number(v);
          if (!Number.isInteger(n) || n < 0 || n > 10)
            throw usageError('INVALID_OPTION', `--retries takes 0 to 10, not '${v}'`);
          return n;
        }),
    )
    .option('--expect-user-data', 'fail servers without user_data')
    .option(
      '--via-socket <path>',
      "also ask through the neutron metadata agent's UNIX socket, as each guest (root)",
    )
    .option('--fail-fast', 'stop starting servers after the first failure')
    .option('--junit <file>', 'write a JUnit XML report (one testcase per server and check)')
    .option(
      '--metadata-url <url>',
      "nova's metadata API (default: OSMETA_METADATA_URL, clouds.yaml metadata_url, the compute host:8775)",
    )
    .option('--metadata-cacert <file>', "CA bundle for an https metadata API (default: the cloud's)")
    .option('--metadata-cert <file>', 'client certificate for the metadata API (PEM)')
    .option('--metadata-key <file>', 'client certificate key for the metadata API (PEM)')
    .option('--metadata-insecure', "do not verify the metadata API's certificate");
  addSecretOptions(cmd);
  cmd.addHelpText(
    'after',
    `
Checks per server: the version list has latest; meta_data.json is 200 JSON with the server's uuid,
project_id, name and a hostname; network_data.json's links carry the server's port MACs;
vendor_data*.json are JSON when present; user_data with --expect-user-data; with --via-socket,
meta_data.json through the agent as the guest.

Exit codes: 0 all passed, 3 a server failed a check (a rejected signature included),
4 Keystone rejected the credentials, 1 it could not run.

Examples:
  osmeta smoke --all-projects --junit smoke.xml
  osmeta smoke --project demo --expect-user-data --json
  sudo osmeta smoke --all-projects --via-socket /var/lib/neutron/metadata_proxy`,
  );
  cmd.action(async (servers: string[], _o: unknown, c: Command) => {
    const o = c.optsWithGlobals();
    const g = globalsOf(o);
    const opts: SmokeOptions = {
      ...(o as Omit<SmokeOptions, 'servers' | 'os' | 'timeout'>),
      servers,
      os: openStackFlagsOf(o),
      timeout: g.timeout,
    };
    const result = await run(opts, ctx, g);
    setExitCode(ctx, await smokeView(result, ctx, g, o.junit as string | undefined));
  });
}
