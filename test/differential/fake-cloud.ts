import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { type AddressInfo, connect, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

// A fake Keystone + Nova on loopback for the differential suite. Every URL starts with
// /<case>/<tool>/ so that one server tells the runs apart. Keystone serves a version document at
// /identity (300, as keystone does) and /identity/v3, a second one at /prefixed that points at
// /identity/v3 (Keystone behind a path prefix), and POST /identity/v3/auth/tokens, which records
// the body and answers with a two-region, three-interface catalog. Nova answers any GET under
// /nova/<region>/<interface>/. The same handler listens on plain HTTP, on a "proxy" port (absolute
// URIs, marked as proxied), on HTTPS and on HTTPS that requires a client certificate.

export const PROJECT_ID = '0c0c8c5d1d5a4f4a9f0d3b6c2e9a7f10';
export const REGIONS = ['RegionOne', 'RegionTwo'] as const;
export const INTERFACES = ['public', 'internal', 'admin'] as const;
export const BAD_PASSWORD = 'wrong-password';
export const GOOD_TOKEN = 'gAAAA-good-token';

export interface Exchange {
  method: string;
  path: string;
  body?: unknown;
  status: number;
  viaProxy: boolean;
  scheme: 'http' | 'https';
  clientCert: boolean;
}

export interface Run {
  keystone: Exchange[];
  nova: Exchange[];
  other: Exchange[];
  /** CONNECT tunnels through the proxy (https), told apart by the proxy URL's user name */
  tunnels: string[];
}

export interface Tls {
  dir: string;
  ca: string;
  cert: string;
  key: string;
  clientCert: string;
  clientKey: string;
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate (openssl). */
export function makeTls(dir: string): Tls {
  mkdirSync(dir, { recursive: true });
  const o = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  o(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=diff-ca',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
  );
  writeFileSync(`${dir}/san.ext`, 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const [name, cn, ext] of [
    ['server', '127.0.0.1', ['-extfile', 'san.ext']],
    ['client', 'diff-client', []],
  ] as const) {
    o(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${cn}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
    );
    o(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-out',
      `${name}.crt`,
      ...ext,
    );
  }
  return {
    dir,
    ca: `${dir}/ca.crt`,
    cert: `${dir}/server.crt`,
    key: `${dir}/server.key`,
    clientCert: `${dir}/client.crt`,
    clientKey: `${dir}/client.key`,
  };
}

export class FakeCloud {
  readonly runs = new Map<string, Run>();
  http!: string;
  proxy!: string;
  https!: string;
  mtls!: string;
  private servers: Array<http.Server | https.Server> = [];

  constructor(private readonly tls: Tls) {}

  run(id: string): Run {
    let r = this.runs.get(id);
    if (!r) {
      r = { keystone: [], nova: [], other: [], tunnels: [] };
      this.runs.set(id, r);
    }
    return r;
  }

  async start(): Promise<void> {
    const listen = async (s: http.Server | https.Server) => {
      this.servers.push(s);
      await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
      return (s.address() as AddressInfo).port;
    };
    const handler =
      (scheme: 'http' | 'https', proxy: boolean) => (req: http.IncomingMessage, res: http.ServerResponse) =>
        this.handle(scheme, proxy, req, res);
    this.http = `http://127.0.0.1:${await listen(http.createServer(handler('http', false)))}`;
    const proxy = http.createServer(handler('http', true));
    proxy.on('connect', (req: http.IncomingMessage, client: Socket, head: Buffer) =>
      this.tunnel(req, client, head),
    );
    this.proxy = `http://127.0.0.1:${await listen(proxy)}`;
    const opts = {
      cert: readFileSync(this.tls.cert),
      key: readFileSync(this.tls.key),
      ca: readFileSync(this.tls.ca),
    };
    this.https = `https://127.0.0.1:${await listen(https.createServer(opts, handler('https', false)))}`;
    const mtls = https.createServer(
      { ...opts, requestCert: true, rejectUnauthorized: true },
      handler('https', false),
    );
    this.mtls = `https://127.0.0.1:${await listen(mtls)}`;
  }

  /** CONNECT host:port (loopback only), recorded under the run named by Proxy-Authorization. */
  private tunnel(req: http.IncomingMessage, client: Socket, head: Buffer): void {
    const auth = /^Basic (.+)$/.exec(req.headers['proxy-authorization'] ?? '')?.[1];
    const user = auth ? Buffer.from(auth, 'base64').toString('utf8').split(':')[0] : undefined;
    const [host, port] = (req.url ?? '').split(':');
    if (host !== '127.0.0.1' || !port) {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    if (user?.includes('--')) this.run(user.replace('--', '/')).tunnels.push(req.url ?? '');
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    const close = () => {
      upstream.destroy();
      client.destroy();
    };
    upstream.on('error', close);
    client.on('error', close);
    this.sockets.push(upstream, client);
  }

  private sockets: Socket[] = [];

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    for (const s of this.servers) s.closeAllConnections();
    await Promise.all(this.servers.map((s) => new Promise((ok) => s.close(ok))));
  }

  private handle(
    scheme: 'http' | 'https',
    proxy: boolean,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ) {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size < 1_000_000) chunks.push(c);
    });
    req.on('end', () => {
      const raw = req.url ?? '/';
      const absolute = /^https?:\/\//.test(raw);
      const url = new URL(absolute ? raw : `${scheme}://${req.headers.host ?? '127.0.0.1'}${raw}`);
      const origin = url.origin;
      const parts = url.pathname.split('/').filter((p) => p !== '');
      const [caseId, tool, ...rest] = parts;
      const send = (status: number, doc: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
        res.end(JSON.stringify(doc));
        return status;
      };
      if (!caseId || !tool) {
        send(404, { error: { message: 'no case' } });
        return;
      }
      const run = this.run(`${caseId}/${tool}`);
      const base = `${origin}/${caseId}/${tool}`;
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        body = text;
      }
      const ex: Exchange = {
        method: req.method ?? 'GET',
        path: `/${rest.join('/')}`,
        status: 0,
        viaProxy: proxy && absolute,
        scheme,
        clientCert: scheme === 'https' && Boolean((req.socket as TLSSocket).getPeerCertificate?.()?.subject),
        ...(body === undefined ? {} : { body }),
      };
      const service = rest[0];
      if (service === 'nova') {
        run.nova.push(ex);
        // /nova/<region>/<interface>[/v2.1[/<project>]]: version documents, then empty lists
        const rel = rest.slice(3);
        const root = `${base}/${rest.slice(0, 3).join('/')}`;
        const v21 = {
          id: 'v2.1',
          status: 'CURRENT',
          version: '2.95',
          min_version: '2.1',
          links: [{ rel: 'self', href: `${root}/v2.1/` }],
        };
        if (!rel.includes('servers') && rel.length === 0) ex.status = send(200, { versions: [v21] });
        else if (!rel.includes('servers') && rel.length <= 2) ex.status = send(200, { version: v21 });
        else ex.status = send(200, { servers: [] });
        return;
      }
      if (service === 'glance') {
        // enough of glance for openstack's image client: a version document, then empty lists
        run.other.push(ex);
        const root = `${base}/${rest.slice(0, 3).join('/')}`;
        ex.status =
          rest.length <= 3
            ? send(300, {
                versions: [{ id: 'v2.9', status: 'CURRENT', links: [{ rel: 'self', href: `${root}/v2/` }] }],
              })
            : send(200, { images: [] });
        return;
      }
      if (service !== 'identity' && service !== 'prefixed') {
        run.other.push(ex);
        ex.status = send(404, { error: { message: 'not found' } });
        return;
      }
      run.keystone.push(ex);
      const tail = rest.slice(1).join('/');
      const v3 = {
        id: 'v3.14',
        status: 'stable',
        updated: '2020-04-07T00:00:00Z',
        links: [{ rel: 'self', href: `${base}/identity/v3/` }],
        'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
      };
      if (ex.method === 'GET' && (tail === '' || (service === 'identity' && tail === 'v3'))) {
        ex.status = tail === '' ? send(300, { versions: { values: [v3] } }) : send(200, { version: v3 });
        return;
      }
      if (ex.method === 'POST' && service === 'identity' && tail === 'v3/auth/tokens') {
        ex.status = this.issue(base, body, req, send);
        return;
      }
      ex.status = send(404, {
        error: { code: 404, message: 'The resource could not be found.', title: 'Not Found' },
      });
    });
  }

  private issue(
    base: string,
    body: unknown,
    req: http.IncomingMessage,
    send: (s: number, d: unknown, h?: Record<string, string>) => number,
  ): number {
    const auth = (body as { auth?: Record<string, unknown> } | undefined)?.auth;
    // biome-ignore lint/suspicious/noExplicitAny: a test double reading whatever the client sent
    const identity = auth?.identity as Record<string, any> | undefined;
    const unauthorized = () =>
      send(401, {
        error: {
          code: 401,
          message: 'The request you have made requires authentication.',
          title: 'Unauthorized',
        },
      });
    if (!identity || !Array.isArray(identity.methods))
      return send(400, { error: { code: 400, message: 'bad request' } });
    const method = identity.methods[0];
    if (method === 'password') {
      const user = identity.password?.user ?? {};
      // keystone's JSON schema: names are strings (400), then the password and the user's domain (401)
      if ((user.name !== undefined && typeof user.name !== 'string') || typeof user.password !== 'string') {
        return send(400, {
          error: {
            code: 400,
            message: "Invalid input for field 'identity/password/user/name'",
            title: 'Bad Request',
          },
        });
      }
      if (user.password === BAD_PASSWORD || (!user.id && !user.domain)) return unauthorized();
    } else if (method === 'token') {
      if (identity.token?.id !== GOOD_TOKEN || req.headers['x-auth-token'] !== GOOD_TOKEN)
        return unauthorized();
    } else if (method === 'application_credential') {
      if (auth?.scope) return unauthorized();
    } else return unauthorized();
    // biome-ignore lint/suspicious/noExplicitAny: as above
    const scope = auth?.scope as Record<string, any> | undefined;
    const catalog = [
      {
        type: 'compute',
        name: 'nova',
        id: 'c0',
        endpoints: REGIONS.flatMap((region) =>
          INTERFACES.map((iface) => ({
            id: `${region}-${iface}`,
            interface: iface,
            region,
            region_id: region,
            url: `${base}/nova/${region}/${iface}/v2.1`,
          })),
        ),
      },
      {
        type: 'image',
        name: 'glance',
        id: 'g0',
        endpoints: REGIONS.flatMap((region) =>
          INTERFACES.map((iface) => ({
            interface: iface,
            region,
            region_id: region,
            url: `${base}/glance/${region}/${iface}`,
          })),
        ),
      },
      {
        type: 'identity',
        name: 'keystone',
        id: 'i0',
        endpoints: REGIONS.flatMap((region) =>
          INTERFACES.map((iface) => ({
            interface: iface,
            region,
            region_id: region,
            url: `${base}/identity`,
          })),
        ),
      },
    ];
    const hasCatalog = method === 'application_credential' || scope !== undefined;
    const token = {
      methods: identity.methods,
      user: { id: 'u-1', name: 'alice', domain: { id: 'default', name: 'Default' } },
      expires_at: new Date(Date.now() + 3_600_000).toISOString(),
      issued_at: new Date().toISOString(),
      roles: [{ id: 'r1', name: 'member' }],
      ...(scope?.project || method === 'application_credential'
        ? { project: { id: PROJECT_ID, name: 'demo', domain: { id: 'default', name: 'Default' } } }
        : {}),
      ...(scope?.domain ? { domain: { id: 'd-1', name: 'dom' } } : {}),
      ...(scope?.system ? { system: { all: true } } : {}),
      ...(hasCatalog ? { catalog } : {}),
    };
    return send(201, { token }, { 'X-Subject-Token': `tok-${Math.random().toString(36).slice(2)}` });
  }
}
