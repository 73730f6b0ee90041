// haproxy's own answers on the metadata path (its built-in error pages: `text/html`, no charset,
// `<html><body><h1>NNN …</h1>`), what each means for a guest, and which hop it points at.
// neutron's proxies answer 429 only when [metadata_rate_limiting] rate_limit_enabled = True
// (neutron/common/metadata.py RATE_LIMITED_CONFIG_TEMPLATE: `http-request deny deny_status 429`).

export type HaproxyPageKind =
  | 'rate-limited'
  | 'no-server'
  | 'server-timeout'
  | 'bad-gateway'
  | 'denied'
  | 'request-timeout'
  | 'other';

export interface HaproxyPage {
  kind: HaproxyPageKind;
  status: number;
  /** one line for people */
  meaning: string;
}

const PAGES: Record<number, [HaproxyPageKind, string]> = {
  429: [
    'rate-limited',
    "haproxy answered its own 429 (Too Many Requests): this source address went over the proxy's request rate limit ([metadata_rate_limiting] in the agent's config)",
  ],
  503: [
    'no-server',
    "haproxy answered its own 503 (No server is available): it cannot connect to the agent's socket (missing, stale, another path, or EACCES)",
  ],
  504: [
    'server-timeout',
    "haproxy answered its own 504 after its 'timeout server' (32 s): the agent did not answer in time",
  ],
  502: ['bad-gateway', 'haproxy answered its own 502: the agent broke the response (a worker crashed?)'],
  403: ['denied', 'haproxy answered its own 403: an http-request deny rule refused the request'],
  408: ['request-timeout', 'haproxy answered 408: the request did not reach it in time'],
};

/** Whether a response is haproxy's own page: its form, not who relayed it. */
export function isHaproxyPage(headers: Record<string, string>, body: string): boolean {
  const ct = (headers['content-type'] ?? '').toLowerCase();
  return ct === 'text/html' && body.startsWith('<html><body><h1>');
}

/** What haproxy's own page means (call only for haproxy's pages: see isHaproxyPage). */
export function classifyHaproxyPage(status: number): HaproxyPage {
  const known = PAGES[status];
  return known
    ? { kind: known[0], status, meaning: known[1] }
    : { kind: 'other', status, meaning: `haproxy answered its own ${status} page` };
}
