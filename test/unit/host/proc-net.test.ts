import { describe, expect, it } from 'vitest';
import {
  decodeProcAddress,
  listensOn,
  parseProcNetTcp,
  parseProcNetUnix,
} from '../../../src/host/proc-net.js';
import { fixture } from '../../helpers/host-fixtures.js';

describe('/proc/<pid>/net/tcp{,6}', () => {
  it('decodes the namespace listener 169.254.169.254:80', () => {
    const rows = parseProcNetTcp(fixture('node/haproxy-netns-proc-net-tcp.txt'));
    expect(rows).toEqual([
      {
        localAddress: '169.254.169.254',
        localPort: 80,
        remoteAddress: '0.0.0.0',
        remotePort: 0,
        state: 0x0a,
        uid: 0,
        inode: 275004,
      },
    ]);
    expect(listensOn(rows, '169.254.169.254', 80)?.inode).toBe(275004);
    expect(listensOn(rows, '0.0.0.0', 9697)).toBeUndefined();
  });

  it('tells a TIME_WAIT row from the listener', () => {
    const rows = parseProcNetTcp(fixture('node/haproxy-netns-proc-net-tcp.time-wait.txt'));
    expect(rows.map((r) => r.state)).toEqual([0x0a, 0x06]);
    expect(rows[1]).toMatchObject({ localPort: 40662, remotePort: 80, inode: 0 });
  });

  it('decodes the IPv6 listener fe80::a9fe:a9fe port 80', () => {
    const rows = parseProcNetTcp(fixture('node/haproxy-netns-proc-net-tcp6.txt'));
    expect(rows[0]).toMatchObject({ localAddress: 'fe80::a9fe:a9fe', localPort: 80, remoteAddress: '::' });
    expect(listensOn(rows, 'fe80::a9fe:a9fe', 80)).toBeDefined();
  });

  it.each([
    ['0100007F', '127.0.0.1'],
    ['00000000000000000000000001000000', '::1'],
    ['0000000000000000FFFF00000100007F', '::ffff:7f00:1'],
  ])('decodes %s as %s', (hex, ip) => {
    expect(decodeProcAddress(hex)).toBe(ip);
  });
});

describe('/proc/net/unix', () => {
  it("finds the agent's listening socket by path, and the space-padded inode row", () => {
    const rows = parseProcNetUnix(fixture('node/proc-net-unix.txt'));
    const agent = rows.find((r) => r.path === '/var/lib/osmeta-lab/neutron/metadata_proxy');
    expect(agent).toMatchObject({ inode: 274722, listening: true, type: 1 });
    expect(rows.find((r) => r.inode === 1592)).toMatchObject({ listening: false, state: 3 });
    expect(rows.find((r) => r.path === '/dev/log')).toMatchObject({ type: 2, listening: false });
    expect(rows).toHaveLength(8);
  });

  it('has no metadata_proxy row while the agent is stopped, though the file stays', () => {
    const rows = parseProcNetUnix(fixture('node/proc-net-unix.agent-stopped.txt'));
    expect(rows.some((r) => r.path?.endsWith('metadata_proxy'))).toBe(false);
  });
});
