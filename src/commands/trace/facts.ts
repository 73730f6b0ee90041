import type { Context, ExecResult } from '../../context.js';
import { hostHasIpv6, type MetadataNamespace, type NamespaceKind } from '../../host/netns.js';
import {
  NAMESPACE_READER_PYTHON,
  type NamespaceRead,
  namespaceReaderArgs,
  parseNamespaceReads,
} from '../../host/netns-reader.js';
import { OVS_AGENT, type SpawnerOptions, spawnerOptions } from '../../host/neutron-agents.js';
import { OVN_AGENT, OVN_CONTROLLER, type OvnAgentConnections, ovnAgentConnections } from '../../host/ovn.js';
import { listProcesses, type ProcessInfo, readProcText } from '../../host/proc.js';
import { parseProcNetUnix, type UnixRow } from '../../host/proc-net.js';
import type { ConfigSet } from '../../host/service-config.js';
import {
  DEFAULT_STATE_PATH,
  DHCP_AGENT,
  defaultConfigPaths,
  findService,
  L3_AGENT,
  loadNovaConfig,
  METADATA_AGENT,
  type MetadataAgentSettings,
  metadataAgentSettings,
  type NovaConfigLocation,
  type NovaSettings,
  OVN_METADATA_AGENT,
  type ServiceProcesses,
  serviceConfig,
} from '../../host/services.js';
import { type Accounts, readAccounts } from '../../host/users.js';
import { mapLimit } from '../../util/pool.js';

// Everything trace learns about the node once, shared by every namespace it looks at.

export interface AgentFacts {
  program: string;
  /** undefined: no such process on this node */
  svc?: ServiceProcesses;
  config: ConfigSet & { source: 'process' | 'default' };
  settings: MetadataAgentSettings;
  /** OVN agents: their SB and local OVS connections, [agent] extensions */
  ovn?: OvnAgentConnections;
}

export interface NovaFacts {
  location: NovaConfigLocation;
  config: ConfigSet;
  /** undefined when no nova.conf could be read on this node */
  settings?: NovaSettings;
}

export interface NodeFacts {
  processes: ProcessInfo[];
  /** "net:[inode]" → the processes in that namespace */
  byNetns: Map<string, ProcessInfo[]>;
  accounts: Accounts;
  unix: UnixRow[];
  hostIpv6: boolean;
  /** the ML2/OVS and OVN metadata agents (config from their command lines, else Debian's defaults) */
  agents: Record<'ml2' | 'ovn', AgentFacts>;
  /** the agents that spawn haproxy, when they run here: their socket path must match */
  spawners: { program: string; svc: ServiceProcesses; config: ConfigSet; settings: MetadataAgentSettings }[];
  /** the DHCP and L3 agents, running or not (config from their command lines, else Debian's defaults) */
  owners: Record<'qdhcp' | 'qrouter', OwnerFacts>;
  /** neutron-openvswitch-agent on this node: it binds the ports and wires the namespaces' devices */
  ovsAgent?: ServiceProcesses;
  /** /proc/sys/kernel/hostname: the agents' default `host` */
  hostname: string;
  /** trace --all: every namespace's addresses and listening sockets, read up front in a few processes */
  namespaces?: ReadonlyMap<string, NamespaceRead>;
  /** ovn-controller on this node (OVN chassis) */
  ovnController?: ServiceProcesses;
}

export interface OwnerFacts {
  program: string;
  svc?: ServiceProcesses;
  config: ConfigSet & { source: 'process' | 'default' };
  options: SpawnerOptions;
}

/** Debian's invocations (internals §3.5, §5): the later file wins; OVN reads neutron.conf last. */
const AGENT_DEFAULT_FILES: Record<string, string[]> = {
  [METADATA_AGENT]: ['/etc/neutron/neutron.conf', '/etc/neutron/metadata_agent.ini'],
  [OVN_METADATA_AGENT]: ['/etc/neutron/neutron_ovn_metadata_agent.ini', '/etc/neutron/neutron.conf'],
  // neutron master: etc/oslo-config-generator/ovn_agent.ini (output_file …/plugins/ml2/ovn_agent.ini)
  [OVN_AGENT]: ['/etc/neutron/neutron.conf', '/etc/neutron/plugins/ml2/ovn_agent.ini'],
  [DHCP_AGENT]: ['/etc/neutron/neutron.conf', '/etc/neutron/dhcp_agent.ini'],
  [L3_AGENT]: ['/etc/neutron/neutron.conf', '/etc/neutron/l3_agent.ini'],
};

export async function gatherNodeFacts(ctx: Context): Promise<NodeFacts> {
  const [processes, accounts, unixText, hostIpv6] = await Promise.all([
    listProcesses(ctx.fs),
    readAccounts(ctx.fs),
    readProcText(ctx.fs, '/proc/net/unix'),
    hostHasIpv6(ctx.fs),
  ]);
  const byNetns = new Map<string, ProcessInfo[]>();
  for (const p of processes) {
    if (p.netns === undefined) continue;
    const list = byNetns.get(p.netns);
    if (list) list.push(p);
    else byNetns.set(p.netns, [p]);
  }
  const agentFacts = async (program: string): Promise<AgentFacts> => {
    const svc = await findService(ctx.fs, processes, program);
    const config = await serviceConfig(
      ctx.fs,
      svc,
      AGENT_DEFAULT_FILES[program] ?? defaultConfigPaths('neutron', program),
    );
    const f: AgentFacts = { program, config, settings: metadataAgentSettings(config) };
    if (program !== METADATA_AGENT) f.ovn = ovnAgentConnections(config);
    ctx.io.secret(f.settings.secret?.value, 'shared-secret');
    if (svc) f.svc = svc;
    return f;
  };
  const spawner = async (program: string) => {
    const svc = await findService(ctx.fs, processes, program);
    if (!svc) return undefined;
    const config = await serviceConfig(ctx.fs, svc, AGENT_DEFAULT_FILES[program] ?? []);
    const settings = metadataAgentSettings(config);
    ctx.io.secret(settings.secret?.value, 'shared-secret');
    return { program, svc, config, settings };
  };
  const owner = async (program: string): Promise<OwnerFacts> => {
    const svc = await findService(ctx.fs, processes, program);
    const config = await serviceConfig(ctx.fs, svc, AGENT_DEFAULT_FILES[program] ?? []);
    let options: SpawnerOptions;
    try {
      options = spawnerOptions(config);
    } catch {
      options = spawnerOptions({ paths: [], files: [], unreadable: [] });
    }
    return { program, config, options, ...(svc ? { svc } : {}) };
  };
  const [ml2, ovnMeta, ovnAgent, dhcp, l3, dhcpOwner, l3Owner, ovsAgent, hostname, ovnController] =
    await Promise.all([
      agentFacts(METADATA_AGENT),
      agentFacts(OVN_METADATA_AGENT),
      agentFacts(OVN_AGENT),
      spawner(DHCP_AGENT),
      spawner(L3_AGENT),
      owner(DHCP_AGENT),
      owner(L3_AGENT),
      findService(ctx.fs, processes, OVS_AGENT),
      readProcText(ctx.fs, '/proc/sys/kernel/hostname'),
      findService(ctx.fs, processes, OVN_CONTROLLER),
    ]);
  return {
    processes,
    byNetns,
    accounts,
    unix: unixText === undefined ? [] : parseProcNetUnix(unixText),
    hostIpv6,
    agents: { ml2, ovn: ovnServing(ovnMeta, ovnAgent) },
    spawners: [dhcp, l3].filter((s) => s !== undefined),
    owners: { qdhcp: dhcpOwner, qrouter: l3Owner },
    ...(ovsAgent ? { ovsAgent } : {}),
    hostname: (hostname ?? '').trim(),
    ...(ovnController ? { ovnController } : {}),
  };
}

/** Whether neutron-ovn-agent serves metadata: `[agent] extensions` names it. */
export const servesMetadata = (a: AgentFacts) =>
  a.program !== OVN_AGENT || !!a.ovn?.extensions.includes('metadata');

/**
 * The OVN agent that serves metadata here: neutron-ovn-agent with its metadata extension (2024.1+)
 * or neutron-ovn-metadata-agent, whichever runs; neither: the one whose config is on disk.
 */
export function ovnServing(meta: AgentFacts, agent: AgentFacts): AgentFacts {
  if (agent.svc && servesMetadata(agent)) return agent;
  if (meta.svc) return meta;
  if (agent.svc) return agent;
  const own = (a: AgentFacts, file: string) => a.config.paths.some((p) => p.endsWith(`/${file}`));
  return own(agent, 'ovn_agent.ini') && !own(meta, 'neutron_ovn_metadata_agent.ini') ? agent : meta;
}

/** The metadata agent that serves a namespace of this kind. */
export function agentFor(facts: NodeFacts, kind: NamespaceKind): AgentFacts {
  return kind === 'ovnmeta' ? facts.agents.ovn : facts.agents.ml2;
}

/** Where pid files, haproxy configs and DHCP host files live: --state-path, else the agents' state_path. */
export function statePathFor(facts: NodeFacts, ns: MetadataNamespace, option?: string): string {
  if (option !== undefined) return option.replace(/\/+$/, '');
  const spawnerProgram = ns.kind === 'qdhcp' ? DHCP_AGENT : ns.kind === 'qrouter' ? L3_AGENT : undefined;
  const spawner = facts.spawners.find((s) => s.program === spawnerProgram);
  const agent = agentFor(facts, ns.kind);
  for (const s of [spawner, agent]) {
    if (s?.config.files.some((f) => f.sections.get('DEFAULT')?.has('state_path')))
      return s.settings.statePath;
  }
  return DEFAULT_STATE_PATH;
}

export async function gatherNovaFacts(
  ctx: Context,
  facts: NodeFacts,
  novaPort: number,
  override?: readonly string[],
): Promise<NovaFacts> {
  return loadNovaConfig(ctx.fs, facts.processes, novaPort, override);
}

/** exec with a --debug line per command. */
export async function run(
  ctx: Context,
  file: string,
  args: readonly string[],
  timeoutMs: number,
): Promise<ExecResult> {
  const r = await ctx.exec(file, args, { timeoutMs });
  ctx.debug(
    `exec ${[file, ...args].join(' ')} → ${r.timedOut ? 'timed out' : `exit ${r.code}`} in ${Math.round(r.durationMs)} ms`,
  );
  return r;
}

/** Namespaces per reader process; two at a time keep both cores busy and each output small. */
export const READER_BATCH = 256;
const READER_CONCURRENCY = 2;
/** a reader's time limit grows with its list; what it did not finish is read again one by one */
const READER_MS_PER_NAMESPACE = 20;

/** Addresses and listening sockets of many namespaces, a few processes in all (netns-reader.ts). */
export async function readNamespaces(
  ctx: Context,
  names: readonly string[],
  timeoutMs: number,
): Promise<Map<string, NamespaceRead>> {
  const chunks: string[][] = [];
  for (let i = 0; i < names.length; i += READER_BATCH) chunks.push(names.slice(i, i + READER_BATCH));
  const parts = await mapLimit(chunks, READER_CONCURRENCY, async (chunk) => {
    const r = await ctx.exec(NAMESPACE_READER_PYTHON, namespaceReaderArgs(chunk), {
      timeoutMs: timeoutMs + chunk.length * READER_MS_PER_NAMESPACE,
    });
    const got = parseNamespaceReads(r.stdout);
    ctx.debug(
      `exec ${NAMESPACE_READER_PYTHON} -c <namespace reader> ${chunk[0]} … (${chunk.length} namespaces) → ${r.timedOut ? 'timed out' : `exit ${r.code}`}, ${got.size} read, in ${Math.round(r.durationMs)} ms`,
    );
    return got;
  });
  return new Map(parts.flatMap((m) => [...m]));
}

/** The reader's view of a namespace, when it read this very one (same nsfs inode). */
export function readerView(
  facts: Pick<NodeFacts, 'namespaces'>,
  name: string,
  inode: number | undefined,
): NamespaceRead | undefined {
  const pre = facts.namespaces?.get(name);
  return pre !== undefined && inode !== undefined && pre.inode === inode ? pre : undefined;
}

/** `ip -j -n <ns> addr show`: what the reader saw of the namespace, else one spawn. */
export function ipAddr(
  ctx: Context,
  facts: Pick<NodeFacts, 'namespaces'>,
  name: string,
  inode: number | undefined,
  timeoutMs: number,
): Promise<ExecResult> {
  const pre = readerView(facts, name, inode);
  if (pre) {
    return Promise.resolve({
      code: 0,
      signal: null,
      stdout: pre.addrJson,
      stderr: '',
      timedOut: false,
      durationMs: 0,
    });
  }
  return run(ctx, 'ip', ['-j', '-n', name, 'addr', 'show'], timeoutMs);
}
