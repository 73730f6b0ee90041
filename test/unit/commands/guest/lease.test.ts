import { describe, expect, it } from 'vitest';
import {
  decodeRfc3442,
  parseDhclientLeases,
  parseNetworkdLease,
  readLease,
} from '../../../../src/commands/guest/lease.js';
import { gatewayKind, parseProcNetRoute } from '../../../../src/commands/guest/route.js';
import { createTestContext } from '../../../helpers/context.js';
import { guestFs, VM1_PROC_ROUTE } from '../../../helpers/guest-fixtures.js';

const DHCLIENT = `lease {
  interface "eth0";
  fixed-address 10.90.0.9;
  option routers 10.90.0.7;
  option dhcp-server-identifier 10.90.0.7;
}
lease {
  interface "eth0";
  fixed-address 10.90.0.10;
  option subnet-mask 255.255.255.0;
  option routers 10.90.0.1;
  option dhcp-server-identifier 10.90.0.2;
  option rfc3442-classless-static-routes 32,169,254,169,254,10,90,0,2,0,10,90,0,1;
  renew 2 2026/12/01 14:00:00;
}
lease {
  interface "eth1";
  option dhcp-server-identifier 10.99.0.2;
}
`;

describe('DHCP leases', () => {
  it('decodes option 121 as dhclient writes it', () => {
    expect(decodeRfc3442([32, 169, 254, 169, 254, 10, 90, 0, 2, 0, 10, 90, 0, 1])).toEqual([
      '169.254.169.254/32 via 10.90.0.2',
      '0.0.0.0/0 via 10.90.0.1',
    ]);
    expect(decodeRfc3442([24, 10, 1, 2, 10, 0, 0, 1])).toEqual(['10.1.2.0/24 via 10.0.0.1']);
    expect(decodeRfc3442([33, 1])).toBeUndefined();
    expect(decodeRfc3442([32, 1, 2])).toBeUndefined();
  });

  it("takes the interface's last dhclient lease", () => {
    expect(parseDhclientLeases(DHCLIENT, 'eth0', 'f')).toEqual({
      file: 'f',
      serverId: '10.90.0.2',
      routers: ['10.90.0.1'],
      classlessRoutes: ['169.254.169.254/32 via 10.90.0.2', '0.0.0.0/0 via 10.90.0.1'],
    });
    expect(parseDhclientLeases(DHCLIENT, 'eth9', 'f')).toBeUndefined();
  });

  it("reads systemd-networkd's lease", () => {
    const text =
      'ADDRESS=10.90.0.10\nROUTER=10.90.0.1\nSERVER_ADDRESS=10.90.0.2\nCLASSLESS_ROUTES=169.254.169.254/32,10.90.0.2 0.0.0.0/0,10.90.0.1\n';
    expect(parseNetworkdLease(text, 'n')).toEqual({
      file: 'n',
      serverId: '10.90.0.2',
      routers: ['10.90.0.1'],
      classlessRoutes: ['169.254.169.254/32 via 10.90.0.2', '0.0.0.0/0 via 10.90.0.1'],
    });
  });

  it('finds the networkd lease by ifindex before dhclient files', async () => {
    const { ctx } = createTestContext({
      fs: guestFs({
        '/sys/class/net/eth0/ifindex': '2\n',
        '/run/systemd/netif/leases/2': 'SERVER_ADDRESS=10.90.0.2\n',
        '/var/lib/dhcp/dhclient.eth0.leases': DHCLIENT,
      }),
    });
    expect(await readLease(ctx, 'eth0')).toEqual({
      file: '/run/systemd/netif/leases/2',
      serverId: '10.90.0.2',
    });
    const { ctx: dh } = createTestContext({
      fs: guestFs({ '/var/lib/dhcp/dhclient.eth0.leases': DHCLIENT }),
    });
    expect((await readLease(dh, 'eth0'))?.serverId).toBe('10.90.0.2');
    const { ctx: none } = createTestContext({ fs: guestFs({}) });
    expect(await readLease(none, 'eth0')).toBeUndefined();
  });
});

describe('the next hop', () => {
  it('reads /proc/net/route', () => {
    const rows = parseProcNetRoute(VM1_PROC_ROUTE);
    expect(rows.map((r) => [r.dev, r.gateway ?? null, r.mask.toString(16)])).toEqual([
      ['eth0', '10.90.0.1', '0'],
      ['eth0', null, 'ffffff00'],
      ['eth0', '10.90.0.2', 'ffffffff'],
    ]);
  });

  it.each([
    [undefined, '10.90.0.1', undefined, 'on-link'],
    ['10.90.0.2', '10.90.0.1', { file: 'f', serverId: '10.90.0.2' }, 'dhcp-port'],
    ['10.92.0.1', '10.92.0.1', undefined, 'router'],
    ['10.0.0.5', '10.0.0.1', { file: 'f', serverId: '10.0.0.1', routers: ['10.0.0.1'] }, 'ovn-metadata-port'],
    ['10.90.0.2', '10.90.0.1', undefined, 'unknown'],
  ])('via %s (default %s, lease %j) is %s', (gw, def, lease, kind) => {
    expect(gatewayKind(gw, def, lease)).toBe(kind);
  });
});
