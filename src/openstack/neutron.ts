import type { Session } from './session.js';

// neutron's ports API: GET /v2.0/ports?device_id=… | fixed_ips=ip_address=… | network_id=…
// (neutron-lib api-ref ports.inc). The catalog's network endpoint usually lacks /v2.0.

export interface PortFixedIp {
  ipAddress: string;
  subnetId?: string;
}

export interface Port {
  id: string;
  name: string;
  networkId: string;
  projectId: string;
  macAddress: string;
  deviceId: string;
  deviceOwner: string;
  status: string;
  fixedIps: PortFixedIp[];
}

export interface PortFilter {
  deviceId?: string;
  fixedIp?: string;
  networkId?: string;
  projectId?: string;
}

export const PORT_FIELDS = [
  'id',
  'name',
  'network_id',
  'tenant_id',
  'project_id',
  'mac_address',
  'device_id',
  'device_owner',
  'status',
  'fixed_ips',
];

export function parsePort(v: unknown): Port | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const p = v as Record<string, unknown>;
  if (typeof p.id !== 'string') return undefined;
  const s = (k: string) => (typeof p[k] === 'string' ? (p[k] as string) : '');
  const fixedIps: PortFixedIp[] = Array.isArray(p.fixed_ips)
    ? p.fixed_ips
        .map((f) => f as Record<string, unknown>)
        .filter((f) => typeof f.ip_address === 'string')
        .map((f) => ({
          ipAddress: f.ip_address as string,
          ...(typeof f.subnet_id === 'string' ? { subnetId: f.subnet_id } : {}),
        }))
    : [];
  return {
    id: p.id,
    name: s('name'),
    networkId: s('network_id'),
    projectId: s('project_id') || s('tenant_id'),
    macAddress: s('mac_address'),
    deviceId: s('device_id'),
    deviceOwner: s('device_owner'),
    status: s('status'),
    fixedIps,
  };
}

function networkPath(session: Session, path: string): { endpointHasVersion: boolean; path: string } {
  const base = session.endpoint('network').replace(/\/+$/, '');
  const endpointHasVersion = /\/v2\.0$/.test(base);
  return { endpointHasVersion, path: endpointHasVersion ? path : `/v2.0${path}` };
}

export async function listPorts(session: Session, f: PortFilter): Promise<Port[]> {
  const query: Record<string, string | string[] | undefined> = {
    ...(f.deviceId ? { device_id: f.deviceId } : {}),
    ...(f.fixedIp ? { fixed_ips: `ip_address=${f.fixedIp}` } : {}),
    ...(f.networkId ? { network_id: f.networkId } : {}),
    ...(f.projectId ? { project_id: f.projectId } : {}),
    fields: PORT_FIELDS,
  };
  const { path } = networkPath(session, '/ports');
  const doc = (await session.getJson('network', { path, query }, 'listing ports')) as { ports?: unknown[] };
  return (doc.ports ?? []).map(parsePort).filter((p): p is Port => p !== undefined);
}

// neutron's agents API: GET /v2.0/agents?binary=…&host=… (admin only by default policy).

export interface Agent {
  id: string;
  binary: string;
  host: string;
  agentType: string;
  alive: boolean;
  adminStateUp: boolean;
  heartbeat: string;
}

export function parseAgent(v: unknown): Agent | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const a = v as Record<string, unknown>;
  if (typeof a.id !== 'string') return undefined;
  const s = (k: string) => (typeof a[k] === 'string' ? (a[k] as string) : '');
  return {
    id: a.id,
    binary: s('binary'),
    host: s('host'),
    agentType: s('agent_type'),
    alive: a.alive === true,
    adminStateUp: a.admin_state_up !== false,
    heartbeat: s('heartbeat_timestamp'),
  };
}

export async function listAgents(session: Session, f: { binary?: string; host?: string }): Promise<Agent[]> {
  const query: Record<string, string | undefined> = {
    ...(f.binary ? { binary: f.binary } : {}),
    ...(f.host ? { host: f.host } : {}),
  };
  const { path } = networkPath(session, '/agents');
  const doc = (await session.getJson('network', { path, query }, 'listing agents')) as { agents?: unknown[] };
  return (doc.agents ?? []).map(parseAgent).filter((a): a is Agent => a !== undefined);
}

/** device_owner of a router's ports on a tenant network (legacy, HA, DVR). */
export const ROUTER_INTERFACE_OWNERS = [
  'network:router_interface',
  'network:ha_router_replicated_interface',
  'network:router_interface_distributed',
];

/**
 * The routers with an interface on a network: the L3 agent's qrouter- namespace of any of them
 * serves the network's metadata (X-Neutron-Router-ID), unless the DHCP agent has force_metadata.
 */
export async function routersOnNetwork(session: Session, networkId: string): Promise<string[]> {
  const ports = await listPorts(session, { networkId });
  return [
    ...new Set(
      ports
        .filter((p) => ROUTER_INTERFACE_OWNERS.includes(p.deviceOwner) && p.deviceId !== '')
        .map((p) => p.deviceId),
    ),
  ];
}

/** device_owner of the metadata port neutron-server makes per network under ML2/OVN (a localport). */
export const OVN_METADATA_PORT_OWNER = 'network:distributed';

/** Who serves a network's metadata, from its ports: OVN's ovnmeta- namespace, or a router's proxy. */
export interface MetadataServing {
  /** the network has an ML2/OVN metadata port: X-OVN-Network-ID, whatever the routers */
  ovn: boolean;
  routers: string[];
}

export async function metadataServing(session: Session, networkId: string): Promise<MetadataServing> {
  const ports = await listPorts(session, { networkId });
  return {
    ovn: ports.some((p) => p.deviceOwner === OVN_METADATA_PORT_OWNER),
    routers: [
      ...new Set(
        ports
          .filter((p) => ROUTER_INTERFACE_OWNERS.includes(p.deviceOwner) && p.deviceId !== '')
          .map((p) => p.deviceId),
      ),
    ],
  };
}
