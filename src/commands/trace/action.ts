import type { Context } from '../../context.js';
import { ExitCode, operationalError, usageError } from '../../errors.js';
import type { OpenStackFlags } from '../../openstack/options.js';
import { emit, type GlobalOptions, note } from '../../output.js';
import type { Invocation } from '../definition.js';
import { type GlobalFlags, globalsOf, openStackFlagsOf } from '../shared.js';
import { NETNS_HINT, type PROBE_HTTP, type TRACE } from './definition.js';
import type { ClosableLookup } from './openstack.js';
import type { TraceAllResult, TraceOptions, TraceResult } from './types.js';

export type { TraceOptions };
export type TraceCommandResult =
  | { mode: 'one'; result: TraceResult }
  | { mode: 'all'; result: TraceAllResult };

export async function runTrace(
  opts: TraceOptions,
  ctx: Context,
  flags: OpenStackFlags = {},
  timeoutS = 10,
): Promise<TraceCommandResult> {
  const targets = [opts.netns && '--netns', opts.server && '--server', opts.all && '--all'].filter(Boolean);
  if (opts.all && (opts.netns || opts.server || opts.ip)) {
    throw usageError(
      'CONFLICTING_OPTIONS',
      '--all traces every namespace: it takes no --netns, --server or --ip',
    );
  }
  if (targets.length > 1) throw usageError('CONFLICTING_OPTIONS', `choose one of ${targets.join(' and ')}`);
  if (targets.length === 0 && !opts.ip) {
    throw usageError('MISSING_TARGET', 'trace needs --netns, --server, --ip or --all', {
      hint: "e.g. osmeta trace --netns qdhcp-<network-id>; see 'osmeta trace --help'",
    });
  }
  if (opts.probeAll && !opts.all) throw usageError('CONFLICTING_OPTIONS', '--probe-all goes with --all');
  if (opts.maxNamespaces !== undefined && !opts.all) {
    throw usageError('CONFLICTING_OPTIONS', '--max-namespaces goes with --all');
  }
  const { isIP } = await import('node:net');
  if (opts.ip !== undefined && isIP(opts.ip) === 0) {
    throw usageError('INVALID_IP', `'${opts.ip}' is not an IP address`);
  }
  const { parseNamespaceName } = await import('../../host/netns.js');
  const ns = opts.netns === undefined ? undefined : parseNamespaceName(opts.netns);
  if (opts.netns !== undefined && !ns) {
    throw usageError('INVALID_NETNS', `'${opts.netns}' is not a metadata namespace name`, {
      hint: NETNS_HINT,
    });
  }
  if (ctx.uid !== 0) {
    throw operationalError(
      'NEEDS_ROOT',
      "trace needs root: it reads other users' /proc entries, enters network namespaces and connects to the agent's socket",
      { hint: 'run it with sudo' },
    );
  }
  const [{ traceAll }, { traceNamespace }, { traceGuest }] = await Promise.all([
    import('./all.js'),
    import('./namespace.js'),
    import('./guest.js'),
  ]);
  // the OpenStack API only when asked for (guest lookups), once, closed at the end
  let lookup: Promise<ClosableLookup | undefined> | undefined;
  const deps = {
    openstack: () => {
      lookup ??= import('./openstack.js').then((m) => m.openStackLookup(ctx, flags, timeoutS));
      return lookup;
    },
  };
  try {
    if (opts.all) return { mode: 'all', result: await traceAll(ctx, opts, deps) };
    if (ns) return { mode: 'one', result: await traceNamespace(ctx, ns, opts, deps) };
    return { mode: 'one', result: await traceGuest(ctx, opts, deps) };
  } finally {
    await (await lookup?.catch(() => undefined))?.close();
  }
}

function notesOf(r: TraceCommandResult): Set<string> {
  return new Set(
    r.mode === 'one' ? r.result.notes : [...r.result.notes, ...r.result.namespaces.flatMap((n) => n.notes)],
  );
}

async function traceView(r: TraceCommandResult, ctx: Context, g: GlobalOptions): Promise<void> {
  const { resultToJson } = await import('./types.js');
  const render = await import('./view.js');
  const s = await ctx.io.styles('stdout');
  const ext = (t: string) => ctx.io.external(t);
  for (const n of notesOf(r)) note(ctx, g, `note: ${n}`);
  if (r.mode === 'one') {
    await emit(ctx, g, {
      json: resultToJson(r.result),
      human: () => render.renderTrace(r.result, s, ctx.io.columns, ext),
    });
    return;
  }
  await emit(ctx, g, {
    json: {
      ok: r.result.ok,
      namespaces: r.result.namespaces.map(resultToJson),
      skipped: r.result.skipped ?? 0,
    },
    human: () => render.renderAll(r.result, s, ctx.io.columns, ext),
  });
}

export type TraceInvocation = Invocation<typeof TRACE, GlobalFlags>;

export async function traceAction({ opts: o }: TraceInvocation, ctx: Context): Promise<number> {
  const g = globalsOf(o);
  const opts: TraceOptions = {
    probeTimeout: o.probeTimeout,
    ...(o.netns !== undefined ? { netns: o.netns } : {}),
    ...(o.server !== undefined ? { server: o.server } : {}),
    ...(o.ip !== undefined ? { ip: o.ip } : {}),
    ...(o.all === true ? { all: true } : {}),
    ...(o.probeAll === true ? { probeAll: true } : {}),
    ...(o.maxNamespaces !== undefined ? { maxNamespaces: o.maxNamespaces } : {}),
    ...(o.statePath !== undefined ? { statePath: o.statePath } : {}),
    ...(o.novaConfig !== undefined ? { novaConfig: o.novaConfig } : {}),
  };
  if (o.prometheus !== undefined && !opts.all) {
    throw usageError('CONFLICTING_OPTIONS', '--prometheus goes with --all');
  }
  if (o.prometheus === '-' && g.json) {
    throw usageError(
      'CONFLICTING_OPTIONS',
      '--prometheus - writes the metrics to stdout: it takes no --json',
    );
  }
  const started = ctx.clock();
  const r = await runTrace(opts, ctx, openStackFlagsOf(o), g.timeout);
  if (o.prometheus !== undefined && r.mode === 'all') {
    const { writeTraceMetrics } = await import('./prometheus.js');
    await writeTraceMetrics(ctx, o.prometheus, r.result, started);
  }
  // with --prometheus -, stdout carries the metrics alone; the notes still go to stderr
  if (o.prometheus === '-') {
    for (const n of notesOf(r)) note(ctx, g, `note: ${n}`);
  } else {
    await traceView(r, ctx, g);
  }
  return r.result.ok ? ExitCode.OK : ExitCode.DIAGNOSIS_FAILED;
}

/** internal: one bounded HTTP request, answered as JSON — trace runs it inside a namespace */
export async function probeHttpAction(
  { args, opts: o }: Invocation<typeof PROBE_HTTP, GlobalFlags>,
  ctx: Context,
): Promise<number> {
  const [url] = args;
  const { httpProbe } = await import('../../host/http-probe.js');
  const { withForm } = await import('../../metadata/error-page.js');
  const headers: Record<string, string> = {};
  for (const line of o.header ?? []) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  const r = withForm(await httpProbe({ url, headers, timeoutMs: o.wait * 1000, maxBody: 4096 }, ctx));
  ctx.io.out(`${JSON.stringify(r)}\n`);
  return ExitCode.OK;
}
