import type { Context } from '../../context.js';
import { listNamespaceNames, type MetadataNamespace, parseNamespaceName } from '../../host/netns.js';
import { mapLimit } from '../../util/pool.js';
import { gatherNodeFacts, readNamespaces } from './facts.js';
import { hostFileGuests } from './guests.js';
import { hop, skip } from './hop.js';
import {
  guestCandidates,
  lazyLookup,
  MAX_GUEST_TRIES,
  memoAgents,
  NEUTRON_GUEST_TRIES,
  ovnFor,
  ownerHops,
  passive,
  result,
  type Shared,
  sharedFor,
  skipProbeIfRouted,
  socketAndNova,
  socketFor,
  type TraceDeps,
} from './namespace.js';
import { sbGuests } from './ovn-hop.js';
import { probeHaproxy } from './probes.js';
import { type Guest, type Hop, inHopOrder, type TraceAllResult, type TraceOptions } from './types.js';

// trace --all: every metadata namespace on this node, shared hops checked once.

/** --all: the shared hops once, each namespace's own hops passively, probes where they look broken. */
export async function traceAll(ctx: Context, opts: TraceOptions, deps: TraceDeps): Promise<TraceAllResult> {
  const notes: string[] = [];
  const names = await listNamespaceNames(ctx.fs);
  const found = names.map(parseNamespaceName).filter((n): n is MetadataNamespace => n !== undefined);
  const { namespaces, skipped } = limitNamespaces(found, opts.maxNamespaces);
  if (skipped > 0) {
    notes.push(
      `--max-namespaces ${opts.maxNamespaces}: traced ${namespaces.length} of ${found.length} metadata namespaces (the first by name)`,
    );
  }
  if (namespaces.length === 0) {
    notes.push('no qdhcp-, qrouter- or ovnmeta- namespace on this node');
    return { ok: true, namespaces: [], notes };
  }
  // every namespace's addresses and listening sockets in a few processes, while /proc is read
  const [facts, read] = await Promise.all([
    gatherNodeFacts(ctx),
    readNamespaces(
      ctx,
      namespaces.map((n) => n.name),
      opts.probeTimeout * 1000,
    ),
  ]);
  facts.namespaces = read;
  const cache = new Map<string, Promise<Shared>>();
  const lookup = lazyLookup(deps, notes);
  let memo: ReturnType<typeof memoAgents> | undefined;
  const agentsLookup = (l: Awaited<ReturnType<typeof lookup>>) => {
    if (!l) return undefined;
    memo ??= memoAgents(l);
    return memo;
  };
  const runs = await mapLimit(namespaces, 8, async (ns) => {
    const [shared, r] = await Promise.all([
      sharedFor(ctx, facts, ns.kind, opts, cache),
      passive(ctx, ns, facts, opts),
    ]);
    const socket = await socketFor(ctx, facts, shared, ns, r.hf);
    return { r, shared, socket };
  });

  // one socket probe (and the shared nova probe) through the first namespace that looks healthy
  const probeNovaBy = new Map<string, { socket: Hop; nova: Hop; guest: Guest | null; netns: string }>();
  // guests: the DHCP host files of every healthy namespace (local reads), Neutron for a few only
  const healthy = runs.filter(
    ({ r, socket }) => r.nsHop.status === 'ok' && r.haproxyHop.status === 'ok' && socket.status === 'ok',
  );
  const local = await mapLimit(healthy, 16, async ({ r, shared }): Promise<Guest[]> => {
    if (r.ns.kind === 'qdhcp') {
      const ips = await hostFileGuests(ctx.fs, r.statePath, r.ns.id, r.nsFacts.interfaces);
      return ips.map((ip) => ({ ip, source: 'dhcp-host-file' as const }));
    }
    // OVN: the SB's ports of the network (read once: the ovn hop reads the same)
    if (r.ns.kind === 'ovnmeta' && shared.ovn) {
      return sbGuests(ctx, await shared.ovn, r.ns.id, opts.probeTimeout * 1000);
    }
    return [];
  });
  const asked = new Set(healthy.filter((_, i) => local[i]!.length === 0).slice(0, NEUTRON_GUEST_TRIES));
  const remote = await Promise.all(
    healthy.map((h) =>
      asked.has(h) ? guestCandidates(ctx, h.r.ns, h.r.nsFacts, h.r.statePath, lookup, notes) : [],
    ),
  );
  for (const [i, { r, shared }] of healthy.entries()) {
    if (probeNovaBy.has(shared.agent.program)) continue;
    const guests: Guest[] = local[i]!.length ? local[i]!.slice(0, MAX_GUEST_TRIES) : remote[i]!;
    if (guests.length === 0) continue;
    const out = await socketAndNova(ctx, r, shared, opts, { guests, lookup }, notes);
    probeNovaBy.set(shared.agent.program, { ...out, netns: r.ns.name });
  }

  const results = await mapLimit(runs, 8, async ({ r, shared, socket }) => {
    const t = ctx.clock();
    const ownBroken = r.nsHop.status === 'fail' || r.haproxyHop.status === 'fail' || socket.status === 'fail';
    const probe = (opts.probeAll || ownBroken) && r.nsFacts.exists;
    const probeH = probe
      ? await probeHaproxy(ctx, r.ns, r.nsFacts.exists, r.hf, opts.probeTimeout)
      : skip(
          hop('probe-haproxy', r.ns.name, t, t),
          ownBroken ? 'no namespace' : 'looks healthy: not probed (--probe-all probes every namespace)',
        );
    const sharedProbe = probeNovaBy.get(shared.agent.program);
    let socketProbe: Hop;
    let novaProbe: Hop;
    let guest: Guest | null = null;
    const rnotes: string[] = [];
    if (sharedProbe && sharedProbe.netns === r.ns.name) {
      ({ socket: socketProbe, nova: novaProbe, guest } = sharedProbe);
    } else if (probe && opts.probeAll) {
      const guests = await guestCandidates(ctx, r.ns, r.nsFacts, r.statePath, lookup, rnotes, {
        shared,
        timeoutMs: opts.probeTimeout * 1000,
      });
      const out = await socketAndNova(ctx, r, shared, opts, { guests, lookup }, rnotes);
      socketProbe = out.socket;
      novaProbe = sharedProbe?.nova ?? out.nova;
      guest = out.guest;
    } else {
      socketProbe = skip(
        hop('probe-socket', shared.agent.settings.socket.value, t, t),
        sharedProbe
          ? `probed once through ${sharedProbe.netns}`
          : 'not probed with --all (--probe-all, or trace --netns)',
      );
      novaProbe =
        sharedProbe?.nova ??
        skip(
          hop('probe-nova', shared.agent.program, t, t),
          'no guest known in the namespaces tried: trace --netns <ns> probes one',
        );
    }
    // Neutron is asked about a qdhcp- network's routers only when the namespace lacks its proxy
    const owners = await ownerHops(
      ctx,
      r,
      facts,
      opts,
      // Neutron (agent liveness, a qdhcp- network's routers) only for a namespace that looks broken
      agentsLookup(ownBroken ? await lookup() : undefined),
      guest?.ip,
      rnotes,
      r.ns.kind === 'qdhcp' && (r.nsHop.status === 'fail' || r.haproxyHop.status === 'fail'),
    );
    const ovn = await ovnFor(ctx, r, shared, undefined, opts, rnotes);
    const hops = inHopOrder({
      namespace: r.nsHop,
      spawner: owners.spawner,
      router: owners.router,
      ovn,
      haproxy: r.haproxyHop,
      socket,
      agent: shared.agentHop,
      nova: await shared.novaHop,
      'probe-haproxy': skipProbeIfRouted(probeH, owners.routing, r),
      'probe-socket': socketProbe,
      'probe-nova': novaProbe,
    });
    return result(r, hops, guest, rnotes);
  });
  return { ok: results.every((x) => x.ok), namespaces: results, notes, ...(skipped > 0 ? { skipped } : {}) };
}

/** --max-namespaces: the first N by name (byte order), so that every run covers the same ones. */
export function limitNamespaces(
  all: readonly MetadataNamespace[],
  max: number | undefined,
): { namespaces: MetadataNamespace[]; skipped: number } {
  if (max === undefined || all.length <= max) return { namespaces: [...all], skipped: 0 };
  const sorted = [...all].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { namespaces: sorted.slice(0, max), skipped: all.length - max };
}
