import type { Stats } from 'node:fs';
import type { Context } from '../../context.js';
import {
  findMetadataFilter,
  findMetadataRedirect,
  METADATA_V4,
  METADATA_V6,
  parseIptablesSave,
} from '../../host/iptables.js';
import {
  findAddress,
  KIND_AGENT,
  type MetadataNamespace,
  type NetInterface,
  namespaceInode,
  parseIpAddrJson,
} from '../../host/netns.js';
import { holdersOfSocket } from '../../host/proc.js';
import { type Credentials, mayAccess, modeString, octalMode } from '../../host/users.js';
import { fsReason } from '../../util/fs-reason.js';
import { ipAddr, type NodeFacts, run } from './facts.js';
import { fail, firstLine, hop } from './hop.js';
import type { Hop } from './types.js';

// The passive hops: what /proc, the namespace and the files on disk say. Nothing is changed.

const SPAWNER_FIX: Record<MetadataNamespace['kind'], string> = {
  qdhcp: 'check neutron-dhcp-agent on this node (openstack network agent list --network <id>) and its log',
  qrouter: 'check neutron-l3-agent on this node (openstack network agent list --router <id>) and its log',
  ovnmeta:
    'check neutron-ovn-metadata-agent and its log: it provisions the namespace when a port of the network is bound to this chassis',
};

// ---- namespace ----------------------------------------------------------------------------------

export interface NamespaceFacts {
  exists: boolean;
  inode?: number;
  interfaces?: NetInterface[];
  /** qrouter: the port the nat REDIRECT sends 80 to */
  redirectPort?: number;
}

export async function namespaceHop(
  ctx: Context,
  ns: MetadataNamespace,
  facts: NodeFacts,
  timeoutMs: number,
): Promise<{ hop: Hop; ns: NamespaceFacts }> {
  const t0 = ctx.clock();
  const h = hop('namespace', ns.name, t0, t0);
  const done = (n: NamespaceFacts) => {
    h.durationMs = ctx.clock() - t0;
    return { hop: h, ns: n };
  };
  const inode = await namespaceInode(ctx.fs, ns.name);
  h.evidence = { kind: ns.kind, id: ns.id, agent: KIND_AGENT[ns.kind], exists: inode !== undefined };
  if (inode === undefined) {
    fail(
      h,
      `${ns.name} does not exist on this node`,
      `there is no ${ns.name} on this node: the ${KIND_AGENT[ns.kind]} here does not serve ${ns.kind === 'qrouter' ? 'router' : 'network'} ${ns.id}`,
      SPAWNER_FIX[ns.kind].replace('<id>', ns.id),
      'namespace_missing',
    );
    return done({ exists: false });
  }
  h.evidence.inode = inode;
  if (ns.kind === 'qrouter') return done(await qrouterRules(ctx, ns, h, inode, facts, timeoutMs));

  const r = await ipAddr(ctx, facts, ns.name, inode, timeoutMs);
  if (r.code !== 0) {
    fail(
      h,
      `cannot list the addresses in ${ns.name}: ${firstLine(r.stderr) || `ip exited ${r.code}`}`,
      `ip -n ${ns.name} addr failed: ${firstLine(r.stderr) || `exit ${r.code}`}`,
      'run trace as root on the node that hosts the namespace (iproute2 needed)',
      'namespace_unreadable',
    );
    return done({ exists: true, inode });
  }
  const ifaces = parseIpAddrJson(r.stdout);
  const addrs = ifaces.flatMap((i) => i.addresses.map((a) => `${a.local}/${a.prefixlen} on ${i.ifname}`));
  h.evidence.addresses = addrs;
  const v4 = findAddress(ifaces, METADATA_V4);
  const needV6 = ns.kind === 'qdhcp' && facts.hostIpv6;
  const v6 = findAddress(ifaces, METADATA_V6);
  h.evidence.hostIpv6 = facts.hostIpv6;
  const nsFacts: NamespaceFacts = { exists: true, inode, interfaces: ifaces };
  if (!v4) {
    fail(
      h,
      `${METADATA_V4} is not configured in ${ns.name}`,
      `${METADATA_V4} is not configured on any interface of ${ns.name}: haproxy cannot bind it and guests get no answer`,
      ns.kind === 'qdhcp'
        ? 'the DHCP agent adds it only with enable_isolated_metadata or force_metadata in dhcp_agent.ini; restart neutron-dhcp-agent after fixing'
        : SPAWNER_FIX.ovnmeta,
      'metadata_address_missing',
    );
    return done(nsFacts);
  }
  if (!v4.iface.up) {
    fail(
      h,
      `${v4.iface.ifname} (${METADATA_V4}) is down`,
      `the interface carrying ${METADATA_V4} in ${ns.name} (${v4.iface.ifname}) is down`,
      SPAWNER_FIX[ns.kind].replace('<id>', ns.id),
      'metadata_interface_down',
    );
    return done(nsFacts);
  }
  if (needV6 && (!v6 || v6.address.dadfailed || v6.address.tentative)) {
    const state = !v6
      ? 'missing'
      : v6.address.dadfailed
        ? 'failed duplicate address detection'
        : 'still tentative';
    fail(
      h,
      `${METADATA_V6} is ${state} in ${ns.name}`,
      `${METADATA_V6} is ${state} in ${ns.name} while the host has IPv6: neutron 21.0.0 spawns no metadata proxy at all until it is ready (a DAD failure often means two DHCP agents on the network)`,
      'check for a second DHCP port answering for fe80::a9fe:a9fe, then restart neutron-dhcp-agent',
      'metadata_ipv6_not_ready',
    );
    return done(nsFacts);
  }
  const on = [v4, ...(v6 && needV6 ? [v6] : [])].map((a) => a.address.local);
  if (ns.kind === 'ovnmeta') {
    // the agent puts the metadata port's address next to 169.254.169.254: guests route via it
    const portIps = v4.iface.addresses
      .filter((a) => a.family === 'inet' && a.local !== METADATA_V4)
      .map((a) => `${a.local}/${a.prefixlen}`);
    h.evidence.metadataPortAddresses = portIps;
    if (portIps.length === 0) {
      fail(
        h,
        `${v4.iface.ifname} has ${METADATA_V4} but no metadata port address`,
        `${v4.iface.ifname} in ${ns.name} carries ${METADATA_V4} but not the network's metadata port address: guests reach ${METADATA_V4} through a route via that address (OVN DHCP option 121) and get no answer`,
        SPAWNER_FIX.ovnmeta,
        'metadata_port_address_missing',
      );
      return done(nsFacts);
    }
    on.push(...portIps.map((a) => a.replace(/\/\d+$/, '')));
  }
  h.detail = `${on.join(', ')} on ${v4.iface.ifname}`;
  return done(nsFacts);
}

async function qrouterRules(
  ctx: Context,
  ns: MetadataNamespace,
  h: Hop,
  inode: number,
  facts: NodeFacts,
  timeoutMs: number,
): Promise<NamespaceFacts> {
  const r = await run(ctx, 'ip', ['netns', 'exec', ns.name, 'iptables-save'], timeoutMs);
  if (r.code !== 0) {
    fail(
      h,
      `cannot read the iptables rules of ${ns.name}`,
      `iptables-save in ${ns.name} failed: ${firstLine(r.stderr) || `exit ${r.code}`}`,
      'run trace as root; iptables must be installed on the network node',
      'iptables_unreadable',
    );
    return { exists: true, inode };
  }
  const dump = parseIptablesSave(r.stdout);
  const redirect = findMetadataRedirect(dump);
  if (!redirect) {
    fail(
      h,
      `no nat REDIRECT of ${METADATA_V4}:80 in ${ns.name}`,
      `the nat rule that sends ${METADATA_V4}:80 to the proxy (REDIRECT --to-ports 9697) is missing in ${ns.name}: guests time out`,
      'the L3 agent installs it with enable_metadata_proxy = True (l3_agent.ini); restart neutron-l3-agent to resync the router',
      'nat_redirect_missing',
    );
    return { exists: true, inode };
  }
  const filter = findMetadataFilter(dump, redirect.toPort);
  h.evidence.redirect = redirect.rule;
  h.evidence.filterAccept = filter.accept ?? null;
  if (facts.hostIpv6) {
    const r6 = await run(ctx, 'ip', ['netns', 'exec', ns.name, 'ip6tables-save', '-t', 'nat'], timeoutMs);
    h.evidence.redirectV6 =
      r6.code === 0 ? (findMetadataRedirect(parseIptablesSave(r6.stdout), 6)?.rule ?? null) : null;
  }
  h.detail = `nat REDIRECT ${METADATA_V4}:80 → ${redirect.toPort}`;
  return { exists: true, inode, redirectPort: redirect.toPort };
}

// ---- haproxy ------------------------------------------------------------------------------------

// ---- socket -------------------------------------------------------------------------------------

export interface SocketCheck {
  /** the path haproxy connects to (its server line), else the agent's */
  path: string;
  /** the metadata agent's metadata_proxy_socket, when its config is known */
  agentPath?: string;
  agentRunning: boolean;
  agentPids: number[];
  /** who connects: haproxy's credentials */
  client?: Credentials & { user: string };
  /** every other config naming the socket (DHCP/L3 agents), for the same-path check */
  others: { who: string; path: string; where?: string }[];
}

export async function socketHop(ctx: Context, facts: NodeFacts, c: SocketCheck): Promise<Hop> {
  const t0 = ctx.clock();
  const h = hop('socket', c.path, t0, t0);
  const done = () => {
    h.durationMs = ctx.clock() - t0;
    return h;
  };
  const evidence: Record<string, unknown> = { path: c.path, agentPath: c.agentPath ?? null };
  h.evidence = evidence;
  const mismatch = c.agentPath !== undefined && c.agentPath !== c.path;
  const mismatchCause = `haproxy's server line names ${c.path}, but the metadata agent's metadata_proxy_socket is ${c.agentPath}: haproxy answers 503`;
  const mismatchFix =
    'make metadata_proxy_socket the same in metadata_agent.ini and dhcp_agent.ini/l3_agent.ini (or the OVN agent config), then restart the agent that spawns haproxy so it rewrites the config';

  let st: Stats;
  try {
    st = (await ctx.fs.lstat(c.path)) as Stats;
  } catch (err) {
    evidence.exists = false;
    if (mismatch) {
      fail(h, `no socket at ${c.path}`, mismatchCause, mismatchFix, 'socket_path_mismatch');
      return done();
    }
    fail(
      h,
      `no socket at ${c.path}`,
      `${c.path} does not exist (${fsReason(err)}): ${
        !c.agentRunning
          ? 'the metadata agent is not running'
          : c.agentPath === undefined
            ? 'the metadata agent listens elsewhere'
            : `the metadata agent (pid ${c.agentPids[0]}) is still starting or failed to bind it`
      }; haproxy answers 503`,
      !c.agentRunning
        ? 'start the metadata agent (it creates the socket at start-up)'
        : c.agentPath === undefined
          ? mismatchFix
          : "read the agent's log; restart it",
      'socket_missing',
    );
    if (!c.agentRunning) h.consequenceOf = 'agent';
    return done();
  }
  evidence.exists = true;
  evidence.mode = octalMode(st.mode);
  evidence.owner = facts.accounts.userName(st.uid);
  evidence.group = facts.accounts.groupName(st.gid);
  const desc = `${modeString(st.mode)} ${evidence.owner}:${evidence.group}`;
  if (!st.isSocket()) {
    fail(
      h,
      `${c.path} is not a socket (${desc})`,
      `${c.path} is not a UNIX socket (${desc}): haproxy answers 503`,
      'remove the file and restart the metadata agent (it unlinks a stale socket but not a regular file in its way)',
      'socket_not_a_socket',
    );
    return done();
  }
  const row = facts.unix.find((r) => r.listening && r.path === c.path);
  evidence.inode = row?.inode ?? Number(st.ino);
  if (!row) {
    if (mismatch) {
      fail(h, `nothing listens on ${c.path}`, mismatchCause, mismatchFix, 'socket_path_mismatch');
      return done();
    }
    fail(
      h,
      `${desc}, nothing listens (stale socket file)`,
      c.agentRunning
        ? `nothing listens on ${c.path}, though the metadata agent (pid ${c.agentPids[0]}) runs: it is still starting, or failed to bind (see its log); haproxy answers 503`
        : `nothing listens on ${c.path}: the socket file is stale, the metadata agent is down; haproxy answers 503`,
      c.agentRunning
        ? "read the agent's log; restart it if it does not listen within a minute"
        : 'start the metadata agent; it replaces the stale file',
      c.agentRunning ? 'socket_not_listening' : 'socket_stale',
    );
    if (!c.agentRunning) h.consequenceOf = 'agent';
    return done();
  }
  const holders = await holdersOfSocket(ctx.fs, row.inode, c.agentPids, async () =>
    facts.processes.map((p) => p.pid),
  );
  evidence.listenerPids = holders;
  const byAgent = holders.some((p) => c.agentPids.includes(p));
  if (c.client) {
    const ok = mayAccess(c.client, { uid: st.uid, gid: st.gid, mode: st.mode }, 2);
    const dirs = await dirsBlocking(ctx, c.path, c.client);
    evidence.haproxyUser = c.client.user;
    evidence.haproxyMayConnect = ok && dirs === undefined;
    if (!ok) {
      fail(
        h,
        `${desc}: haproxy (${c.client.user}) may not connect`,
        `haproxy runs as ${c.client.user} and may not connect to ${c.path} (${desc}): EACCES, haproxy answers 503`,
        'run haproxy as the socket owner (metadata_proxy_user/group in the agent configs) or widen metadata_proxy_socket_mode, then restart the metadata agent',
        'socket_permission_denied',
      );
      return done();
    }
    if (dirs !== undefined) {
      fail(
        h,
        `${dirs} is not searchable by ${c.client.user}`,
        `haproxy runs as ${c.client.user} and cannot reach ${c.path}: ${dirs} has no search permission for it (EACCES, 503)`,
        `give ${c.client.user} search permission on ${dirs}`,
        'socket_dir_not_searchable',
      );
      return done();
    }
  }
  if (mismatch) {
    fail(
      h,
      `${desc}, but the agent's socket is ${c.agentPath}`,
      mismatchCause,
      mismatchFix,
      'socket_path_mismatch',
    );
    return done();
  }
  const disagree = c.others.filter((o) => o.path !== (c.agentPath ?? c.path));
  if (disagree.length > 0) {
    const o = disagree[0]!;
    fail(
      h,
      `${o.who} names ${o.path}`,
      `${o.who}'s metadata_proxy_socket${o.where ? ` (${o.where})` : ''} is ${o.path}, not the metadata agent's ${c.agentPath ?? c.path}: the proxies it spawns answer 503`,
      mismatchFix,
      'socket_spawner_path_mismatch',
    );
    return done();
  }
  h.detail = `${desc}, listener pid ${holders.join(', ') || '?'}${byAgent || holders.length === 0 ? '' : ' (not the metadata agent)'}`;
  return done();
}

async function dirsBlocking(ctx: Context, path: string, who: Credentials): Promise<string | undefined> {
  const parts = path.split('/').filter((p) => p !== '');
  for (let i = 1; i < parts.length; i++) {
    const dir = `/${parts.slice(0, i).join('/')}`;
    try {
      const st = await ctx.fs.stat(dir);
      if (!mayAccess(who, { uid: st.uid, gid: st.gid, mode: st.mode }, 1)) return dir;
    } catch {
      return undefined;
    }
  }
  return undefined;
}
