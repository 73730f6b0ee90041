import { createHash, randomBytes } from 'node:crypto';
import type { Context } from '../context.js';
import { type KeystoneToken, scopeOf, tokenUrl } from './auth.js';
import { parseCatalog } from './catalog.js';
import type { ResolvedCloud } from './config.js';

// Keystone tokens cached per (auth options, scope) under $XDG_CACHE_HOME/osmeta: dir 0700, files
// 0600, written to a temp file and renamed so a concurrent reader sees the old file or the new one.
// The key holds no password or secret (the file name is a hash; the file holds the token, its
// expiry and the catalog). keystoneauth re-authenticates 120 s before expiry; so does osmeta.

export const CACHE_FORMAT = 1;
export const EXPIRY_MARGIN_MS = 120_000;

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

/** What identifies a token: who, where, and which scope; secrets only as hashes of high-entropy tokens. */
export function cacheKeyMaterial(cloud: Pick<ResolvedCloud, 'authType' | 'auth'>): Record<string, unknown> {
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
    // a token is random enough that its hash reveals nothing; different tokens are different identities
    if (cloud.authType === 'v3token' && a.token) m.token = sha256(a.token);
  }
  return m;
}

export function cacheKey(cloud: Pick<ResolvedCloud, 'authType' | 'auth'>): string {
  return sha256(JSON.stringify(cacheKeyMaterial(cloud)));
}

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
  const file = cacheFile(ctx, key);
  let text: string;
  try {
    const st = await ctx.fs.stat(file);
    if ((st.mode & 0o077) !== 0) {
      ctx.debug(`token cache: ignoring ${file}: mode ${(st.mode & 0o777).toString(8)} is open to others`);
      return undefined;
    }
    text = await ctx.fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    ctx.debug(
      `token cache: ${code === 'ENOENT' ? 'miss' : `ignoring unreadable ${file} (${code ?? String(err)})`}`,
    );
    return undefined;
  }
  const entry = parseEntry(text);
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

/** Writes atomically; a failure only costs the next run a new token. */
export async function writeCachedToken(ctx: Context, key: string, token: KeystoneToken): Promise<void> {
  const dir = cacheDir(ctx);
  const file = cacheFile(ctx, key);
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const entry = { format: CACHE_FORMAT, createdAt: ctx.now(), ...token };
  try {
    await ctx.fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const st = await ctx.fs.stat(dir);
    if ((st.mode & 0o077) !== 0) await ctx.fs.chmod(dir, 0o700);
    await ctx.fs.writeFile(tmp, `${JSON.stringify(entry)}\n`, { mode: 0o600, flag: 'wx' });
    await ctx.fs.rename(tmp, file);
    ctx.debug(`token cache: stored ${file}`);
  } catch (err) {
    await ctx.fs.unlink(tmp).catch(() => {});
    ctx.debug(`token cache: cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

export async function dropCachedToken(ctx: Context, key: string): Promise<void> {
  await ctx.fs.unlink(cacheFile(ctx, key)).catch(() => {});
}
