import type { Context } from '../../context.js';
import { METADATA_HOST } from '../../metadata/protocol.js';
import type { RouteFacts } from './route.js';
import {
  type ConnectResult,
  type GuestTransport,
  METADATA_HOST_V6,
  METADATA_HTTP_PORT,
} from './transport.js';
import type { Step } from './types.js';

// Steps "tcp" and "tcp6": a TCP connect to the metadata address, with its latency.

const NAMESPACE_OF: Record<RouteFacts['kind'], string> = {
  'dhcp-port': 'qdhcp-<network id>',
  router: 'qrouter-<router id>',
  'ovn-metadata-port': 'ovnmeta-<network id>',
  'on-link': 'qdhcp-<network id> or ovnmeta-<network id>',
  unknown: 'qdhcp-<network id> or ovnmeta-<network id>',
};

export function tcpStep(r: ConnectResult, route: RouteFacts, timeoutMs: number): Step {
  const base = {
    name: 'tcp' as const,
    target: `${METADATA_HOST}:${METADATA_HTTP_PORT}`,
    durationMs: r.latencyMs,
    evidence: { outcome: r.outcome, latencyMs: r.latencyMs, error: r.error ?? null },
  };
  const ns = NAMESPACE_OF[route.kind];
  const hop = route.gateway ?? METADATA_HOST;
  switch (r.outcome) {
    case 'connected':
      return { ...base, status: 'ok', detail: `connected in ${r.latencyMs} ms` };
    case 'refused':
      return {
        ...base,
        status: 'fail',
        detail: 'connection refused',
        code: 'NOTHING_LISTENS',
        cause:
          route.kind === 'router'
            ? `the router ${hop} refused port 80: its haproxy (9697) is not running, or the qrouter- namespace lost the nat REDIRECT of 169.254.169.254:80 to 9697`
            : `${hop} refused port 80: no haproxy listens on 169.254.169.254:80 in the namespace serving this network (dead or never started)`,
        fix: `on the network node: sudo osmeta trace --netns ${ns} (the DHCP/L3 agent's ProcessMonitor respawns a dead haproxy unless check_child_processes_interval = 0)`,
      };
    case 'unreachable':
      return {
        ...base,
        status: 'fail',
        detail: `unreachable (${r.error ?? 'no route to host'}) after ${r.latencyMs} ms`,
        code: route.viaDefault ? 'NO_METADATA_ROUTE' : 'HOST_UNREACHABLE',
        cause: route.viaDefault
          ? `no host answers for 169.254.169.254: it is routed via the default gateway ${hop}, which does not answer (no host route from DHCP option 121)`
          : `the kernel gave up on ${hop}: no answer to ARP, or an ICMP unreachable from the gateway`,
        fix: route.viaDefault
          ? 'renew the DHCP lease; on the network node enable_isolated_metadata = True puts the host route into it'
          : `on the network node: sudo osmeta trace --netns ${ns}`,
      };
    case 'timeout':
      return {
        ...base,
        status: 'fail',
        detail: `no answer within ${timeoutMs} ms (SYN unanswered)`,
        code: 'CONNECT_TIMEOUT',
        cause: `the connect hung at ${hop}: it answers ARP but nothing answers the SYN to 169.254.169.254:80 (${
          route.kind === 'router'
            ? 'the router has no REDIRECT to its haproxy, or security groups/flows drop it'
            : 'nothing in the namespace owns 169.254.169.254 (enable_isolated_metadata off), or security groups/flows drop it'
        })`,
        fix: `on the network node: sudo osmeta trace --netns ${ns}; ip netns exec <namespace> ip addr shows whether 169.254.169.254 is there`,
      };
    default:
      return {
        ...base,
        status: 'fail',
        detail: `connect failed: ${r.error ?? 'unknown error'}`,
        code: 'CONNECT_FAILED',
        cause: `the connect to 169.254.169.254:80 failed: ${r.error ?? 'unknown error'}`,
        fix: 'run again with --debug',
      };
  }
}

/** IPv6 link-local addresses per device, from /proc/net/if_inet6. */
export function linkLocalDevices(text: string): Set<string> {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 6 && f[0]!.startsWith('fe80')) out.add(f[5]!);
  }
  return out;
}

/** Whether dev has an IPv6 link-local address (the guest "has IPv6" there). */
export async function hasIpv6(ctx: Context, dev: string): Promise<boolean> {
  const text = await ctx.fs.readFile('/proc/net/if_inet6', 'utf8').catch(() => '');
  return linkLocalDevices(text).has(dev);
}

export async function tcp6Step(
  transport: GuestTransport,
  dev: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Step> {
  const r = await transport.connect(6, { scope: dev, timeoutMs, ...(signal ? { signal } : {}) });
  const base = {
    name: 'tcp6' as const,
    target: `[${METADATA_HOST_V6}%${dev}]:${METADATA_HTTP_PORT}`,
    durationMs: r.latencyMs,
    evidence: { outcome: r.outcome, latencyMs: r.latencyMs, error: r.error ?? null },
  };
  if (r.outcome === 'connected') return { ...base, status: 'ok', detail: `connected in ${r.latencyMs} ms` };
  // only isolated networks with IPv6 serve it: not a failure of the guest's metadata path
  return {
    ...base,
    status: 'warn',
    detail: `${r.outcome}${r.error ? ` (${r.error})` : ''}: nothing serves metadata over IPv6 on this network (only an isolated network's qdhcp- or ovnmeta- does)`,
  };
}
