import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  authBody,
  authenticate,
  requireAuthUrl,
  resolveTokenUrl,
  tokenUrl,
  v3FromVersionDocument,
} from '../../../src/openstack/auth.js';
import type { CloudAuth, ResolvedCloud } from '../../../src/openstack/config.js';
import { HttpClient } from '../../../src/openstack/http.js';
import { makeTls } from '../../differential/fake-cloud.js';
import { createTestContext } from '../../helpers/context.js';
import {
  cloudOf,
  FX,
  keystoneToken,
  keystoneVersion,
  mockAgent,
  replyWith,
} from '../../helpers/openstack-fixtures.js';

const ADMIN: CloudAuth = {
  authUrl: `${FX.keystone}/v3`,
  username: 'admin',
  password: 'pw-secret',
  userDomainName: 'Default',
  projectName: 'admin',
  projectDomainName: 'Default',
};

describe('Keystone v3 requests', () => {
  it.each([
    ['http://k:5000', 'http://k:5000/v3/auth/tokens'],
    ['http://k:5000/', 'http://k:5000/v3/auth/tokens'],
    ['http://k:5000/v3', 'http://k:5000/v3/auth/tokens'],
    ['http://k:5000/v3/', 'http://k:5000/v3/auth/tokens'],
    ['https://k/identity', 'https://k/identity/v3/auth/tokens'],
  ])('posts to %s as %s', (url, expected) => {
    expect(tokenUrl(url)).toBe(expected);
  });

  it.each<[string, CloudAuth, ResolvedCloud['authType'], unknown]>([
    [
      'password, user and project by name and domain',
      ADMIN,
      'password',
      {
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: 'admin', domain: { name: 'Default' }, password: 'pw-secret' } },
          },
          scope: { project: { name: 'admin', domain: { name: 'Default' } } },
        },
      },
    ],
    [
      'password, user ID, project ID winning over a name',
      { userId: 'u1', password: 'p', projectId: 'p1', projectName: 'ignored' },
      'password',
      {
        auth: {
          identity: { methods: ['password'], password: { user: { id: 'u1', password: 'p' } } },
          scope: { project: { id: 'p1' } },
        },
      },
    ],
    [
      'password, domain scope',
      { username: 'u', userDomainId: 'default', password: 'p', domainId: 'd1' },
      'password',
      {
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: 'u', domain: { id: 'default' }, password: 'p' } },
          },
          scope: { domain: { id: 'd1' } },
        },
      },
    ],
    [
      'application credential by ID, never a scope',
      { applicationCredentialId: 'ac1', applicationCredentialSecret: 's', projectName: 'ignored' },
      'v3applicationcredential',
      {
        auth: {
          identity: {
            methods: ['application_credential'],
            application_credential: { id: 'ac1', secret: 's' },
          },
        },
      },
    ],
    [
      'application credential by name and user',
      {
        applicationCredentialName: 'mon',
        applicationCredentialSecret: 's',
        username: 'u',
        userDomainName: 'D',
      },
      'v3applicationcredential',
      {
        auth: {
          identity: {
            methods: ['application_credential'],
            application_credential: { name: 'mon', secret: 's', user: { name: 'u', domain: { name: 'D' } } },
          },
        },
      },
    ],
    [
      'token, rescoped to a project',
      { token: 'gAAAA', projectId: 'p1' },
      'v3token',
      {
        auth: { identity: { methods: ['token'], token: { id: 'gAAAA' } }, scope: { project: { id: 'p1' } } },
      },
    ],
  ])('builds the body for %s', (_w, auth, type, expected) => {
    expect(authBody(cloudOf(auth, type))).toEqual(expected);
  });

  it.each<[CloudAuth, ResolvedCloud['authType'], string]>([
    [{ password: 'p' }, 'password', 'no user for password authentication'],
    [{ applicationCredentialId: 'a' }, 'v3applicationcredential', 'no application credential secret'],
    [
      { applicationCredentialName: 'a', applicationCredentialSecret: 's' },
      'v3applicationcredential',
      'no application credential ID (or name and user)',
    ],
    [{}, 'v3token', 'no token for token authentication'],
  ])('exits 4 when credentials are incomplete (%j)', (auth, type, message) => {
    try {
      authBody(cloudOf(auth, type));
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toBe(message);
      expect((e as { exitCode: number }).exitCode).toBe(4);
    }
  });
});

describe('authenticate', () => {
  it('reads the token, its expiry, the project and the catalog', async () => {
    const agent = mockAgent();
    agent
      .get(FX.keystone)
      .intercept({ path: '/v3/auth/tokens', method: 'POST', body: JSON.stringify(authBody(cloudOf(ADMIN))) })
      .reply(replyWith('api/keystone-auth-tokens-password-project.201.http', { 'x-subject-token': 'tok-1' }));
    const { ctx } = createTestContext({ dispatcher: agent });
    const t = await authenticate(new HttpClient(ctx, { timeout: 5 }), cloudOf(ADMIN));
    agent.assertNoPendingInterceptors();
    expect(t.token).toBe('tok-1');
    expect(t.expiresAt).toBe(Date.parse('2026-11-26T12:51:21.000000Z'));
    expect(t.projectId).toBe('e2fffbd507334f5eb00a7f3b7bd8a8b1');
    expect(t.roles).toContain('admin');
    expect(t.catalog.map((s) => s.type).sort()).toEqual(['compute', 'identity', 'image', 'network']);
  });

  it("exits 4 with Keystone's message and request id on a 401", async () => {
    const agent = mockAgent();
    agent
      .get(FX.keystone)
      .intercept({ path: '/v3/auth/tokens', method: 'POST' })
      .reply(replyWith('api/keystone-auth-tokens-bad-password.401.http'));
    const { ctx } = createTestContext({ dispatcher: agent });
    const err = await authenticate(new HttpClient(ctx, { timeout: 5 }), cloudOf(ADMIN)).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({
      exitCode: 4,
      code: 'KEYSTONE_UNAUTHORIZED',
      message: "Keystone rejected user 'admin': The request you have made requires authentication.",
      requestId: 'req-2bebd4de-39e8-4914-ac5f-2878db413274',
    });
    expect(String((err as Error).message) + (err as { hint: string }).hint).not.toContain('pw-secret');
  });

  it('says when no auth_url is configured, or no cloud was chosen', async () => {
    const { ctx } = createTestContext();
    const http = new HttpClient(ctx, { timeout: 5 });
    await expect(authenticate(http, { ...cloudOf({}), configured: false })).rejects.toThrow(
      'no OpenStack credentials: no clouds.yaml found and no OS_* variables set',
    );
    await expect(
      authenticate(http, { ...cloudOf({}), name: '', available: ['a', 'b'] }),
    ).rejects.toMatchObject({
      message: 'no cloud chosen among a, b',
      exitCode: 4,
    });
  });

  it('says when the URL is not Keystone', async () => {
    const agent = mockAgent();
    agent
      .get(FX.keystone)
      .intercept({ path: '/v3/auth/tokens', method: 'POST' })
      .reply(404, '<html>nope</html>', {
        headers: { 'content-type': 'text/html' },
      });
    const { ctx } = createTestContext({ dispatcher: agent });
    await expect(authenticate(new HttpClient(ctx, { timeout: 5 }), cloudOf(ADMIN))).rejects.toMatchObject({
      message: `no Keystone v3 at ${FX.keystone}/v3/auth/tokens (HTTP 404)`,
      exitCode: 1,
    });
  });
});

describe('identity version discovery (keystoneauth generic plugins)', () => {
  const POST = { path: '/prefix/identity/v3/auth/tokens', method: 'POST' as const };

  it('reads the version document once and posts where it points (Keystone behind a path prefix)', async () => {
    const agent = mockAgent();
    const pool = agent.get(FX.keystone);
    pool
      .intercept({ path: '/prefix', method: 'GET' })
      .reply(keystoneVersion(`${FX.keystone}/prefix/identity`));
    pool.intercept(POST).reply(keystoneToken('tok-d', new Date(Date.now() + 3600_000)));
    const { ctx } = createTestContext({ dispatcher: agent });
    const cloud = { ...cloudOf({ ...ADMIN, authUrl: `${FX.keystone}/prefix` }), discover: true };
    const t = await authenticate(new HttpClient(ctx, { timeout: 5 }), cloud);
    expect(t.token).toBe('tok-d');
    agent.assertNoPendingInterceptors();
  });

  it('takes the newest v3 of a version list, and a v3 URL as it is when there is no document', async () => {
    const list = JSON.stringify({
      versions: {
        values: [
          { id: 'v2.0', links: [{ rel: 'self', href: 'http://k/v2.0/' }] },
          { id: 'v3.4', links: [{ rel: 'self', href: 'http://k/old/v3/' }] },
          { id: 'v3.14', links: [{ rel: 'self', href: 'http://k/new/v3/' }] },
        ],
      },
    });
    expect(v3FromVersionDocument(list, 'http://k/')).toBe('http://k/new/v3/');
    expect(v3FromVersionDocument('<html>', 'http://k/')).toBeUndefined();
    // an auth_url that names v3 is v3: nothing is asked before the POST (no interceptor here)
    const { ctx } = createTestContext({ dispatcher: mockAgent() });
    const cloud = { ...cloudOf(ADMIN), discover: true };
    expect(await resolveTokenUrl(new HttpClient(ctx, { timeout: 5 }), cloud, `${FX.keystone}/v3/`)).toBe(
      `${FX.keystone}/v3/auth/tokens`,
    );
  });

  it('asks the version document and the usual token URL at once, so a cold run waits for one round trip', async () => {
    const agent = mockAgent();
    const pool = agent.get(FX.keystone);
    const asked: number[] = [];
    const at =
      <T>(reply: () => T) =>
      () => {
        asked.push(performance.now());
        return reply();
      };
    pool
      .intercept({ path: '/', method: 'GET' })
      .reply(at(keystoneVersion(FX.keystone)))
      .delay(50);
    pool
      .intercept({ path: '/v3/auth/tokens', method: 'POST' })
      .reply(at(keystoneToken('tok-s', new Date(Date.now() + 3600_000))))
      .delay(50);
    const { ctx } = createTestContext({ dispatcher: agent });
    const cloud = { ...cloudOf({ ...ADMIN, authUrl: `${FX.keystone}/` }), discover: true };
    const t = await authenticate(new HttpClient(ctx, { timeout: 5 }), cloud);
    expect(t.token).toBe('tok-s');
    // both were asked before either answered (each answer takes 50 ms)
    expect(asked).toHaveLength(2);
    expect(Math.abs((asked[1] ?? 0) - (asked[0] ?? 0))).toBeLessThan(40);
    agent.assertNoPendingInterceptors();
  });

  it('fails clearly when an unversioned auth_url has no version document', async () => {
    const agent = mockAgent();
    agent.get(FX.keystone).intercept({ path: '/identity', method: 'GET' }).reply(404, 'nothing');
    const { ctx } = createTestContext({ dispatcher: agent });
    const cloud = { ...cloudOf(ADMIN), discover: true };
    const err = await resolveTokenUrl(
      new HttpClient(ctx, { timeout: 5 }),
      cloud,
      `${FX.keystone}/identity`,
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'KEYSTONE_NOT_FOUND', exitCode: 1 });
    expect((err as Error).message).toBe(`no Keystone v3 at ${FX.keystone}/identity: HTTP 404`);
  });

  it('asks nothing before the POST for the v3 plugins (v3password, v3token, v3applicationcredential)', async () => {
    const agent = mockAgent();
    agent
      .get(FX.keystone)
      .intercept({ path: '/v3/auth/tokens', method: 'POST' })
      .reply(keystoneToken('tok-v3', new Date(Date.now() + 3600_000)));
    const { ctx } = createTestContext({ dispatcher: agent });
    const t = await authenticate(new HttpClient(ctx, { timeout: 5 }), { ...cloudOf(ADMIN), discover: false });
    expect(t.token).toBe('tok-v3');
    agent.assertNoPendingInterceptors();
  });
});

describe('failures before and around the request', () => {
  it('names the vendor profile when a cloud that uses one has no auth_url', () => {
    const cloud = { ...cloudOf({ username: 'u' }), name: 'vex', profile: 'vexxhost' };
    expect(() => requireAuthUrl(cloud)).toThrow(
      "cloud 'vex' has no auth_url: it names the vendor profile 'vexxhost', and vendor profiles are not read",
    );
  });

  it('reports TLS_ERROR, naming the client certificate, when Keystone requires one that was not sent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'osmeta-mtls-'));
    try {
      const tls = makeTls(dir);
      const server = createServer(
        {
          cert: readFileSync(tls.cert),
          key: readFileSync(tls.key),
          ca: readFileSync(tls.ca),
          requestCert: true,
          rejectUnauthorized: true,
        },
        (_q, r) => r.end('{}'),
      );
      await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
      const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/v3`;
      const { ctx } = createTestContext();
      const cloud = { ...cloudOf({ ...ADMIN, authUrl: url }), tls: { insecure: false, cacert: tls.ca } };
      const http = new HttpClient(ctx, { timeout: 5 });
      const err = await authenticate(http, cloud).catch((e: unknown) => e);
      await http.close();
      server.close();
      expect(err).toMatchObject({ code: 'TLS_ERROR', exitCode: 1 });
      expect((err as { hint?: string }).hint).toMatch(/client certificate/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
