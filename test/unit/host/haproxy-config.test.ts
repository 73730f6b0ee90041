import { describe, expect, it } from 'vitest';
import { parseBindAddress, parseHaproxyConfig, serverSocketPath } from '../../../src/host/haproxy-config.js';
import { fixture } from '../../helpers/host-fixtures.js';

const LAB_NET = '42c285f8-e8c2-4e66-bcfa-798fb177d538';

describe('haproxy configs from all three templates', () => {
  it('reads the DHCP agent config with the IPv6 bind line', () => {
    const c = parseHaproxyConfig(fixture('haproxy-config/qdhcp-ipv6.conf'), 'x.conf');
    expect(c.binds).toEqual([
      { raw: '169.254.169.254:80', host: '169.254.169.254', port: 80 },
      {
        raw: 'fe80::a9fe:a9fe:80 interface tapd2c4e6f8-1a',
        host: 'fe80::a9fe:a9fe',
        port: 80,
        interface: 'tapd2c4e6f8-1a',
      },
    ]);
    expect(c.user).toBe('neutron');
    expect(c.group).toBe('neutron');
    expect(c.pidfile).toBe('/var/lib/neutron/external/pids/6f1a7c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b.pid.haproxy');
    expect(serverSocketPath(c)).toBe('/var/lib/neutron/metadata_proxy');
    expect(c.resource).toEqual({
      kind: 'network',
      header: 'X-Neutron-Network-ID',
      id: '6f1a7c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b',
    });
    expect(c.headers[0]).toEqual({ action: 'del', name: 'X-Neutron-Router-ID' });
    expect(c.timeouts.server).toBe('32s');
  });

  it('reads the IPv4-only DHCP config (blank bind_v6 line) as one bind', () => {
    const c = parseHaproxyConfig(fixture('haproxy-config/qdhcp-ipv4-only.conf'));
    expect(c.binds.map((b) => `${b.host}|${b.port}`)).toEqual(['169.254.169.254|80']);
  });

  it.each([
    ['qrouter-ipv6-host.conf', '::', 9697],
    ['qrouter-ipv4-host.conf', '0.0.0.0', 9697],
  ])('reads the L3 agent config %s: bind %s:%d and the router header', (file, host, port) => {
    const c = parseHaproxyConfig(fixture(`haproxy-config/${file}`));
    expect(c.binds).toHaveLength(1);
    expect(c.binds[0]).toMatchObject({ host, port });
    expect(c.resource).toEqual({
      kind: 'router',
      header: 'X-Neutron-Router-ID',
      id: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
    });
  });

  it('reads the OVN config: add-header X-OVN-Network-ID, root, no del-header', () => {
    const c = parseHaproxyConfig(fixture('haproxy-config/ovnmeta.conf'));
    expect(c.resource).toEqual({
      kind: 'ovn-network',
      header: 'X-OVN-Network-ID',
      id: '3c5e7a9b-2d4f-4b6a-8c1e-5f7a9b3d2c4e',
    });
    expect(c.headers.map((h) => h.action)).toEqual(['add']);
    expect(c.user).toBe('root');
  });

  it('reads the lab live config', () => {
    const c = parseHaproxyConfig(fixture('haproxy-config/lab-live-qdhcp.conf'));
    expect(serverSocketPath(c)).toBe('/var/lib/osmeta-lab/neutron/metadata_proxy');
    expect(c.resource?.id).toBe(LAB_NET);
    expect(c.binds[1]?.interface).toBe('tap9b8d174b-43');
  });

  it.each([
    ['169.254.169.254:80', '169.254.169.254', 80],
    [':::9697', '::', 9697],
    ['fe80::a9fe:a9fe:80', 'fe80::a9fe:a9fe', 80],
    ['[fe80::a9fe:a9fe]:80', 'fe80::a9fe:a9fe', 80],
    [':9697', '', 9697],
  ])('splits bind %s at the last colon', (spec, host, port) => {
    expect(parseBindAddress(spec)).toEqual({ host, port });
  });
});
