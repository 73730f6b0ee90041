import type { Context } from './context.js';
import { credentialsError, interruptedError, OsmetaError, throwIfInterrupted, usageError } from './errors.js';
import { type IniFile, type IniValue, lookupOslo, readOsloFile, substituteOslo } from './host/oslo-config.js';
import { readTextBounded } from './safe-file.js';
import { errorMessage } from './util/errors.js';
import { fsReason } from './util/fs-reason.js';

export const SECRET_ENV = 'OSMETA_SHARED_SECRET';
export const DEFAULT_KEYCHAIN_ENTRY = 'default';

export type SecretKind = 'file' | 'stdin' | 'env' | 'config' | 'keychain';

export interface SecretSource {
  kind: SecretKind;
  path?: string;
  name?: string;
}

/** The shared secret and where it came from. The value never leaves this object for output. */
export interface SharedSecret {
  value: string;
  source: SecretSource;
  warnings: string[];
}

/** The options every secret-using command takes. No option carries the secret's value. */
export interface SecretOptions {
  secretFile?: string;
  secretStdin?: boolean;
  secretFromConfig?: string[];
  secretName?: string;
}

const ALL_SOURCES =
  '--secret-file, --secret-stdin, --secret-from-config, --secret-name, OSMETA_SHARED_SECRET or the keychain';

export function describeSource(s: SecretSource): string {
  switch (s.kind) {
    case 'file':
      return `file ${s.path}`;
    case 'stdin':
      return 'standard input';
    case 'env':
      return `environment variable ${s.name}`;
    case 'config':
      return `metadata_proxy_shared_secret in ${s.path}`;
    case 'keychain':
      return `keychain entry '${s.name}'`;
  }
}

/** Strips one trailing newline (LF or CRLF), nothing else. */
export function stripOneNewline(s: string): string {
  if (s.endsWith('\r\n')) return s.slice(0, -2);
  if (s.endsWith('\n')) return s.slice(0, -1);
  return s;
}

/** a shared secret is a line of text; a file or standard input this large does not hold one */
export const MAX_SECRET_BYTES = 64 * 1024;

/**
 * All of standard input, or an interrupt: SIGINT (ctx.signal) while reading throws the INTERRUPTED
 * error (exit 130) and nothing read so far is used. More than MAX_SECRET_BYTES is refused.
 */
export async function readAllStdin(ctx: Context): Promise<string> {
  throwIfInterrupted(ctx.signal);
  const stdin = ctx.io.stdin;
  const chunks: Buffer[] = [];
  let total = 0;
  const text = await new Promise<string>((resolve, reject) => {
    const cleanup = () => {
      ctx.signal.removeEventListener('abort', onAbort);
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.off('error', onError);
      stdin.pause();
    };
    const onAbort = () => {
      cleanup();
      chunks.length = 0;
      reject(interruptedError());
    };
    const onData = (chunk: Buffer | string) => {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      total += b.length;
      if (total > MAX_SECRET_BYTES) {
        cleanup();
        chunks.length = 0;
        reject(
          usageError(
            'SECRET_TOO_LARGE',
            `standard input holds more than ${MAX_SECRET_BYTES} bytes: not a shared secret`,
            {
              hint: 'pipe the secret alone, as one line',
            },
          ),
        );
        return;
      }
      chunks.push(b);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(usageError('STDIN_UNREADABLE', `cannot read standard input: ${err.message}`));
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    stdin.on('data', onData);
    stdin.once('end', onEnd);
    stdin.once('error', onError);
    stdin.resume();
  });
  // an interrupt that arrived with the last bytes still wins: nothing is signed or stored
  throwIfInterrupted(ctx.signal);
  return text;
}

/**
 * A secret typed at the terminal (no echo). Ctrl-C there, or SIGINT while waiting, is the INTERRUPTED
 * error (exit 130), whatever the prompt implementation threw.
 */
export async function promptSecret(ctx: Context, question: string): Promise<string> {
  throwIfInterrupted(ctx.signal);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(interruptedError());
    ctx.signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const value = await Promise.race([ctx.prompt(question, { silent: true }), aborted]);
    throwIfInterrupted(ctx.signal);
    return value;
  } catch (err) {
    if (isInterrupt(err) || ctx.signal.aborted) throw interruptedError();
    throw err;
  } finally {
    if (onAbort) ctx.signal.removeEventListener('abort', onAbort);
  }
}

/** The INTERRUPTED error, or a prompt's own Ctrl-C (code EINTR). */
export const isInterrupt = (err: unknown): boolean =>
  (err instanceof OsmetaError && err.code === 'INTERRUPTED') ||
  (err as { code?: unknown } | undefined)?.code === 'EINTR';

/** Resolves the shared secret: one explicit source, else OSMETA_SHARED_SECRET, else the keychain's default entry. */
export async function resolveSecret(opts: SecretOptions, ctx: Context): Promise<SharedSecret> {
  const explicit = [
    opts.secretFile !== undefined && '--secret-file',
    opts.secretStdin === true && '--secret-stdin',
    (opts.secretFromConfig?.length ?? 0) > 0 && '--secret-from-config',
    opts.secretName !== undefined && '--secret-name',
  ].filter((x): x is string => typeof x === 'string');
  if (explicit.length > 1) {
    throw usageError(
      'CONFLICTING_SECRET_SOURCES',
      `choose one secret source, not ${explicit.join(' and ')}`,
      {
        hint: `give exactly one of ${ALL_SOURCES.replace(' or the keychain', '')}`,
      },
    );
  }
  const secret = await fromExplicit(opts, ctx);
  const result = secret ?? (await fromDefaults(ctx));
  // an echoing server (nova's 403 body, a proxy's error page) never shows it back
  ctx.io.secret(result.value, 'shared-secret');
  if (result.value === '') {
    result.warnings.push(
      `the shared secret from ${describeSource(result.source)} is empty: nova accepts that, but anyone who can reach nova's metadata API can then read any instance's metadata`,
    );
  }
  ctx.debug(`shared secret: from ${describeSource(result.source)}`);
  return result;
}

async function fromExplicit(opts: SecretOptions, ctx: Context): Promise<SharedSecret | undefined> {
  if (opts.secretFile !== undefined) return fromFile(opts.secretFile, ctx);
  if (opts.secretStdin) {
    const value = stripOneNewline(await readAllStdin(ctx));
    return { value, source: { kind: 'stdin' }, warnings: [] };
  }
  if (opts.secretFromConfig && opts.secretFromConfig.length > 0)
    return fromConfigFiles(opts.secretFromConfig, ctx);
  if (opts.secretName !== undefined) {
    const keychain = ctx.keychain();
    let value: string | null;
    try {
      value = await keychain.get(opts.secretName);
    } catch (err) {
      throw asCredentials(err);
    }
    if (value === null) {
      throw credentialsError('SECRET_NOT_IN_KEYCHAIN', `no keychain entry '${opts.secretName}'`, {
        hint: `store it with: osmeta secret set --name ${opts.secretName}`,
      });
    }
    return { value, source: { kind: 'keychain', name: opts.secretName }, warnings: [] };
  }
  return undefined;
}

async function fromDefaults(ctx: Context): Promise<SharedSecret> {
  const env = ctx.env[SECRET_ENV];
  if (env !== undefined) return { value: env, source: { kind: 'env', name: SECRET_ENV }, warnings: [] };
  let why = 'the keychain has no default entry';
  try {
    const value = await ctx.keychain().get(DEFAULT_KEYCHAIN_ENTRY);
    if (value !== null)
      return { value, source: { kind: 'keychain', name: DEFAULT_KEYCHAIN_ENTRY }, warnings: [] };
  } catch (err) {
    why = errorMessage(err);
  }
  throw credentialsError(
    'NO_SHARED_SECRET',
    `no shared secret: none given, ${SECRET_ENV} unset, and ${why}`,
    {
      hint: `give one of ${ALL_SOURCES} (osmeta secret set stores one in the keychain)`,
    },
  );
}

async function fromFile(path: string, ctx: Context): Promise<SharedSecret> {
  let mode: number;
  try {
    mode = (await ctx.fs.stat(path)).mode;
  } catch (err) {
    throw credentialsError('SECRET_FILE_UNREADABLE', `cannot read secret file ${path}: ${fsReason(err)}`);
  }
  if ((mode & 0o044) !== 0) {
    const perms = (mode & 0o777).toString(8).padStart(4, '0');
    throw credentialsError(
      'SECRET_FILE_TOO_OPEN',
      `secret file ${path} is readable by others (mode ${perms}): refusing to use it`,
      { hint: `chmod 600 ${path}` },
    );
  }
  let text: string;
  try {
    text = await readTextBounded(ctx.fs, path, MAX_SECRET_BYTES, 'secret file');
  } catch (err) {
    if (err instanceof OsmetaError) throw asCredentials(err);
    throw credentialsError('SECRET_FILE_UNREADABLE', `cannot read secret file ${path}: ${fsReason(err)}`);
  }
  return { value: stripOneNewline(text), source: { kind: 'file', path }, warnings: [] };
}

/** The secret as the deployment's own files hold it: nova's [neutron] or neutron's [DEFAULT]. */
export function secretInFile(file: IniFile): IniValue | undefined {
  return (
    lookupOslo([file], 'neutron', 'metadata_proxy_shared_secret') ??
    lookupOslo([file], 'DEFAULT', 'metadata_proxy_shared_secret')
  );
}

async function fromConfigFiles(paths: string[], ctx: Context): Promise<SharedSecret> {
  const found: IniValue[] = [];
  for (const path of paths) {
    let file: IniFile;
    try {
      file = await readOsloFile(ctx.fs, path);
    } catch (err) {
      if (err instanceof OsmetaError && err.code === 'CONFIG_UNREADABLE') {
        throw credentialsError('CONFIG_UNREADABLE', err.message, {
          hint: 'run as a user that can read the service configuration (often root), or use another secret source',
        });
      }
      throw asCredentials(err);
    }
    const v = secretInFile(file);
    if (v) {
      const section =
        lookupOslo([file], 'neutron', 'metadata_proxy_shared_secret') === v ? 'neutron' : 'DEFAULT';
      try {
        const value = substituteOslo(
          v.value,
          [file],
          section,
          {},
          {
            strict: true,
            what: `metadata_proxy_shared_secret in ${path}:${v.line}`,
          },
        );
        found.push({ ...v, value });
      } catch (err) {
        throw asCredentials(err);
      }
    }
  }
  const winner = found[found.length - 1];
  if (!winner) {
    throw credentialsError(
      'NO_SHARED_SECRET',
      `no metadata_proxy_shared_secret in ${paths.join(', ')} ([neutron] for nova.conf, [DEFAULT] for the neutron agents)`,
      {
        hint: 'an unset secret means the empty string to nova and neutron; set it in both, or use another source',
      },
    );
  }
  const warnings: string[] = [];
  const distinct = new Set(found.map((f) => f.value));
  if (distinct.size > 1) {
    const where = found.map((f) => `${f.path}:${f.line}`).join(', ');
    warnings.push(
      `metadata_proxy_shared_secret differs between the files (${where}); using ${winner.path}, the later file`,
    );
  }
  return { value: winner.value, source: { kind: 'config', path: winner.path }, warnings };
}

function asCredentials(err: unknown): OsmetaError {
  if (err instanceof OsmetaError) {
    return new OsmetaError(err.code, 4, err.message, err.hint === undefined ? {} : { hint: err.hint });
  }
  return credentialsError('SECRET_UNAVAILABLE', errorMessage(err));
}
