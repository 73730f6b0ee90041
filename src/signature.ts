import { createHmac, timingSafeEqual } from 'node:crypto';

// nova: handler.py _validate_shared_secret / neutron: agent.py _sign_instance_id —
// lowercase hex HMAC-SHA256 of the instance ID exactly as sent, keyed by the secret's UTF-8 bytes.
export function signInstanceId(secret: string, instanceId: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8'))
    .update(Buffer.from(instanceId, 'utf8'))
    .digest('hex');
}

/** Constant-time comparison, as nova's constant_time_compare (no normalisation: upper-case hex fails). */
export function signaturesEqual(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  if (a.length !== b.length) {
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export const isUuid = (s: string): boolean => UUID_RE.test(s);
