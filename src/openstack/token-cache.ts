import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Context } from '../context.js';
import { isOsmetaError } from '../errors.js';
import { ensurePrivateDir, lstatProblem, readTrustedFile, writeFileAtomic } from '../safe-file.js';
import { type KeystoneToken, scopeOf, tokenUrl } from './auth.js';
import { parseCatalog } from './catalog.js';
import type { ResolvedCloud } from './config.js';

// Keystone tokens cached per (auth options, credential, scope) under $XDG_CACHE_HOME/osmeta.
// Trust: the directory must be a real directory (not a symlink) owned by the effective user with
// mode 0700, each file a regular file (opened with O_NOFOLLOW) owned by that user with no group or
// other bits; anything else is ignored when reading (--debug says why) and refused when writing.
// Files are written through safe-file.ts: a 0600 temporary file renamed over the old one.
// As keystoneauth's get_cache_id_elements, the credential (password, application-credential
// secret, token) is part of the key, as an HMAC under a random per-user key kept 0600 in the same
// directory: a wrong or changed password misses the cache and is refused by Keystone, and neither
// the file name nor the file (token, expiry, catalog) reveals the credential. keystoneauth
// re-authenticates 120 s before expiry; so does osmeta.

export const CACHE_FORMAT = 1;
export const EXPIRY_MARGIN_MS = 120_000;
export const HMAC_KEY_FILE = 'cache-key';
/** a cached token and its catalog; a bigger file is not osmeta's */
export const MAX_CACHE_FILE_BYTES = 8 * 1024 * 1024;

export interface CachedToken extends KeystoneToken {
  createdAt: number;
}

export function cacheDir(ctx: Pick<Context, 'env' | 'homedir'>): string {
  const xdg = ctx.env.XDG_CACHE_HOME;
  // the XDG spec: a relative path is invalid and ignored
  const base = xdg?.startsWith('/') ? xdg : `${ctx.homedir}/.cache`;
  return `${base.replace(/\/+$/, '')}/osmeta`;
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/** The credential a cloud authenticates with, or undefined when it has none yet (to be prompted). */
export function credentialOf(cloud: Pick<ResolvedCloud, 'authType' | 'auth'>): string | undefined {
  const a = cloud.auth;
  if (cloud.authType === 'v3applicationcredential') return a.applicationCredentialSecret;
  if (cloud.authType === 'v3token') return a.token;
  return a.password;
}

/**
 * What identifies a token: who, where, which scope, and the credential as credentialMac (an HMAC
 * of it under the per-user key), never the credential itself.
 */
export function cacheKeyMaterial(
  cloud: Pick<ResolvedCloud, 'authType' | 'auth'>,
  credentialMac: string | null = null,
): Record<string, unknown> {
  const a = cloud.auth;
  const user = a.userId
    ? { id: a.userId }
    : a.username
      ? { name: a.username, domain: a.userDomainId ?? a.userDomainName ?? null }
      : null;
  const m: Record<string, unknown> = {
    url: a.authUrl ? tokenUrl(a.authUrl) : null,
    type: cloud.authType,
  };
  if (cloud.authType === 'v3applicationcredential') {
    m.credential = a.applicationCredentialId ?? { name: a.applicationCredentialName ?? null, user };
  } else {
    m.user = cloud.authType === 'password' ? user : null;
    m.scope = scopeOf(a) ?? null;
  }
  m.secret = credentialMac;
  return m;
}

/** HMAC-SHA256 of the credential under key: the same credential always maps to the same value. */
export function credentialMac(key: Buffer, cloud: Pick<ResolvedCloud, 'authType' | 'auth'>): string | null {
  const secret = credentialOf(cloud);
  if (secret === undefined) return null;
  return createHmac('sha256', key).update(`${cloud.authType}\0${secret}`, 'utf8').digest('hex');
}

/**
 * The cache key of a cloud whose credential is known, or undefined when the cache cannot be used
 * safely (no private directory, no usable HMAC key; --debug says why).
 */
export async function cacheKey(
  ctx: Context,
  cloud: Pick<ResolvedCloud, 'authType' | 'auth'>,
): Promise<string | undefined> {
  const key = await hmacKey(ctx);
  if (!key) return undefined;
  return sha256(JSON.stringify(cacheKeyMaterial(cloud, credentialMac(key, cloud))));
}

/** The per-user HMAC key: read when it is trusted, created (32 random bytes, 0600) when missing. */
async function hmacKey(ctx: Context): Promise<Buffer | undefined> {
  const dir = cacheDir(ctx);
  const file = `${dir}/${HMAC_KEY_FILE}`;
  const dirProblem = await lstatProblem(ctx.fs, dir, ctx.uid, 'directory');
  if (dirProblem === undefined) {
    const r = await readTrustedFile(ctx.fs, file, ctx.uid, 1024);
    if ('text' in r) {
      const key = Buffer.from(r.text.trim(), 'hex');
      if (key.length >= 32) return key;
      ctx.debug(`token cache: off: ignoring ${file} (not a key)`);
      return undefined;
    }
    if (r.code !== 'ENOENT') {
      ctx.debug(`token cache: off: ignoring ${file} (${r.problem})`);
      return undefined;
    }
  } else if (dirProblem !== 'missing') {
    ctx.debug(`token cache: off: ignoring ${dir} (${dirProblem})`);
    return undefined;
  }
  const key = randomBytes(32);
  try {
    await ensurePrivateDir(ctx.fs, dir, ctx.uid);
    await writeFileAtomic(ctx.fs, file, `${key.toString('hex')}\n`);
  } catch (err) {
    ctx.debug(`token cache: off: cannot create ${file}: ${describe(err)}`);
    return undefined;
  }
  return key;
}

const describe = (err: unknown) =>
  isOsmetaError(err)
    ? err.message
    : ((err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err)));

export function cacheFile(ctx: Pick<Context, 'env' | 'homedir'>, key: string): string {
  return `${cacheDir(ctx)}/token-${key}.json`;
}

function parseEntry(text: string): CachedToken | string {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return 'not JSON';
  }
  if (!doc || typeof doc !== 'object' || doc.format !== CACHE_FORMAT) return 'unknown format';
  if (typeof doc.token !== 'string' || doc.token === '') return 'no token';
  if (typeof doc.expiresAt !== 'number' || typeof doc.authUrl !== 'string') return 'no expiry';
  const str = (k: string) => (typeof doc[k] === 'string' ? { [k]: doc[k] as string } : {});
  return {
    token: doc.token,
    expiresAt: doc.expiresAt,
    authUrl: doc.authUrl,
    createdAt: typeof doc.createdAt === 'number' ? doc.createdAt : 0,
    catalog: parseCatalog(doc.catalog),
    roles: Array.isArray(doc.roles) ? doc.roles.filter((r): r is string => typeof r === 'string') : [],
    ...str('projectId'),
    ...str('projectName'),
    ...str('userId'),
    ...str('userName'),
  };
}

/** A cached token still good for more than the margin, or undefined (--debug says why). */
export async function readCachedToken(ctx: Context, key: string): Promise<CachedToken | undefined> {
  const dir = cacheDir(ctx);
  const file = cacheFile(ctx, key);
  const dirProblem = await lstatProblem(ctx.fs, dir, ctx.uid, 'directory');
  if (dirProblem === 'missing') {
    ctx.debug('token cache: miss');
    return undefined;
  }
  if (dirProblem !== undefined) {
    ctx.debug(`token cache: ignoring ${dir}: ${dirProblem}`);
    return undefined;
  }
  const r = await readTrustedFile(ctx.fs, file, ctx.uid, MAX_CACHE_FILE_BYTES);
  if (!('text' in r)) {
    ctx.debug(r.code === 'ENOENT' ? 'token cache: miss' : `token cache: ignoring ${file}: ${r.problem}`);
    return undefined;
  }
  const entry = parseEntry(r.text);
  if (typeof entry === 'string') {
    ctx.debug(`token cache: ignoring corrupt ${file} (${entry})`);
    return undefined;
  }
  const left = entry.expiresAt - ctx.now();
  if (left <= EXPIRY_MARGIN_MS) {
    ctx.debug(`token cache: expired (${Math.round(left / 1000)} s left)`);
    return undefined;
  }
  ctx.debug(`token cache: hit (${Math.round(left / 1000)} s left)`);
  return entry;
}

/** Writes atomically into the private directory; a failure only costs the next run a new token. */
export async function writeCachedToken(ctx: Context, key: string, token: KeystoneToken): Promise<void> {
  const dir = cacheDir(ctx);
  const file = cacheFile(ctx, key);
  const entry = { format: CACHE_FORMAT, createdAt: ctx.now(), ...token };
  try {
    await ensurePrivateDir(ctx.fs, dir, ctx.uid);
    await writeFileAtomic(ctx.fs, file, `${JSON.stringify(entry)}\n`);
    ctx.debug(`token cache: stored ${file}`);
  } catch (err) {
    ctx.debug(`token cache: cannot write ${file}: ${describe(err)}`);
  }
}

export async function dropCachedToken(ctx: Context, key: string): Promise<void> {
  await ctx.fs.unlink(cacheFile(ctx, key)).catch(() => {});
}
