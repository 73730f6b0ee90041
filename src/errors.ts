/** The exit-code table. Mirrored in README.md ("Exit codes"). */
export const ExitCode = {
  OK: 0,
  /** HTTP error, unreachable, not found, bad config, bug */
  OPERATIONAL: 1,
  /** unknown flag, malformed UUID, conflicting options */
  USAGE: 2,
  /** a diagnosis ran and found failures (trace hop, smoke check) */
  DIAGNOSIS_FAILED: 3,
  /** osmeta's own credentials rejected or missing (Keystone 401, nova 403, no shared secret) */
  CREDENTIALS: 4,
  INTERRUPTED: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface ErrorDetails {
  hint?: string;
  requestId?: string;
  cause?: unknown;
}

const BRAND = Symbol.for('osmeta.error');

/** Every expected failure: a SCREAMING_SNAKE code, a one-line message, an exit code, a hint. */
export class OsmetaError extends Error {
  // sign's own bundle and the full CLI each carry this class (scripts/build.mjs): an error made by
  // one must still be an OsmetaError to the other, so the check is by brand, not by prototype
  static [Symbol.hasInstance](v: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass an instanceof asks about
    if (this !== OsmetaError) return Function.prototype[Symbol.hasInstance].call(this, v);
    return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[BRAND] === true;
  }
  readonly [BRAND] = true;
  readonly code: string;
  readonly exitCode: ExitCodeValue;
  readonly hint?: string;
  readonly requestId?: string;

  constructor(code: string, exitCode: ExitCodeValue, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'OsmetaError';
    this.code = code;
    this.exitCode = exitCode;
    if (details.hint !== undefined) this.hint = details.hint;
    if (details.requestId !== undefined) this.requestId = details.requestId;
  }
}

export const usageError = (code: string, message: string, details?: ErrorDetails) =>
  new OsmetaError(code, ExitCode.USAGE, message, details);

export const operationalError = (code: string, message: string, details?: ErrorDetails) =>
  new OsmetaError(code, ExitCode.OPERATIONAL, message, details);

export const credentialsError = (code: string, message: string, details?: ErrorDetails) =>
  new OsmetaError(code, ExitCode.CREDENTIALS, message, details);

export const isOsmetaError = (e: unknown): e is OsmetaError => e instanceof OsmetaError;

/** The JSON shape of an error on stdout with --json. */
export function errorToJson(err: OsmetaError): {
  error: { code: string; exitCode: number; message: string; hint?: string; requestId?: string };
} {
  return {
    error: {
      code: err.code,
      exitCode: err.exitCode,
      message: err.message,
      ...(err.hint === undefined ? {} : { hint: err.hint }),
      ...(err.requestId === undefined ? {} : { requestId: err.requestId }),
    },
  };
}

/** An interrupt (SIGINT, Ctrl-C at a prompt): exit 130, and nothing signed, stored or written. */
export const interruptedError = () => new OsmetaError('INTERRUPTED', ExitCode.INTERRUPTED, 'interrupted');

/** Throws the interrupt if signal has fired: call before acting on something read from a user. */
export function throwIfInterrupted(signal: AbortSignal): void {
  if (signal.aborted) throw interruptedError();
}

/** A bad value in a configuration file: names the file and the key, never the value ("f: auth_url is not a URL"). */
export const configError = (file: string, key: string, why: string, details?: ErrorDetails) =>
  new OsmetaError('INVALID_CONFIG', ExitCode.OPERATIONAL, `${file}: ${key} ${why}`, details);
