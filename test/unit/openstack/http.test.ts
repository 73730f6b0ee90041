import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import {
  createServer as createHttp,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient, TransportError } from '../../../src/openstack/http.js';
import { createTestContext } from '../../helpers/context.js';

// Real servers on 127.0.0.1 and on a temp UNIX socket: connection handling is what is tested here.

const dir = mkdtempSync(join(tmpdir(), 'osmeta-http-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function listen(server: Server, where: number | string = 0): Promise<string> {
  return new Promise((resolve) => {
    if (typeof where === 'string') server.listen(where, () => resolve(where));
    else
      server.listen(where, '127.0.0.1', () =>
        resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
      );
  });
}

function client(env: Record<string, string> = {}, timeout = 5) {
  const lines: string[] = [];
  const t = createTestContext({ env });
  t.ctx.debug = (l) => lines.push(l);
  return { http: new HttpClient(t.ctx, { timeout }), lines };
}

const seen: IncomingMessage[] = [];
const api = createHttp((req: IncomingMessage, res: ServerResponse) => {
  seen.push(req);
  res.writeHead(200, { 'content-type': 'application/json', 'x-openstack-request-id': 'req-1234' });
  res.end('{"ok":true}');
});
let apiUrl = '';
beforeAll(async () => {
  apiUrl = await listen(api);
});
afterAll(() => api.close());

describe('HTTP exchanges', () => {
  it('returns status, headers, body and request id, and logs one redacted line', async () => {
    const { http, lines } = client();
    const res = await http.request({
      url: `${apiUrl}/v2.1/servers/x`,
      headers: {
        'X-Auth-Token': 'gAAAA-token-value',
        'X-Instance-ID-Signature': 'f00dfeed',
        'X-Tenant-ID': 'p1',
      },
      service: 'nova',
    });
    await http.close();
    expect(res.status).toBe(200);
    expect(res.requestId).toBe('req-1234');
    expect(res.body.toString()).toBe('{"ok":true}');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^http GET ${apiUrl}/v2.1/servers/x → 200 in \\d+ ms \\(req-1234\\) \\[X-Auth-Token: <redacted>, X-Instance-ID-Signature: <redacted>, X-Tenant-ID: p1\\]$`,
      ),
    );
    expect(lines.join()).not.toMatch(/gAAAA|f00dfeed/);
    expect(seen.at(-1)?.headers['x-auth-token']).toBe('gAAAA-token-value');
  });

  it('says "connection refused" for a closed port', async () => {
    const s = createHttp();
    const url = await listen(s);
    await new Promise((r) => s.close(r));
    const { http, lines } = client();
    const err = await http
      .request({ url: `${url}/`, service: "nova's metadata API" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).failure).toBe('refused');
    expect((err as Error).message).toBe(`nova's metadata API at ${new URL(url).host}: connection refused`);
    expect(lines[0]).toMatch(/→ refused after \d+ ms/);
  });

  it('gives up after --timeout when nothing answers', async () => {
    const hang = createHttp(() => {});
    const url = await listen(hang);
    const { http } = client({}, 0.3);
    const started = performance.now();
    const err = await http.request({ url: `${url}/`, service: 'Keystone' }).catch((e: unknown) => e);
    hang.closeAllConnections();
    hang.close();
    expect((err as TransportError).failure).toBe('timeout');
    expect((err as Error).message).toMatch(/^Keystone at 127\.0\.0\.1:\d+: no answer within 0.3 s$/);
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('goes through http_proxy with an absolute URI, and straight past it for no_proxy hosts', async () => {
    const proxied: string[] = [];
    const proxy = createHttp((req, res) => {
      proxied.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('via proxy');
    });
    const proxyUrl = await listen(proxy);
    const target = 'http://nova.invalid:8775/openstack';
    const a = client({ http_proxy: proxyUrl });
    const res = await a.http.request({ url: target, service: 'nova' });
    await a.http.close();
    expect(res.body.toString()).toBe('via proxy');
    expect(proxied).toEqual([target]);
    const b = client({ http_proxy: proxyUrl, no_proxy: '127.0.0.1' });
    const direct = await b.http.request({ url: `${apiUrl}/x`, service: 'nova' });
    await b.http.close();
    proxy.close();
    expect(direct.body.toString()).toBe('{"ok":true}');
    expect(proxied).toHaveLength(1);
  });
});

describe('UNIX sockets', () => {
  it('speaks HTTP over the socket, with the Host header given', async () => {
    const path = join(dir, 'agent.sock');
    let host = '';
    const s = createHttp((req, res) => {
      host = req.headers.host ?? '';
      res.end(`${req.url}`);
    });
    await listen(s, path);
    const { http } = client();
    const res = await http.request({
      url: 'http://169.254.169.254/openstack/latest/',
      headers: { Host: '169.254.169.254' },
      socketPath: path,
      service: 'the neutron metadata agent',
    });
    await http.close();
    s.close();
    expect(res.body.toString()).toBe('/openstack/latest/');
    expect(host).toBe('169.254.169.254');
  });

  it('says there is no such socket', async () => {
    const { http } = client();
    const err = await http
      .request({
        url: 'http://169.254.169.254/',
        socketPath: join(dir, 'missing.sock'),
        service: 'the neutron metadata agent',
      })
      .catch((e: unknown) => e);
    expect((err as TransportError).failure).toBe('socket-missing');
    expect((err as Error).message).toBe(
      `the neutron metadata agent at ${join(dir, 'missing.sock')}: no such socket`,
    );
  });
});

describe('TLS', () => {
  let url = '';
  let server: ReturnType<typeof createHttps> | undefined;
  const ca = join(dir, 'cert.pem');
  beforeAll(async () => {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        ca,
      ],
      { stdio: 'ignore' },
    );
    server = createHttps({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(ca) }, (_q, r) =>
      r.end('tls ok'),
    );
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => server?.close());

  it('fails verification of an unknown CA, with a hint', async () => {
    const { http } = client();
    const err = await http.request({ url, service: 'Keystone' }).catch((e: unknown) => e);
    expect((err as TransportError).failure).toBe('tls');
    expect((err as Error).message).toMatch(
      /^Keystone at 127\.0\.0\.1:\d+: TLS failed: self.signed certificate/,
    );
    expect((err as TransportError).hint).toMatch(/--os-cacert/);
  });

  it('verifies with the CA bundle, or not at all when insecure', async () => {
    const a = client();
    expect((await a.http.request({ url, tls: { cacert: ca }, service: 'Keystone' })).body.toString()).toBe(
      'tls ok',
    );
    await a.http.close();
    const b = client();
    expect(
      (await b.http.request({ url, tls: { insecure: true }, service: 'Keystone' })).body.toString(),
    ).toBe('tls ok');
    await b.http.close();
  });

  it('says when the CA file cannot be read', async () => {
    const { http } = client();
    await expect(
      http.request({ url, tls: { cacert: join(dir, 'none.pem') }, service: 'Keystone' }),
    ).rejects.toThrow(`cannot read the CA bundle ${join(dir, 'none.pem')}: no such file`);
  });
});

describe('the undici parts loaded at start-up', () => {
  it('are the public Agent and request API of this undici', async () => {
    const undici = await import('undici');
    const parts = await import('../../../src/openstack/undici.js');
    expect(parts.Agent).toBe(undici.Agent);
    expect(await parts.loadProxyAgent()).toBe(undici.ProxyAgent);
    const api = (await import('undici/lib/api/api-request.js')).default;
    expect(api).toBe((undici.Dispatcher.prototype as unknown as { request: unknown }).request);
  });
});
