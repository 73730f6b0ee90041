import { causeCode } from '../../metrics/cause-codes.js';
import type { Diagnosis, Hop } from './types.js';

/**
 * The root cause: the first failing hop, unless another failing hop explains it (a stale socket
 * when the agent is down, haproxy's 503 when the socket is broken, a relayed 403 that the direct
 * signed request to nova confirms …).
 */
export function diagnose(hops: readonly Hop[]): Diagnosis | null {
  const byName = new Map(hops.map((h) => [h.name, h]));
  let cur = hops.find((h) => h.status === 'fail');
  if (!cur) return null;
  const seen = new Set<string>();
  while (cur.consequenceOf && !seen.has(cur.name)) {
    seen.add(cur.name);
    const next = byName.get(cur.consequenceOf);
    if (next?.status !== 'fail') break;
    cur = next;
  }
  const cause = cur.cause ?? cur.detail;
  // the check's own code, else the one its cause's wording maps to
  return {
    hop: cur.name,
    code: causeCode({ hop: cur.name, cause, code: cur.code }),
    cause,
    fix: cur.fix ?? '',
  };
}
