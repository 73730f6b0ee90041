import type { Context } from '../../context.js';
import type { MetadataNamespace, NetInterface } from '../../host/netns.js';
import {
  type BindingRow,
  bindingsForIp,
  type ChassisView,
  chassisByUuid,
  type LocalOvs,
  METADATA_AGENT_ID_KEY,
  metadataPortIps,
  type NetworkBindings,
  OVN_AGENT,
  OVN_AGENT_ID_KEY,
  OVN_CONTROLLER,
  readChassis,
  readLocalOvs,
  readNetwork,
} from '../../host/ovn.js';
import {
  OVSDB_DEFAULTS,
  OvsdbClient,
  OvsdbFailure,
  type OvsdbRemote,
  parseRemotes,
} from '../../host/ovsdb.js';
import { where } from '../../host/service-config.js';
import { errorMessage } from '../../util/errors.js';
import { type AgentFacts, type NodeFacts, servesMetadata } from './facts.js';
import { byIp } from './guests.js';
import { fail, hop, skip } from './hop.js';
import type { Guest, Hop } from './types.js';

// The ovn hop: what only OVN can break on a chassis. ovn-controller here, the southbound database
// answering at the agent's own ovn_sb_connection, this chassis and the agent's record on it, the
// network's metadata localport and the guest's Port_Binding. Read-only, over OVSDB's JSON-RPC.

/** What the node's OVN looks like, read once per trace. */
export interface OvnNodeView {
  agent: AgentFacts;
  controllerPid?: number;
  sbConnection: string;
  sbFrom?: string;
  /** whose setting sbConnection is: the running agent's, or ovn-controller's (the agent's is unknown) */
  sbSource: 'agent' | 'ovn-remote';
  ovsConnection: string;
  local?: LocalOvs;
  localError?: OvsdbFailure;
  /** the SB remote that answered */
  sb?: OvsdbRemote;
  sbError?: OvsdbFailure;
  /** ovn-controller's own SB (external_ids:ovn-remote), when the agent's did not answer */
  controllerSbAnswers?: boolean;
  chassis?: ChassisView;
  chassisError?: string;
  /** each network's bindings, read once per trace (the ovn hop and the guest candidates share them) */
  networks: Map<string, Promise<NetworkRead>>;
}

/** A network's bindings, and the chassis the asked-about guest is bound to when it is not this one. */
export type NetworkRead = { net: NetworkBindings } | { error: OvsdbFailure | Error };

const failure = (err: unknown) =>
  err instanceof OvsdbFailure ? err : new OvsdbFailure('error', errorMessage(err));

/** The first remote of a list that accepts a connection (ovsdbapp tries them in order, too). */
async function connectAny(
  ctx: Context,
  text: string,
  timeoutMs: number,
): Promise<{ client: OvsdbClient } | { error: OvsdbFailure }> {
  const remotes = parseRemotes(text);
  let last = new OvsdbFailure('unsupported', `'${text}' names no database`);
  for (const r of remotes) {
    try {
      return { client: await OvsdbClient.connect(r, ctx, { ...OVSDB_DEFAULTS, timeoutMs }) };
    } catch (err) {
      last = failure(err);
    }
  }
  return { error: last };
}

export async function ovnNodeView(
  ctx: Context,
  facts: NodeFacts,
  agent: AgentFacts,
  timeoutMs: number,
): Promise<OvnNodeView> {
  const conns = agent.ovn!;
  const view: OvnNodeView = {
    agent,
    networks: new Map(),
    sbConnection: conns.sb.value,
    sbSource: 'agent',
    ovsConnection: conns.ovs.value,
    ...(conns.sb.from ? { sbFrom: where(conns.sb.from)! } : {}),
    ...(facts.ovnController ? { controllerPid: facts.ovnController.parent.pid } : {}),
  };
  // the agent's [ovs] ovsdb_connection, else the database ovn-controller was started with
  const controllerDb = facts.ovnController?.parent.argv.slice(1).find((a) => /^(unix|tcp|ssl):/.test(a));
  let local = await connectAny(ctx, conns.ovs.value, timeoutMs);
  if ('error' in local && controllerDb !== undefined && controllerDb !== conns.ovs.value) {
    const other = await connectAny(ctx, controllerDb, timeoutMs);
    if ('client' in other) {
      local = other;
      view.ovsConnection = controllerDb;
    }
  }
  if ('client' in local) {
    try {
      view.local = await readLocalOvs(local.client);
    } catch (err) {
      view.localError = failure(err);
    } finally {
      local.client.close();
    }
  } else {
    view.localError = local.error;
  }
  // a stopped agent's config is Debian's defaults at best: ovn-controller's SB is the one in use
  const trusted = agent.svc !== undefined && agent.config.source === 'process';
  if (!trusted && view.local?.ovnRemote) {
    view.sbConnection = view.local.ovnRemote;
    view.sbSource = 'ovn-remote';
    delete view.sbFrom;
  }
  const sb = await connectAny(ctx, view.sbConnection, timeoutMs);
  if ('error' in sb) {
    view.sbError = sb.error;
    // does ovn-controller's SB answer? then only the agent's setting is wrong
    if (view.local?.ovnRemote && view.local.ovnRemote !== view.sbConnection) {
      const other = await connectAny(ctx, view.local.ovnRemote, timeoutMs);
      view.controllerSbAnswers = 'client' in other;
      if ('client' in other) other.client.close();
    }
    return view;
  }
  view.sb = sb.client.remote;
  try {
    if (view.local?.systemId) view.chassis = await readChassis(sb.client, view.local.systemId);
  } catch (err) {
    view.chassisError = errorMessage(err);
  } finally {
    sb.client.close();
  }
  return view;
}

/** The network's datapath and bindings from the SB the agent uses, once per trace. */
export function networkRead(
  ctx: Context,
  view: OvnNodeView,
  networkId: string,
  timeoutMs: number,
): Promise<NetworkRead> {
  let p = view.networks.get(networkId);
  if (!p) {
    p = (async (): Promise<NetworkRead> => {
      if (!view.sb) return { error: view.sbError ?? new Error('the southbound database was not reached') };
      const sb = await connectAny(ctx, view.sb.text, timeoutMs);
      if ('error' in sb) return { error: sb.error };
      try {
        return { net: await readNetwork(sb.client, networkId) };
      } catch (err) {
        return { error: failure(err) };
      } finally {
        sb.client.close();
      }
    })();
    view.networks.set(networkId, p);
  }
  return p;
}

/**
 * Guests to impersonate on the socket, from the SB: the network's VIF ports with an IPv4 address,
 * those bound to this chassis first (what the DHCP host file is for a qdhcp- namespace).
 */
export async function sbGuests(
  ctx: Context,
  view: OvnNodeView | undefined,
  networkId: string,
  timeoutMs: number,
): Promise<Guest[]> {
  if (!view?.sb) return [];
  const read = await networkRead(ctx, view, networkId, timeoutMs);
  if (!('net' in read)) return [];
  const here = view.chassis?.chassis?.uuid;
  return read.net.vifs
    .filter(
      (v) => v.chassis !== undefined && (v.externalIds['neutron:device_owner'] ?? '').startsWith('compute:'),
    )
    .map((v) => ({ v, ip: v.addresses.slice(1).find((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a)) }))
    .filter((x): x is { v: BindingRow; ip: string } => x.ip !== undefined)
    .sort((a, b) => Number(b.v.chassis === here) - Number(a.v.chassis === here) || byIp(a.ip, b.ip))
    .map(({ v, ip }) => {
      const g: Guest = { ip, source: 'ovn-sb', portId: v.logicalPort };
      const device = v.externalIds['neutron:device_id'];
      const project = v.externalIds['neutron:project_id'];
      if (device) g.instanceId = device;
      if (project) g.projectId = project;
      return g;
    });
}

const CONSEQUENCES = new Set([
  'ovn_controller_down',
  'sb_unreachable',
  'ovn_network_missing',
  'metadata_port_missing',
  'metadata_port_no_ip',
  'no_port_bound_here',
  'port_bound_elsewhere',
  'guest_port_unbound',
  'guest_port_missing',
]);

/** The namespace's own failures an OVN cause explains (the agent tears it down, or never made it). */
export function explainedByOvn(ovn: Hop, nsHop: Hop): void {
  if (ovn.status !== 'fail' || nsHop.status !== 'fail') return;
  if (ovn.code && CONSEQUENCES.has(ovn.code)) nsHop.consequenceOf = 'ovn';
  if (nsHop.code === 'metadata_port_address_missing' && ovn.code?.startsWith('metadata_port')) {
    nsHop.consequenceOf = 'ovn';
  }
}

const agentKey = (a: AgentFacts) => (a.program === OVN_AGENT ? OVN_AGENT_ID_KEY : METADATA_AGENT_ID_KEY);

function describeFailure(f: OvsdbFailure): string {
  switch (f.outcome) {
    case 'refused':
      return 'connection refused';
    case 'no-socket':
      return 'no such socket';
    case 'denied':
      return 'permission denied';
    case 'connect-timeout':
      return 'no connection';
    case 'timeout':
      return 'no answer';
    default:
      return f.message;
  }
}

export async function ovnHop(
  ctx: Context,
  ns: MetadataNamespace,
  view: OvnNodeView | undefined,
  nsIfaces: readonly NetInterface[] | undefined,
  guestIp: string | undefined,
  timeoutMs: number,
  notes: string[],
): Promise<Hop> {
  const t0 = ctx.clock();
  const h = hop('ovn', ns.kind === 'ovnmeta' ? `network ${ns.id}` : ns.name, t0, t0);
  const done = () => {
    h.durationMs = ctx.clock() - t0;
    return h;
  };
  if (ns.kind !== 'ovnmeta' || !view) return skip(done(), 'not an OVN namespace');
  const agent = view.agent;
  h.evidence = {
    ovnController: view.controllerPid ?? null,
    sbConnection: view.sbConnection,
    sbConnectionFrom: view.sbFrom ?? (view.sbSource === 'ovn-remote' ? 'ovn-remote' : null),
    sbAnswered: view.sb !== undefined,
    ovsConnection: view.ovsConnection,
    systemId: view.local?.systemId ?? null,
    ovnRemote: view.local?.ovnRemote ?? null,
  };
  const sbSetting =
    view.sbSource === 'ovn-remote'
      ? `ovn-controller's external_ids:ovn-remote = ${view.sbConnection} (the stopped agent's own setting is unknown)`
      : `the agent's [ovn] ovn_sb_connection = ${view.sbConnection} (${view.sbFrom ?? 'default'})`;

  // containerized deployments keep the databases' sockets and ovn-controller in containers
  const unreachable = (f: OvsdbFailure | undefined) =>
    f !== undefined && ['no-socket', 'denied', 'unsupported'].includes(f.outcome);
  if (unreachable(view.localError) && unreachable(view.sbError)) {
    const why = view.sbError?.outcome === 'unsupported' ? view.sbError.message : 'containerized deployment?';
    notes.push(
      `OVN's databases cannot be read from here (${view.ovsConnection}: ${describeFailure(view.localError!)}; ${view.sbConnection}: ${describeFailure(view.sbError!)}; ${why}): ovn-controller, chassis and port bindings not checked`,
    );
    return skip(done(), "OVN's databases cannot be read from here: not checked");
  }
  if (view.controllerPid === undefined && !view.local) {
    // neither the process nor its database in sight: ovn-controller may run in a container
    notes.push(
      `${OVN_CONTROLLER} is not seen on this node and ${view.ovsConnection} cannot be read (containerized?): not checked`,
    );
  } else if (view.controllerPid === undefined) {
    return fail(
      done(),
      `${OVN_CONTROLLER} is not running on this node`,
      `${OVN_CONTROLLER} is not running on this node: the ports stay bound and the flows already in ${view.local?.ovnBridge ?? 'br-int'} keep forwarding, so guests with a lease still reach 169.254.169.254; but OVN's DHCP is answered by ${OVN_CONTROLLER} itself, so a guest that renews or boots gets no lease (and no route to 169.254.169.254), and new or moved ports are never bound`,
      `systemctl start ${OVN_CONTROLLER} (Debian: ovn-host); its log (/var/log/ovn/ovn-controller.log) says why it stopped`,
      'ovn_controller_down',
    );
  }
  if (view.sbError) {
    if (view.sbError.outcome === 'unsupported') {
      notes.push(`${view.sbConnection}: ${view.sbError.message}; the southbound database not checked`);
      return skip(done(), `${view.sbError.message}: SB not checked`);
    }
    h.evidence.sbError = view.sbError.outcome;
    const controller =
      view.controllerSbAnswers === true
        ? `; ${OVN_CONTROLLER}'s ovn-remote ${view.local!.ovnRemote} answers: only the agent's setting is wrong`
        : '';
    return fail(
      done(),
      `SB ${view.sbConnection}: ${describeFailure(view.sbError)}`,
      `the southbound database at ${sbSetting} does not answer (${describeFailure(view.sbError)})${controller}: the agent cannot look ports up or follow bindings, so it provisions no namespace and new guests get no metadata`,
      view.controllerSbAnswers === true
        ? `set ovn_sb_connection to ${view.local!.ovnRemote} in the agent's config and restart ${agent.program}`
        : `check the SB ovsdb-server (ovn-central: ovsdb-server for OVN_Southbound) and that ${view.sbConnection} is where it listens; then restart ${agent.program}`,
      'sb_unreachable',
    );
  }
  h.evidence.sbConnectedTo = view.sb?.text ?? null;
  if (view.localError) {
    notes.push(
      `the local Open vSwitch database at ${view.ovsConnection} cannot be read (${describeFailure(view.localError)}): this chassis' name is unknown`,
    );
  }
  const systemId = view.local?.systemId;
  if (view.local && !systemId) {
    return fail(
      done(),
      'Open_vSwitch has no external_ids:system-id',
      `the local Open vSwitch database has no external_ids:system-id: this node is no OVN chassis, and neither ovn-controller nor the agent can register it`,
      'ovs-vsctl set Open_vSwitch . external_ids:system-id=<chassis name>, then restart ovn-controller and the agent',
      'ovs_system_id_missing',
    );
  }
  if (view.chassisError) notes.push(`the SB's Chassis table could not be read: ${view.chassisError}`);
  const chassis = view.chassis;
  if (systemId && chassis) {
    h.evidence.chassis = chassis.chassis
      ? { name: chassis.chassis.name, hostname: chassis.chassis.hostname }
      : null;
    const key = agentKey(agent);
    const value = chassis.recordExternalIds?.[key];
    h.evidence.agentRecord = value === undefined ? null : { table: chassis.recordTable, key, value };
    if (!chassis.chassis) {
      return fail(
        done(),
        `no Chassis ${systemId} in SB`,
        `the SB has no Chassis named ${systemId} (this node's system-id): ${OVN_CONTROLLER} has not registered this node, so no port is bound here`,
        `check ${OVN_CONTROLLER}'s log and its external_ids:ovn-remote/ovn-encap-* settings; restart ${OVN_CONTROLLER}`,
        'chassis_missing',
      );
    }
    if (value === undefined) {
      fail(
        done(),
        `${chassis.recordTable} ${systemId} lacks ${key}`,
        `${chassis.recordTable} ${systemId} has no external_ids:${key}: ${agent.program} has not registered on this chassis${agent.svc ? ' (it may be unable to reach the SB, or still starting)' : ''}, so Neutron shows no metadata agent for this host`,
        `restart ${agent.program} and read its log; openstack network agent list --host ${chassis.chassis.hostname || systemId} must show it`,
        'agent_chassis_record_missing',
      );
      // a stopped agent, or neutron-ovn-agent without its metadata extension, registers nothing
      if (!agent.svc || !servesMetadata(agent)) h.consequenceOf = 'agent';
      return h;
    }
  }
  // the network: its datapath, its metadata localport, the guest's binding
  const read = await networkRead(ctx, view, ns.id, timeoutMs);
  if (!('net' in read)) {
    if (read.error instanceof OvsdbFailure && !['protocol', 'too-large'].includes(read.error.outcome)) {
      return fail(
        done(),
        `SB ${view.sb!.text}: ${describeFailure(read.error)}`,
        `the southbound database at ${sbSetting} stopped answering (${describeFailure(read.error)})`,
        `check the SB ovsdb-server; then restart ${agent.program}`,
        'sb_unreachable',
      );
    }
    notes.push(`the SB's bindings of network ${ns.id} could not be read: ${errorMessage(read.error)}`);
    h.detail = "SB answers; the network's bindings not read";
    return done();
  }
  const net = read.net;
  let guestChassis: { name: string; hostname: string } | undefined;
  const asked = guestIp === undefined ? [] : bindingsForIp(net.vifs, guestIp);
  const askedChassis = asked.length === 1 ? asked[0]!.chassis : undefined;
  if (askedChassis !== undefined && askedChassis !== chassis?.chassis?.uuid) {
    const sb = await connectAny(ctx, view.sb!.text, timeoutMs);
    if ('client' in sb) {
      try {
        const row = await chassisByUuid(sb.client, askedChassis);
        if (row) guestChassis = { name: row.name, hostname: row.hostname };
      } catch (err) {
        notes.push(`the SB's Chassis ${askedChassis} could not be read: ${errorMessage(err)}`);
      } finally {
        sb.client.close();
      }
    }
  }
  h.evidence.datapath = net.datapath ?? null;
  if (!net.datapath) {
    return fail(
      done(),
      `no Datapath_Binding for neutron-${ns.id}`,
      `the SB has no datapath for network ${ns.id} (no Datapath_Binding with external_ids:name=neutron-${ns.id}): its logical switch is missing from OVN, or ovn-northd is not running`,
      'check ovn-northd; neutron-ovn-db-sync-util --ovn-neutron_sync_mode repair syncs Neutron into OVN',
      'ovn_network_missing',
    );
  }
  const mp = net.metadataPort;
  const ips = mp ? metadataPortIps(mp) : [];
  h.evidence.metadataPort = mp ? { logicalPort: mp.logicalPort, mac: mp.addresses[0] ?? null, ips } : null;
  if (!mp) {
    return fail(
      done(),
      'no metadata port (localport) on the network',
      `network ${ns.id} has no metadata port in the SB (no Port_Binding of type localport on its datapath): the agent tears ovnmeta-${ns.id} down and no guest of the network gets metadata`,
      `neutron-server makes it (device_owner network:distributed) with [ovn] ovn_metadata_enabled = True; openstack port list --network ${ns.id} --device-owner network:distributed; neutron-ovn-db-sync-util --ovn-neutron_sync_mode repair recreates it`,
      'metadata_port_missing',
    );
  }
  if (ips.length === 0) {
    return fail(
      done(),
      `metadata port ${mp.logicalPort} has no IP`,
      `the network's metadata port ${mp.logicalPort} has no IPv4 address (mac "${mp.addresses.join(' ')}", no neutron:cidrs): the agent cannot configure ovnmeta-${ns.id} and tears it down; guests' route to 169.254.169.254 points at an address nobody has`,
      `give the port an address on the subnet: openstack port set --fixed-ip subnet=<subnet> ${mp.logicalPort}`,
      'metadata_port_no_ip',
    );
  }
  const onDevice = (nsIfaces ?? []).flatMap((i) => i.addresses.map((a) => a.local));
  if (nsIfaces && !ips.some((ip) => onDevice.includes(ip))) {
    return fail(
      done(),
      `metadata port ${ips.join(', ')} is not in the namespace`,
      `the metadata port's address ${ips.join(', ')} (SB) is on no device of ovnmeta-${ns.id} (${onDevice.join(', ') || 'none'}): guests route 169.254.169.254 via that address and get no answer; the agent has not resynced the namespace`,
      `restart ${agent.program}: its sync reprovisions the namespace`,
      'metadata_port_ip_mismatch',
    );
  }
  const here = chassis?.chassis?.uuid;
  const boundHere = net.vifs.filter((v) => here !== undefined && v.chassis === here);
  h.evidence.portsBoundHere = here === undefined ? null : boundHere.length;
  if (guestIp !== undefined) {
    const bound = bindingsForIp(net.vifs, guestIp);
    const b = bound[0];
    h.evidence.guestBinding = b
      ? {
          logicalPort: b.logicalPort,
          chassis: guestChassis?.name ?? (b.chassis === here ? (chassis?.chassis?.name ?? null) : null),
          hostname: guestChassis?.hostname ?? null,
          here: here !== undefined && b.chassis === here,
        }
      : null;
    if (bound.length === 0) {
      return fail(
        done(),
        `no Port_Binding with ${guestIp}`,
        `no port of network ${ns.id} has ${guestIp} in its SB Port_Binding (mac column): the agent answers 404 ("No port found in network"); the address is not a fixed IP of a port, or the SB is out of sync with Neutron`,
        `openstack port list --network ${ns.id} --fixed-ip ip-address=${guestIp}; neutron-ovn-db-sync-util if Neutron has it and the SB does not`,
        'guest_port_missing',
      );
    }
    if (bound.length > 1) {
      return fail(
        done(),
        `${bound.length} Port_Bindings with ${guestIp}`,
        `${bound.length} ports of network ${ns.id} have ${guestIp} in the SB (${bound.map((x) => x.logicalPort).join(', ')}): the agent answers 404 ("More than one port found")`,
        'run neutron-ovn-db-sync-util: the SB is out of sync with Neutron',
        'guest_port_duplicate',
      );
    }
    if (b!.chassis === undefined) {
      return fail(
        done(),
        `${guestIp}'s port ${b!.logicalPort} is bound to no chassis`,
        `${guestIp}'s port ${b!.logicalPort} is bound to no chassis: no ovn-controller claims it (the guest is not plugged, or its iface-id does not match), and the agent answers 404 for an unbound port`,
        `on the guest's compute node: ovs-vsctl find Interface external_ids:iface-id=${b!.logicalPort}; check that node's ovn-controller`,
        'guest_port_unbound',
      );
    }
    if (here !== undefined && b!.chassis !== here) {
      const other = guestChassis
        ? `${guestChassis.name}${guestChassis.hostname && guestChassis.hostname !== guestChassis.name ? ` (host ${guestChassis.hostname})` : ''}`
        : `chassis ${b!.chassis}`;
      return fail(
        done(),
        `${guestIp} is bound to ${other}, not here`,
        `${guestIp}'s port ${b!.logicalPort} is bound to ${other}, not to this node's chassis ${systemId}: the guest's metadata goes through ovnmeta-${ns.id} on that chassis, and this node's agent does not serve it`,
        `run osmeta trace there${guestChassis?.hostname ? ` (on ${guestChassis.hostname})` : ''}; if the guest runs here, its port binding is stale: check ovn-controller on both nodes`,
        'port_bound_elsewhere',
      );
    }
  } else if (here !== undefined && boundHere.length === 0) {
    return fail(
      done(),
      `no port of the network is bound here`,
      `no VIF port of network ${ns.id} is bound to this chassis (${systemId}): the agent provisions ovnmeta-${ns.id} only for networks with a port here, and tears this one down on its next sync`,
      `openstack port list --network ${ns.id} --long shows where the ports are bound; trace on that node`,
      'no_port_bound_here',
    );
  }
  const chassisText = chassis?.chassis
    ? `chassis ${chassis.chassis.name} (${agent.program} registered)`
    : 'chassis not read';
  h.target = `network ${ns.id} on ${systemId ?? 'this chassis'}`;
  const controller =
    view.controllerPid === undefined
      ? `${OVN_CONTROLLER} not seen`
      : `${OVN_CONTROLLER} pid ${view.controllerPid}`;
  const bound =
    here === undefined
      ? guestIp !== undefined
        ? `${guestIp} bound (this chassis unknown)`
        : `${net.vifs.filter((v) => v.chassis !== undefined).length} ports bound`
      : guestIp !== undefined
        ? `${guestIp} bound here`
        : `${boundHere.length} port${boundHere.length === 1 ? '' : 's'} bound here`;
  h.detail = `${controller}, SB ${view.sb!.text} answers, ${chassisText}, metadata port ${ips.join(', ')}, ${bound}`;
  return done();
}
