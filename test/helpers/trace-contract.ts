// trace's JSON contract as the tests read it: written out here, not imported from src/, so that a
// change to the contract fails the tests that pin it.

/** The hops of `osmeta trace --json`, in order. */
export const TRACE_HOPS = [
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
];

export interface TraceHopJson {
  name: string;
  status: string;
  target: string;
  detail: string;
  evidence: Record<string, unknown>;
}

export interface TraceJson {
  netns: string;
  kind: string;
  id: string;
  ok: boolean;
  guest: { ip: string; instanceId?: string } | null;
  hops: TraceHopJson[];
  diagnosis: { hop: string; code: string; cause: string; fix: string } | null;
}

/** Each hop's status, by name. */
export const hopStatuses = (doc: TraceJson): Record<string, string> =>
  Object.fromEntries(doc.hops.map((h) => [h.name, h.status]));
