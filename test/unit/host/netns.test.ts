import { describe, expect, it } from 'vitest';
import { findAddress, inSubnet, parseIpAddrJson, parseNamespaceName } from '../../../src/host/netns.js';
import { fixture } from '../../helpers/host-fixtures.js';

const LAB_NET = '42c285f8-e8c2-4e66-bcfa-798fb177d538';

describe('ip -j output and namespace names', () => {
  it('finds 169.254.169.254 and fe80::a9fe:a9fe on the DHCP tap', () => {
    const ifs = parseIpAddrJson(fixture('node/ip-n-qdhcp-j-addr.json'));
    expect(findAddress(ifs, '169.254.169.254')?.iface.ifname).toBe('tap9b8d174b-43');
    expect(findAddress(ifs, 'fe80::a9fe:a9fe')?.address).toMatchObject({ prefixlen: 64, scope: 'link' });
    expect(ifs.find((i) => i.ifname === 'tap9b8d174b-43')?.up).toBe(true);
  });

  it.each([
    [`qdhcp-${LAB_NET}`, 'qdhcp', LAB_NET],
    ['qrouter-9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', 'qrouter', '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d'],
    ['ovnmeta-3c5e7a9b-2d4f-4b6a-8c1e-5f7a9b3d2c4e', 'ovnmeta', '3c5e7a9b-2d4f-4b6a-8c1e-5f7a9b3d2c4e'],
  ])('takes kind and ID from %s', (name, kind, id) => {
    expect(parseNamespaceName(name)).toEqual({ name, kind, id });
  });

  it.each(['vm1', 'qdhcp-', 'snat-1234', 'fip-1'])('is not a metadata namespace: %s', (name) => {
    expect(parseNamespaceName(name)).toBeUndefined();
  });

  it('lists only metadata namespaces from ip -j netns list', () => {
    const names = (JSON.parse(fixture('node/ip-j-netns-list.json')) as { name: string }[]).map((n) => n.name);
    expect(names.filter((n) => parseNamespaceName(n)).sort()).toEqual([
      'qdhcp-0011f5d3-30a2-478d-bdf6-432c585c5cb3',
      `qdhcp-${LAB_NET}`,
    ]);
  });

  it.each([
    ['10.90.0.99', '10.90.0.2', 24, true],
    ['10.90.1.10', '10.90.0.2', 24, false],
    ['10.90.0.2', '10.90.0.2', 32, true],
  ])('%s in %s/%d is %s', (ip, local, len, want) => {
    expect(inSubnet(ip, local, len)).toBe(want);
  });
});
