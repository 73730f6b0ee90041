import type { Context } from '../../context.js';

// The DHCP lease of the metadata route's interface, where the guest's DHCP client keeps one:
// systemd-networkd (/run/systemd/netif/leases/<ifindex>) and ISC dhclient (/var/lib/dhcp,
// /var/lib/dhclient). busybox udhcpc keeps none: its script installs the routes, which the route
// step reads from the kernel. Option 121 (classless static routes) is what carries
// 169.254.169.254/32 on an isolated network (neutron dnsmasq opts) and on OVN.

export interface Lease {
  file: string;
  /** option 54: the DHCP server (neutron's DHCP port; on OVN the router's address) */
  serverId?: string;
  /** option 3 */
  routers?: string[];
  /** option 121 as "dst/len via gw" */
  classlessRoutes?: string[];
}

/** dhclient's `option rfc3442-classless-static-routes 32,169,254,169,254,10,90,0,2,0,10,90,0,1;` */
export function decodeRfc3442(list: readonly number[]): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  while (i < list.length) {
    const len = list[i]!;
    if (len > 32) return undefined;
    const n = Math.ceil(len / 8);
    if (i + 1 + n + 4 > list.length) return undefined;
    const dst = [...list.slice(i + 1, i + 1 + n), 0, 0, 0, 0].slice(0, 4).join('.');
    const gw = list.slice(i + 1 + n, i + 1 + n + 4).join('.');
    out.push(`${dst}/${len} via ${gw}`);
    i += 1 + n + 4;
  }
  return out;
}

/** The last lease block for an interface in a dhclient leases file. */
export function parseDhclientLeases(text: string, dev: string, file: string): Lease | undefined {
  const blocks = text.split(/\blease\s*\{/).slice(1);
  const mine = blocks.filter((b) => new RegExp(`interface\\s+"${dev.replace(/[^\w.-]/g, '')}"`).test(b));
  const b = mine[mine.length - 1];
  if (b === undefined) return undefined;
  const opt = (name: string) => new RegExp(`option\\s+${name}\\s+([^;]+);`).exec(b)?.[1]?.trim();
  const lease: Lease = { file };
  const server = opt('dhcp-server-identifier');
  if (server) lease.serverId = server;
  const routers = opt('routers');
  if (routers) lease.routers = routers.split(/\s*,\s*/);
  const r121 = opt('rfc3442-classless-static-routes');
  if (r121) {
    const decoded = decodeRfc3442(r121.split(/\s*,\s*/).map(Number));
    if (decoded) lease.classlessRoutes = decoded;
  }
  return lease;
}

/** systemd-networkd's lease file: KEY=value lines (SERVER_ADDRESS, ROUTER, CLASSLESS_ROUTES). */
export function parseNetworkdLease(text: string, file: string): Lease {
  const kv = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  const lease: Lease = { file };
  const server = kv.get('SERVER_ADDRESS');
  if (server) lease.serverId = server;
  const routers = kv.get('ROUTER');
  if (routers) lease.routers = routers.split(/\s+/);
  const routes = kv.get('CLASSLESS_ROUTES') ?? kv.get('STATIC_ROUTES');
  if (routes) {
    lease.classlessRoutes = routes
      .split(/\s+/)
      .map((r) => r.split(','))
      .filter((p) => p.length === 2)
      .map(([dst, gw]) => `${dst} via ${gw}`);
  }
  return lease;
}

const MAX_LEASE_BYTES = 256 * 1024;

async function readSmall(ctx: Context, file: string): Promise<string | undefined> {
  try {
    const st = await ctx.fs.stat(file);
    if (!st.isFile() || st.size > MAX_LEASE_BYTES) return undefined;
    return await ctx.fs.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

const DHCLIENT_DIRS = ['/var/lib/dhcp', '/var/lib/dhclient', '/var/lib/NetworkManager'];

/** The lease for dev, from the first DHCP client that keeps one; undefined when none is readable. */
export async function readLease(ctx: Context, dev: string): Promise<Lease | undefined> {
  const ifindex = (await readSmall(ctx, `/sys/class/net/${dev}/ifindex`))?.trim();
  if (ifindex && /^\d+$/.test(ifindex)) {
    const file = `/run/systemd/netif/leases/${ifindex}`;
    const text = await readSmall(ctx, file);
    if (text !== undefined) return parseNetworkdLease(text, file);
  }
  for (const dir of DHCLIENT_DIRS) {
    const names = await ctx.fs.readdir(dir).catch(() => [] as string[]);
    for (const name of names.filter((n) => /\.leases?$/.test(String(n))).sort()) {
      const file = `${dir}/${name}`;
      const text = await readSmall(ctx, file);
      const lease = text === undefined ? undefined : parseDhclientLeases(text, dev, file);
      if (lease) return lease;
    }
  }
  return undefined;
}
