import type { IncomingHttpHeaders } from 'node:http';
import type { Context } from '../context.js';
import { REDACTED, SECRET_HEADERS } from '../util/redact.js';

// One bounded HTTP/1.1 exchange over TCP or a UNIX socket (node:http: no undici at start-up): the
// transport only. What an answer means is src/metadata/'s (internals §4.5, §1.6, end of §7).

/** who wrote an answer (src/metadata/error-page.ts tells them apart) */
export type ResponseForm = 'haproxy' | 'webob' | 'other';

export interface HttpProbeRequest {
  url: string;
  /** connect to this UNIX socket instead of the URL's host:port */
  socketPath?: string;
  method?: string;
  headers?: Record<string, string>;
  timeoutMs: number;
  /** https: skip certificate verification (the agent's nova_metadata_insecure) */
  insecure?: boolean;
  /** bytes of body kept (default 64 KiB) */
  maxBody?: number;
}

export type ProbeOutcome =
  | 'response'
  | 'refused'
  | 'no-socket'
  | 'denied'
  | 'hang'
  | 'connect-timeout'
  | 'reset'
  | 'unreachable'
  | 'error';

export interface HttpProbeResult {
  outcome: ProbeOutcome;
  /** the TCP/UNIX connection was established */
  connected: boolean;
  latencyMs: number;
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  form?: ResponseForm;
  /** errno code or message when there was no response */
  error?: string;
}

export function describeRequest(req: HttpProbeRequest): string {
  const hs = Object.entries(req.headers ?? {})
    .map(([k, v]) => `${k}: ${SECRET_HEADERS.has(k.toLowerCase()) ? REDACTED : v}`)
    .join(', ');
  const via = req.socketPath ? ` via ${req.socketPath}` : '';
  return `${req.method ?? 'GET'} ${req.url}${via}${hs ? ` [${hs}]` : ''}`;
}

/** What a probe needs of the Context: the clock, a timer, and the --debug log. */
export type ProbeClock = Pick<Context, 'clock' | 'sleep' | 'debug'>;

export async function httpProbe(req: HttpProbeRequest, env: ProbeClock): Promise<HttpProbeResult> {
  const started = env.clock();
  // bounds the whole exchange; cancelled once it settles
  const bound = new AbortController();
  const url = new URL(req.url);
  const https = url.protocol === 'https:';
  const mod = https ? await import('node:https') : await import('node:http');
  const maxBody = req.maxBody ?? 64 * 1024;
  const result = await new Promise<HttpProbeResult>((resolve) => {
    let connected = false;
    let settled = false;
    const done = (r: Omit<HttpProbeResult, 'latencyMs' | 'connected'>) => {
      if (settled) return;
      settled = true;
      bound.abort();
      resolve({ ...r, connected, latencyMs: Math.round(env.clock() - started) });
    };
    const options: Record<string, unknown> = {
      method: req.method ?? 'GET',
      path: `${url.pathname}${url.search}`,
      headers: { Host: url.host || 'localhost', ...req.headers },
      agent: false,
    };
    if (req.socketPath) options.socketPath = req.socketPath;
    else {
      options.host = url.hostname.replace(/^\[|\]$/g, '');
      options.port = url.port === '' ? (https ? 443 : 80) : Number(url.port);
    }
    if (https) options.rejectUnauthorized = req.insecure !== true;
    const r = mod.request(options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < maxBody) chunks.push(c);
        size += c.length;
      });
      res.on('end', () => {
        const body = Buffer.concat(chunks).subarray(0, maxBody).toString('utf8');
        const headers = flatHeaders(res.headers);
        const status = res.statusCode ?? 0;
        done({ outcome: 'response', status, headers, body });
      });
      res.on('error', (err: NodeJS.ErrnoException) =>
        done({ outcome: 'reset', error: err.code ?? err.message }),
      );
    });
    r.on('socket', (s) => {
      const mark = () => {
        connected = true;
      };
      if ((s as { connecting?: boolean }).connecting === false) mark();
      else s.once(https ? 'secureConnect' : 'connect', mark);
    });
    r.on('error', (err: NodeJS.ErrnoException) => {
      done({ outcome: outcomeOf(err), error: err.code ?? err.message });
    });
    env.sleep(req.timeoutMs, bound.signal).then(
      () => {
        done({
          outcome: connected ? 'hang' : 'connect-timeout',
          error: `no answer within ${req.timeoutMs} ms`,
        });
        r.destroy();
      },
      () => {},
    );
    r.end();
  });
  env.debug(
    `${describeRequest(req)} → ${result.status ?? result.outcome}${result.error ? ` (${result.error})` : ''} in ${result.latencyMs} ms`,
  );
  return result;
}

function flatHeaders(h: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function outcomeOf(err: NodeJS.ErrnoException): ProbeOutcome {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ENOENT':
    case 'ENOTDIR':
      return 'no-socket';
    case 'EACCES':
    case 'EPERM':
      return 'denied';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'HPE_INVALID_CONSTANT':
    case 'HPE_INVALID_VERSION':
      return 'reset';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return 'unreachable';
    case 'ETIMEDOUT':
      return 'connect-timeout';
    default:
      return err.message === 'socket hang up' ? 'reset' : 'error';
  }
}

/** A probe result as shipped back from `osmeta __probe-http` run inside a namespace. */
export function isHttpProbeResult(v: unknown): v is HttpProbeResult {
  return typeof v === 'object' && v !== null && typeof (v as HttpProbeResult).outcome === 'string';
}
