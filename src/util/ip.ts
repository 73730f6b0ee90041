import { isIPv4 } from 'node:net';

/** Whether a fixed IP is IPv4: the family the metadata path (169.254.169.254) serves. */
export const isIPv4Address = (ip: string): boolean => isIPv4(ip);

/** The first IPv4 address in a list, in order. */
export const firstIPv4 = (ips: readonly string[]): string | undefined => ips.find(isIPv4Address);

/** A dotted-quad IPv4 address as a 32-bit number, or undefined when it is not one. */
export function ipv4ToInt(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return (((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!) >>> 0;
}
