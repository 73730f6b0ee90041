import type { HttpProbeResult } from '../../host/http-probe.js';
import {
  type GuestAnswerMeaning,
  guestAnswerMeaning,
  identityOf,
  notJsonMeaning,
  VERSIONS_PATH,
} from '../../metadata/guest-answer.js';
import { PROBE_DOCUMENT } from '../../metadata/protocol.js';
import type { Step, StepName } from './types.js';

// Steps "versions", "openstack", "meta-data" and "ec2": GETs on 169.254.169.254, each answer
// classified by who wrote it through src/metadata/guest-answer.ts.

export const PATHS = {
  versions: VERSIONS_PATH,
  openstack: '/openstack',
  'meta-data': PROBE_DOCUMENT,
  ec2: '/latest/meta-data/instance-id',
} as const satisfies Partial<Record<StepName, string>>;

/** network_data.json: the instance's MACs for the identity step */
export const NETWORK_DATA = '/openstack/latest/network_data.json';

export type HttpStepName = keyof typeof PATHS;
export const HTTP_STEPS = [
  'versions',
  'openstack',
  'meta-data',
  'ec2',
] as const satisfies readonly HttpStepName[];

/** the first line of a body, bounded, for evidence */
const excerpt = (body: string | undefined) => (body ?? '').split('\n')[0]!.slice(0, 120);

function failed(name: HttpStepName, r: HttpProbeResult, m: GuestAnswerMeaning): Step {
  return {
    name,
    target: `GET ${PATHS[name]}`,
    status: 'fail',
    detail: `${r.status} from ${m.answeredBy}`,
    durationMs: r.latencyMs,
    evidence: { status: r.status ?? null, contentType: r.headers?.['content-type'] ?? null },
    answeredBy: m.answeredBy,
    code: m.code,
    cause: m.cause,
    fix: m.fix,
  };
}

/** No answer at all: where it hung or broke. */
function noAnswer(name: HttpStepName, r: HttpProbeResult, timeoutMs: number): Step {
  const hang = r.outcome === 'hang' || r.outcome === 'connect-timeout';
  return {
    name,
    target: `GET ${PATHS[name]}`,
    status: 'fail',
    detail: hang ? `no answer within ${timeoutMs} ms` : `${r.outcome}${r.error ? ` (${r.error})` : ''}`,
    durationMs: r.latencyMs,
    evidence: { outcome: r.outcome, connected: r.connected, error: r.error ?? null },
    code: hang ? (r.connected ? 'HTTP_HANG' : 'CONNECT_TIMEOUT') : 'HTTP_NO_ANSWER',
    cause: hang
      ? r.connected
        ? `connected, then no answer within ${timeoutMs} ms: haproxy took the request and waits for the metadata agent, which waits for neutron-server (port lookup over RPC) or nova (haproxy gives up after 32 s with 504)`
        : `the connect hung (no answer within ${timeoutMs} ms)`
      : `the connection broke before an answer: ${r.outcome}${r.error ? ` (${r.error})` : ''}`,
    fix: 'on the network node: sudo osmeta trace --netns <namespace>; neutron-metadata-agent.log shows a slow RPC or nova',
  };
}

export function httpStep(
  name: HttpStepName,
  r: HttpProbeResult,
  timeoutMs: number,
  versionsStatus: number | undefined,
): Step {
  if (r.outcome !== 'response' || r.status === undefined) return noAnswer(name, r, timeoutMs);
  const answer = { status: r.status, headers: r.headers ?? {}, body: r.body ?? '' };
  if (r.status !== 200) return failed(name, r, guestAnswerMeaning(answer, versionsStatus));
  const base = {
    name,
    target: `GET ${PATHS[name]}`,
    status: 'ok' as const,
    durationMs: r.latencyMs,
    answeredBy: 'nova' as const,
  };
  switch (name) {
    case 'versions':
      return {
        ...base,
        detail: "200: nova's version list (the agent found this guest's port)",
        evidence: { status: 200, versions: answer.body.split('\n').filter(Boolean).length },
      };
    case 'openstack': {
      const versions = answer.body.split('\n').filter(Boolean);
      return {
        ...base,
        detail: `200: ${versions.length} versions, newest ${versions[versions.length - 1] ?? 'none'}`,
        evidence: { status: 200, newest: versions[versions.length - 1] ?? null },
      };
    }
    case 'meta-data': {
      const id = identityOf(answer.body);
      if (!id) return failed(name, r, notJsonMeaning(r.headers?.['content-type'] ?? ''));
      return {
        ...base,
        detail: `200: ${id.uuid ?? 'no uuid'}${id.name ? ` (${id.name})` : ''}`,
        evidence: { status: 200, bytes: Buffer.byteLength(answer.body) },
      };
    }
    case 'ec2':
      return {
        ...base,
        detail: `200: ${excerpt(answer.body)}`,
        evidence: { status: 200, instanceId: excerpt(answer.body) },
      };
  }
}
