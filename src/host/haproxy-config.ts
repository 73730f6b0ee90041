import {
  HEADER_NEUTRON_NETWORK_ID as HEADER_NETWORK_ID,
  HEADER_OVN_NETWORK_ID,
  HEADER_NEUTRON_ROUTER_ID as HEADER_ROUTER_ID,
} from '../metadata/protocol.js';

// haproxy configs written by neutron's metadata drivers (neutron/agent/metadata/driver.py
// _HAPROXY_CONFIG_TEMPLATE; neutron/agent/ovn/metadata/driver.py for OVN).

export interface HaproxyBind {
  raw: string;
  /** address without brackets; '' for a bare ":port" */
  host: string;
  port: number;
  interface?: string;
}

export type MetadataResource = 'network' | 'router' | 'ovn-network';

export interface HaproxyHeaderRule {
  action: 'set' | 'add' | 'del';
  name: string;
  value?: string;
}

export interface HaproxyConfig {
  path: string;
  user?: string;
  group?: string;
  pidfile?: string;
  logTag?: string;
  binds: HaproxyBind[];
  /** `server <name> <address>`; a UNIX socket is an absolute path (or unix@/path) */
  servers: { name: string; address: string }[];
  headers: HaproxyHeaderRule[];
  timeouts: Record<string, string>;
  /** the resource header haproxy sets or adds (X-Neutron-Network-ID, X-Neutron-Router-ID, X-OVN-Network-ID) */
  resource?: { kind: MetadataResource; header: string; id: string };
  /** `nbthread` in global (neutron 2024.1+ writes 2) */
  nbthread?: number;
  /** neutron's [metadata_rate_limiting]: the deny rules and the windows of the tables they read */
  rateLimit?: HaproxyRateLimit[];
}

/** `http-request deny deny_status 429 if { src_http_req_rate(<table>) gt <max> }` with its table's window. */
export interface HaproxyRateLimit {
  table: string;
  /** requests allowed per window, per source address */
  max: number;
  /** the window of http_req_rate(<n>s) in the table's stick-table; undefined if the table is not found */
  windowS?: number;
  status: number;
}

const DENY_RATE =
  /^http-request\s+deny\s+deny_status\s+(\d{3})\s+if\s+\{\s*src_http_req_rate\(([^)\s]+)\)\s+gt\s+(\d+)\s*\}$/;
const STICK_RATE = /\bstore\s+(?:\S+,)?http_req_rate\((\d+)(ms|s|m)?\)/;

export { HEADER_NETWORK_ID, HEADER_OVN_NETWORK_ID, HEADER_ROUTER_ID };

const RESOURCE_HEADERS: Record<string, MetadataResource> = {
  'x-neutron-network-id': 'network',
  'x-neutron-router-id': 'router',
  'x-ovn-network-id': 'ovn-network',
};

/** haproxy 2.6: the last colon separates the port, brackets optional (`fe80::a9fe:a9fe:80`, `:::9697`). */
export function parseBindAddress(spec: string): { host: string; port: number } | undefined {
  const bracketed = /^\[([^\]]*)\]:(\d+)$/.exec(spec);
  if (bracketed) return { host: bracketed[1]!, port: Number(bracketed[2]) };
  const i = spec.lastIndexOf(':');
  if (i < 0) return undefined;
  const port = Number(spec.slice(i + 1));
  if (!Number.isInteger(port) || port <= 0 || port > 65535) return undefined;
  return { host: spec.slice(0, i), port };
}

export function parseHaproxyConfig(text: string, path = '<string>'): HaproxyConfig {
  const cfg: HaproxyConfig = { path, binds: [], servers: [], headers: [], timeouts: {} };
  let section = '';
  const windows = new Map<string, number>();
  const denies: HaproxyRateLimit[] = [];
  for (const rawLine of text.split(/\r?\n/)) {
    // indexOf, not /#.*$/: that backtracks quadratically on a long comment ended by U+2028
    const hash = rawLine.indexOf('#');
    const line = (hash < 0 ? rawLine : rawLine.slice(0, hash)).trim();
    if (line === '') continue;
    const words = line.split(/\s+/);
    const [kw, a, b, c] = words;
    const deny = DENY_RATE.exec(words.join(' '));
    if (deny) {
      denies.push({ table: deny[2]!, max: Number(deny[3]), status: Number(deny[1]) });
      continue;
    }
    switch (kw) {
      case 'global':
      case 'defaults':
      case 'frontend':
      case 'listen':
      case 'backend':
        section = a ?? '';
        break;
      case 'nbthread':
        if (a !== undefined && /^\d+$/.test(a)) cfg.nbthread = Number(a);
        break;
      case 'stick-table': {
        const m = STICK_RATE.exec(line);
        if (m && section !== '') {
          const n = Number(m[1]);
          windows.set(section, m[2] === 'ms' ? n / 1000 : m[2] === 'm' ? n * 60 : n);
        }
        break;
      }
      case 'user':
        cfg.user = a;
        break;
      case 'group':
        cfg.group = a;
        break;
      case 'pidfile':
        cfg.pidfile = a;
        break;
      case 'log-tag':
        cfg.logTag = a;
        break;
      case 'timeout':
        if (a !== undefined && b !== undefined) cfg.timeouts[a] = b;
        break;
      case 'bind': {
        const addr = a === undefined ? undefined : parseBindAddress(a);
        if (!addr) break;
        const bind: HaproxyBind = { raw: words.slice(1).join(' '), ...addr };
        const ifIdx = words.indexOf('interface');
        if (ifIdx > 0 && words[ifIdx + 1] !== undefined) bind.interface = words[ifIdx + 1]!;
        cfg.binds.push(bind);
        break;
      }
      case 'server':
        if (a !== undefined && b !== undefined) cfg.servers.push({ name: a, address: b });
        break;
      case 'http-request': {
        const action =
          a === 'set-header' ? 'set' : a === 'add-header' ? 'add' : a === 'del-header' ? 'del' : null;
        if (action === null || b === undefined) break;
        const rule: HaproxyHeaderRule = { action, name: b };
        if (c !== undefined) rule.value = words.slice(3).join(' ');
        cfg.headers.push(rule);
        const kind = RESOURCE_HEADERS[b.toLowerCase()];
        if (kind && action !== 'del' && rule.value !== undefined) {
          cfg.resource = { kind, header: b, id: rule.value };
        }
        break;
      }
      default:
        break;
    }
  }
  if (denies.length > 0) {
    cfg.rateLimit = denies.map((d) => {
      const w = windows.get(d.table);
      return w === undefined ? d : { ...d, windowS: w };
    });
  }
  return cfg;
}

/** "10 requests per 10 s (base_rate_limiter)", for details and causes. */
export function describeRateLimit(r: HaproxyRateLimit): string {
  return `more than ${r.max} requests per ${r.windowS === undefined ? '?' : `${r.windowS} s`} (${r.table})`;
}

/** The UNIX socket path of the first `server` line, or undefined when it is a TCP address. */
export function serverSocketPath(cfg: HaproxyConfig): string | undefined {
  const addr = cfg.servers[0]?.address;
  if (addr === undefined) return undefined;
  if (addr.startsWith('unix@')) return addr.slice(5);
  return addr.startsWith('/') ? addr : undefined;
}
