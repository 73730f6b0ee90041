import { describe, expect, it } from 'vitest';
import { hostileCloud, leaked, PASSWORD, RAW_CONTROL, SHARED_SECRET } from '../helpers/hostile/cloud.js';
import {
  ESCAPES,
  echoBody,
  json,
  rawResponse,
  startRawServer,
  startServer,
  useTeardown,
} from '../helpers/hostile/servers.js';

// A Keystone that repeats the request in its error bodies and headers, with escape sequences.

const VM = 'cc44da1b-aa6c-4ab2-926d-31aa6e134fb0';
const { servers, cleanups } = useTeardown();

async function keystoneSaying(status: number, extra = '') {
  const ks = await startServer((req, res) => {
    // the request id carries the password it was sent, as a broken middleware might
    const sent = /"password":\s*"([^"]*)"/.exec(req.body)?.[1] ?? '';
    json(res, status, echoBody(req, extra), { 'x-openstack-request-id': `req-${sent}` });
  });
  servers.push(ks);
  const c = hostileCloud(ks);
  cleanups.push(c.cleanup);
  return c;
}

describe('a Keystone that echoes the password', () => {
  it.each([401, 400, 500])('keeps the password out of stderr on a %i (exit 4 or 1)', async (status) => {
    const c = await keystoneSaying(status);
    const r = await c.run(['get', VM, '--no-token-cache']);
    expect(r.code).toBe(status === 401 ? 4 : 1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: /);
    expect(r.stderr).toContain('request id: req-***');
    expect(leaked(r, [PASSWORD, SHARED_SECRET])).toEqual([]);
    expect(servers[0]!.requests[0]!.body).toContain(PASSWORD);
  });

  it('keeps the password out of the --json error document', async () => {
    const c = await keystoneSaying(401);
    const r = await c.run(['get', VM, '--no-token-cache', '--json']);
    expect(r.code).toBe(4);
    const doc = JSON.parse(r.stdout) as { error: { message: string; requestId?: string; exitCode: number } };
    expect(doc.error.exitCode).toBe(4);
    expect(doc.error.requestId).toBe('req-***');
    expect(leaked(r, [PASSWORD])).toEqual([]);
  });

  it('keeps the password out of --debug lines', async () => {
    const c = await keystoneSaying(401);
    const r = await c.run(['get', VM, '--no-token-cache', '--debug']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^debug: /m);
    expect(leaked(r, [PASSWORD, SHARED_SECRET])).toEqual([]);
  });
});

describe('a Keystone that echoes any credential it was sent', () => {
  const APP_SECRET = 'app-cred-s3cret-value';
  const OS_TOKEN = 'gAAAAA-os-token-from-env-42';
  it.each([
    ['a password', {}, PASSWORD],
    [
      'an application-credential secret',
      {
        OS_AUTH_TYPE: 'v3applicationcredential',
        // an application credential carries its own scope: no project or domain beside it
        OS_PROJECT_NAME: '',
        OS_PROJECT_DOMAIN_NAME: '',
        OS_APPLICATION_CREDENTIAL_ID: 'c0ffee',
        OS_APPLICATION_CREDENTIAL_SECRET: APP_SECRET,
      },
      APP_SECRET,
    ],
    ['OS_TOKEN', { OS_AUTH_TYPE: 'v3token', OS_TOKEN }, OS_TOKEN],
  ])('keeps %s out of stderr and --json, also in the request-id header', async (_what, env, secret) => {
    const ks = await startServer((req, res) => {
      json(res, 401, echoBody(req), {
        'x-openstack-request-id': `req-${encodeURIComponent(req.body).slice(0, 900)}`,
      });
    });
    servers.push(ks);
    const c = hostileCloud(ks, env as Record<string, string>);
    cleanups.push(c.cleanup);
    for (const extra of [[], ['--json'], ['--debug']]) {
      const r = await c.run(['get', VM, '--no-token-cache', ...extra]);
      expect(r.code).toBe(4);
      expect(ks.requests.at(-1)!.body).toContain(secret);
      expect(leaked(r, [secret])).toEqual([]);
    }
  });
});

describe('a Keystone that puts escape sequences in its errors', () => {
  it('shows them visibly in the error, on one line', async () => {
    const c = await keystoneSaying(401, `${ESCAPES}\nforged: line `);
    const r = await c.run(['get', VM, '--no-token-cache'], { stderrIsTTY: true });
    expect(r.code).toBe(4);
    expect(r.stderr).not.toMatch(RAW_CONTROL);
    expect(r.stderr).toContain('^[]0;pwned^G^[[2J^[[H<U+009B>31m');
    expect(r.stderr.split('\n')[0]).toMatch(/^error: .*\^Jforged: line /);
  });

  it('shows binary bytes and escapes in a non-JSON body without a raw control character', async () => {
    const body = Buffer.concat([
      Buffer.from('<html><body>Unauthorized '),
      Buffer.from([0xff, 0xfe, 0x1b, 0x5b, 0x32, 0x4a, 0x07, 0x9b, 0x00]),
      Buffer.from('</body></html>'),
    ]);
    const ks = await startRawServer(() =>
      rawResponse('401 Unauthorized', { 'content-type': 'text/html' }, body),
    );
    servers.push(ks);
    const c = hostileCloud(ks);
    cleanups.push(c.cleanup);
    const r = await c.run(['get', VM, '--no-token-cache'], { stderrIsTTY: true });
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(RAW_CONTROL);
    expect(r.stderr).toContain('^[[2J^G');
  });

  it('keeps the --json error document JSON-escaped and parseable', async () => {
    const c = await keystoneSaying(401, ESCAPES);
    const r = await c.run(['get', VM, '--no-token-cache', '--json'], { stdoutIsTTY: true });
    expect(r.stdout).not.toMatch(RAW_CONTROL);
    const doc = JSON.parse(r.stdout) as { error: { message: string } };
    expect(doc.error.message).toContain(ESCAPES);
  });
});
