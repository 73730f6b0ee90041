import type { Context } from '../../context.js';
import {
  describeRateLimit,
  type HaproxyConfig,
  type MetadataResource,
  parseHaproxyConfig,
  serverSocketPath,
} from '../../host/haproxy-config.js';
import { KIND_AGENT, type MetadataNamespace } from '../../host/netns.js';
import {
  describeOption,
  respawnPolicy,
  type SpawnerOptions,
  spawnerOptions,
} from '../../host/neutron-agents.js';
import { isAlive, type ProcessInfo, readProcText, readStatus, runsProgram } from '../../host/proc.js';
import { listensOn, parseProcNetTcp } from '../../host/proc-net.js';
import type { Credentials } from '../../host/users.js';
import {
  HEADER_NEUTRON_NETWORK_ID,
  HEADER_NEUTRON_ROUTER_ID,
  HEADER_OVN_NETWORK_ID,
} from '../../metadata/protocol.js';
import { type NodeFacts, type OwnerFacts, readerView } from './facts.js';
import { fail, hop, skip } from './hop.js';
import type { NamespaceFacts } from './hops.js';
import type { Hop } from './types.js';

// The haproxy hop: the process in the namespace, its config, and what it listens on.

export interface HaproxyFacts {
  pid?: number;
  confPath: string;
  config?: HaproxyConfig;
  /** who haproxy runs as (for the socket's permission check) */
  credentials?: Credentials & { user: string };
  socketPath?: string;
}

export async function haproxyHop(
  ctx: Context,
  ns: MetadataNamespace,
  nsFacts: NamespaceFacts,
  facts: NodeFacts,
  statePath: string,
): Promise<{ hop: Hop; haproxy: HaproxyFacts }> {
  const t0 = ctx.clock();
  const dir = ns.kind === 'ovnmeta' ? 'ovn-metadata-proxy' : 'ns-metadata-proxy';
  const expectedConf = `${statePath}/${dir}/${ns.id}.conf`;
  const h = hop('haproxy', ns.name, t0, t0);
  const hf: HaproxyFacts = { confPath: expectedConf };
  const done = () => {
    h.durationMs = ctx.clock() - t0;
    return { hop: h, haproxy: hf };
  };
  if (!nsFacts.exists || nsFacts.inode === undefined) {
    skip(h, 'no namespace');
    return done();
  }
  const inNs = (facts.byNetns.get(`net:[${nsFacts.inode}]`) ?? []).filter((p) => runsProgram(p, 'haproxy'));
  const running = inNs.find((p) => confArg(p) !== undefined) ?? inNs[0];
  if (running) hf.confPath = confArg(running) ?? expectedConf;

  const confText = await readProcText(ctx.fs, hf.confPath);
  if (confText !== undefined) {
    hf.config = parseHaproxyConfig(confText, hf.confPath);
    // even a dead haproxy's config says which socket it would connect to
    const sp = serverSocketPath(hf.config);
    if (sp !== undefined) hf.socketPath = sp;
  }
  const pidFile = hf.config?.pidfile ?? `${statePath}/external/pids/${ns.id}.pid.haproxy`;
  const pidText = await readProcText(ctx.fs, pidFile);
  const filePid = pidText === undefined ? undefined : Number.parseInt(pidText.trim(), 10);
  h.evidence = {
    pid: running?.pid ?? null,
    config: hf.confPath,
    configExists: confText !== undefined,
    pidFile,
    pidFilePid: filePid === undefined || Number.isNaN(filePid) ? null : filePid,
  };

  if (!running) {
    await haproxyDown(ctx, h, ns, hf, facts, { pidFile, filePid, confFound: confText !== undefined });
    return done();
  }

  hf.pid = running.pid;
  const status = await readStatus(ctx.fs, running.pid);
  if (status) {
    const uid = status.uids[1] ?? status.uids[0] ?? -1;
    const gid = status.gids[1] ?? status.gids[0] ?? -1;
    hf.credentials = { uid, gid, groups: status.groups, user: facts.accounts.userName(uid) };
    h.evidence.user = facts.accounts.userName(uid);
    h.evidence.group = facts.accounts.groupName(gid);
  }
  const notes: string[] = [];
  if (filePid !== running.pid) {
    notes.push(
      filePid === undefined || Number.isNaN(filePid)
        ? `no pid file ${pidFile}`
        : `the pid file names ${filePid}, not ${running.pid}`,
    );
  }
  if (inNs.length > 1) notes.push(`${inNs.length} haproxy processes in the namespace`);
  if (!hf.config) {
    fail(
      h,
      `pid ${running.pid}, config ${hf.confPath} unreadable`,
      `haproxy (pid ${running.pid}) runs with ${hf.confPath}, which cannot be read`,
      'run trace as root; the config lives under the agent state path',
      'haproxy_config_unreadable',
    );
    return done();
  }
  const cfg = hf.config;
  h.evidence.bind = cfg.binds.map((b) => b.raw);
  h.evidence.server = cfg.servers[0]?.address ?? null;
  h.evidence.header = cfg.resource ? `${cfg.resource.header} ${cfg.resource.id}` : null;
  // additions for newer neutron (2024.1+): nbthread, [metadata_rate_limiting], [haproxy] timeouts
  if (cfg.nbthread !== undefined) h.evidence.nbthread = cfg.nbthread;
  if (cfg.rateLimit) h.evidence.rateLimit = cfg.rateLimit;
  if (cfg.timeouts.server !== undefined) h.evidence.timeoutServer = cfg.timeouts.server;
  if (cfg.rateLimit)
    notes.push(
      `rate limit: ${cfg.rateLimit.map(describeRateLimit).join(', ')} → ${cfg.rateLimit[0]!.status}`,
    );
  if (notes.length > 0) h.evidence.notes = notes;
  const target = `pid ${running.pid}`;
  h.target = target;

  const problem = configProblem(ns, hf.confPath, cfg, hf.socketPath);
  if (problem) {
    fail(
      h,
      `${target}: ${problem.detail}`,
      problem.cause,
      `let the ${KIND_AGENT[ns.kind]} rewrite the config (restart it)`,
    );
    return done();
  }

  const binds = await listening(ctx, facts, h, ns, nsFacts, running.pid, target, cfg);
  if (!binds) return done();
  h.detail = `bind ${binds.map((b) => `${b.host}:${b.port}`).join(', ')}${notes.length ? ` (${notes.join('; ')})` : ''}`;
  return done();
}

function confArg(p: ProcessInfo): string | undefined {
  const i = p.argv.indexOf('-f');
  return i >= 0 ? p.argv[i + 1] : undefined;
}

/** No haproxy in the namespace: what its pid file and config say about why. */
async function haproxyDown(
  ctx: Context,
  h: Hop,
  ns: MetadataNamespace,
  hf: HaproxyFacts,
  facts: NodeFacts,
  f: { pidFile: string; filePid: number | undefined; confFound: boolean },
): Promise<void> {
  const { pidFile, filePid } = f;
  const alive = filePid !== undefined && !Number.isNaN(filePid) && (await isAlive(ctx.fs, filePid));
  const byHand = !f.confFound ? '' : `; by hand: ip netns exec ${ns.name} haproxy -f ${hf.confPath}`;
  const owner = ns.kind === 'ovnmeta' ? ovnOwner(facts) : facts.owners[ns.kind];
  const policy = owner ? respawnPolicy(owner.options) : undefined;
  // the ProcessMonitor respawns a proxy whose pid file it wrote, while the agent runs
  const willRespawn = owner?.svc !== undefined && policy?.respawns === true && filePid !== undefined;
  if (owner && policy) {
    h.evidence.respawnIntervalS = policy.intervalS;
    h.evidence.willRespawn = willRespawn;
    h.evidence.spawnerPid = owner.svc?.parent.pid ?? null;
  }
  const respawn =
    !owner || !policy
      ? `the OVN metadata agent respawns it on its next sync (restart neutron-ovn-metadata-agent)${byHand}`
      : willRespawn
        ? `wait up to ${policy.intervalS} s for ${owner.program} (pid ${owner.svc!.parent.pid}) to respawn it; if it stays dead, read the agent's log and restart ${owner.program}${byHand}`
        : owner.svc === undefined
          ? `start ${owner.program}: it starts the proxy again${byHand}`
          : filePid === undefined
            ? `restart ${owner.program} and read its log: it never started this proxy${byHand}`
            : `restart ${owner.program}: with ${describeOption('check_child_processes_interval', owner.options.childInterval)} / check_child_processes_action = ${owner.options.childAction.value} it does not respawn dead proxies${byHand}`;
  let cause: string;
  if (filePid !== undefined && !Number.isNaN(filePid)) {
    cause = alive
      ? `no haproxy runs in ${ns.name}: the pid file ${pidFile} names pid ${filePid}, which is not a haproxy in this namespace`
      : `haproxy is dead in ${ns.name}: the pid file ${pidFile} names pid ${filePid}, which is not running (guests get connection refused)`;
    if (willRespawn && owner && policy) {
      cause += `; ${owner.program} (pid ${owner.svc!.parent.pid}) respawns it within check_child_processes_interval = ${policy.intervalS} s (${owner.options.childInterval.where ?? 'default'})`;
    } else if (owner && policy && owner.svc !== undefined) {
      cause += `; nothing respawns it: ${describeOption('check_child_processes_interval', owner.options.childInterval)}, check_child_processes_action = ${owner.options.childAction.value}`;
    } else if (owner && owner.svc === undefined) {
      cause += `; nothing respawns it: ${owner.program} is not running`;
    }
  } else if (f.confFound) {
    cause = `no haproxy runs in ${ns.name} and there is no pid file ${pidFile}: it was never started or died before writing it (haproxy missing from PATH?)`;
  } else {
    cause =
      ns.kind === 'qdhcp'
        ? `no metadata proxy is set up in ${ns.name} (no ${hf.confPath}): the DHCP agent spawns one only for isolated subnets with enable_isolated_metadata, or with force_metadata; on a router-attached network the guest's metadata goes through qrouter-<router> instead`
        : `no metadata proxy is set up in ${ns.name} (no ${hf.confPath})`;
  }
  fail(
    h,
    willRespawn && policy
      ? `no haproxy process in the namespace (respawn due within ${policy.intervalS} s)`
      : 'no haproxy process in the namespace',
    cause,
    respawn,
  );
}

/** The OVN agent spawns its proxies itself, with the ProcessMonitor options of its own config. */
function ovnOwner(facts: NodeFacts): OwnerFacts {
  const a = facts.agents.ovn;
  let options: SpawnerOptions;
  try {
    options = spawnerOptions(a.config);
  } catch {
    options = spawnerOptions({ paths: [], files: [], unreadable: [] });
  }
  return { program: a.program, config: a.config, options, ...(a.svc ? { svc: a.svc } : {}) };
}

/** What is wrong with haproxy's config for this namespace, if anything (each a 404 or 500 for guests). */
function configProblem(
  ns: MetadataNamespace,
  confPath: string,
  cfg: HaproxyConfig,
  socketPath: string | undefined,
): { detail: string; cause: string } | undefined {
  // the header tells the agent where to look the guest up: it must name this namespace's resource
  const wantKind = ns.kind === 'qrouter' ? 'router' : ns.kind === 'ovnmeta' ? 'ovn-network' : 'network';
  const r = cfg.resource;
  if (!r) {
    return {
      detail: 'sets no network or router header',
      cause: `${confPath} sets no X-Neutron-Network-ID/X-Neutron-Router-ID/X-OVN-Network-ID header: the agent cannot find any guest (500)`,
    };
  }
  const routerOnDhcp = ns.kind === 'qdhcp' && r.kind === 'router';
  if (r.id !== ns.id && !routerOnDhcp) {
    return {
      detail: `${r.header} ${r.id} ≠ ${ns.id}`,
      cause: `${confPath} sets ${r.header} ${r.id}, not this namespace's ${ns.id}: the agent looks guests up in the wrong ${r.kind === 'router' ? 'router' : 'network'} (404)`,
    };
  }
  if (r.kind !== wantKind && !routerOnDhcp) {
    return {
      detail: `${r.header} in a ${ns.kind} namespace`,
      cause: `${confPath} sets ${r.header}, but a ${ns.kind} namespace is served with ${RESOURCE_HEADER[wantKind]}`,
    };
  }
  if (!socketPath) {
    return {
      detail: 'no UNIX socket server line',
      cause: `${confPath} has no 'server metadata <socket>' line pointing at a UNIX socket`,
    };
  }
  return undefined;
}

const RESOURCE_HEADER: Record<MetadataResource, string> = {
  router: HEADER_NEUTRON_ROUTER_ID,
  'ovn-network': HEADER_OVN_NETWORK_ID,
  network: HEADER_NEUTRON_NETWORK_ID,
};

/** The binds guests arrive on, when haproxy listens on all of them; undefined once h has failed. */
async function listening(
  ctx: Context,
  facts: Pick<NodeFacts, 'namespaces'>,
  h: Hop,
  ns: MetadataNamespace,
  nsFacts: NamespaceFacts,
  pid: number,
  target: string,
  cfg: HaproxyConfig,
): Promise<HaproxyConfig['binds'] | undefined> {
  // listening: /proc/<pid>/net/tcp{,6} is the namespace's own table (trace --all: the reader's rows)
  const pre = readerView(facts, ns.name, nsFacts.inode);
  const tables = pre
    ? [pre.tcp, pre.tcp6]
    : await Promise.all(['tcp', 'tcp6'].map((t) => readProcText(ctx.fs, `/proc/${pid}/net/${t}`)));
  const rows = tables.flatMap((t) => (t === undefined ? [] : parseProcNetTcp(t)));
  const wantPort = ns.kind === 'qrouter' ? (nsFacts.redirectPort ?? 9697) : 80;
  const binds = cfg.binds.filter((b) => b.port === wantPort);
  if (binds.length === 0) {
    fail(
      h,
      `${target}: binds ${cfg.binds.map((b) => b.raw).join(', ') || 'nothing'}, not port ${wantPort}`,
      `haproxy in ${ns.name} binds ${cfg.binds.map((b) => `${b.host}:${b.port}`).join(', ') || 'nothing'}, but guests arrive on port ${wantPort}${ns.kind === 'qrouter' ? ' (the nat REDIRECT target)' : ''}`,
      `let the ${KIND_AGENT[ns.kind]} rewrite the config (restart it)`,
      'haproxy_wrong_port',
    );
    return undefined;
  }
  const missing = binds.filter((b) => !listensOn(rows, b.host || '0.0.0.0', b.port));
  h.evidence.listening = binds.filter((b) => !missing.includes(b)).map((b) => `${b.host}:${b.port}`);
  if (missing.length > 0) {
    const what = missing.map((b) => `${b.host}:${b.port}`).join(', ');
    fail(
      h,
      `${target}: not listening on ${what}`,
      `haproxy (pid ${pid}) runs in ${ns.name} but does not listen on ${what}`,
      `restart the proxy: kill ${pid}; the ${KIND_AGENT[ns.kind]} respawns it (check_child_processes_action = respawn)`,
      'haproxy_not_listening',
    );
    return undefined;
  }
  return binds;
}
