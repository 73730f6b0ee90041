// The DHCP agent's dnsmasq options file (<state_path>/dhcp/<network>/opts): which next hop it
// gives guests for 169.254.169.254 (neutron/agent/linux/dhcp.py _generate_opts_per_subnet):
// its own port's address on an isolated subnet with enable_isolated_metadata (or force_metadata),
// the subnet's gateway (the router) otherwise.

export interface MetadataRoute {
  subnetTag: string;
  /** the next hop for 169.254.169.254/32 */
  via: string;
}

const MAX_LINES = 10_000;

export function parseMetadataRoutes(text: string): MetadataRoute[] {
  const out: MetadataRoute[] = [];
  for (const line of text.split('\n').slice(0, MAX_LINES)) {
    const parts = line.trim().split(',');
    const tag = parts[0]?.startsWith('tag:') ? parts[0].slice(4) : '';
    const i = parts.indexOf('option:classless-static-route');
    if (i < 0) continue;
    for (let j = i + 1; j + 1 < parts.length; j += 2) {
      if (parts[j] === '169.254.169.254/32') out.push({ subnetTag: tag, via: parts[j + 1]! });
    }
  }
  return out;
}
