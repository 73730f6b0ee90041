import { readFileSync } from 'node:fs';
import { MockAgent } from 'undici';
import type { CloudAuth, ResolvedCloud } from '../../src/openstack/config.js';

// Real captured responses (test/fixtures/captured, see its README): status line, CRLF headers, body.

export const FIXTURES = new URL('../fixtures/captured/', import.meta.url);

export interface HttpFixture {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export function httpFixture(name: string): HttpFixture {
  const raw = readFileSync(new URL(name, FIXTURES));
  const sep = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, sep).toString('latin1').split('\r\n');
  const status = Number(head[0]!.split(' ')[1]);
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const i = line.indexOf(':');
    const k = line.slice(0, i).toLowerCase();
    const v = line.slice(i + 1).trim();
    headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
  }
  return { status, headers, body: raw.subarray(sep + 4) };
}

/** The fixtures' lab facts (test/fixtures/captured/README.md). */
export const FX = {
  vm1: 'cc44da1b-aa6c-4ab2-926d-31aa6e134fb0',
  demo: '1bdf2554e6544b96a1d84276bf1cdb37',
  alt: '3ea664627ce54b5c9bec47bdb5168f83',
  vm1Ip: '10.90.0.10',
  network: '42c285f8-e8c2-4e66-bcfa-798fb177d538',
  keystone: 'http://127.0.0.1:5000',
  nova: 'http://127.0.0.1:8774',
  neutron: 'http://127.0.0.1:9696',
  metadata: 'http://127.0.0.1:8775',
};

/** A MockAgent that refuses anything not intercepted. */
export function mockAgent(): MockAgent {
  const agent = new MockAgent();
  agent.disableNetConnect();
  return agent;
}

/** Reply with a captured fixture (status, headers, body byte for byte). */
export function replyWith(name: string, extraHeaders: Record<string, string> = {}) {
  const f = httpFixture(name);
  return () => ({
    statusCode: f.status,
    data: f.body,
    responseOptions: { headers: { ...f.headers, ...extraHeaders } },
  });
}

/** The Keystone 201 fixture with a real token in X-Subject-Token and an expiry relative to now. */
export function keystoneToken(token: string, expiresAt: Date) {
  const f = httpFixture('api/keystone-auth-tokens-password-project.201.http');
  const doc = JSON.parse(f.body.toString('utf8')) as { token: Record<string, unknown> };
  doc.token.expires_at = expiresAt.toISOString();
  return () => ({
    statusCode: 201,
    data: JSON.stringify(doc),
    responseOptions: { headers: { ...f.headers, 'x-subject-token': token } },
  });
}

/** Keystone's answer to GET /v3 (the version document keystoneauth's discovery reads). */
export function keystoneVersion(base: string = FX.keystone) {
  return () => ({
    statusCode: 200,
    data: JSON.stringify({
      version: {
        id: 'v3.14',
        status: 'stable',
        updated: '2020-04-07T00:00:00Z',
        links: [{ rel: 'self', href: `${base}/v3/` }],
        'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
      },
    }),
    responseOptions: { headers: { 'content-type': 'application/json' } },
  });
}

/** A resolved cloud for tests that skip clouds.yaml. */
export function cloudOf(auth: CloudAuth, authType: ResolvedCloud['authType'] = 'password'): ResolvedCloud {
  return {
    name: 'test',
    configured: true,
    available: ['test'],
    regionName: 'RegionOne',
    authType,
    authTypeName: authType,
    auth,
    interface: ['public'],
    tls: { insecure: false },
    config: {},
    warnings: [],
  };
}
