import type { Context } from '../../context.js';
import type { MetadataNamespace } from '../../host/netns.js';
import { where } from '../../host/service-config.js';
import { DHCP_AGENT, L3_AGENT, loadNovaConfig } from '../../host/services.js';
import { errorMessage } from '../../util/errors.js';
import { isIPv4Address } from '../../util/ip.js';
import { diagnose } from './diagnose.js';
import {
  type AgentFacts,
  agentFor,
  gatherNodeFacts,
  type NodeFacts,
  type NovaFacts,
  statePathFor,
} from './facts.js';
import { byIp, hostFileGuests } from './guests.js';
import { type HaproxyFacts, haproxyHop } from './haproxy-hop.js';
import { hop, skip } from './hop.js';
import { type NamespaceFacts, namespaceHop, socketHop } from './hops.js';
import { isComputePort, type OpenStackLookup, type PortInfo, ROUTER_INTERFACE_OWNERS } from './lookup.js';
import { explainedByOvn, type OvnNodeView, ovnHop, ovnNodeView, sbGuests } from './ovn-hop.js';
import {
  isRouted,
  type NetworkRouting,
  networkRouting,
  routerHop,
  routingFromOpts,
  servedBy,
  spawnerHop,
} from './owner-hops.js';
import {
  type NeutronView,
  type NovaProbeTarget,
  probeHaproxy,
  probeNova,
  probeSocket,
  resourceHeader,
  type SocketProbeOutcome,
} from './probes.js';
import { agentHop, novaHop } from './service-hops.js';
import { type Guest, type Hop, inHopOrder, type TraceOptions, type TraceResult } from './types.js';

export interface TraceDeps {
  /** the OpenStack API, when credentials are configured; undefined otherwise */
  openstack?: () => Promise<OpenStackLookup | undefined>;
}

/** The hops every namespace served by one metadata agent shares. */
export interface Shared {
  agent: AgentFacts;
  nova: NovaFacts;
  agentHop: Hop;
  novaHop: Promise<Hop>;
  socketHops: Map<string, Promise<Hop>>;
  /** OVN agents: the node's OVN (ovn-controller, SB, chassis), read once */
  ovn?: Promise<OvnNodeView>;
}

export const MAX_GUEST_TRIES = 3;
/** --all: namespaces whose guests are asked of Neutron (one call each) for the shared probes */
export const NEUTRON_GUEST_TRIES = 4;

/** The agent's config as the running agent reads it (from its command line). */
const configTrusted = (a: AgentFacts) => a.config.source === 'process' && a.config.files.length > 0;

export async function sharedFor(
  ctx: Context,
  facts: NodeFacts,
  kind: MetadataNamespace['kind'],
  opts: TraceOptions,
  cache: Map<string, Promise<Shared>>,
): Promise<Shared> {
  const agent = agentFor(facts, kind);
  let p = cache.get(agent.program);
  if (!p) {
    p = (async () => {
      const nova = await loadNovaConfig(ctx.fs, facts.processes, agent.settings.novaPort, opts.novaConfig);
      ctx.io.secret(nova.settings?.secret?.value, 'shared-secret');
      ctx.io.secret(nova.settings?.secretInDefault?.value, 'shared-secret');
      return {
        agent,
        nova,
        agentHop: agentHop(ctx, agent, nova),
        novaHop: novaHop(ctx, agent, nova, opts.probeTimeout * 1000),
        socketHops: new Map(),
        ...(kind === 'ovnmeta' && agent.ovn
          ? { ovn: ovnNodeView(ctx, facts, agent, opts.probeTimeout * 1000) }
          : {}),
      };
    })();
    cache.set(agent.program, p);
  }
  return p;
}

export function socketFor(
  ctx: Context,
  facts: NodeFacts,
  shared: Shared,
  ns: MetadataNamespace,
  hf: HaproxyFacts,
): Promise<Hop> {
  const agent = shared.agent;
  // a stopped agent's files are only Debian's defaults: they say nothing about the socket in use
  const agentKnown = configTrusted(agent);
  const path = hf.socketPath ?? agent.settings.socket.value;
  const key = `${path}|${hf.credentials?.uid ?? ''}|${hf.credentials?.gid ?? ''}|${ns.kind}`;
  let p = shared.socketHops.get(key);
  if (!p) {
    const spawner = ns.kind === 'qdhcp' ? DHCP_AGENT : ns.kind === 'qrouter' ? L3_AGENT : agent.program;
    p = socketHop(ctx, facts, {
      path,
      ...(agentKnown ? { agentPath: agent.settings.socket.value } : {}),
      agentRunning: agent.svc !== undefined,
      agentPids: agent.svc ? [agent.svc.parent.pid, ...agent.svc.workers.map((w) => w.pid)] : [],
      ...(hf.credentials ? { client: hf.credentials } : {}),
      others: facts.spawners
        .filter((s) => s.program === spawner)
        .map((s) => ({
          who: s.program,
          path: s.settings.socket.value,
          ...(s.settings.socket.from ? { where: where(s.settings.socket.from) } : {}),
        })),
    });
    shared.socketHops.set(key, p);
  }
  return p;
}

/**
 * Guests to impersonate on the socket: --ip/--server, else the DHCP host file (qdhcp-) or OVN's
 * southbound database (ovnmeta-), else Neutron.
 */
export async function guestCandidates(
  ctx: Context,
  ns: MetadataNamespace,
  nsFacts: NamespaceFacts,
  statePath: string,
  lazy: () => Promise<OpenStackLookup | undefined>,
  notes: string[],
  local?: { shared: Shared; timeoutMs: number },
): Promise<Guest[]> {
  if (ns.kind === 'ovnmeta' && local?.shared.ovn) {
    const guests = await sbGuests(ctx, await local.shared.ovn, ns.id, local.timeoutMs);
    if (guests.length > 0) return guests.slice(0, MAX_GUEST_TRIES);
  }
  if (ns.kind === 'qdhcp') {
    const ips = await hostFileGuests(ctx.fs, statePath, ns.id, nsFacts.interfaces);
    if (ips.length > 0) return ips.slice(0, MAX_GUEST_TRIES).map((ip) => ({ ip, source: 'dhcp-host-file' }));
  }
  const lookup = await lazy();
  if (!lookup) return [];
  try {
    let networks = [ns.id];
    if (ns.kind === 'qrouter') {
      const rports = await lookup.portsByDevice(ns.id);
      networks = [
        ...new Set(
          rports.filter((p) => ROUTER_INTERFACE_OWNERS.includes(p.deviceOwner)).map((p) => p.networkId),
        ),
      ];
    }
    const ports = (await Promise.all(networks.map((n) => lookup.portsOnNetwork(n))))
      .flat()
      .filter(isComputePort);
    return ports
      .flatMap((p) => p.fixedIps.filter(isIPv4Address).map((ip) => ({ ip, port: p })))
      .sort((a, b) => byIp(a.ip, b.ip))
      .slice(0, MAX_GUEST_TRIES)
      .map(({ ip, port }) => guestFromPort(ip, port));
  } catch (err) {
    notes.push(`Neutron could not be asked for a guest: ${errorMessage(err)}`);
    return [];
  }
}

export function guestFromPort(ip: string, port: PortInfo, source: Guest['source'] = 'neutron'): Guest {
  return { ip, source, instanceId: port.deviceId, projectId: port.projectId, portId: port.id };
}

export interface NamespaceRun {
  ns: MetadataNamespace;
  nsHop: Hop;
  nsFacts: NamespaceFacts;
  haproxyHop: Hop;
  hf: HaproxyFacts;
  statePath: string;
}

export async function passive(
  ctx: Context,
  ns: MetadataNamespace,
  facts: NodeFacts,
  opts: TraceOptions,
): Promise<NamespaceRun> {
  const statePath = statePathFor(facts, ns, opts.statePath);
  const { hop: nsHop, ns: nsFacts } = await namespaceHop(ctx, ns, facts, opts.probeTimeout * 1000);
  const { hop: haproxy, haproxy: hf } = await haproxyHop(ctx, ns, nsFacts, facts, statePath);
  return { ns, nsHop, nsFacts, haproxyHop: haproxy, hf, statePath };
}

export interface ProbeInputs {
  guests: Guest[];
  /** the OpenStack API, loaded on first use (most healthy traces never need it) */
  lookup: () => Promise<OpenStackLookup | undefined>;
}

export async function socketAndNova(
  ctx: Context,
  r: NamespaceRun,
  shared: Shared,
  opts: TraceOptions,
  p: ProbeInputs,
  notes: string[],
): Promise<{ socket: Hop; nova: Hop; guest: Guest | null }> {
  const t = ctx.clock();
  const agentKnown = configTrusted(shared.agent);
  if (p.guests.length === 0) {
    const why =
      r.ns.kind === 'qdhcp'
        ? `no guest to impersonate: no DHCP host file under ${r.statePath}/dhcp/${r.ns.id} and no Neutron credentials`
        : r.ns.kind === 'ovnmeta'
          ? "no guest to impersonate: no compute port in OVN's southbound database and no Neutron credentials"
          : 'no guest to impersonate without Neutron credentials';
    return {
      socket: skip(hop('probe-socket', shared.agent.settings.socket.value, t, t), `${why}: give --ip`),
      nova: skip(
        hop('probe-nova', shared.agent.program, t, t),
        'needs a guest whose instance and project are known',
      ),
      guest: null,
    };
  }
  const path = agentKnown
    ? shared.agent.settings.socket.value
    : (r.hf.socketPath ?? shared.agent.settings.socket.value);
  const header = resourceHeader(r.ns, r.hf);
  // each try works on its own copy: what the probes learn goes into the result, not the caller's list
  let first: { out: SocketProbeOutcome; guest: Guest; index: number } | undefined;
  let chosen: { out: SocketProbeOutcome; guest: Guest; index: number } | undefined;
  for (const [index, given] of p.guests.entries()) {
    const guest: Guest = { ...given };
    // asked only when the agent answers 404: does Neutron know a port with this address?
    const neutron = async (): Promise<NeutronView | undefined> => {
      const lookup = await p.lookup();
      if (!lookup) return undefined;
      try {
        const net = r.ns.kind === 'qrouter' ? undefined : r.ns.id;
        const ports = await lookup.portsByIp(guest.ip, net);
        const port = ports[0];
        if (ports.length !== 1 || !port) return { portsForIp: ports.length };
        guest.portId ??= port.id;
        guest.instanceId ??= port.deviceId || undefined;
        guest.projectId ??= port.projectId;
        return { portsForIp: 1, portId: port.id, deviceId: port.deviceId, projectId: port.projectId };
      } catch (err) {
        notes.push(`Neutron could not be asked about ${guest.ip}: ${errorMessage(err)}`);
        return undefined;
      }
    };
    const out = await probeSocket(
      ctx,
      guest,
      { path, header, agentRunning: shared.agent.svc !== undefined, neutron },
      opts.probeTimeout,
    );
    first ??= { out, guest, index };
    if (out.hop.status === 'ok') {
      chosen = { out, guest, index };
      break;
    }
    // a hang or a dead socket will not get better with another guest
    if (!['403', '404'].includes(String(out.hop.evidence.status))) break;
  }
  const pick = chosen ?? first!;
  const guest = pick.guest;
  if (pick.out.served) {
    guest.instanceId = pick.out.served.instanceId;
    if (pick.out.served.projectId) guest.projectId = pick.out.served.projectId;
    if (pick.out.served.name) guest.name = pick.out.served.name;
  }
  if (p.guests.length > 1 && chosen && chosen.index !== 0) {
    notes.push(`probe-socket: ${p.guests[0]!.ip} failed, ${guest.ip} answered; trace the first with --ip`);
  }

  // probe-nova: signed as the agent signs, for the instance and project the agent would send
  let nova: Hop;
  if (!agentKnown) {
    nova = skip(hop('probe-nova', shared.agent.program, t, t), "the agent's config (and secret) is unknown");
  } else if (!guest.instanceId || !guest.projectId) {
    nova = skip(
      hop('probe-nova', shared.agent.program, t, t),
      'needs the instance and project: the socket probe did not return them and Neutron was not asked',
    );
  } else {
    const target: NovaProbeTarget = {
      instanceId: guest.instanceId,
      projectId: guest.projectId,
      forwardedFor: guest.ip,
    };
    if (guest.instanceProjectId !== undefined) {
      target.serverProjectId = guest.instanceProjectId;
    } else if (pick.out.hop.status === 'fail' && (await p.lookup())) {
      try {
        const server = await (await p.lookup())!.server(guest.instanceId);
        target.serverProjectId = server ? server.projectId : null;
        if (server?.name) guest.name ??= server.name;
      } catch (err) {
        notes.push(`nova's API could not be asked about ${guest.instanceId}: ${errorMessage(err)}`);
      }
    }
    nova = await probeNova(ctx, shared.agent, target, opts.probeTimeout);
  }
  return { socket: pick.out.hop, nova, guest };
}

export function result(r: NamespaceRun, hops: Hop[], guest: Guest | null, notes: string[]): TraceResult {
  const diagnosis = diagnose(hops);
  return {
    netns: r.ns.name,
    kind: r.ns.kind,
    id: r.ns.id,
    ok: diagnosis === null,
    guest,
    hops,
    diagnosis,
    notes,
  };
}

/** Neutron's agent list once per trace, whatever the number of namespaces asking. */
export function memoAgents(lookup: OpenStackLookup | undefined): OpenStackLookup | undefined {
  if (!lookup?.agents) return lookup;
  const ask = lookup.agents.bind(lookup);
  const seen = new Map<string, ReturnType<typeof ask>>();
  return Object.assign(Object.create(lookup) as OpenStackLookup, {
    agents: (binary: string, host?: string) => {
      const key = `${binary}|${host ?? ''}`;
      let p = seen.get(key);
      if (!p) {
        p = ask(binary, host);
        seen.set(key, p);
      }
      return p;
    },
  });
}

/**
 * The spawner and router hops, and what they change in the namespace's own hops: a qdhcp- of a
 * routed network is not broken for lacking a proxy, and an option that turns metadata off explains
 * the missing address and proxy.
 */
export async function ownerHops(
  ctx: Context,
  r: NamespaceRun,
  facts: NodeFacts,
  opts: TraceOptions,
  lookup: OpenStackLookup | undefined,
  guestIp: string | undefined,
  notes: string[],
  askRouting = true,
): Promise<{ spawner: Hop; router: Hop; routing?: NetworkRouting }> {
  const routing =
    r.ns.kind !== 'qdhcp'
      ? undefined
      : ((askRouting ? await networkRouting(lookup, r.ns.id, notes) : undefined) ??
        (await routingFromOpts(ctx.fs, r.statePath, r.ns.id, r.nsFacts.interfaces)));
  const [spawner, router] = await Promise.all([
    spawnerHop(ctx, r.ns, facts, { ...(routing ? { routing } : {}), ...(lookup ? { lookup } : {}), notes }),
    routerHop(
      ctx,
      r.ns,
      facts,
      r.nsFacts.exists,
      r.nsFacts.inode,
      guestIp,
      routing,
      opts.probeTimeout * 1000,
    ),
  ]);
  const owner = r.ns.kind === 'ovnmeta' ? undefined : facts.owners[r.ns.kind];
  const routedElsewhere =
    r.ns.kind === 'qdhcp' && isRouted(routing) && owner?.options.forceMetadata.value === false;
  if (routedElsewhere) {
    const by = servedBy(routing!);
    for (const h of [r.nsHop, r.haproxyHop]) {
      if (h.status !== 'fail' || (h === r.haproxyHop && h.evidence.configExists === true)) continue;
      h.status = 'skip';
      h.detail = `not expected here: the network has a router, ${by} serves its metadata (force_metadata = False)`;
      delete h.cause;
      delete h.fix;
    }
  }
  if (spawner.status === 'fail') {
    for (const h of [r.nsHop, r.haproxyHop]) if (h.status === 'fail') h.consequenceOf = 'spawner';
  }
  return { spawner, router, ...(routing ? { routing } : {}) };
}

/** A probe of a proxy the network is not meant to have: not a failure. */
export function skipProbeIfRouted(h: Hop, routing: NetworkRouting | undefined, r: NamespaceRun): Hop {
  if (r.haproxyHop.status === 'skip' && isRouted(routing) && h.status === 'fail') {
    h.status = 'skip';
    h.detail = `not probed: ${servedBy(routing!)} serves this network`;
    delete h.cause;
    delete h.fix;
  }
  return h;
}

/** One namespace, every hop, every probe. */
export async function traceNamespace(
  ctx: Context,
  ns: MetadataNamespace,
  opts: TraceOptions,
  deps: TraceDeps,
  given: {
    guests?: Guest[];
    facts?: NodeFacts;
    lookup?: OpenStackLookup;
    notes?: string[];
    expected?: string[];
  } = {},
): Promise<TraceResult> {
  const notes = given.notes ?? [];
  const lookup = given.lookup ? async () => given.lookup : lazyLookup(deps, notes);
  const facts = given.facts ?? (await gatherNodeFacts(ctx));
  const cache = new Map<string, Promise<Shared>>();
  const [shared, r] = await Promise.all([
    sharedFor(ctx, facts, ns.kind, opts, cache),
    passive(ctx, ns, facts, opts),
  ]);
  if (given.expected && !r.nsFacts.exists) explainMissing(r.nsHop, ns, given.expected);
  const socket = await socketFor(ctx, facts, shared, ns, r.hf);
  const guests =
    given.guests ??
    (opts.ip ? [{ ip: opts.ip, source: 'option' as const }] : undefined) ??
    (await guestCandidates(ctx, ns, r.nsFacts, r.statePath, lookup, notes, {
      shared,
      timeoutMs: opts.probeTimeout * 1000,
    }));
  // Neutron is loaded for these hops only when the namespace itself looks broken (a healthy trace
  // with --ip needs no API) or when it was given (--server/--ip found the guest through it)
  const ownBroken = r.nsHop.status === 'fail' || r.haproxyHop.status === 'fail';
  const api = given.lookup ?? (ownBroken ? await lookup() : undefined);
  const owners = await ownerHops(ctx, r, facts, opts, memoAgents(api), guests[0]?.ip, notes);
  // the guest's binding is checked for a guest asked about (--ip, --server), not for one picked to probe
  const asked = opts.ip ?? given.guests?.[0]?.ip;
  const ovn = await ovnFor(ctx, r, shared, asked, opts, notes);
  const [probeH, rest] = await Promise.all([
    probeHaproxy(ctx, ns, r.nsFacts.exists, r.hf, opts.probeTimeout),
    socketAndNova(ctx, r, shared, opts, { guests, lookup }, notes),
  ]);
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
    'probe-socket': rest.socket,
    'probe-nova': rest.nova,
  });
  return result(r, hops, rest.guest, notes);
}

/** The ovn hop of a namespace; its verdict may explain the namespace's own failure. */
export async function ovnFor(
  ctx: Context,
  r: NamespaceRun,
  shared: Shared,
  guestIp: string | undefined,
  opts: TraceOptions,
  notes: string[],
): Promise<Hop> {
  const view = shared.ovn ? await shared.ovn : undefined;
  const h = await ovnHop(ctx, r.ns, view, r.nsFacts.interfaces, guestIp, opts.probeTimeout * 1000, notes);
  explainedByOvn(h, r.nsHop);
  return h;
}

/** The OpenStack API on first use; a failure to connect is a note, once, and trace goes on without. */
export function lazyLookup(deps: TraceDeps, notes: string[]): () => Promise<OpenStackLookup | undefined> {
  let p: Promise<OpenStackLookup | undefined> | undefined;
  return () => {
    p ??= (async () => {
      if (!deps.openstack) return undefined;
      try {
        return await deps.openstack();
      } catch (err) {
        notes.push(`OpenStack API not used: ${errorMessage(err)}`);
        return undefined;
      }
    })();
    return p;
  };
}

/** The namespace a guest's network needs is not here: say which ones would serve it. */
export function explainMissing(h: Hop, ns: MetadataNamespace, expected: readonly string[]) {
  h.evidence.expected = expected;
  h.cause = `no namespace on this node serves the guest's ${ns.kind === 'qrouter' ? 'router' : 'network'}: it would be ${expected.join(' or ')}, and none exists here; the agent that serves it runs on another node, or on none`;
  h.fix =
    ns.kind === 'ovnmeta'
      ? 'check neutron-ovn-metadata-agent on the chassis the port is bound to'
      : `openstack network agent list --network ${ns.id} shows which DHCP agents host it; run trace there`;
}
