import type { ConnectResult, GuestTransport } from '../../src/commands/guest/transport.js';
import type { ExecResult, FileSystem } from '../../src/context.js';
import type { HttpProbeResult } from '../../src/host/http-probe.js';
import { httpFixture } from './host-fixtures.js';
import { memoryFs } from './memory-fs.js';

// A guest for `osmeta guest`'s unit tests: lab-vm1's kernel tables as read in its namespace, a
// fake transport that answers from the captured fixtures, and an `ip` that answers route get.

/** /proc/net/route of lab-vm1: default via .1, 169.254.169.254/32 via the DHCP port .2 */
export const VM1_PROC_ROUTE = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t01005A0A\t0003\t0\t0\t0\t00000000\t0\t0\t0
eth0\t00005A0A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
eth0\tFEA9FEA9\t02005A0A\t0007\t0\t0\t0\tFFFFFFFF\t0\t0\t0
`;
/** the same after lab/break route: the host route is gone */
export const VM1_PROC_ROUTE_NO_HOST_ROUTE = VM1_PROC_ROUTE.split('\n')
  .filter((l) => !l.startsWith('eth0\tFEA9FEA9'))
  .join('\n');
export const VM1_PROC_ARP = `IP address       HW type     Flags       HW address            Mask     Device
10.90.0.2        0x1         0x2         fa:16:3e:e2:6f:88     *        eth0
`;
export const VM1_IF_INET6 = `fe80000000000000f8163efffe1baba8 02 40 20 80     eth0
00000000000000000000000000000001 01 80 10 80       lo
`;
export const VM1_ROUTE_GET =
  '[{"dst":"169.254.169.254","gateway":"10.90.0.2","dev":"eth0","prefsrc":"10.90.0.10","flags":[],"uid":0,"cache":[]}]\n';
/** lab-vm1's port MAC in the captured network_data.json */
export const VM1_MAC = 'fa:16:3e:fe:cc:24';

/** memoryFs plus readdir over the files' directories */
export function guestFs(files: Record<string, string | null>): FileSystem {
  const base = memoryFs(files);
  const readdir = async (dir: unknown) => {
    const prefix = `${String(dir).replace(/\/$/, '')}/`;
    const names = new Set<string>();
    for (const p of Object.keys(files))
      if (p.startsWith(prefix)) names.add(p.slice(prefix.length).split('/')[0]!);
    if (names.size === 0) throw Object.assign(new Error(`ENOENT: ${String(dir)}`), { code: 'ENOENT' });
    return [...names];
  };
  return new Proxy(base, {
    get(target, prop) {
      if (prop === 'readdir') return readdir;
      return (target as unknown as Record<string | symbol, unknown>)[prop];
    },
  });
}

export function vm1Files(over: Record<string, string | null> = {}): Record<string, string | null> {
  return {
    '/proc/net/route': VM1_PROC_ROUTE,
    '/proc/net/arp': VM1_PROC_ARP,
    '/proc/net/if_inet6': VM1_IF_INET6,
    '/etc/hostname': 'lab-vm1\n',
    '/sys/class/net/lo/address': '00:00:00:00:00:00\n',
    '/sys/class/net/eth0/address': `${VM1_MAC}\n`,
    '/sys/class/net/eth0/ifindex': '2\n',
    '/sys/class/dmi/id/product_uuid': null,
    ...over,
  };
}

const ok = (stdout: string): ExecResult => ({
  code: 0,
  signal: null,
  stdout,
  stderr: '',
  timedOut: false,
  durationMs: 1,
});

/** `ip` as the guest has it; records every call */
export function ipExec(routeGet: string | { code: number; stderr: string } = VM1_ROUTE_GET) {
  const calls: string[][] = [];
  const exec = async (file: string, args: readonly string[]): Promise<ExecResult> => {
    calls.push([file, ...args]);
    if (file === 'ip' && args.join(' ') === '-j route get 169.254.169.254') {
      return typeof routeGet === 'string' ? ok(routeGet) : { ...ok(''), ...routeGet };
    }
    throw Object.assign(new Error(`spawn ${file} ENOENT`), { code: 'ENOENT' });
  };
  return { exec, calls };
}

/** A captured answer as the probe transport returns it. */
export function answer(file: string, latencyMs = 5): HttpProbeResult {
  const r = httpFixture(file);
  return {
    outcome: 'response',
    connected: true,
    latencyMs,
    status: r.status,
    headers: r.headers,
    body: r.body,
  };
}

export const HEALTHY_ANSWERS: Record<string, string> = {
  '/': 'nova-metadata/root.200.http',
  '/openstack': 'nova-metadata/openstack.200.http',
  '/openstack/latest/meta_data.json': 'haproxy-chain/vm1-meta_data.json.200.http',
  '/latest/meta-data/instance-id': 'nova-metadata/ec2-latest-meta-data-local-ipv4.200.http',
  '/openstack/latest/network_data.json': 'nova-metadata/openstack-latest-network_data.json.200.http',
};

export interface FakeTransport extends GuestTransport {
  connects: { family: 4 | 6; scope?: string }[];
  gets: string[];
}

/** Answers each path from a fixture (or a given result); every path not listed is a test error. */
export function fakeTransport(
  o: { v4?: ConnectResult; v6?: ConnectResult; answers?: Record<string, string | HttpProbeResult> } = {},
): FakeTransport {
  const answers = o.answers ?? HEALTHY_ANSWERS;
  const t: FakeTransport = {
    connects: [],
    gets: [],
    async connect(family, c) {
      t.connects.push({ family, ...(c.scope ? { scope: c.scope } : {}) });
      return (family === 4 ? o.v4 : o.v6) ?? { outcome: 'connected', latencyMs: 1 };
    },
    async get(path) {
      t.gets.push(path);
      const a = answers[path];
      if (a === undefined) throw new Error(`unexpected GET ${path}`);
      return typeof a === 'string' ? answer(a) : a;
    },
  };
  return t;
}
