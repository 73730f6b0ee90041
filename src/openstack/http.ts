import type { Dispatcher } from 'undici';
import type { Context } from '../context.js';
import { OsmetaError, operationalError, usageError } from '../errors.js';
import { DEFAULT_MAX_RESPONSE_BYTES, MAX_TIMEOUT_SECONDS } from '../limits.js';
import { formatBytes } from '../safe-file.js';
import { fsReason } from '../util/fs-reason.js';
import { REDACTED, SECRET_HEADERS } from '../util/redact.js';
import { proxyFor } from './proxy.js';
import { Agent, loadProxyAgent, request } from './undici.js';

// The one HTTP layer: undici with connect and total timeouts, keep-alive, the proxy variables
// as requests reads them, request ids, and a --debug line per exchange with secrets redacted.
// Raw network errors become OsmetaErrors here and nowhere else.
//
// Bounded: a response body larger than maxResponseBytes (DEFAULT_MAX_RESPONSE_BYTES, 64 MiB, unless
// the client or the request raises it; the CLI flag is --max-response-size) is refused with
// ResponseTooLargeError (RESPONSE_TOO_LARGE, exit 1) before it is held in memory: request() stops
// reading at the limit (or at once when Content-Length says so). requestStream() hands the body
// out chunk by chunk under the same limit, for `get -o` to stream into writeStreamAtomic().

export interface TlsOptions {
  cacert?: string;
  cert?: string;
  key?: string;
  insecure?: boolean;
}

export interface HttpRequest {
  method?: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  tls?: TlsOptions;
  /** HTTP over this UNIX socket (the URL's host is only the Host header) */
  socketPath?: string;
  /** how the server is named in errors: "Keystone", "nova's metadata API" */
  service: string;
  /** this request's body limit, instead of the client's */
  maxResponseBytes?: number;
}

export interface HttpResponse {
  url: string;
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  durationMs: number;
  requestId?: string;
}

export { REDACTED, SECRET_HEADERS };

/** Why a request never got an answer. */
export type TransportFailure =
  | 'refused'
  | 'timeout'
  | 'dns'
  | 'unreachable'
  | 'reset'
  | 'tls'
  | 'socket-missing'
  | 'socket-denied'
  | 'other';

export class TransportError extends OsmetaError {
  readonly failure: TransportFailure;
  readonly url: string;
  constructor(
    failure: TransportFailure,
    url: string,
    message: string,
    hint: string | undefined,
    cause: unknown,
  ) {
    super(
      failure === 'timeout' ? 'TIMEOUT' : failure === 'tls' ? 'TLS_ERROR' : 'CONNECTION_FAILED',
      1,
      message,
      hint === undefined ? { cause } : { hint, cause },
    );
    this.failure = failure;
    this.url = url;
  }
}

export interface HttpClientOptions {
  /** seconds, for connecting and for the whole exchange; at most MAX_TIMEOUT_SECONDS */
  timeout: number;
  /** the largest response body read (DEFAULT_MAX_RESPONSE_BYTES unless given) */
  maxResponseBytes?: number;
}

/** A response whose body has not been read: iterate body (bounded) or call discard(). */
export interface HttpStreamResponse extends Omit<HttpResponse, 'body'> {
  body: AsyncIterable<Buffer>;
  discard(): void;
}

export class ResponseTooLargeError extends OsmetaError {
  readonly maxBytes: number;
  constructor(service: string, where: string, maxBytes: number) {
    super(
      'RESPONSE_TOO_LARGE',
      1,
      `${service} at ${where}: the response is larger than ${formatBytes(maxBytes)}`,
      {
        hint: `osmeta reads at most ${formatBytes(maxBytes)} of a response: raise the limit with --max-response-size if this one is expected`,
      },
    );
    this.maxBytes = maxBytes;
  }
}

export class HttpClient {
  private readonly agents = new Map<string, Dispatcher>();
  private readonly ctx: Context;
  private readonly timeoutMs: number;

  private readonly maxResponseBytes: number;

  constructor(ctx: Context, o: HttpClientOptions) {
    this.ctx = ctx;
    // above Node's timer limit a timeout fires at once (TimeoutOverflowWarning): refuse it here too
    if (!(o.timeout > 0) || o.timeout > MAX_TIMEOUT_SECONDS) {
      throw usageError(
        'INVALID_OPTION',
        `the timeout must be more than 0 and at most ${MAX_TIMEOUT_SECONDS} seconds`,
      );
    }
    this.timeoutMs = Math.max(1, Math.round(o.timeout * 1000));
    this.maxResponseBytes = o.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  }

  /** The whole exchange, the body read into memory (at most the size limit). */
  async request(r: HttpRequest): Promise<HttpResponse> {
    const started = this.ctx.clock();
    const head = await this.send(r);
    let body: Buffer;
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of head.body) chunks.push(chunk);
      body = Buffer.concat(chunks);
    } catch (err) {
      head.discard();
      throw err;
    }
    const { discard: _d, body: _b, ...rest } = head;
    // the whole exchange, body included, as callers that subtract server time expect
    return { ...rest, body, durationMs: this.ctx.clock() - started };
  }

  /** The status and headers; the body is read by iterating it, bounded by the size limit. */
  async requestStream(r: HttpRequest): Promise<HttpStreamResponse> {
    return this.send(r);
  }

  private async send(r: HttpRequest): Promise<HttpStreamResponse> {
    const method = r.method ?? 'GET';
    const started = this.ctx.clock();
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = AbortSignal.any([this.ctx.signal, timeout]);
    const max = r.maxResponseBytes ?? this.maxResponseBytes;
    let res: Dispatcher.ResponseData;
    const dispatcher = await this.dispatcherFor(r);
    const fail = (err: unknown): never => {
      const ms = this.ctx.clock() - started;
      if (this.ctx.signal.aborted) throw err;
      if (err instanceof ResponseTooLargeError) {
        this.ctx.debug(
          `http ${method} ${describeTarget(r)} → larger than ${formatBytes(max)} after ${fmtMs(ms)}`,
        );
        throw err;
      }
      const e = translate(err, r, timeout.aborted, this.timeoutMs);
      this.ctx.debug(
        `http ${method} ${describeTarget(r)} → ${e.failure} after ${fmtMs(ms)}${headerNote(r.headers)}`,
      );
      throw e;
    };
    try {
      const url = new URL(r.url);
      res = await request(dispatcher, {
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: method as Dispatcher.HttpMethod,
        headers: r.headers ?? {},
        ...(r.body === undefined ? {} : { body: r.body }),
        signal,
      });
    } catch (err) {
      return fail(err);
    }
    const durationMs = this.ctx.clock() - started;
    const headers = flattenHeaders(res.headers);
    const requestId = headers['x-openstack-request-id'] ?? headers['x-compute-request-id'];
    this.ctx.debug(
      `http ${method} ${describeTarget(r)} → ${res.statusCode} in ${fmtMs(durationMs)}` +
        `${requestId ? ` (${requestId})` : ''}${headerNote(r.headers)}`,
    );
    const where = r.socketPath === undefined ? new URL(r.url).host : r.socketPath;
    const tooLarge = () => new ResponseTooLargeError(r.service, where, max);
    const raw = res.body;
    const discard = () => {
      raw.destroy();
    };
    const declared = Number(headers['content-length']);
    async function* bounded(): AsyncGenerator<Buffer> {
      let total = 0;
      try {
        if (Number.isFinite(declared) && declared > max) throw tooLarge();
        for await (const chunk of raw) {
          const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
          total += buf.length;
          if (total > max) throw tooLarge();
          yield buf;
        }
      } catch (err) {
        discard();
        fail(err);
      }
    }
    return {
      url: r.url,
      status: res.statusCode,
      headers,
      body: bounded(),
      durationMs,
      discard,
      ...(requestId === undefined ? {} : { requestId }),
    };
  }

  /** Closes every connection this client opened. */
  async close(): Promise<void> {
    const all = [...this.agents.values()];
    this.agents.clear();
    await Promise.all(all.map((a) => a.close().catch(() => {})));
  }

  private async dispatcherFor(r: HttpRequest): Promise<Dispatcher> {
    // A socket request always goes to the real socket; everything else to the test's dispatcher if any.
    if (r.socketPath === undefined && this.ctx.dispatcher) return this.ctx.dispatcher;
    const url = new URL(r.url);
    const proxy = r.socketPath === undefined ? proxyFor(url, this.ctx.env) : undefined;
    const tls = url.protocol === 'https:' ? (r.tls ?? {}) : {};
    const key = JSON.stringify([r.socketPath ?? '', proxy ?? '', tls]);
    let agent = this.agents.get(key);
    if (agent) return agent;
    const connect = {
      timeout: this.timeoutMs,
      ...(await this.tlsConnectOptions(tls)),
      ...(r.socketPath === undefined ? {} : { socketPath: r.socketPath }),
    };
    const common = { headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs };
    if (proxy) {
      const ProxyAgent = await loadProxyAgent();
      agent = new ProxyAgent({
        uri: proxy,
        requestTls: connect,
        proxyTls: { timeout: this.timeoutMs },
        // requests sends plain-http requests to the proxy as absolute URIs and tunnels https
        proxyTunnel: url.protocol === 'https:',
        ...common,
      });
      this.ctx.debug(`http: ${url.host} through proxy ${redactUrl(proxy)}`);
    } else {
      agent = new Agent({ connect, ...common });
    }
    this.agents.set(key, agent);
    return agent;
  }

  private async tlsConnectOptions(tls: TlsOptions): Promise<Record<string, unknown>> {
    const o: Record<string, unknown> = {};
    if (tls.insecure) o.rejectUnauthorized = false;
    else if (tls.cacert) o.ca = await this.readPem(tls.cacert, 'CA bundle');
    if (tls.cert) {
      o.cert = await this.readPem(tls.cert, 'client certificate');
      // a PEM holding both is fine: the key is then in the certificate file
      o.key = await this.readPem(tls.key ?? tls.cert, 'client key');
    }
    return o;
  }

  private async readPem(path: string, what: string): Promise<string> {
    try {
      return await this.ctx.fs.readFile(path, 'utf8');
    } catch (err) {
      throw operationalError('TLS_FILE_UNREADABLE', `cannot read the ${what} ${path}: ${fsReason(err)}`);
    }
  }
}

function flattenHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

export const fmtMs = (ms: number) => `${Math.round(ms)} ms`;

function describeTarget(r: HttpRequest): string {
  return r.socketPath === undefined ? redactUrl(r.url) : `unix:${r.socketPath} ${new URL(r.url).pathname}`;
}

/** Drops user:password from a URL (proxies carry them). */
export function redactUrl(u: string): string {
  try {
    const url = new URL(u);
    if (url.password) url.password = REDACTED;
    return url.toString();
  } catch {
    return u;
  }
}

/** The request headers worth seeing in a debug line, secrets redacted. */
export function headerNote(headers: Record<string, string> | undefined): string {
  if (!headers) return '';
  const shown = Object.entries(headers)
    .filter(([k]) => /^x-/i.test(k))
    .map(([k, v]) => `${k}: ${SECRET_HEADERS.has(k.toLowerCase()) ? REDACTED : v}`);
  return shown.length > 0 ? ` [${shown.join(', ')}]` : '';
}

const TLS_CODES =
  /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|EPROTO|HOSTNAME_MISMATCH)/;

function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET' && code !== 'UND_ERR_ABORTED') return code;
    e = (e as { cause?: unknown }).cause;
  }
  const top = (err as { code?: unknown } | undefined)?.code;
  return typeof top === 'string' ? top : undefined;
}

function errorText(err: unknown): string {
  let e: unknown = err;
  let msg = '';
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    const m = (e as { message?: unknown }).message;
    if (typeof m === 'string' && m !== '') msg = m;
    e = (e as { cause?: unknown }).cause;
  }
  return msg.split('\n')[0] ?? '';
}

/** An HTTPS request, no client certificate sent, and the socket closed before a byte of answer. */
function clientCertRequired(err: unknown, url: URL, r: HttpRequest): boolean {
  if (url.protocol !== 'https:' || r.tls?.cert !== undefined || r.socketPath !== undefined) return false;
  const e = err as { code?: unknown; socket?: { bytesRead?: unknown } } | undefined;
  const alert = errorCode(err);
  if (alert === 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED') return true;
  return e?.code === 'UND_ERR_SOCKET' && e.socket?.bytesRead === 0;
}

function translate(err: unknown, r: HttpRequest, timedOut: boolean, timeoutMs: number): TransportError {
  if (err instanceof TransportError) return err;
  const url = new URL(r.url);
  const where = r.socketPath === undefined ? url.host : r.socketPath;
  const code = errorCode(err);
  const secs = `${timeoutMs / 1000} s`;
  const mk = (f: TransportFailure, why: string, hint?: string) =>
    new TransportError(f, r.url, `${r.service} at ${where}: ${why}`, hint, err);
  if (
    timedOut ||
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'ETIMEDOUT' ||
    (err instanceof Error && err.name === 'TimeoutError')
  ) {
    return mk(
      'timeout',
      `no answer within ${secs}`,
      'check the address and the firewall, or raise --timeout',
    );
  }
  if (r.socketPath !== undefined) {
    if (code === 'ENOENT') return mk('socket-missing', 'no such socket');
    if (code === 'EACCES' || code === 'EPERM') return mk('socket-denied', 'permission denied');
    if (code === 'ECONNREFUSED') return mk('refused', 'nothing listens on the socket (a stale socket file)');
    if (code === 'ENOTSOCK') return mk('socket-missing', 'not a socket');
  }
  switch (code) {
    case 'ECONNREFUSED':
      return mk('refused', 'connection refused');
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NONAME':
      return mk('dns', `cannot resolve ${url.hostname}`);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return mk('unreachable', 'no route to the host');
    case 'ECONNRESET':
    case 'EPIPE':
      return mk('reset', 'the connection was reset');
  }
  if (code && TLS_CODES.test(code)) {
    return mk(
      'tls',
      `TLS failed: ${errorText(err) || code}`,
      'give the CA bundle (--os-cacert / --metadata-cacert)',
    );
  }
  if (clientCertRequired(err, url, r)) {
    // TLS 1.3: the server's "certificate required" alert comes after the handshake, as a close
    return mk(
      'tls',
      'TLS failed: the server closed the connection before answering, as a server that requires a client certificate does',
      'give a client certificate and key (--os-cert / --os-key, or cert and key in clouds.yaml)',
    );
  }
  if (code === 'UND_ERR_SOCKET' || (err as { code?: unknown })?.code === 'UND_ERR_SOCKET') {
    return mk('reset', 'the server closed the connection without an answer');
  }
  return mk('other', errorText(err) || String(err));
}
