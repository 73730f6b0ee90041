import type { FileSystem } from '../context.js';
import { OsmetaError } from '../errors.js';
import { ipv4ToInt } from '../util/ip.js';

// Metadata namespaces by name: qdhcp-<network> (DHCP agent), qrouter-<router> (L3 agent),
// ovnmeta-<network> (OVN metadata agent). `ip netns` keeps them as nsfs bind mounts in /run/netns.

export const NETNS_DIR = '/run/netns';

export type NamespaceKind = 'qdhcp' | 'qrouter' | 'ovnmeta';

export interface MetadataNamespace {
  name: string;
  kind: NamespaceKind;
  /** network ID (qdhcp, ovnmeta) or router ID (qrouter) */
  id: string;
}

const NAME_RE = /^(qdhcp|qrouter|ovnmeta)-([0-9A-Za-z][0-9A-Za-z_.-]*)$/;

export function parseNamespaceName(name: string): MetadataNamespace | undefined {
  const m = NAME_RE.exec(name);
  if (!m) return undefined;
  return { name, kind: m[1] as NamespaceKind, id: m[2]! };
}

export const KIND_AGENT: Record<NamespaceKind, string> = {
  qdhcp: 'DHCP agent',
  qrouter: 'L3 agent',
  ovnmeta: 'OVN metadata agent',
};

export async function listNamespaceNames(fs: FileSystem, dir = NETNS_DIR): Promise<string[]> {
  try {
    return (await fs.readdir(dir)).sort();
  } catch {
    return [];
  }
}

/** The namespace's inode ("net:[<ino>]" in /proc/<pid>/ns/net), or undefined when it does not exist. */
export async function namespaceInode(fs: FileSystem, name: string): Promise<number | undefined> {
  try {
    const st = await fs.stat(`${NETNS_DIR}/${name}`);
    return Number(st.ino);
  } catch {
    return undefined;
  }
}

export interface InterfaceAddress {
  family: 'inet' | 'inet6';
  local: string;
  prefixlen: number;
  scope?: string;
  tentative?: boolean;
  dadfailed?: boolean;
}

export interface NetInterface {
  ifname: string;
  up: boolean;
  addresses: InterfaceAddress[];
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `ip -j addr` (iproute2's JSON); entries that are not interfaces or addresses are skipped. */
export function parseIpAddrJson(text: string): NetInterface[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new OsmetaError('BAD_IP_OUTPUT', 1, "cannot read the output of 'ip -j addr': not JSON");
  }
  if (!Array.isArray(data)) return [];
  return data.filter(isRecord).map((i) => ({
    ifname: typeof i.ifname === 'string' ? i.ifname : '',
    up: Array.isArray(i.flags) && i.flags.includes('UP'),
    addresses: (Array.isArray(i.addr_info) ? i.addr_info : [])
      .filter(isRecord)
      .filter((a) => (a.family === 'inet' || a.family === 'inet6') && typeof a.local === 'string')
      .map((a) => {
        const addr: InterfaceAddress = {
          family: a.family as 'inet' | 'inet6',
          local: a.local as string,
          prefixlen: Number(a.prefixlen),
        };
        if (typeof a.scope === 'string') addr.scope = a.scope;
        if (a.tentative === true) addr.tentative = true;
        if (a.dadfailed === true) addr.dadfailed = true;
        return addr;
      }),
  }));
}

export function findAddress(
  ifaces: readonly NetInterface[],
  local: string,
): { iface: NetInterface; address: InterfaceAddress } | undefined {
  for (const iface of ifaces) {
    const address = iface.addresses.find((a) => a.local.toLowerCase() === local);
    if (address) return { iface, address };
  }
  return undefined;
}

/** IPv4 only: whether ip lies in local/prefixlen. */
export function inSubnet(ip: string, local: string, prefixlen: number): boolean {
  const a = ipv4ToInt(ip);
  const b = ipv4ToInt(local);
  if (a === undefined || b === undefined || prefixlen < 0 || prefixlen > 32) return false;
  if (prefixlen === 0) return true;
  const mask = prefixlen === 32 ? 0xffffffff : ~((1 << (32 - prefixlen)) - 1) >>> 0;
  return (a & mask) >>> 0 === (b & mask) >>> 0;
}

/** Whether the host has IPv6 on (neutron: netutils.is_ipv6_enabled reads the same file). */
export async function hostHasIpv6(fs: FileSystem): Promise<boolean> {
  try {
    const v = await fs.readFile('/proc/sys/net/ipv6/conf/default/disable_ipv6', 'utf8');
    return v.trim() === '0';
  } catch {
    return false;
  }
}
