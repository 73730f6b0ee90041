import type { Context } from '../../context.js';
import { METADATA_HOST } from '../../metadata/protocol.js';
import type { RouteFacts } from './route.js';
import type { ConnectResult } from './transport.js';
import type { Step } from './types.js';

// Step "neighbour": whether the next hop answered ARP, read from the neighbour table after the
// connect attempt (`ip -j neigh`, or /proc/net/arp where `ip` has no -j). No raw ARP: that needs
// root, and the table after a connect says the same.

/** ARP/NDP states that mean the next hop answered */
const ANSWERED = new Set(['REACHABLE', 'STALE', 'DELAY', 'PROBE', 'PERMANENT', 'NOARP']);

export interface Neighbour {
  state: string;
  mac?: string;
}

/** The entry for ip on dev in `ip -j neigh show` output. */
export function neighbourFromIp(stdout: string, ip: string, dev: string): Neighbour | undefined {
  let rows: unknown;
  try {
    rows = JSON.parse(stdout);
  } catch {
    return undefined;
  }
  if (!Array.isArray(rows)) return undefined;
  const row = (rows as { dst?: string; dev?: string; lladdr?: string; state?: string[] }[]).find(
    (r) => r.dst === ip && (r.dev === undefined || r.dev === dev),
  );
  if (!row) return undefined;
  return { state: (row.state ?? ['NONE']).join(','), ...(row.lladdr ? { mac: row.lladdr } : {}) };
}

/** The entry for ip on dev in /proc/net/arp (flags 0x2: complete). */
export function neighbourFromProcArp(text: string, ip: string, dev: string): Neighbour | undefined {
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || f[0] !== ip || f[5] !== dev) continue;
    const flags = Number.parseInt(f[2] ?? '0', 16);
    if (flags & 0x4) return { state: 'PERMANENT', mac: f[3]! };
    return flags & 0x2 ? { state: 'REACHABLE', mac: f[3]! } : { state: 'INCOMPLETE' };
  }
  return undefined;
}

/** The ARP entry of ip on dev: /proc/net/arp (no fork), `ip -j neigh` where /proc is not mounted. */
export async function readNeighbour(
  ctx: Context,
  ip: string,
  dev: string,
  timeoutMs: number,
): Promise<Neighbour | undefined> {
  const text = await ctx.fs.readFile('/proc/net/arp', 'utf8').catch(() => undefined);
  if (text !== undefined) return neighbourFromProcArp(text, ip, dev);
  const r = await ctx.exec('ip', ['-j', 'neigh', 'show', 'dev', dev], { timeoutMs }).catch(() => undefined);
  return r?.code === 0 ? neighbourFromIp(r.stdout, ip, dev) : undefined;
}

export async function neighbourStep(
  ctx: Context,
  route: RouteFacts,
  tcp: ConnectResult,
  timeoutMs: number,
): Promise<Step> {
  const started = ctx.clock();
  const hop = route.gateway ?? METADATA_HOST;
  const n = await readNeighbour(ctx, hop, route.dev, timeoutMs);
  const base = {
    name: 'neighbour' as const,
    target: `${hop} on ${route.dev}`,
    durationMs: ctx.clock() - started,
    evidence: { ip: hop, dev: route.dev, state: n?.state ?? null, mac: n?.mac ?? null },
  };
  // a connection or a refusal needs the next hop's answer, whatever the table says now
  const answered =
    tcp.outcome === 'connected' ||
    tcp.outcome === 'refused' ||
    (n !== undefined && ANSWERED.has(n.state.split(',')[0]!));
  if (answered) {
    return {
      ...base,
      status: 'ok',
      detail: n?.mac ? `${n.mac} (${n.state})` : 'answered (no table entry left)',
    };
  }
  const viaDefault = route.viaDefault
    ? ` 169.254.169.254 goes via the default gateway ${hop}: the lease carried no host route for it (DHCP option 121), and on an isolated network no router answers.`
    : '';
  return {
    ...base,
    status: 'fail',
    detail: n ? `no answer to ARP (${n.state})` : 'no neighbour entry: no answer to ARP',
    code: route.viaDefault ? 'NO_METADATA_ROUTE' : 'NEXT_HOP_SILENT',
    cause: `the next hop ${hop} does not answer ARP on ${route.dev}.${viaDefault}${
      route.viaDefault
        ? ''
        : ' The port it belongs to is down, not bound, or on another VLAN (OVS agent, port binding).'
    }`,
    fix: route.viaDefault
      ? 'renew the DHCP lease (the DHCP agent pushes 169.254.169.254/32 via its port when enable_isolated_metadata = True); meanwhile: ip route add 169.254.169.254/32 via <the DHCP port address>'
      : `on the network node: is the port that owns ${hop} ACTIVE and bound (openstack port list --fixed-ip ip-address=${hop}), its namespace present (ip netns), and the OVS agent alive?`,
  };
}
