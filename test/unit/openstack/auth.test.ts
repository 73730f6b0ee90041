import { describe, expect, it } from 'vitest';
import { authBody, authenticate, tokenUrl } from '../../../src/openstack/auth.js';
import type { CloudAuth, ResolvedCloud } from '../../../src/openstack/config.js';
import { HttpClient } from '../../../src/openstack/http.js';
import { createTestContext } from '../../helpers/context.js';
import { cloudOf, FX, mockAgent, replyWith } from '../../helpers/openstack-fixtures.js';

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
