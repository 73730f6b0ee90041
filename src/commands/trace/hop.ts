import type { Hop, HopName } from './types.js';

// The hop builders every check uses: a hop, and its verdict.

export function hop(name: HopName, target: string, started: number, now: number): Hop {
  return { name, target, status: 'ok', detail: '', durationMs: now - started, evidence: {} };
}

/** @param code the cause's stable snake_case code (docs/prometheus.md, "Cause codes") */
export function fail(h: Hop, detail: string, cause: string, fix: string, code?: string): Hop {
  h.status = 'fail';
  h.detail = detail;
  h.cause = cause;
  h.fix = fix;
  if (code !== undefined) h.code = code;
  return h;
}

export function skip(h: Hop, detail: string): Hop {
  h.status = 'skip';
  h.detail = detail;
  return h;
}

export const firstLine = (s: string) =>
  s
    .split('\n')
    .find((l) => l.trim() !== '')
    ?.trim() ?? '';
