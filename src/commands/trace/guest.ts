import type { Context } from '../../context.js';
import { operationalError } from '../../errors.js';
import {
  inSubnet,
  listNamespaceNames,
  type MetadataNamespace,
  namespaceInode,
  parseIpAddrJson,
  parseNamespaceName,
} from '../../host/netns.js';
import { runsProgram } from '../../host/proc.js';
import { errorMessage } from '../../util/errors.js';
import { firstIPv4, isIPv4Address } from '../../util/ip.js';
import { mapLimit } from '../../util/pool.js';
import { gatherNodeFacts, type NodeFacts, run } from './facts.js';
import { OVN_METADATA_PORT_OWNER, type PortInfo, ROUTER_INTERFACE_OWNERS } from './lookup.js';
import { guestFromPort, lazyLookup, type TraceDeps, traceNamespace } from './namespace.js';
import type { Guest, TraceOptions, TraceResult } from './types.js';

// trace --server / --ip alone: find the guest's namespace here, then trace it.

/** --server or --ip alone: the guest's port (Neutron) or subnet (local), then its namespace here. */
export async function traceGuest(ctx: Context, opts: TraceOptions, deps: TraceDeps): Promise<TraceResult> {
  const notes: string[] = [];
  const [facts, lookup, names] = await Promise.all([
    gatherNodeFacts(ctx),
    lazyLookup(deps, notes)(),
    listNamespaceNames(ctx.fs),
  ]);
  const local = names.map(parseNamespaceName).filter((n): n is MetadataNamespace => n !== undefined);
  let guest: Guest;
  let port: PortInfo | undefined;
  if (opts.server !== undefined) {
    if (!lookup) {
      throw operationalError(
        'NEEDS_OPENSTACK',
        `--server needs OpenStack credentials to find ${opts.server}'s port`,
        {
          hint: `set OS_CLOUD (or OS_AUTH_URL …), or give --netns and --ip${notes.length ? `; ${notes[0]}` : ''}`,
        },
      );
    }
    const server = await lookup.server(opts.server);
    if (!server) {
      throw operationalError('SERVER_NOT_FOUND', `no server with a name or ID of '${opts.server}' exists`, {
        hint: 'check the name or ID (openstack server list --all-projects)',
      });
    }
    const ports = (await lookup.portsByDevice(server.id)).filter((p) => p.fixedIps.some(isIPv4Address));
    port = (opts.ip ? ports.find((p) => p.fixedIps.includes(opts.ip!)) : undefined) ?? ports[0];
    const ip = opts.ip ?? (port && firstIPv4(port.fixedIps));
    if (!port || !ip) {
      throw operationalError(
        'NO_PORT',
        `server ${server.name} (${server.id}) has no port with an IPv4 fixed IP`,
        {
          hint: `openstack port list --device-id ${server.id}`,
        },
      );
    }
    guest = { ...guestFromPort(ip, port), name: server.name, instanceProjectId: server.projectId };
  } else {
    const ip = opts.ip!;
    guest = { ip, source: 'option' };
    if (lookup) {
      try {
        const ports = await lookup.portsByIp(ip);
        if (ports.length === 1) {
          port = ports[0]!;
          guest = { ...guestFromPort(ip, port, 'option') };
        } else if (ports.length > 1) {
          notes.push(
            `${ports.length} Neutron ports have the fixed IP ${ip} (networks ${ports.map((p) => p.networkId).join(', ')})`,
          );
        }
      } catch (err) {
        notes.push(`Neutron could not be asked about ${ip}: ${errorMessage(err)}`);
      }
    }
  }

  let ns: MetadataNamespace | undefined;
  let expected: string[] = [];
  if (port) {
    let routers: string[] = [];
    // ML2/OVN: neutron-server gives every network a metadata port (network:distributed)
    let ovnNetwork: boolean | undefined;
    if (lookup) {
      try {
        const onNet = await lookup.portsOnNetwork(port.networkId);
        routers = onNet.filter((p) => ROUTER_INTERFACE_OWNERS.includes(p.deviceOwner)).map((p) => p.deviceId);
        ovnNetwork = onNet.some((p) => p.deviceOwner === OVN_METADATA_PORT_OWNER);
      } catch {
        routers = [];
      }
    }
    // Neutron unasked: an OVN chassis (its agent or ovn-controller runs here, an ovnmeta- exists)
    const ovn =
      ovnNetwork ??
      (facts.agents.ovn.svc !== undefined ||
        facts.ovnController !== undefined ||
        local.some((n) => n.kind === 'ovnmeta'));
    expected = ovn
      ? [`ovnmeta-${port.networkId}`]
      : [`qdhcp-${port.networkId}`, ...routers.map((r) => `qrouter-${r}`)];
    // a routed network is served by its router (unless force_metadata): try the router's namespace first
    const routerFirst = !facts.owners.qdhcp.options.forceMetadata.value;
    const here = local
      .filter((n) => expected.includes(n.name))
      .sort((a, b) => (routerFirst ? Number(b.kind === 'qrouter') - Number(a.kind === 'qrouter') : 0));
    ns = await preferServing(ctx, facts, here);
  }
  if (!ns && !port) {
    // no port known: the namespace whose subnet holds the address (its DHCP, router or metadata port);
    // with a port, its network decides (tenant subnets overlap)
    ns = await bySubnet(ctx, local, guest.ip, opts.probeTimeout * 1000);
    if (ns) notes.push(`${ns.name} serves ${guest.ip}: one of its interfaces is on that subnet`);
  }
  if (!ns && expected.length > 0) {
    const want = parseNamespaceName(expected[0]!)!;
    return traceNamespace(ctx, want, opts, deps, {
      guests: [guest],
      facts,
      ...(lookup ? { lookup } : {}),
      notes,
      expected,
    });
  }
  if (!ns) {
    throw operationalError(
      'NO_NAMESPACE',
      `no metadata namespace on this node serves ${guest.ip}: none of their subnets holds it${lookup ? ' and no Neutron port has it' : ''}`,
      {
        hint: lookup
          ? 'give --netns to trace a namespace as this guest anyway'
          : 'give --netns, or set OS_CLOUD so trace can ask Neutron',
      },
    );
  }
  return traceNamespace(ctx, ns, opts, deps, {
    guests: [guest],
    facts,
    ...(lookup ? { lookup } : {}),
    notes,
  });
}

/** Among candidate namespaces, the one with a haproxy running (the one guests actually reach). */
async function preferServing(
  ctx: Context,
  facts: NodeFacts,
  candidates: readonly MetadataNamespace[],
): Promise<MetadataNamespace | undefined> {
  for (const n of candidates) {
    const ino = await namespaceInode(ctx.fs, n.name);
    const inNs = ino === undefined ? [] : (facts.byNetns.get(`net:[${ino}]`) ?? []);
    if (inNs.some((p) => runsProgram(p, 'haproxy'))) return n;
  }
  return candidates[0];
}

async function bySubnet(
  ctx: Context,
  local: readonly MetadataNamespace[],
  ip: string,
  timeoutMs: number,
): Promise<MetadataNamespace | undefined> {
  if (!isIPv4Address(ip)) return undefined;
  const found = await mapLimit(local, 8, async (n) => {
    const r = await run(ctx, 'ip', ['-j', '-n', n.name, 'addr', 'show'], timeoutMs);
    if (r.code !== 0) return false;
    return parseIpAddrJson(r.stdout).some((i) =>
      i.addresses.some((a) => a.family === 'inet' && a.prefixlen < 32 && inSubnet(ip, a.local, a.prefixlen)),
    );
  });
  return local.find((_, i) => found[i]);
}
