import type { Command } from 'commander';
import type { Context } from '../context.js';
import { ExitCode, operationalError, usageError } from '../errors.js';
import type { ClosableLookup } from '../host/trace/openstack.js';
import type { TraceAllResult, TraceOptions, TraceResult } from '../host/trace/types.js';
import type { OpenStackFlags } from '../openstack/options.js';
import { emit, type GlobalOptions, note } from '../output.js';
import { globalsOf, parsePositiveSeconds, setExitCode } from './shared.js';

export type { TraceOptions };
export type TraceCommandResult =
  | { mode: 'one'; result: TraceResult }
  | { mode: 'all'; result: TraceAllResult };

const NETNS_HINT = 'qdhcp-<network-id>, qrouter-<router-id> or ovnmeta-<network-id> (ip netns list)';

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
  const { isIP } = await import('node:net');
  if (opts.ip !== undefined && isIP(opts.ip) === 0) {
    throw usageError('INVALID_IP', `'${opts.ip}' is not an IP address`);
  }
  const { parseNamespaceName } = await import('../host/netns.js');
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
  const run = await import('../host/trace/run.js');
  // the OpenStack API only when asked for (guest lookups), once, closed at the end
  let lookup: Promise<ClosableLookup | undefined> | undefined;
  const deps = {
    openstack: () => {
      lookup ??= import('../host/trace/openstack.js').then((m) => m.openStackLookup(ctx, flags, timeoutS));
      return lookup;
    },
  };
  try {
    if (opts.all) return { mode: 'all', result: await run.traceAll(ctx, opts, deps) };
    if (ns) return { mode: 'one', result: await run.traceNamespace(ctx, ns, opts, deps) };
    return { mode: 'one', result: await run.traceGuest(ctx, opts, deps) };
  } finally {
    await (await lookup?.catch(() => undefined))?.close();
  }
}

export async function traceView(r: TraceCommandResult, ctx: Context, g: GlobalOptions): Promise<number> {
  const { resultToJson } = await import('../host/trace/types.js');
  const render = await import('../host/trace/render.js');
  const s = await ctx.io.styles('stdout');
  const notes =
    r.mode === 'one' ? r.result.notes : [...r.result.notes, ...r.result.namespaces.flatMap((n) => n.notes)];
  for (const n of new Set(notes)) note(ctx, g, `note: ${n}`);
  if (r.mode === 'one') {
    await emit(ctx, g, {
      json: resultToJson(r.result),
      human: () => render.renderTrace(r.result, s, ctx.io.columns),
    });
    return r.result.ok ? ExitCode.OK : ExitCode.DIAGNOSIS_FAILED;
  }
  await emit(ctx, g, {
    json: { ok: r.result.ok, namespaces: r.result.namespaces.map(resultToJson) },
    human: () => render.renderAll(r.result, s, ctx.io.columns),
  });
  return r.result.ok ? ExitCode.OK : ExitCode.DIAGNOSIS_FAILED;
}

const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

export function registerTrace(program: Command, ctx: Context, run = runTrace): void {
  const cmd = program
    .command('trace')
    .description(
      "inspect and probe every hop of a guest's metadata path on this network node (read-only, root)",
    )
    .option('--netns <name>', `the namespace to trace: ${NETNS_HINT}`)
    .option('--server <name|id>', "trace the namespace serving this server's port (Neutron)")
    .option(
      '--ip <address>',
      'the guest to impersonate on the socket probe (alone: find its port and namespace)',
    )
    .option('--all', 'every metadata namespace on this node, one line each, then the failing ones')
    .option('--probe-all', 'with --all: probe through every namespace, not only those that look broken')
    .option('--state-path <dir>', "neutron's state_path (pid files, haproxy configs, DHCP host files)")
    .addOption(
      program
        .createOption('--probe-timeout <seconds>', 'bound for each live probe: a hang is reported as a hang')
        .default(5)
        .argParser(parsePositiveSeconds('--probe-timeout')),
    )
    .addOption(
      program
        .createOption(
          '--nova-config <file>',
          "nova.conf to compare with (repeatable; default: the running nova's)",
        )
        .argParser(collect),
    );
  cmd.addHelpText(
    'after',
    `
Hops: namespace, haproxy, socket, agent, nova, then live probe-haproxy, probe-socket, probe-nova.
Exit codes: 0 every hop healthy, 3 a hop is broken (cause: and fix: name it), 1 trace could not run.

Examples:
  sudo osmeta trace --netns qdhcp-1548e69f-96a2-41ec-a74d-07234e530287
  sudo osmeta trace --netns qdhcp-<network-id> --ip 10.0.0.12 --json
  sudo osmeta trace --all`,
  );
  cmd.action(async (_o: unknown, c: Command) => {
    const o = c.optsWithGlobals();
    const g = globalsOf(o);
    const opts: TraceOptions = {
      probeTimeout: o.probeTimeout as number,
      ...(o.netns !== undefined ? { netns: o.netns as string } : {}),
      ...(o.server !== undefined ? { server: o.server as string } : {}),
      ...(o.ip !== undefined ? { ip: o.ip as string } : {}),
      ...(o.all === true ? { all: true } : {}),
      ...(o.probeAll === true ? { probeAll: true } : {}),
      ...(o.statePath !== undefined ? { statePath: o.statePath as string } : {}),
      ...(o.novaConfig !== undefined ? { novaConfig: o.novaConfig as string[] } : {}),
    };
    const { openStackFlagsOf } = await import('../openstack/options.js');
    setExitCode(ctx, await traceView(await run(opts, ctx, openStackFlagsOf(o), g.timeout), ctx, g));
  });

  // internal: one bounded HTTP request, answered as JSON — trace runs it inside a namespace
  program
    .command('__probe-http', { hidden: true })
    .argument('<url>')
    // not --timeout: the root program owns that name and would take the value
    .addOption(program.createOption('--wait <seconds>').default(5).argParser(parsePositiveSeconds('--wait')))
    .option('--header <line>', 'Name: value (repeatable)', collect)
    .action(async (url: string, o: { wait: number; header?: string[] }) => {
      const { httpProbe } = await import('../host/http-probe.js');
      const headers: Record<string, string> = {};
      for (const line of o.header ?? []) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).trim()] = line.slice(i + 1).trim();
      }
      const r = await httpProbe({ url, headers, timeoutMs: o.wait * 1000, maxBody: 4096 });
      ctx.io.out(`${JSON.stringify(r)}\n`);
    });
}
