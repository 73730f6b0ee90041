import type { NamespaceKind } from '../../host/netns.js';

/** The hops of the guest's metadata path. The names are the JSON contract and diagnosis.hop. */
export const HOP_NAMES = [
  'namespace',
  'spawner',
  'router',
  'ovn',
  'haproxy',
  'socket',
  'agent',
  'nova',
  'probe-haproxy',
  'probe-socket',
  'probe-nova',
] as const;

export type HopName = (typeof HOP_NAMES)[number];

/** The hops read from the node without sending anything, then the live probes. */
export const PASSIVE_HOPS: readonly HopName[] = HOP_NAMES.filter((n) => !n.startsWith('probe-'));
export const PROBE_HOPS: readonly HopName[] = HOP_NAMES.filter((n) => n.startsWith('probe-'));
export type HopStatus = 'ok' | 'fail' | 'skip';

export interface Hop {
  name: HopName;
  /** what was checked: the namespace, haproxy's pid and bind, the socket path, nova's URL … */
  target: string;
  status: HopStatus;
  /** one line for people */
  detail: string;
  durationMs: number;
  /** the facts behind the verdict (never a secret) */
  evidence: Record<string, unknown>;
  /** why it failed and what to do — the diagnosis when this hop is the root cause */
  cause?: string;
  fix?: string;
  /** the cause's stable code, when the check that failed names one */
  code?: string;
  /** a failure another hop explains (e.g. a stale socket when the agent is down) */
  consequenceOf?: HopName;
}

export interface Diagnosis {
  hop: HopName;
  /** a stable snake_case code for the cause (docs/prometheus.md, "Cause codes"); `unknown` if none */
  code: string;
  cause: string;
  fix: string;
}

/** The guest whose request the socket probe replays. */
export interface Guest {
  ip: string;
  /** where the address came from */
  source: 'option' | 'dhcp-host-file' | 'neutron' | 'ovn-sb';
  instanceId?: string;
  projectId?: string;
  portId?: string;
  name?: string;
  /** the instance's own project per nova's API (the agent sends the port's: they must match) */
  instanceProjectId?: string;
}

export interface TraceResult {
  netns: string;
  kind: NamespaceKind;
  id: string;
  ok: boolean;
  guest: Guest | null;
  hops: Hop[];
  diagnosis: Diagnosis | null;
  notes: string[];
}

export interface TraceAllResult {
  ok: boolean;
  namespaces: TraceResult[];
  notes: string[];
  /** metadata namespaces left out by --max-namespaces */
  skipped?: number;
}

export interface TraceOptions {
  netns?: string;
  server?: string;
  ip?: string;
  all?: boolean;
  probeAll?: boolean;
  /** with --all: trace at most this many namespaces, the first by name */
  maxNamespaces?: number;
  statePath?: string;
  /** seconds, per live probe */
  probeTimeout: number;
  novaConfig?: string[];
}

export function hopToJson(h: Hop) {
  return {
    name: h.name,
    target: h.target,
    status: h.status,
    detail: h.detail,
    durationMs: Math.round(h.durationMs),
    evidence: h.evidence,
  };
}

export function resultToJson(r: TraceResult) {
  return {
    netns: r.netns,
    kind: r.kind,
    id: r.id,
    ok: r.ok,
    guest: r.guest,
    hops: r.hops.map(hopToJson),
    diagnosis: r.diagnosis,
  };
}

/** The hops in HOP_NAMES' order; every hop must be there (a compile error otherwise). */
export function inHopOrder(hops: Record<HopName, Hop>): Hop[] {
  return HOP_NAMES.map((n) => hops[n]);
}
