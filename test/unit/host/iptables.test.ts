import { describe, expect, it } from 'vitest';
import { findMetadataFilter, findMetadataRedirect, parseIptablesSave } from '../../../src/host/iptables.js';
import { fixture } from '../../helpers/host-fixtures.js';

describe('iptables-save of a qrouter namespace', () => {
  it('finds the nat REDIRECT 80 → 9697 and the filter rules', () => {
    const dump = parseIptablesSave(fixture('node/iptables-save.qrouter-metadata-only.txt'));
    expect(findMetadataRedirect(dump)).toEqual({
      rule: '-A neutron-l3-agent-PREROUTING -d 169.254.169.254/32 -i qr-+ -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 9697',
      chain: 'neutron-l3-agent-PREROUTING',
      toPort: 9697,
    });
    expect(findMetadataFilter(dump, 9697)).toEqual({
      accept: '-A neutron-l3-agent-INPUT -m mark --mark 0x1/0xffff -j ACCEPT',
      drop: '-A neutron-l3-agent-INPUT -p tcp -m tcp --dport 9697 -j DROP',
    });
  });

  it('finds the rule in a new router with address scopes too', () => {
    const dump = parseIptablesSave(fixture('node/iptables-save.qrouter-new-router.txt'));
    expect(findMetadataRedirect(dump)?.toPort).toBe(9697);
    expect(findMetadataRedirect(dump, 6)).toBeUndefined();
  });

  it('finds the IPv6 rule (fe80::a9fe:a9fe/128) in ip6tables-save', () => {
    const dump = parseIptablesSave(fixture('node/ip6tables-save.qrouter-new-router.txt'));
    expect(findMetadataRedirect(dump, 6)?.toPort).toBe(9697);
  });

  it('reports no rule when the nat table lacks it', () => {
    const text = fixture('node/iptables-save.qrouter-metadata-only.txt').replace(/.*REDIRECT.*\n/, '');
    expect(findMetadataRedirect(parseIptablesSave(text))).toBeUndefined();
  });
});
