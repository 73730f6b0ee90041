import { usageError } from './errors.js';
import { formatBytes } from './safe-file.js';

// osmeta's documented limits, and the parsers the options that change them use (exit 2 when out of
// range). README "Security" lists them.

/**
 * --timeout's maximum, in seconds: one day. Node's timers stop at 2^31-1 ms (≈ 24.8 days; above,
 * TimeoutOverflowWarning and an immediate timeout); no metadata request needs more than a day.
 */
export const MAX_TIMEOUT_SECONDS = 86_400;

/** The largest HTTP response body osmeta reads by default; --max-response-size raises it. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
/** --max-response-size's own ceiling (a body osmeta holds in memory must fit in it) */
export const MAX_RESPONSE_BYTES_LIMIT = 4 * 1024 * 1024 * 1024;

/** A positive number of seconds, at most max (MAX_TIMEOUT_SECONDS): for --timeout and its kin. */
export function parseSeconds(flag: string, max = MAX_TIMEOUT_SECONDS) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
      throw usageError('INVALID_OPTION', `${flag} takes a positive number of seconds, not '${value}'`);
    }
    if (n > max) {
      throw usageError('INVALID_OPTION', `${flag} takes at most ${max} seconds, not '${value}'`, {
        hint: `${max} s is osmeta's maximum`,
      });
    }
    if (n < 0.001) {
      throw usageError('INVALID_OPTION', `${flag} takes at least 0.001 seconds, not '${value}'`);
    }
    return n;
  };
}

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
};

/**
 * A size in bytes: 1048576, 512k, 64M, 64MiB, 1GB (k/M/G and KiB/MiB/GiB are powers of 1024,
 * kB/MB/GB powers of 1000), from 1 byte up to max: for --max-response-size.
 */
export function parseByteSize(flag: string, max = MAX_RESPONSE_BYTES_LIMIT) {
  return (value: string): number => {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
    const unit = m ? UNITS[(m[2] ?? '').toLowerCase()] : undefined;
    const n = m && unit !== undefined ? Math.floor(Number(m[1]) * unit) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < 1) {
      throw usageError('INVALID_OPTION', `${flag} takes a size such as 64MiB or 1048576, not '${value}'`);
    }
    if (n > max) {
      throw usageError('INVALID_OPTION', `${flag} takes at most ${formatBytes(max)}, not '${value}'`);
    }
    return n;
  };
}
