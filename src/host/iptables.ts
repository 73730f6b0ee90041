// iptables-save output; the L3 agent's metadata rules (neutron/agent/metadata/driver.py
// metadata_nat_rules / metadata_filter_rules, RouterInfo.initialize_metadata_iptables).

export const METADATA_V4 = '169.254.169.254';
export const METADATA_V6 = 'fe80::a9fe:a9fe';

/** table → rules (`-A …` lines, in order) */
export type IptablesDump = Map<string, string[]>;

export function parseIptablesSave(text: string): IptablesDump {
  const tables: IptablesDump = new Map();
  let current: string[] | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith('*')) {
      const name = line.slice(1).trim();
      current = tables.get(name) ?? [];
      tables.set(name, current);
    } else if (line === 'COMMIT') {
      current = undefined;
    } else if (line.startsWith('-A ') && current) {
      current.push(line);
    }
  }
  return tables;
}

export interface MetadataRedirect {
  rule: string;
  chain: string;
  toPort: number;
}

/** `-d 169.254.169.254/32 … --dport 80 -j REDIRECT --to-ports 9697` in the nat table (ip6tables: fe80::a9fe:a9fe/128). */
export function findMetadataRedirect(dump: IptablesDump, family: 4 | 6 = 4): MetadataRedirect | undefined {
  const dest = family === 4 ? `${METADATA_V4}/32` : `${METADATA_V6}/128`;
  for (const rule of dump.get('nat') ?? []) {
    const words = rule.split(/\s+/);
    const arg = (flag: string) => {
      const i = words.indexOf(flag);
      return i >= 0 ? words[i + 1] : undefined;
    };
    if (arg('-d') !== dest || arg('--dport') !== '80' || arg('-j') !== 'REDIRECT') continue;
    const to = Number(arg('--to-ports'));
    if (!Number.isInteger(to)) continue;
    return { rule, chain: words[1] ?? '', toPort: to };
  }
  return undefined;
}

/** The filter rule that accepts marked metadata traffic, and the one that drops the rest on the proxy port. */
export function findMetadataFilter(dump: IptablesDump, port: number): { accept?: string; drop?: string } {
  const rules = dump.get('filter') ?? [];
  const out: { accept?: string; drop?: string } = {};
  const accept = rules.find((r) => /-m mark --mark 0x1\/0xffff -j ACCEPT$/.test(r) && /INPUT/.test(r));
  const drop = rules.find((r) => r.includes(`--dport ${port} -j DROP`));
  if (accept) out.accept = accept;
  if (drop) out.drop = drop;
  return out;
}
