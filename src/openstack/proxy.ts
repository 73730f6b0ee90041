import { isIPv4 } from 'node:net';
import { ipv4ToInt } from '../util/ip.js';

// The proxy variables as python-requests reads them (openstacksdk's HTTP stack):
// urllib.request.getproxies_environment — lower case wins over upper case, HTTP_PROXY is ignored
// under CGI (REQUEST_METHOD set), all_proxy is the fallback; requests.utils.should_bypass_proxies —
// no_proxy entries are host suffixes, host:port, IPv4 addresses or CIDR ranges, "*" for all.

type Env = Record<string, string | undefined>;

function envProxy(env: Env, name: string): string | undefined {
  const lower = env[name.toLowerCase()];
  if (lower !== undefined && lower !== '') return lower;
  if (name === 'http_proxy' && env.REQUEST_METHOD !== undefined) return undefined;
  const upper = env[name.toUpperCase()];
  return upper !== undefined && upper !== '' ? upper : undefined;
}

/** The proxy URL for a request to url, or undefined for a direct connection. */
export function proxyFor(url: URL, env: Env): string | undefined {
  const scheme = url.protocol.replace(/:$/, '');
  const proxy = envProxy(env, `${scheme}_proxy`) ?? envProxy(env, 'all_proxy');
  if (proxy === undefined) return undefined;
  if (bypassProxy(url, envProxy(env, 'no_proxy'))) return undefined;
  // a proxy given without a scheme is an http proxy (urllib3's prepend_scheme_if_needed)
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`;
}

export function bypassProxy(url: URL, noProxy: string | undefined): boolean {
  if (noProxy === undefined) return false;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  for (const raw of noProxy.replace(/\s/g, '').split(',')) {
    const entry = raw.toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    if (isIPv4(host)) {
      if (entry.includes('/') ? inCidr(host, entry) : entry === host) return true;
      continue;
    }
    const hostWithPort = `${host}:${port}`;
    const suffix = entry.startsWith('.') ? entry : `.${entry}`;
    if (host === entry || hostWithPort === entry || host.endsWith(suffix) || hostWithPort.endsWith(suffix)) {
      return true;
    }
  }
  return false;
}

function inCidr(ip: string, cidr: string): boolean {
  const [net, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  if (net === undefined || !isIPv4(net) || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const size = 2 ** (32 - bits);
  return Math.floor(ipv4ToInt(ip)! / size) === Math.floor(ipv4ToInt(net)! / size);
}
