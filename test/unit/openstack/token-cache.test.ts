import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KeystoneToken } from '../../../src/openstack/auth.js';
import { createSession } from '../../../src/openstack/session.js';
import {
  cacheDir,
  cacheFile,
  cacheKey,
  cacheKeyMaterial,
  readCachedToken,
  writeCachedToken,
} from '../../../src/openstack/token-cache.js';
import { createTestContext, EUID } from '../../helpers/context.js';
import { cloudOf, FX, keystoneToken, mockAgent } from '../../helpers/openstack-fixtures.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const tmp = useTempDir('osmeta-cache-');

const UID = EUID;
const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const ADMIN = cloudOf({
  authUrl: `${FX.keystone}/v3`,
  username: 'admin',
  password: 'pw-secret-1',
  userDomainName: 'Default',
  projectName: 'admin',
  projectDomainName: 'Default',
});

function ctxWith(
  o: {
    debug?: string[];
    now?: number;
    dispatcher?: ReturnType<typeof mockAgent>;
    stdinIsTTY?: boolean;
    prompt?: () => Promise<string>;
    uid?: number;
  } = {},
) {
  const t = createTestContext({
    env: { XDG_CACHE_HOME: tmp.dir },
    homedir: '/nonexistent-home',
    uid: o.uid ?? UID,
    now: () => o.now ?? NOW,
    ...(o.dispatcher ? { dispatcher: o.dispatcher } : {}),
    ...(o.stdinIsTTY ? { stdinIsTTY: true } : {}),
    ...(o.prompt ? { prompt: o.prompt } : {}),
  });
  if (o.debug) {
    const lines = o.debug;
    t.ctx.debug = (l) => lines.push(l);
  }
  return t.ctx;
}

const token = (t: string, expiresAt = NOW + 3600_000): KeystoneToken => ({
  token: t,
  expiresAt,
  authUrl: `${FX.keystone}/v3`,
  catalog: [
    { type: 'compute', endpoints: [{ interface: 'public', region_id: 'RegionOne', url: `${FX.nova}/v2.1` }] },
  ],
  roles: ['admin'],
  projectId: 'p1',
});

describe('cache location and key', () => {
  it('lives in $XDG_CACHE_HOME/osmeta, else ~/.cache/osmeta (a relative XDG path is ignored)', () => {
    expect(cacheDir({ env: { XDG_CACHE_HOME: '/c' }, homedir: '/h' })).toBe('/c/osmeta');
    expect(cacheDir({ env: {}, homedir: '/h' })).toBe('/h/.cache/osmeta');
    expect(cacheDir({ env: { XDG_CACHE_HOME: 'rel' }, homedir: '/h' })).toBe('/h/.cache/osmeta');
  });

  it('keys by identity, scope and credential', async () => {
    const ctx = ctxWith();
    const k = (c: typeof ADMIN) => cacheKey(ctx, c);
    const admin = await k(ADMIN);
    expect(admin).toMatch(/^[0-9a-f]{64}$/);
    expect(await k(ADMIN)).toBe(admin);
    expect(await k(cloudOf({ ...ADMIN.auth, password: 'pw-secret-2' }))).not.toBe(admin);
    expect(await k(cloudOf({ ...ADMIN.auth, projectName: 'demo' }))).not.toBe(admin);
    expect(await k(cloudOf({ ...ADMIN.auth, username: 'demo' }))).not.toBe(admin);
    expect(await k(cloudOf({ ...ADMIN.auth, authUrl: 'http://other/v3' }))).not.toBe(admin);
    expect(await k(cloudOf({ ...ADMIN.auth, authUrl: `${FX.keystone}` }))).toBe(admin);
  });

  it('keys the credential with a per-user HMAC key kept 0600 in the cache dir', async () => {
    const admin = await cacheKey(ctxWith(), ADMIN);
    const keyFile = join(tmp.dir, 'osmeta', 'cache-key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(tmp.dir, 'osmeta')).mode & 0o777).toBe(0o700);
    expect(readFileSync(keyFile, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    // another user's cache (another key) gives another file name for the same credential
    const other = mkdtempSync(join(tmpdir(), 'osmeta-cache-'));
    try {
      const t = createTestContext({ env: { XDG_CACHE_HOME: other }, uid: UID });
      expect(await cacheKey(t.ctx, ADMIN)).not.toBe(admin);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('holds no secret in the key, the file name or the files', async () => {
    const tok = cloudOf({ authUrl: 'http://k/v3', token: 'gAAAA-secret-token', projectId: 'p' }, 'v3token');
    const ac = cloudOf(
      { authUrl: 'http://k/v3', applicationCredentialId: 'ac', applicationCredentialSecret: 'ac-secret' },
      'v3applicationcredential',
    );
    const ctx = ctxWith();
    for (const c of [ADMIN, tok, ac]) {
      const key = (await cacheKey(ctx, c)) as string;
      await writeCachedToken(ctx, key, token('t'));
      const text = JSON.stringify(cacheKeyMaterial(c, 'mac')) + cacheFile(ctx, key);
      expect(text).not.toMatch(/pw-secret|gAAAA-secret-token|ac-secret/);
      expect(cacheFile(ctx, key)).toMatch(/\/osmeta\/token-[0-9a-f]{64}\.json$/);
    }
    for (const f of readdirSync(join(tmp.dir, 'osmeta')))
      expect(f + readFileSync(join(tmp.dir, 'osmeta', f), 'utf8')).not.toMatch(
        /pw-secret|gAAAA-secret|ac-secret/,
      );
  });
});

describe('reading and writing', () => {
  it('writes the dir 0700 and the file 0600, holding the token and catalog but no password', async () => {
    const ctx = ctxWith();
    await writeCachedToken(ctx, 'k1', token('tok-1'));
    expect(statSync(join(tmp.dir, 'osmeta')).mode & 0o777).toBe(0o700);
    const file = join(tmp.dir, 'osmeta', 'token-k1.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    expect(doc).toMatchObject({ format: 1, token: 'tok-1', expiresAt: NOW + 3600_000, projectId: 'p1' });
    expect(readFileSync(file, 'utf8')).not.toContain('pw-secret');
    expect(readdirSync(join(tmp.dir, 'osmeta'))).toEqual(['token-k1.json']);
    expect((await readCachedToken(ctx, 'k1'))?.token).toBe('tok-1');
  });

  it('tightens a cache dir that others can read', async () => {
    mkdirSync(join(tmp.dir, 'osmeta'), { mode: 0o755 });
    chmodSync(join(tmp.dir, 'osmeta'), 0o755);
    await writeCachedToken(ctxWith(), 'k1', token('t'));
    expect(statSync(join(tmp.dir, 'osmeta')).mode & 0o777).toBe(0o700);
  });

  it.each([
    ['121 s before expiry: reused', 121_000, 'tok'],
    ['120 s before expiry: not reused', 120_000, undefined],
    ['expired: not reused', -5_000, undefined],
  ])('%s', async (_w, left, expected) => {
    const debug: string[] = [];
    await writeCachedToken(ctxWith(), 'k', token('tok', NOW + left));
    expect((await readCachedToken(ctxWith({ debug }), 'k'))?.token).toBe(expected);
    expect(debug.join('\n')).toMatch(expected ? /token cache: hit/ : /token cache: expired/);
  });

  it.each([
    ['not JSON', '{"format":1,'],
    ['unknown format', '{"format":99,"token":"t","expiresAt":1,"authUrl":"u"}'],
    ['no token', '{"format":1,"expiresAt":1,"authUrl":"u"}'],
  ])('ignores a corrupt file (%s) and says so with --debug', async (why, text) => {
    mkdirSync(join(tmp.dir, 'osmeta'), { mode: 0o700 });
    writeFileSync(join(tmp.dir, 'osmeta', 'token-k.json'), text, { mode: 0o600 });
    const debug: string[] = [];
    expect(await readCachedToken(ctxWith({ debug }), 'k')).toBeUndefined();
    expect(debug.join('\n')).toContain(
      `token cache: ignoring corrupt ${join(tmp.dir, 'osmeta', 'token-k.json')} (${why})`,
    );
  });

  it('ignores a file others can read', async () => {
    await writeCachedToken(ctxWith(), 'k', token('t'));
    chmodSync(join(tmp.dir, 'osmeta', 'token-k.json'), 0o644);
    const debug: string[] = [];
    expect(await readCachedToken(ctxWith({ debug }), 'k')).toBeUndefined();
    expect(debug.join('\n')).toMatch(/mode 644 is open to others/);
  });

  it('never fails the command when the cache cannot be written', async () => {
    writeFileSync(join(tmp.dir, 'osmeta'), 'a file where the tmp.dir should be');
    const debug: string[] = [];
    await writeCachedToken(ctxWith({ debug }), 'k', token('t'));
    expect(debug.join('\n')).toMatch(/token cache: cannot write/);
  });

  it('leaves one whole file after concurrent writers, never a torn one', async () => {
    const ctx = ctxWith();
    const writers = Array.from({ length: 25 }, (_v, i) =>
      writeCachedToken(ctx, 'k', token(`tok-${i}-${'x'.repeat(2000)}`)),
    );
    const readers = Array.from({ length: 25 }, () => readCachedToken(ctx, 'k'));
    const seen = await Promise.all([...writers, ...readers]);
    for (const r of seen.slice(25))
      if (r !== undefined) expect((r as KeystoneToken).token).toMatch(/^tok-\d+-x{2000}$/);
    expect(readdirSync(join(tmp.dir, 'osmeta'))).toEqual(['token-k.json']);
    expect((await readCachedToken(ctx, 'k'))?.token).toMatch(/^tok-\d+-x{2000}$/);
  });
});

describe('a hostile cache directory', () => {
  const osmetaDir = () => join(tmp.dir, 'osmeta');

  it('ignores a cache file that is a symlink, even to a file the user owns, and says why', async () => {
    mkdirSync(osmetaDir(), { mode: 0o700 });
    const planted = join(tmp.dir, 'planted.json');
    writeFileSync(
      planted,
      JSON.stringify({ format: 1, token: 'planted', expiresAt: NOW + 3600_000, authUrl: 'u' }),
      {
        mode: 0o600,
      },
    );
    symlinkSync(planted, join(osmetaDir(), 'token-k.json'));
    const debug: string[] = [];
    expect(await readCachedToken(ctxWith({ debug }), 'k')).toBeUndefined();
    expect(debug.join('\n')).toContain(
      `token cache: ignoring ${join(osmetaDir(), 'token-k.json')}: it is a symbolic link`,
    );
  });

  it('ignores a cache file owned by another user', async () => {
    await writeCachedToken(ctxWith(), 'k', token('t'));
    const debug: string[] = [];
    expect(await readCachedToken(ctxWith({ debug, uid: UID + 4242 }), 'k')).toBeUndefined();
    expect(debug.join('\n')).toMatch(/token cache: ignoring .*: it is owned by uid \d+, not \d+/);
  });

  it('neither follows nor chmods a cache directory that is a symlink', async () => {
    const target = join(tmp.dir, 'elsewhere');
    mkdirSync(target, { mode: 0o755 });
    chmodSync(target, 0o755);
    writeFileSync(
      join(target, 'token-k.json'),
      JSON.stringify({ format: 1, token: 'planted', expiresAt: NOW + 3600_000, authUrl: 'u' }),
      { mode: 0o600 },
    );
    chmodSync(target, 0o700);
    symlinkSync(target, osmetaDir());
    const debug: string[] = [];
    expect(await readCachedToken(ctxWith({ debug }), 'k')).toBeUndefined();
    expect(debug.join('\n')).toContain(`token cache: ignoring ${osmetaDir()}: it is a symbolic link`);
    chmodSync(target, 0o755);
    await writeCachedToken(ctxWith({ debug }), 'k2', token('t'));
    expect(statSync(target).mode & 0o777).toBe(0o755);
    expect(readdirSync(target)).toEqual(['token-k.json']);
    expect(debug.join('\n')).toMatch(
      /token cache: cannot write .*refusing to write .*osmeta: it is a symbolic link/,
    );
    expect(await cacheKey(ctxWith({ debug }), ADMIN)).toBeUndefined();
    expect(readdirSync(target)).toEqual(['token-k.json']);
  });

  it('ignores a cache directory owned by another user and refuses to write into it', async () => {
    mkdirSync(osmetaDir(), { mode: 0o700 });
    const debug: string[] = [];
    const ctx = ctxWith({ debug, uid: UID + 4242 });
    await writeCachedToken(ctx, 'k', token('t'));
    expect(readdirSync(osmetaDir())).toEqual([]);
    expect(await readCachedToken(ctx, 'k')).toBeUndefined();
    expect(debug.join('\n')).toMatch(/cannot write .*: refusing to write .*: it is owned by uid/);
    expect(debug.join('\n')).toMatch(/token cache: ignoring .*osmeta: it is owned by uid/);
  });

  it('replaces a symlink planted at the token file instead of writing through it', async () => {
    mkdirSync(osmetaDir(), { mode: 0o700 });
    const victim = join(tmp.dir, 'victim');
    writeFileSync(victim, 'precious\n', { mode: 0o644 });
    symlinkSync(victim, join(osmetaDir(), 'token-k.json'));
    const debug: string[] = [];
    await writeCachedToken(ctxWith({ debug }), 'k', token('t'));
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(statSync(victim).mode & 0o777).toBe(0o644);
    expect(debug.join('\n')).toMatch(/refusing to write .*token-k\.json: it is a symbolic link/);
  });

  it('leaves no loose mode behind: an existing 0644 token file is replaced by a 0600 one', async () => {
    mkdirSync(osmetaDir(), { mode: 0o700 });
    writeFileSync(join(osmetaDir(), 'token-k.json'), '{}', { mode: 0o644 });
    chmodSync(join(osmetaDir(), 'token-k.json'), 0o644);
    await writeCachedToken(ctxWith(), 'k', token('t'));
    expect(statSync(join(osmetaDir(), 'token-k.json')).mode & 0o777).toBe(0o600);
  });
});

describe('sessions', () => {
  const AUTH = { path: '/v3/auth/tokens', method: 'POST' as const };

  it('authenticates once and reuses the cached token on the next run', async () => {
    const agent = mockAgent();
    agent
      .get(FX.keystone)
      .intercept(AUTH)
      .reply(keystoneToken('tok-A', new Date(NOW + 3600_000)));
    const first = await createSession(ctxWith({ dispatcher: agent }), {
      timeout: 5,
      flags: {},
      cloud: ADMIN,
    });
    expect(first.fromCache).toBe(false);
    // no second Keystone interceptor: a second POST would fail the test
    const second = await createSession(ctxWith({ dispatcher: agent }), {
      timeout: 5,
      flags: {},
      cloud: ADMIN,
    });
    expect(second.fromCache).toBe(true);
    expect(second.token.token).toBe('tok-A');
    expect(second.endpoint('compute')).toBe('http://127.0.0.1:8774/v2.1');
    agent.assertNoPendingInterceptors();
  });

  it('re-authenticates once and retries when the cached token is refused', async () => {
    await writeCachedToken(ctxWith(), (await cacheKey(ctxWith(), ADMIN)) as string, token('tok-old'));
    const agent = mockAgent();
    const nova = agent.get(FX.nova);
    nova
      .intercept({ path: '/v2.1/servers/x', headers: { 'x-auth-token': 'tok-old' } })
      .reply(401, '{"error":{"message":"nope"}}');
    agent
      .get(FX.keystone)
      .intercept(AUTH)
      .reply(keystoneToken('tok-new', new Date(NOW + 3600_000)));
    nova.intercept({ path: '/v2.1/servers/x', headers: { 'x-auth-token': 'tok-new' } }).reply(200, '{}');
    const debug: string[] = [];
    const s = await createSession(ctxWith({ dispatcher: agent, debug }), {
      timeout: 5,
      flags: {},
      cloud: ADMIN,
    });
    const res = await s.request('compute', { path: '/servers/x' });
    expect(res.status).toBe(200);
    agent.assertNoPendingInterceptors();
    expect(debug.join('\n')).toContain('token cache: the cached token was refused; authenticating again');
    expect((await readCachedToken(ctxWith(), (await cacheKey(ctxWith(), ADMIN)) as string))?.token).toBe(
      'tok-new',
    );
  });

  it('does not retry a fresh token twice: a second 401 is exit 4', async () => {
    const agent = mockAgent();
    agent
      .get(FX.keystone)
      .intercept(AUTH)
      .reply(keystoneToken('tok-1', new Date(NOW + 3600_000)));
    agent
      .get(FX.nova)
      .intercept({ path: '/v2.1/servers/x' })
      .reply(401, '{"error":{"message":"The request you have made requires authentication."}}');
    const s = await createSession(ctxWith({ dispatcher: agent }), { timeout: 5, flags: {}, cloud: ADMIN });
    const res = await s.request('compute', { path: '/servers/x' });
    expect(res.status).toBe(401);
    await expect(s.getJson('compute', { path: '/servers/x' }, 'looking up x')).rejects.toBeDefined();
  });

  it('exits 4 for a wrong password even with a token cached for the identity', async () => {
    const agent = mockAgent();
    agent
      .get(FX.keystone)
      .intercept(AUTH)
      .reply(keystoneToken('tok-A', new Date(NOW + 3600_000)));
    await createSession(ctxWith({ dispatcher: agent }), { timeout: 5, flags: {}, cloud: ADMIN });
    agent
      .get(FX.keystone)
      .intercept({
        ...AUTH,
        body: (b: string) => JSON.parse(b).auth.identity.password.user.password === 'wrong',
      })
      .reply(401, { error: { code: 401, message: 'The request you have made requires authentication.' } });
    const wrong = cloudOf({ ...ADMIN.auth, password: 'wrong' });
    await expect(
      createSession(ctxWith({ dispatcher: agent }), { timeout: 5, flags: {}, cloud: wrong }),
    ).rejects.toMatchObject({ exitCode: 4 });
    agent.assertNoPendingInterceptors();
    // the right password still finds its token
    const again = await createSession(ctxWith({ dispatcher: agent }), {
      timeout: 5,
      flags: {},
      cloud: ADMIN,
    });
    expect(again.fromCache).toBe(true);
  });

  it('neither reads nor writes the cache with --no-token-cache', async () => {
    await writeCachedToken(ctxWith(), (await cacheKey(ctxWith(), ADMIN)) as string, token('tok-cached'));
    const agent = mockAgent();
    agent
      .get(FX.keystone)
      .intercept(AUTH)
      .reply(keystoneToken('tok-fresh', new Date(NOW + 3600_000)));
    const s = await createSession(ctxWith({ dispatcher: agent }), {
      timeout: 5,
      flags: { tokenCache: false },
      cloud: ADMIN,
    });
    expect(s.token.token).toBe('tok-fresh');
    expect((await readCachedToken(ctxWith(), (await cacheKey(ctxWith(), ADMIN)) as string))?.token).toBe(
      'tok-cached',
    );
  });

  it('asks for a missing password on a terminal, without echo', async () => {
    const agent = mockAgent();
    agent
      .get(FX.keystone)
      .intercept({
        ...AUTH,
        body: (b: string) => JSON.parse(b).auth.identity.password.user.password === 'typed',
      })
      .reply(keystoneToken('tok', new Date(NOW + 3600_000)));
    const asked: string[] = [];
    const ctx = ctxWith({ dispatcher: agent, stdinIsTTY: true });
    ctx.prompt = async (q, o) => {
      asked.push(`${q}|${o.silent}`);
      return 'typed';
    };
    const noPassword = cloudOf({ ...ADMIN.auth, password: undefined } as never);
    delete (noPassword.auth as Record<string, unknown>).password;
    await createSession(ctx, { timeout: 5, flags: { tokenCache: false }, cloud: noPassword });
    expect(asked).toEqual(["password for user 'admin' (cloud 'test'): |true"]);
    agent.assertNoPendingInterceptors();
  });

  it('exits 4 for a missing password when there is no terminal', async () => {
    const noPassword = cloudOf({ authUrl: 'http://k/v3', username: 'admin' });
    await expect(
      createSession(ctxWith(), { timeout: 5, flags: { tokenCache: false }, cloud: noPassword }),
    ).rejects.toMatchObject({
      exitCode: 4,
      message: "no password for user 'admin'",
    });
  });
});
