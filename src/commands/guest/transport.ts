import type { Context } from '../../context.js';
import type { HttpProbeResult } from '../../host/http-probe.js';
import { METADATA_HOST } from '../../metadata/protocol.js';

// The only traffic `osmeta guest` sends: to 169.254.169.254:80 and [fe80::a9fe:a9fe%<dev>]:80.
// The addresses are constants, not options; tests hand runGuest a fake transport instead.

export const METADATA_HOST_V6 = 'fe80::a9fe:a9fe';
export const METADATA_HTTP_PORT = 80;

export type ConnectOutcome = 'connected' | 'refused' | 'timeout' | 'unreachable' | 'error';

export interface ConnectResult {
  outcome: ConnectOutcome;
  latencyMs: number;
  /** errno code or message */
  error?: string;
}

export interface GuestTransport {
  /** a TCP connect to the metadata address, closed at once */
  connect(
    family: 4 | 6,
    o: { scope?: string; timeoutMs: number; signal?: AbortSignal },
  ): Promise<ConnectResult>;
  /** one bounded GET of a path on http://169.254.169.254 */
  get(path: string, o: { timeoutMs: number; maxBody: number }): Promise<HttpProbeResult>;
}

function connectOutcome(code: string | undefined): ConnectOutcome {
  switch (code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
    case 'EINVAL':
      return 'unreachable';
    case 'ETIMEDOUT':
      return 'timeout';
    default:
      return 'error';
  }
}

/** The real transport, on the Context's clock and timers. */
export function systemTransport(ctx: Pick<Context, 'clock' | 'sleep' | 'debug'>): GuestTransport {
  return {
    async connect(family, o) {
      const net = await import('node:net');
      const host = family === 4 ? METADATA_HOST : `${METADATA_HOST_V6}${o.scope ? `%${o.scope}` : ''}`;
      const started = ctx.clock();
      const bound = new AbortController();
      const r = await new Promise<ConnectResult>((resolve) => {
        let settled = false;
        const done = (outcome: ConnectOutcome, error?: string) => {
          if (settled) return;
          settled = true;
          bound.abort();
          socket.destroy();
          resolve({
            outcome,
            latencyMs: Math.round(ctx.clock() - started),
            ...(error === undefined ? {} : { error }),
          });
        };
        const socket = net.connect({ host, port: METADATA_HTTP_PORT, family });
        socket.once('connect', () => done('connected'));
        socket.once('error', (e: NodeJS.ErrnoException) => done(connectOutcome(e.code), e.code ?? e.message));
        o.signal?.addEventListener('abort', () => done('timeout', 'not waited for longer'), { once: true });
        ctx.sleep(o.timeoutMs, bound.signal).then(
          () => done('timeout', `no answer within ${o.timeoutMs} ms`),
          () => {},
        );
      });
      ctx.debug(
        `connect [${host}]:${METADATA_HTTP_PORT} → ${r.outcome}${r.error ? ` (${r.error})` : ''} in ${r.latencyMs} ms`,
      );
      return r;
    },
    async get(path, o) {
      const { httpProbe } = await import('../../host/http-probe.js');
      // cloud-init's Accept: webob then writes the same HTML pages the guest's tools see
      return httpProbe(
        {
          url: `http://${METADATA_HOST}${path}`,
          headers: { Accept: '*/*' },
          timeoutMs: o.timeoutMs,
          maxBody: o.maxBody,
        },
        ctx,
      );
    },
  };
}
