import type { GuestAnswerer } from '../../metadata/guest-answer.js';

/** The steps of the guest's half of the path, in the order drawn. The names are a JSON contract. */
export const STEP_NAMES = [
  'route',
  'neighbour',
  'tcp',
  'tcp6',
  'versions',
  'openstack',
  'meta-data',
  'ec2',
  'identity',
] as const;

export type StepName = (typeof STEP_NAMES)[number];

/** warn: worth showing, not a failure (IPv6 where nothing serves it, a hostname cloud-init has not set) */
export type StepStatus = 'ok' | 'fail' | 'warn' | 'skip';

export interface Step {
  name: StepName;
  /** what was checked: the route, the next hop, the address and port, the URL … */
  target: string;
  status: StepStatus;
  /** one line for people */
  detail: string;
  durationMs: number;
  /** the facts behind the verdict; tenant data only where the step is about it */
  evidence: Record<string, unknown>;
  /** a stable SCREAMING_SNAKE name of the cause, when failed */
  code?: string;
  cause?: string;
  fix?: string;
  /** who wrote an HTTP answer */
  answeredBy?: GuestAnswerer;
}

export interface GuestDiagnosis {
  step: StepName;
  code: string;
  cause: string;
  fix: string;
}

export interface GuestResult {
  ok: boolean;
  /** the metadata address: a constant */
  target: string;
  steps: Step[];
  diagnosis: GuestDiagnosis | null;
}

export function stepToJson(s: Step) {
  return {
    name: s.name,
    target: s.target,
    status: s.status,
    detail: s.detail,
    durationMs: Math.round(s.durationMs),
    ...(s.answeredBy === undefined ? {} : { answeredBy: s.answeredBy }),
    ...(s.code === undefined ? {} : { code: s.code }),
    evidence: s.evidence,
  };
}

export function resultToJson(r: GuestResult) {
  return {
    ok: r.ok,
    target: r.target,
    steps: r.steps.map(stepToJson),
    diagnosis: r.diagnosis,
  };
}

/** The first failed step, in drawing order, is the diagnosis. */
export function diagnose(steps: readonly Step[]): GuestDiagnosis | null {
  const first = steps.find((s) => s.status === 'fail');
  if (!first) return null;
  return {
    step: first.name,
    code: first.code ?? 'FAILED',
    cause: first.cause ?? first.detail,
    fix: first.fix ?? '',
  };
}

export const skipped = (name: StepName, target: string, why: string): Step => ({
  name,
  target,
  status: 'skip',
  detail: why,
  durationMs: 0,
  evidence: {},
});
