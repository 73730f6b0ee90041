import type { Context } from '../../context.js';
import { parseMetadataRoutes } from '../../host/dhcp-opts.js';
import { inSubnet, type MetadataNamespace, type NetInterface, parseIpAddrJson } from '../../host/netns.js';
import { describeOption, OVS_AGENT, respawnPolicy } from '../../host/neutron-agents.js';
import { readProcText } from '../../host/proc.js';
import { errorMessage } from '../../util/errors.js';
import type { NodeFacts, OwnerFacts } from './facts.js';
import { ipAddr } from './facts.js';
import { fail, firstLine, hop, skip } from './hop.js';
import { type OpenStackLookup, ROUTER_INTERFACE_OWNERS } from './lookup.js';
import type { Hop } from './types.js';

// The agents behind the namespaces: the DHCP or L3 agent that made the namespace (its process
// here, its liveness in Neutron, the options that decide whether it serves metadata at all),
// and the router between the guest's network and a qrouter- namespace.

/** What Neutron says about the routers on a qdhcp- namespace's network; undefined: not asked. */
export interface NetworkRouting {
  /** router IDs with an interface on the network (Neutron) */
  routers: string[];
  /** the next hop dnsmasq gives guests for 169.254.169.254 when it is not this namespace (a router) */
  gateway?: string;
  source: 'neutron' | 'dhcp-opts';
}

export const isRouted = (r: NetworkRouting | undefined) =>
  r !== undefined && (r.routers.length > 0 || r.gateway !== undefined);

/** Who serves the network's metadata, in words: "qrouter-<id>" or "the router at <ip>". */
export const servedBy = (r: NetworkRouting) =>
  r.routers[0] !== undefined ? `qrouter-${r.routers[0]}` : `the router at ${r.gateway}`;

/** Local knowledge: the route to 169.254.169.254 dnsmasq hands out, from the DHCP agent's opts file. */
export async function routingFromOpts(
  fs: Context['fs'],
  statePath: string,
  networkId: string,
  ifaces: readonly NetInterface[] | undefined,
): Promise<NetworkRouting | undefined> {
  const text = await readProcText(fs, `${statePath}/dhcp/${networkId}/opts`);
  if (text === undefined) return undefined;
  const routes = parseMetadataRoutes(text);
  if (routes.length === 0) return undefined;
  const own = new Set((ifaces ?? []).flatMap((i) => i.addresses.map((a) => a.local)));
  const other = routes.find((r) => !own.has(r.via));
  return other
    ? { routers: [], gateway: other.via, source: 'dhcp-opts' }
    : { routers: [], source: 'dhcp-opts' };
}

/** The routers with an interface on a network, from Neutron (undefined without credentials). */
export async function networkRouting(
  lookup: OpenStackLookup | undefined,
  networkId: string,
  notes: string[],
): Promise<NetworkRouting | undefined> {
  if (!lookup) return undefined;
  try {
    const ports = await lookup.portsOnNetwork(networkId);
    const routers = [
      ...new Set(ports.filter((p) => ROUTER_INTERFACE_OWNERS.includes(p.deviceOwner)).map((p) => p.deviceId)),
    ];
    return { routers, source: 'neutron' };
  } catch (err) {
    notes.push(`Neutron could not be asked for the routers of network ${networkId}: ${errorMessage(err)}`);
    return undefined;
  }
}

/** Does the DHCP agent serve metadata for this network (neutron/agent/linux/dhcp.py should_enable_metadata)? */
export function dhcpServesMetadata(
  owner: OwnerFacts,
  routing: NetworkRouting | undefined,
): { serves: boolean | undefined; why: string } {
  const o = owner.options;
  if (o.forceMetadata.value) return { serves: true, why: describeOption('force_metadata', o.forceMetadata) };
  if (routing === undefined) {
    return o.enableIsolatedMetadata.value
      ? {
          serves: undefined,
          why: `${describeOption('enable_isolated_metadata', o.enableIsolatedMetadata)}: served here if the network has no router`,
        }
      : {
          serves: false,
          why: `${describeOption('enable_isolated_metadata', o.enableIsolatedMetadata)} and ${describeOption('force_metadata', o.forceMetadata)}`,
        };
  }
  if (isRouted(routing)) {
    return {
      serves: false,
      why: `the network has a router (${routing.routers.join(', ') || routing.gateway}) and ${describeOption('force_metadata', o.forceMetadata)}: ${servedBy(routing)} serves it`,
    };
  }
  return o.enableIsolatedMetadata.value
    ? {
        serves: true,
        why: `isolated (no router), ${describeOption('enable_isolated_metadata', o.enableIsolatedMetadata)}`,
      }
    : {
        serves: false,
        why: `isolated (no router) and ${describeOption('enable_isolated_metadata', o.enableIsolatedMetadata)}`,
      };
}

export interface SpawnerInputs {
  routing?: NetworkRouting;
  /** Neutron's view of the agent (undefined: not asked or not allowed) */
  lookup?: OpenStackLookup;
  notes: string[];
}

const START: Record<'qdhcp' | 'qrouter', string> = {
  qdhcp: 'systemctl start neutron-dhcp-agent',
  qrouter: 'systemctl start neutron-l3-agent',
};

/** The spawner hop: the agent that owns the namespace, here and in Neutron, and its metadata options. */
export async function spawnerHop(
  ctx: Context,
  ns: MetadataNamespace,
  facts: NodeFacts,
  inputs: SpawnerInputs,
): Promise<Hop> {
  const t0 = ctx.clock();
  if (ns.kind === 'ovnmeta') {
    return skip(
      hop('spawner', facts.agents.ovn.program, t0, t0),
      'the OVN metadata agent spawns and serves: see agent and ovn',
    );
  }
  const owner = facts.owners[ns.kind];
  const h = hop('spawner', owner.program, t0, t0);
  const done = () => {
    h.durationMs = ctx.clock() - t0;
    return h;
  };
  const o = owner.options;
  const policy = respawnPolicy(o);
  h.evidence = {
    program: owner.program,
    pid: owner.svc?.parent.pid ?? null,
    configFiles: owner.config.paths,
    configSource: owner.config.source,
    checkChildProcessesInterval: o.childInterval.value,
    checkChildProcessesAction: o.childAction.value,
    respawns: policy.respawns,
    ovsAgentPid: facts.ovsAgent?.parent.pid ?? null,
  };
  if (ns.kind === 'qdhcp') {
    h.evidence.enableIsolatedMetadata = o.enableIsolatedMetadata.value;
    h.evidence.forceMetadata = o.forceMetadata.value;
    h.evidence.enableMetadataNetwork = o.enableMetadataNetwork.value;
    if (inputs.routing) h.evidence.routers = inputs.routing.routers;
  } else {
    h.evidence.enableMetadataProxy = o.enableMetadataProxy.value;
    h.evidence.metadataPort = o.metadataPort.value;
  }

  // Neutron's view: asked only with credentials (GET /v2.0/agents is admin-only by default)
  const host = o.host ?? facts.hostname;
  let neutron: { alive: boolean; adminStateUp: boolean; heartbeat: string } | undefined;
  if (inputs.lookup?.agents && host !== '') {
    try {
      const agents = await inputs.lookup.agents(owner.program, host);
      const a = agents[0];
      h.evidence.neutron = a
        ? { host: a.host, alive: a.alive, adminStateUp: a.adminStateUp, heartbeat: a.heartbeat }
        : { host, registered: false };
      if (a) neutron = a;
    } catch (err) {
      inputs.notes.push(`Neutron's agent list could not be read: ${errorMessage(err)}`);
    }
  }

  if (!owner.svc) {
    const neutronSays =
      neutron === undefined
        ? ''
        : neutron.alive
          ? '; Neutron still counts it alive until agent_down_time passes'
          : '; Neutron shows it dead';
    fail(
      h,
      `${owner.program} is not running on this node`,
      `${owner.program} is not running on this node${neutronSays}: the ${ns.kind === 'qdhcp' ? 'dnsmasq and haproxy' : 'haproxy and iptables rules'} it started run on, but nothing respawns a dead proxy or follows Neutron's changes (new ports, ${ns.kind === 'qdhcp' ? 'subnets' : 'router interfaces'})`,
      `${START[ns.kind]}; its log says why it stopped`,
    );
    return done();
  }
  if (neutron && !neutron.alive) {
    fail(
      h,
      `pid ${owner.svc.parent.pid}, but Neutron shows it dead (last heartbeat ${neutron.heartbeat || 'never'})`,
      `${owner.program} runs here (pid ${owner.svc.parent.pid}) but its reports do not reach neutron-server (last heartbeat ${neutron.heartbeat || 'never'}): Neutron schedules its networks and routers elsewhere and it misses updates`,
      "check the agent's RPC connection (transport_url) and its log; restart it",
    );
    return done();
  }
  if (neutron && !neutron.adminStateUp) {
    fail(
      h,
      `pid ${owner.svc.parent.pid}, admin state down in Neutron`,
      `${owner.program} is disabled in Neutron (admin_state_up = False): Neutron hosts no ${ns.kind === 'qdhcp' ? 'network' : 'router'} on it`,
      `openstack network agent set --enable <agent id>`,
    );
    return done();
  }
  if (ns.kind === 'qdhcp') {
    const d = dhcpServesMetadata(owner, inputs.routing);
    h.evidence.servesMetadata = d.serves ?? null;
    if (d.serves === false && !isRouted(inputs.routing)) {
      fail(
        h,
        `pid ${owner.svc.parent.pid}: ${d.why}`,
        `the DHCP agent serves no metadata to network ${ns.id}: ${d.why}; guests on a network without a router get no answer from 169.254.169.254`,
        'set enable_isolated_metadata = True in dhcp_agent.ini (or attach the network to a router) and restart neutron-dhcp-agent',
      );
      return done();
    }
  } else if (!o.enableMetadataProxy.value) {
    fail(
      h,
      `pid ${owner.svc.parent.pid}: ${describeOption('enable_metadata_proxy', o.enableMetadataProxy)}`,
      `the L3 agent runs no metadata proxy and no REDIRECT in its routers: ${describeOption('enable_metadata_proxy', o.enableMetadataProxy)}`,
      'set enable_metadata_proxy = True in l3_agent.ini and restart neutron-l3-agent (or serve the networks from the DHCP agent with force_metadata)',
    );
    return done();
  }
  if (!facts.ovsAgent) {
    fail(
      h,
      `${OVS_AGENT} is not running on this node`,
      `${OVS_AGENT} is not running on this node: ports plugged now are never bound or tagged (they stay DOWN and get no DHCP lease, so no route to 169.254.169.254); ports bound before keep working`,
      `systemctl start ${OVS_AGENT}; its log says why it stopped`,
    );
    return done();
  }
  const respawn = policy.respawns
    ? `respawns proxies every ${policy.intervalS} s`
    : `no respawn (${describeOption('check_child_processes_interval', o.childInterval)})`;
  h.detail = `pid ${owner.svc.parent.pid}${neutron ? ', alive in Neutron' : ''}, ${respawn}${
    ns.kind === 'qdhcp' ? `; ${dhcpServesMetadata(owner, inputs.routing).why}` : ''
  }`;
  return done();
}

/** The qr- interfaces of a router namespace (its internal ports) with their IPv4 subnets. */
export function routerInterfaces(ifaces: readonly NetInterface[]) {
  return ifaces
    .filter((i) => i.ifname.startsWith('qr-'))
    .flatMap((i) =>
      i.addresses
        .filter((a) => a.family === 'inet')
        .map((a) => ({
          ifname: i.ifname,
          up: i.up,
          cidr: `${a.local}/${a.prefixlen}`,
          local: a.local,
          prefixlen: a.prefixlen,
        })),
    );
}

/**
 * The router hop. qrouter-: does one of the router's qr- interfaces cover the guest's address?
 * qdhcp-: which namespace serves the network (a router's, or this one).
 */
export async function routerHop(
  ctx: Context,
  ns: MetadataNamespace,
  facts: Pick<NodeFacts, 'namespaces'>,
  exists: boolean,
  inode: number | undefined,
  guestIp: string | undefined,
  routing: NetworkRouting | undefined,
  timeoutMs: number,
): Promise<Hop> {
  const t0 = ctx.clock();
  const h = hop('router', ns.name, t0, t0);
  const done = () => {
    h.durationMs = ctx.clock() - t0;
    return h;
  };
  if (ns.kind === 'ovnmeta') return skip(done(), 'OVN serves every network from its ovnmeta- namespace');
  if (ns.kind === 'qdhcp') {
    if (!routing) {
      return skip(
        done(),
        'whether the network has a router: no DHCP opts file here and no Neutron credentials',
      );
    }
    h.evidence = { routers: routing.routers, gateway: routing.gateway ?? null, source: routing.source };
    h.target = `network ${ns.id}`;
    h.detail = isRouted(routing)
      ? `routed: metadata via ${servedBy(routing)}${routing.routers.length > 1 ? ` (${routing.routers.length} routers)` : ''}`
      : `isolated: no router, metadata from this namespace (${routing.source === 'neutron' ? 'Neutron' : "dnsmasq's route to 169.254.169.254"})`;
    return done();
  }
  if (!exists) return skip(done(), 'no namespace');
  h.target = `router ${ns.id}`;
  const r = await ipAddr(ctx, facts, ns.name, inode, timeoutMs);
  if (r.code !== 0) {
    return fail(
      done(),
      `cannot list the interfaces of ${ns.name}`,
      `ip -n ${ns.name} addr failed: ${firstLine(r.stderr) || `exit ${r.code}`}`,
      'run trace as root on the node that hosts the router',
    );
  }
  const qr = routerInterfaces(parseIpAddrJson(r.stdout));
  h.evidence = { interfaces: qr.map((q) => `${q.cidr} on ${q.ifname}${q.up ? '' : ' (down)'}`) };
  if (qr.length === 0) {
    return fail(
      done(),
      'no qr- interface: the router is attached to no network',
      `router ${ns.id} has no internal (qr-) interface${guestIp === undefined ? '' : `, so none on the subnet of ${guestIp}`}: no guest network reaches its REDIRECT and proxy (its interfaces were removed or never added; a guest whose route to 169.254.169.254 goes through the gateway gets no answer)`,
      `openstack router add subnet ${ns.id} <subnet>; or the network is isolated and its qdhcp- namespace serves it (enable_isolated_metadata)`,
    );
  }
  if (guestIp === undefined) {
    h.detail = `${qr.map((q) => `${q.cidr} on ${q.ifname}`).join(', ')} (no guest to match)`;
    return done();
  }
  const covering = qr.find((q) => inSubnet(guestIp, q.local, q.prefixlen));
  h.evidence.guest = guestIp;
  if (!covering) {
    return fail(
      done(),
      `no qr- interface on ${guestIp}'s subnet (${qr.map((q) => q.cidr).join(', ')})`,
      `router ${ns.id} has no interface on the subnet of ${guestIp}: its interface was removed or never added, so the guest's route to 169.254.169.254 via the gateway reaches nothing (connect times out); with no router the DHCP agent treats the subnet as isolated and serves it from qdhcp- once the guest renews its lease`,
      `openstack router add subnet ${ns.id} <the guest's subnet>; or let the guest renew its DHCP lease to use qdhcp-`,
    );
  }
  if (!covering.up) {
    return fail(
      done(),
      `${covering.ifname} (${covering.cidr}) is down`,
      `the router's interface on ${guestIp}'s subnet (${covering.ifname}) is down`,
      'check neutron-l3-agent and neutron-openvswitch-agent logs; restart neutron-l3-agent',
    );
  }
  h.detail = `${covering.cidr} on ${covering.ifname} covers ${guestIp}`;
  return done();
}
