import type { MetricFamily, Sample } from './exposition.js';
import { bounded, seconds } from './trace.js';

// smoke as metrics. The input is the shape of smoke's result (and of its --json document), only
// the fields read here. Servers are labelled by ID and project ID: a server's name is the
// tenant's to choose and never becomes a label.

export interface SmokeCheckInput {
  name: string;
  ok: boolean;
  durationMs: number;
  retries: number;
}

export interface SmokeServerInput {
  id: string;
  projectId: string;
  ok: boolean;
  checks: readonly SmokeCheckInput[];
}

export interface SmokeInput {
  ok: boolean;
  summary: { total: number; passed: number; failed: number };
  servers: readonly SmokeServerInput[];
  durationMs: number;
  stoppedEarly: boolean;
}

/** @param timestampSeconds when smoke finished, seconds since the epoch */
export function smokeMetrics(result: SmokeInput, timestampSeconds: number): MetricFamily[] {
  const ok: Sample[] = [];
  const latency: Sample[] = [];
  const retries: Sample[] = [];
  const serverOk: Sample[] = [];
  for (const s of result.servers) {
    const server = { server_id: bounded(s.id), project_id: bounded(s.projectId) };
    serverOk.push({ labels: server, value: s.ok ? 1 : 0 });
    for (const c of s.checks) {
      const labels = { ...server, check: bounded(c.name) };
      ok.push({ labels, value: c.ok ? 1 : 0 });
      latency.push({ labels, value: seconds(c.durationMs) });
      retries.push({ labels, value: c.retries });
    }
  }
  const gauge = (name: string, help: string, value: number): MetricFamily => ({
    name,
    help,
    type: 'gauge',
    samples: [{ value }],
  });
  const perCheck = ['server_id', 'project_id', 'check'];
  return [
    {
      name: 'osmeta_smoke_check_ok',
      help: 'A metadata check of one server: 1 passed, 0 failed.',
      type: 'gauge',
      labels: perCheck,
      samples: ok,
    },
    {
      name: 'osmeta_smoke_check_duration_seconds',
      help: 'Latency of a metadata check of one server (its retries included).',
      type: 'gauge',
      labels: perCheck,
      samples: latency,
    },
    {
      name: 'osmeta_smoke_check_retries',
      help: '5xx answers retried before the outcome of a check.',
      type: 'gauge',
      labels: perCheck,
      samples: retries,
    },
    {
      name: 'osmeta_smoke_server_ok',
      help: 'A server: 1 when every metadata check passed, else 0.',
      type: 'gauge',
      labels: ['server_id', 'project_id'],
      samples: serverOk,
    },
    gauge('osmeta_smoke_servers_checked', 'Servers checked by this run.', result.summary.total),
    gauge('osmeta_smoke_servers_passed', 'Servers whose every check passed.', result.summary.passed),
    gauge('osmeta_smoke_servers_failed', 'Servers with a failed check.', result.summary.failed),
    gauge('osmeta_smoke_ok', '1 when every server checked passed, else 0.', result.ok ? 1 : 0),
    gauge(
      'osmeta_smoke_stopped_early',
      '1 when --fail-fast stopped the run before every server was checked.',
      result.stoppedEarly ? 1 : 0,
    ),
    gauge('osmeta_smoke_duration_seconds', 'How long the smoke run took.', seconds(result.durationMs)),
    gauge(
      'osmeta_smoke_timestamp_seconds',
      'When the smoke run finished, in seconds since the epoch.',
      Math.round(timestampSeconds * 1000) / 1000,
    ),
  ];
}
