import type { Context } from '../../context.js';
import { decodeProcAddress } from '../../host/proc-net.js';
import { METADATA_HOST } from '../../metadata/protocol.js';
import { ipv4ToInt } from '../../util/ip.js';
import { type Lease, readLease } from './lease.js';
import type { Step } from './types.js';

// Step "route": the kernel's own answer for 169.254.169.254 (`ip -j route get`, or /proc/net/route
// where `ip` has no -j: busybox), the routes the DHCP client installed, and what the next hop is.

/** what the route's next hop most likely is, from what the guest can know */
export type GatewayKind = 'dhcp-port' | 'router' | 'ovn-metadata-port' | 'on-link' | 'unknown';

export interface RouteFacts {
  dev: string;
  /** the source address the kernel picks */
  src?: string;
  /** undefined: on-link */
  gateway?: string;
  /** the default route's gateway on the same device */
  defaultGateway?: string;
  /** the route to 169.254.169.254 is the default route (no host route from DHCP option 121) */
  viaDefault: boolean;
  kind: GatewayKind;
  /** where the facts came from */
  source: 'ip' | 'proc';
  lease?: Lease;
}

interface IpRoute {
  dst?: string;
  gateway?: string;
  dev?: string;
  prefsrc?: string;
}

const parseJsonArray = (s: string): IpRoute[] | undefined => {
  try {
    const v = JSON.parse(s) as unknown;
    return Array.isArray(v) ? (v as IpRoute[]) : undefined;
  } catch {
    return undefined;
  }
};

/** The routes of the main table from /proc/net/route (busybox guests): dst, mask, gateway, dev. */
export function parseProcNetRoute(
  text: string,
): { dst: number; mask: number; gateway?: string; dev: string; metric: number }[] {
  const out = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const flags = Number.parseInt(f[3]!, 16);
    if (!(flags & 0x1)) continue; // RTF_UP
    const dst = ipv4ToInt(decodeProcAddress(f[1]!));
    const mask = ipv4ToInt(decodeProcAddress(f[7]!));
    if (dst === undefined || mask === undefined) continue;
    const gw = decodeProcAddress(f[2]!);
    out.push({
      dst,
      mask,
      ...(flags & 0x2 && gw !== '0.0.0.0' ? { gateway: gw } : {}),
      dev: f[0]!,
      metric: Number(f[6]),
    });
  }
  return out;
}

const bits = (mask: number) => mask.toString(2).replace(/0/g, '').length;

/** Longest-prefix match of 169.254.169.254 in /proc/net/route's table. */
function procRouteGet(text: string): (IpRoute & { prefix: number }) | undefined {
  const target = ipv4ToInt(METADATA_HOST)!;
  const best = parseProcNetRoute(text)
    .filter((r) => (target & r.mask) >>> 0 === r.dst)
    .sort((a, b) => bits(b.mask) - bits(a.mask) || a.metric - b.metric)[0];
  if (!best) return undefined;
  return { dev: best.dev, prefix: bits(best.mask), ...(best.gateway ? { gateway: best.gateway } : {}) };
}

export function gatewayKind(
  gateway: string | undefined,
  defaultGateway: string | undefined,
  lease?: Lease,
): GatewayKind {
  if (gateway === undefined) return 'on-link';
  if (lease?.serverId !== undefined && gateway === lease.serverId) return 'dhcp-port';
  if (gateway === defaultGateway || (lease?.routers ?? []).includes(gateway)) return 'router';
  // OVN answers DHCP itself (server id: the router's address); its metadata port is neither
  if (lease?.serverId !== undefined) return 'ovn-metadata-port';
  return 'unknown';
}

const KIND_TEXT: Record<GatewayKind, string> = {
  'dhcp-port': "the DHCP port (isolated network: haproxy in the network's qdhcp- namespace)",
  router: "the router (routed network: haproxy in the router's qrouter- namespace)",
  'ovn-metadata-port': "OVN's metadata port (haproxy in the network's ovnmeta- namespace)",
  'on-link':
    'on-link: whatever answers ARP for 169.254.169.254 (a DHCP port or OVN metadata port holding it)',
  unknown:
    "a host route that is not the default gateway: the DHCP port of an isolated network or OVN's metadata port (no readable DHCP lease tells which)",
};

export function kindText(k: GatewayKind): string {
  return KIND_TEXT[k];
}

export async function routeStep(
  ctx: Context,
  timeoutMs: number,
): Promise<{ step: Step; facts?: RouteFacts }> {
  const started = ctx.clock();
  const target = `${METADATA_HOST} (ip route get)`;
  const elapsed = () => ctx.clock() - started;
  // the kernel's answer for the address, and its table (for the host route and the default) from /proc
  const [get, procText] = await Promise.all([
    ctx.exec('ip', ['-j', 'route', 'get', METADATA_HOST], { timeoutMs }).catch(() => undefined),
    ctx.fs.readFile('/proc/net/route', 'utf8').catch(() => undefined),
  ]);
  const table = procText === undefined ? [] : parseProcNetRoute(procText);
  let route: (IpRoute & { prefix?: number }) | undefined;
  let source: RouteFacts['source'] = 'ip';
  const parsed = get?.code === 0 ? parseJsonArray(get.stdout) : undefined;
  if (parsed) {
    route = parsed[0];
  } else if (get && get.code !== 0 && /unreachable|no route/i.test(get.stderr)) {
    route = undefined;
  } else if (procText !== undefined) {
    // no `ip`, or one without -j (busybox): the longest match in the kernel's table
    source = 'proc';
    route = procRouteGet(procText);
  } else {
    return {
      step: {
        name: 'route',
        target,
        status: 'fail',
        detail: 'neither `ip -j route get` nor /proc/net/route could be read',
        durationMs: elapsed(),
        evidence: { ipError: get?.stderr.trim() ?? 'ip not found' },
        code: 'ROUTE_UNKNOWN',
        cause:
          'the route to 169.254.169.254 could not be read: no `ip` with JSON output and no /proc/net/route',
        fix: 'run it where /proc is mounted, or install iproute2',
      },
    };
  }
  if (!route?.dev) {
    return {
      step: {
        name: 'route',
        target,
        status: 'fail',
        detail: 'no route to 169.254.169.254',
        durationMs: elapsed(),
        evidence: { source, error: get?.stderr.trim() ?? '' },
        code: 'NO_ROUTE',
        cause:
          'the guest has no route to 169.254.169.254: no address or default route, and no host route from DHCP (option 121)',
        fix: 'check that the guest got a DHCP lease (ip addr); on an isolated network the DHCP agent needs enable_isolated_metadata = True to push the route; OVN pushes it itself (option 121)',
      },
    };
  }
  const dev = route.dev;
  const defaultGateway = table.find((r) => r.dst === 0 && r.mask === 0 && r.dev === dev)?.gateway;
  const target32 = ipv4ToInt(METADATA_HOST)!;
  const host = table.find((r) => r.dst === target32 && r.mask === 0xffffffff);
  const hostRoute = host ? { gateway: host.gateway ?? null, dev: host.dev } : null;
  const viaDefault =
    route.gateway !== undefined &&
    route.gateway === defaultGateway &&
    hostRoute === null &&
    (route.prefix === undefined || route.prefix === 0);
  const lease = await readLease(ctx, dev);
  const kind = gatewayKind(route.gateway, defaultGateway, lease);
  const facts: RouteFacts = {
    dev,
    ...(route.prefsrc ? { src: route.prefsrc } : {}),
    ...(route.gateway ? { gateway: route.gateway } : {}),
    ...(defaultGateway ? { defaultGateway } : {}),
    viaDefault,
    kind,
    source,
    ...(lease ? { lease } : {}),
  };
  const via = route.gateway ? `via ${route.gateway}` : 'on-link';
  const detail = `${via} dev ${dev}${route.prefsrc ? ` src ${route.prefsrc}` : ''}${viaDefault ? ' (the default route: no host route for 169.254.169.254)' : ''} — ${kindText(kind)}`;
  return {
    step: {
      name: 'route',
      target,
      status: 'ok',
      detail,
      durationMs: elapsed(),
      evidence: {
        source,
        dev,
        src: route.prefsrc ?? null,
        gateway: route.gateway ?? null,
        defaultGateway: defaultGateway ?? null,
        viaDefault,
        gatewayKind: kind,
        hostRoute,
        lease: lease ?? null,
      },
    },
    facts,
  };
}
