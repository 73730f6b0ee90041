import type { IniValue } from './oslo-config.js';
import {
  atom,
  mapOf,
  mapValue,
  type OvsdbClient,
  type OvsdbRow,
  type SelectResult,
  setOf,
  uuidValue,
} from './ovsdb.js';
import { type ConfigSet, optString } from './service-config.js';

// What an OVN chassis and its metadata agent keep in OVSDB, read-only: the node's Open_vSwitch row
// (ovn-controller's settings), the southbound Chassis/Chassis_Private rows and a network's
// Datapath_Binding and Port_Bindings (neutron/agent/ovn/metadata/agent.py, ovn-architecture(7)).

export const OVN_CONTROLLER = 'ovn-controller';
/** 2024.1+: the OVN agent, which serves metadata with `[agent] extensions = metadata` */
export const OVN_AGENT = 'neutron-ovn-agent';

/** neutron/conf/agent/ovn/metadata/config.py and ovn_conf.py defaults */
export const DEFAULT_SB_CONNECTION = 'tcp:127.0.0.1:6642';
export const DEFAULT_OVSDB_CONNECTION = 'unix:/usr/local/var/run/openvswitch/db.sock';

/** Chassis_Private external_ids the agents register (neutron/common/ovn/constants.py) */
export const METADATA_AGENT_ID_KEY = 'neutron:ovn-metadata-id';
export const OVN_AGENT_ID_KEY = 'neutron:ovn-neutron-agent-id';

export interface Setting {
  value: string;
  from?: IniValue;
}

export interface OvnAgentConnections {
  /** [ovn] ovn_sb_connection */
  sb: Setting;
  /** [ovs] ovsdb_connection */
  ovs: Setting;
  /** [agent] extensions (neutron-ovn-agent) */
  extensions: string[];
}

export function ovnAgentConnections(set: ConfigSet): OvnAgentConnections {
  const sb = optString(set, 'ovn', 'ovn_sb_connection', DEFAULT_SB_CONNECTION);
  const ovs = optString(set, 'ovs', 'ovsdb_connection', DEFAULT_OVSDB_CONNECTION);
  const ext = optString(set, 'agent', 'extensions', '');
  return {
    sb: sb.from ? { value: sb.value.trim(), from: sb.from } : { value: sb.value },
    ovs: ovs.from ? { value: ovs.value.trim(), from: ovs.from } : { value: ovs.value },
    extensions: ext.value
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e !== ''),
  };
}

// ---- the node's Open vSwitch database -----------------------------------------------------------

export interface LocalOvs {
  /** external_ids:system-id: this chassis' name */
  systemId?: string;
  /** external_ids:ovn-remote: where ovn-controller finds the SB */
  ovnRemote?: string;
  /** external_ids:ovn-bridge (default br-int) */
  ovnBridge: string;
  hostname?: string;
}

export async function readLocalOvs(client: OvsdbClient): Promise<LocalOvs> {
  const [r] = await client.select('Open_vSwitch', [
    { table: 'Open_vSwitch', where: [], columns: ['external_ids'] },
  ]);
  const ids = mapOf(rowsOf(r, 'Open_vSwitch')[0]?.external_ids);
  const out: LocalOvs = { ovnBridge: ids['ovn-bridge'] ?? 'br-int' };
  if (ids['system-id']) out.systemId = ids['system-id'];
  if (ids['ovn-remote']) out.ovnRemote = ids['ovn-remote'];
  if (ids.hostname) out.hostname = ids.hostname;
  return out;
}

// ---- the southbound database --------------------------------------------------------------------

export const SB_DB = 'OVN_Southbound';

export class OvsdbTableError extends Error {}

function rowsOf(r: SelectResult | undefined, table: string): OvsdbRow[] {
  if (!r) return [];
  if ('error' in r) throw new OvsdbTableError(`${table}: ${r.error}${r.details ? ` (${r.details})` : ''}`);
  return r.rows;
}

export interface ChassisRow {
  uuid: string;
  name: string;
  hostname: string;
}

export interface ChassisView {
  chassis?: ChassisRow;
  /** where the agents keep their external_ids: Chassis_Private (OVN 20.09+), else Chassis */
  recordTable: 'Chassis_Private' | 'Chassis';
  recordExternalIds?: Record<string, string>;
}

const chassisRow = (r: OvsdbRow): ChassisRow => ({
  uuid: String(atom(r._uuid) ?? ''),
  name: String(atom(r.name) ?? ''),
  hostname: String(atom(r.hostname) ?? ''),
});

/** The chassis named `name` and the record the metadata agent registers on it. */
export async function readChassis(client: OvsdbClient, name: string): Promise<ChassisView> {
  const tables = await client.tables(SB_DB);
  const hasPrivate = tables.includes('Chassis_Private');
  const ops = [
    {
      table: 'Chassis',
      where: [['name', '==', name] as [string, string, unknown]],
      columns: ['_uuid', 'name', 'hostname', 'external_ids'],
    },
    ...(hasPrivate
      ? [
          {
            table: 'Chassis_Private',
            where: [['name', '==', name] as [string, string, unknown]],
            columns: ['external_ids'],
          },
        ]
      : []),
  ];
  const [c, p] = await client.select(SB_DB, ops);
  const chassis = rowsOf(c, 'Chassis')[0];
  const view: ChassisView = { recordTable: hasPrivate ? 'Chassis_Private' : 'Chassis' };
  if (chassis) view.chassis = chassisRow(chassis);
  const record = hasPrivate ? rowsOf(p, 'Chassis_Private')[0] : chassis;
  if (record) view.recordExternalIds = mapOf(record.external_ids);
  return view;
}

export interface BindingRow {
  logicalPort: string;
  type: string;
  /** mac[0] split: "fa:16:3e:… 10.0.0.5 …" */
  addresses: string[];
  chassis?: string;
  externalIds: Record<string, string>;
}

export interface NetworkBindings {
  /** Datapath_Binding uuid of the network's logical switch; undefined: SB has none */
  datapath?: string;
  /** the localport neutron-server made for metadata (device_owner network:distributed) */
  metadataPort?: BindingRow;
  /** VIF ports (type "" or external) */
  vifs: BindingRow[];
}

const bindingRow = (r: OvsdbRow): BindingRow => {
  const chassis = setOf(r.chassis)[0];
  return {
    logicalPort: String(atom(r.logical_port) ?? ''),
    type: String(atom(r.type) ?? ''),
    addresses: String(setOf(r.mac)[0] ?? '')
      .split(' ')
      .filter((a) => a !== ''),
    ...(chassis !== undefined ? { chassis: String(chassis) } : {}),
    externalIds: mapOf(r.external_ids),
  };
};

/**
 * The network's datapath (external_ids:name = neutron-<network>, utils.get_network_name_from_datapath)
 * and its port bindings.
 */
export async function readNetwork(client: OvsdbClient, networkId: string): Promise<NetworkBindings> {
  const [d] = await client.select(SB_DB, [
    {
      table: 'Datapath_Binding',
      where: [['external_ids', 'includes', mapValue({ name: `neutron-${networkId}` })]],
      columns: ['_uuid'],
    },
  ]);
  const dp = rowsOf(d, 'Datapath_Binding')[0];
  const uuid = dp ? atom(dp._uuid) : undefined;
  if (uuid === undefined) return { vifs: [] };
  const [p] = await client.select(SB_DB, [
    {
      table: 'Port_Binding',
      where: [['datapath', '==', uuidValue(String(uuid))]],
      columns: ['logical_port', 'type', 'mac', 'chassis', 'external_ids'],
    },
  ]);
  const rows = rowsOf(p, 'Port_Binding').map(bindingRow);
  // the agent takes the first localport of the datapath (agent.py get_metadata_port_network)
  const metadataPort = rows.find((r) => r.type === 'localport');
  return {
    datapath: String(uuid),
    ...(metadataPort ? { metadataPort } : {}),
    vifs: rows.filter((r) => r.type === '' || r.type === 'external'),
  };
}

/**
 * The metadata port's IPv4 addresses as the agent configures them: its neutron:cidrs (without them
 * the agent tears the namespace down, agent.py provision_datapath).
 */
export function metadataPortIps(p: BindingRow): string[] {
  return (p.externalIds['neutron:cidrs'] ?? '')
    .split(' ')
    .map((c) => c.split('/')[0] ?? '')
    .filter((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a));
}

/** The agent's own lookup (get_network_port_bindings_by_ip): the address as a word of mac[0]. */
export function bindingsForIp(vifs: readonly BindingRow[], ip: string): BindingRow[] {
  return vifs.filter((v) => v.addresses.slice(1).includes(ip));
}

export async function chassisByUuid(client: OvsdbClient, uuid: string): Promise<ChassisRow | undefined> {
  const [r] = await client.select(SB_DB, [
    { table: 'Chassis', where: [['_uuid', '==', uuidValue(uuid)]], columns: ['_uuid', 'name', 'hostname'] },
  ]);
  const row = rowsOf(r, 'Chassis')[0];
  return row ? chassisRow(row) : undefined;
}
