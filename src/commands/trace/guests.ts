import type { FileSystem } from '../../context.js';
import type { NetInterface } from '../../host/netns.js';
import { readProcText } from '../../host/proc.js';
import { firstIPv4 } from '../../util/ip.js';

// Which guest the socket probe impersonates when none was named: a fixed IP from the DHCP agent's
// dnsmasq host file (neutron/agent/linux/dhcp.py Dnsmasq._output_hosts_file: "mac,name,ip[,set:tag]").

export function parseDhcpHostFile(text: string): { mac: string; ip: string }[] {
  const out: { mac: string; ip: string }[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(',');
    const ip = firstIPv4(f);
    if (f[0] && ip) out.push({ mac: f[0], ip });
  }
  return out;
}

/** Guest addresses from <state_path>/dhcp/<network>/host, minus the namespace's own addresses. */
export async function hostFileGuests(
  fs: FileSystem,
  statePath: string,
  networkId: string,
  own: readonly NetInterface[] | undefined,
): Promise<string[]> {
  const text = await readProcText(fs, `${statePath}/dhcp/${networkId}/host`);
  if (text === undefined) return [];
  const mine = new Set((own ?? []).flatMap((i) => i.addresses.map((a) => a.local)));
  return parseDhcpHostFile(text)
    .map((e) => e.ip)
    .filter((ip) => !mine.has(ip));
}

export const byIp = (a: string, b: string) => {
  const n = (s: string) => s.split('.').reduce((acc, x) => acc * 256 + Number(x), 0);
  return n(a) - n(b);
};
