import type { IniValue } from './oslo-config.js';
import { type ConfigSet, optString, parseOsloBool, where } from './service-config.js';

// The options of the agents that make the metadata namespaces (neutron-dhcp-agent, neutron-l3-agent)
// that decide whether they serve metadata at all, and whether a dead proxy comes back
// (neutron/conf/agent/dhcp.py, neutron/conf/agent/l3/config.py, neutron/conf/agent/common.py).

export const OVS_AGENT = 'neutron-openvswitch-agent';

export interface AgentOption<T> {
  value: T;
  /** "file:line" of the assignment; undefined: neutron's default */
  where?: string;
}

export interface SpawnerOptions {
  /** dhcp_agent.ini */
  enableIsolatedMetadata: AgentOption<boolean>;
  forceMetadata: AgentOption<boolean>;
  enableMetadataNetwork: AgentOption<boolean>;
  /** l3_agent.ini */
  enableMetadataProxy: AgentOption<boolean>;
  metadataPort: AgentOption<number>;
  /** [agent] check_child_processes_interval: seconds; 0 turns the ProcessMonitor off */
  childInterval: AgentOption<number>;
  /** [agent] check_child_processes_action: respawn | exit */
  childAction: AgentOption<string>;
  /** [DEFAULT] host: the name the agent reports to Neutron; undefined: the node's hostname */
  host?: string;
}

function bool(set: ConfigSet, section: string, key: string, fallback: boolean): AgentOption<boolean> {
  const v = optString(set, section, key, String(fallback));
  const parsed = parseOsloBool(v.value);
  return withWhere({ value: parsed ?? fallback }, v.from);
}

function int(set: ConfigSet, section: string, key: string, fallback: number): AgentOption<number> {
  const v = optString(set, section, key, String(fallback));
  const n = Number(v.value.trim());
  return withWhere({ value: Number.isInteger(n) ? n : fallback }, v.from);
}

function withWhere<T>(o: AgentOption<T>, from: IniValue | undefined): AgentOption<T> {
  const w = where(from);
  return w === undefined ? o : { ...o, where: w };
}

export function spawnerOptions(set: ConfigSet): SpawnerOptions {
  const action = optString(set, 'agent', 'check_child_processes_action', 'respawn');
  const host = optString(set, 'DEFAULT', 'host', '');
  return {
    enableIsolatedMetadata: bool(set, 'DEFAULT', 'enable_isolated_metadata', false),
    forceMetadata: bool(set, 'DEFAULT', 'force_metadata', false),
    enableMetadataNetwork: bool(set, 'DEFAULT', 'enable_metadata_network', false),
    enableMetadataProxy: bool(set, 'DEFAULT', 'enable_metadata_proxy', true),
    metadataPort: int(set, 'DEFAULT', 'metadata_port', 9697),
    childInterval: int(set, 'agent', 'check_child_processes_interval', 60),
    childAction: withWhere({ value: action.value.trim() || 'respawn' }, action.from),
    ...(host.value.trim() !== '' ? { host: host.value.trim() } : {}),
  };
}

/** "name = value (file:line)" or "name = value (default)", for details and causes. */
export function describeOption<T>(name: string, o: AgentOption<T>): string {
  const v = typeof o.value === 'boolean' ? (o.value ? 'True' : 'False') : String(o.value);
  return `${name} = ${v} (${o.where ?? 'default'})`;
}

/** Whether the ProcessMonitor brings a dead child back, and after how long at most. */
export function respawnPolicy(o: SpawnerOptions): { respawns: boolean; intervalS: number } {
  return {
    respawns: o.childInterval.value > 0 && o.childAction.value === 'respawn',
    intervalS: o.childInterval.value,
  };
}
