import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  type AddressInfo,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

// Fake servers that misbehave on purpose, on loopback or on a UNIX socket: they echo what they were
// sent (credentials included), put escape sequences in names, bodies and headers, answer slowly,
// truncated, hugely or in a loop, and redirect to another host. Every test that starts one closes it.

/** What a fake server was sent. */
export interface Exchange {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export type Handler = (req: Exchange, res: ServerResponse) => void | Promise<void>;

export interface FakeServer {
  /** http://127.0.0.1:<port>, or http://localhost for a socket server (the Host header only) */
  url: string;
  socketPath?: string;
  /** every request, in order */
  requests: Exchange[];
  close(): Promise<void>;
}

function flatten(h: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function track(server: Server | NetServer): () => Promise<void> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
}

async function listen(
  server: Server | NetServer,
  socket: boolean,
): Promise<{ url: string; socketPath?: string; cleanup: () => void }> {
  if (socket) {
    const dir = mkdtempSync(join(tmpdir(), 'osmeta-hostile-'));
    const socketPath = join(dir, 'agent.sock');
    await new Promise<void>((r) => server.listen(socketPath, r));
    return {
      url: 'http://localhost',
      socketPath,
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, cleanup: () => {} };
}

/** An HTTP server whose answers come from handler (node's http: headers must be valid). */
export async function startServer(handler: Handler, o: { socket?: boolean } = {}): Promise<FakeServer> {
  const requests: Exchange[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const ex: Exchange = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: flatten(req.headers),
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(ex);
      Promise.resolve(handler(ex, res)).catch((err: unknown) => {
        res.destroy(err instanceof Error ? err : new Error(String(err)));
      });
    });
  });
  const close = track(server);
  const l = await listen(server, o.socket === true);
  return {
    url: l.url,
    ...(l.socketPath === undefined ? {} : { socketPath: l.socketPath }),
    requests,
    close: async () => {
      await close();
      l.cleanup();
    },
  };
}

/**
 * A TCP server that writes these exact bytes for every request (raw HTTP: headers with control
 * characters, a Content-Length that lies, a connection closed mid-body) — or nothing at all.
 */
export async function startRawServer(
  answer: (request: string) => Buffer | string | undefined,
  o: { socket?: boolean; closeAfter?: boolean } = {},
): Promise<FakeServer> {
  const requests: Exchange[] = [];
  const server = createNetServer((sock) => {
    let buf = '';
    sock.on('data', (c: Buffer) => {
      buf += c.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [line = '', ...rest] = buf.slice(0, end).split('\r\n');
      const [method = 'GET', path = '/'] = line.split(' ');
      const headers: Record<string, string> = {};
      for (const h of rest) {
        const i = h.indexOf(':');
        if (i > 0) headers[h.slice(0, i).toLowerCase()] = h.slice(i + 1).trim();
      }
      requests.push({ method, path, headers, body: buf.slice(end + 4) });
      const head = buf.slice(0, end);
      buf = '';
      const a = answer(head);
      if (a === undefined) return; // a black hole: the client times out
      sock.write(a);
      if (o.closeAfter !== false) sock.end();
    });
    sock.on('error', () => {});
  });
  const close = track(server);
  const l = await listen(server, o.socket === true);
  return {
    url: l.url,
    ...(l.socketPath === undefined ? {} : { socketPath: l.socketPath }),
    requests,
    close: async () => {
      await close();
      l.cleanup();
    },
  };
}

// ---- answers -------------------------------------------------------------------------------

/** Escape sequences a hostile name or body carries: set the window title, clear the screen, C1 CSI. */
export const ESCAPES = '\u001b]0;pwned\u0007\u001b[2J\u001b[H\u009b31m';

/** Every byte of a body echoed back inside an OpenStack-shaped error, as a careless server does. */
export function echoBody(req: Exchange, extra = ''): string {
  return JSON.stringify({
    error: {
      code: 401,
      title: 'Unauthorized',
      message: `The request you have made requires authentication. ${extra}Request: ${req.method} ${req.path} ${JSON.stringify(req.headers)} ${req.body}`,
    },
  });
}

export function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(text);
}

/** A raw HTTP response (header values and body as given, control characters included). */
export function rawResponse(status: string, headers: Record<string, string>, body: Buffer | string): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const head = [
    `HTTP/1.1 ${status}`,
    ...Object.entries({ 'content-length': String(b.length), connection: 'close', ...headers }).map(
      ([k, v]) => `${k}: ${v}`,
    ),
  ];
  return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), b]);
}

/** A Content-Length that promises more than is sent; the connection then closes. */
export function truncatedResponse(body: string, promised: number): Buffer {
  return Buffer.from(
    `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${promised}\r\n\r\n${body}`,
    'latin1',
  );
}

/** Answers after ms, one byte at a time every `drip` ms (bounded: the server gives up at close). */
export function slowly(ms: number, body = 'late', drip = 0): Handler {
  return async (_req, res) => {
    await new Promise((r) => setTimeout(r, ms));
    if (res.destroyed) return;
    res.writeHead(200, { 'content-type': 'text/plain' });
    for (const ch of body) {
      if (res.destroyed) return;
      res.write(ch);
      if (drip > 0) await new Promise((r) => setTimeout(r, drip));
    }
    res.end();
  };
}

/** A body of n bytes, streamed chunked. */
export function huge(n: number, chunk = 64 * 1024): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    const block = Buffer.alloc(chunk, 0x61);
    let left = n;
    const pump = () => {
      while (left > 0) {
        const part = left >= chunk ? block : block.subarray(0, left);
        left -= part.length;
        if (!res.write(part)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    pump();
  };
}

/** A redirect to another host. */
export function redirectTo(location: string, status = 302): Handler {
  return (_req, res) => {
    res.writeHead(status, { location, 'content-type': 'text/plain' });
    res.end(`moved to ${location}`);
  };
}

/** Nova's server list that sends the same page, with a next link to itself, forever. */
export function loopingServerList(servers: unknown[]): Handler {
  return (req, res) => {
    json(res, 200, {
      servers,
      servers_links: [{ rel: 'next', href: `http://${req.headers.host}${req.path}` }],
    });
  };
}

/** The largest growth of this process's resident memory while `work` runs (sampled every 10 ms). */
export async function peakRssGrowth<T>(work: () => Promise<T>): Promise<{ result: T; growth: number }> {
  globalThis.gc?.();
  const start = process.memoryUsage.rss();
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { result, growth: peak - start };
  } finally {
    clearInterval(timer);
  }
}

/**
 * What a test file's tests start and leave behind: push servers and clean-ups onto these arrays;
 * after each test the servers are closed and the clean-ups run. Call at module level.
 */
export function useTeardown(): { servers: FakeServer[]; cleanups: Array<() => void> } {
  const t = { servers: [] as FakeServer[], cleanups: [] as Array<() => void> };
  afterEach(async () => {
    await Promise.all(t.servers.splice(0).map((s) => s.close()));
    for (const c of t.cleanups.splice(0)) c();
  });
  return t;
}
