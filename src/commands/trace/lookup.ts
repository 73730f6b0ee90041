// What trace asks the OpenStack APIs (Neutron ports, nova servers), behind an interface so the
// node-side logic does not depend on the API client and tests can pass a table.

export interface PortInfo {
  id: string;
  networkId: string;
  projectId: string;
  deviceId: string;
  deviceOwner: string;
  fixedIps: string[];
  /** ACTIVE, DOWN, BUILD … (absent in older tables) */
  status?: string;
}

export interface AgentInfo {
  id: string;
  binary: string;
  host: string;
  alive: boolean;
  adminStateUp: boolean;
  heartbeat: string;
}

export interface ServerInfo {
  id: string;
  name: string;
  projectId: string;
}

export interface OpenStackLookup {
  /** ports with this fixed IP (on this network, when given) */
  portsByIp(ip: string, networkId?: string): Promise<PortInfo[]>;
  portsByDevice(deviceId: string): Promise<PortInfo[]>;
  portsOnNetwork(networkId: string): Promise<PortInfo[]>;
  /** a server by name or ID; undefined when there is none */
  server(nameOrId: string): Promise<ServerInfo | undefined>;
  /** Neutron's agents of this binary (on this host, when given); absent: not asked */
  agents?(binary: string, host?: string): Promise<AgentInfo[]>;
}

export { OVN_METADATA_PORT_OWNER, ROUTER_INTERFACE_OWNERS } from '../../openstack/neutron.js';

export const isComputePort = (p: PortInfo) => p.deviceOwner.startsWith('compute:') && p.deviceId !== '';
