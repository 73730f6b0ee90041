import { causeCode } from './cause-codes.js';
import type { MetricFamily, Sample } from './exposition.js';

// trace --all as metrics. The input is the shape of trace's result (and of its --json document):
// only the fields read here, so the metrics do not depend on where trace's code lives.

export interface TraceHopInput {
  name: string;
  status: 'ok' | 'fail' | 'skip' | string;
  durationMs: number;
}

export interface TraceNamespaceInput {
  netns: string;
  kind: string;
  id: string;
  ok: boolean;
  hops: readonly TraceHopInput[];
  diagnosis: { hop: string; cause: string; code?: string } | null;
}

export interface TraceAllInput {
  ok: boolean;
  namespaces: readonly TraceNamespaceInput[];
  /** metadata namespaces on the node that this run left out (trace --max-namespaces) */
  skipped?: number;
}

export interface TraceRun {
  /** how long the whole trace took, seconds */
  durationSeconds: number;
  /** when it finished, seconds since the epoch (wall clock) */
  timestampSeconds: number;
}

/** The hops that are one live request each: their latency is a probe duration. */
export const PROBE_HOPS: readonly string[] = ['nova', 'probe-haproxy', 'probe-socket', 'probe-nova'];

/** Label values come from the node (namespace names, neutron IDs); a bound keeps a series sane. */
export const MAX_LABEL = 128;
export const bounded = (v: string) => (v.length > MAX_LABEL ? v.slice(0, MAX_LABEL) : v);

/** Milliseconds to seconds, to the microsecond. */
export const seconds = (ms: number) => Math.round(ms * 1000) / 1e6;

export function traceMetrics(result: TraceAllInput, run: TraceRun): MetricFamily[] {
  const hopUp: Sample[] = [];
  const probe: Sample[] = [];
  const nsUp: Sample[] = [];
  const diagnosis: Sample[] = [];
  for (const n of result.namespaces) {
    const ns = { netns: bounded(n.netns), kind: bounded(n.kind), id: bounded(n.id) };
    nsUp.push({ labels: ns, value: n.ok ? 1 : 0 });
    for (const h of n.hops) {
      if (h.status !== 'ok' && h.status !== 'fail') continue;
      hopUp.push({ labels: { ...ns, hop: h.name }, value: h.status === 'ok' ? 1 : 0 });
      if (PROBE_HOPS.includes(h.name)) {
        probe.push({ labels: { ...ns, probe: h.name }, value: seconds(h.durationMs) });
      }
    }
    if (n.diagnosis) {
      diagnosis.push({
        labels: { netns: ns.netns, hop: n.diagnosis.hop, cause_code: causeCode(n.diagnosis) },
        value: 1,
      });
    }
  }
  return [
    {
      name: 'osmeta_metadata_hop_up',
      help: '1 when the hop of the metadata path is healthy, 0 when broken; skipped hops are absent.',
      type: 'gauge',
      labels: ['netns', 'kind', 'id', 'hop'],
      samples: hopUp,
    },
    {
      name: 'osmeta_metadata_probe_duration_seconds',
      help: "Latency of each live request of trace (nova's GET /, through haproxy, the agent's socket, signed to nova).",
      type: 'gauge',
      labels: ['netns', 'kind', 'id', 'probe'],
      samples: probe,
    },
    {
      name: 'osmeta_metadata_namespace_up',
      help: "1 when every hop of the namespace's metadata path is healthy, else 0.",
      type: 'gauge',
      labels: ['netns', 'kind', 'id'],
      samples: nsUp,
    },
    {
      name: 'osmeta_metadata_node_up',
      help: '1 when every metadata namespace on this node is healthy (also when there is none), else 0.',
      type: 'gauge',
      samples: [{ value: result.ok ? 1 : 0 }],
    },
    {
      name: 'osmeta_metadata_diagnosis_info',
      help: 'The root cause of a broken namespace: the hop at fault and a stable code for the cause (always 1).',
      type: 'gauge',
      labels: ['netns', 'hop', 'cause_code'],
      samples: diagnosis,
    },
    {
      name: 'osmeta_metadata_namespaces_skipped',
      help: 'Metadata namespaces on this node that the trace left out (--max-namespaces); 0 when it traced all.',
      type: 'gauge',
      samples: [{ value: result.skipped ?? 0 }],
    },
    {
      name: 'osmeta_metadata_trace_duration_seconds',
      help: 'How long the trace of this node took.',
      type: 'gauge',
      samples: [{ value: seconds(run.durationSeconds * 1000) }],
    },
    {
      name: 'osmeta_metadata_trace_timestamp_seconds',
      help: 'When the trace finished, in seconds since the epoch: old means the metrics are stale.',
      type: 'gauge',
      samples: [{ value: Math.round(run.timestampSeconds * 1000) / 1000 }],
    },
  ];
}
