import { describe, expect, it } from 'vitest';
import { parseBindAddress, parseHaproxyConfig, serverSocketPath } from '../../../src/host/haproxy-config.js';
import { findMetadataFilter, findMetadataRedirect, parseIptablesSave } from '../../../src/host/iptables.js';
import { findAddress, inSubnet, parseIpAddrJson, parseNamespaceName } from '../../../src/host/netns.js';
import { parseOsloIni } from '../../../src/host/oslo-config.js';
import { parseCmdline, parseProcStatus, runsProgram } from '../../../src/host/proc.js';
import {
  decodeProcAddress,
  listensOn,
  parseProcNetTcp,
  parseProcNetUnix,
} from '../../../src/host/proc-net.js';
import {
  metadataAgentSettings,
  novaFilesFromEnv,
  novaSettings,
  uwsgiIniEnv,
} from '../../../src/host/services.js';
import { mayAccess, modeString, parseAccounts } from '../../../src/host/users.js';
import { errorExplanation, responseForm } from '../../../src/metadata/error-page.js';
import { fixture, httpFixture } from '../../helpers/host-fixtures.js';

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

describe('cmdlines and /proc/<pid>/status', () => {
  it("reads haproxy's NUL-separated argv", () => {
    expect(parseCmdline(fixture('node/haproxy-proc-cmdline.bin')).argv).toEqual([
      'haproxy',
      '-f',
      `/var/lib/osmeta-lab/neutron/ns-metadata-proxy/${LAB_NET}.conf`,
    ]);
  });

  it("unwraps the agent's setproctitle string into argv", () => {
    const p = parseCmdline(fixture('node/agent-proc-cmdline.bin'));
    expect(p.argv).toEqual([
      '/usr/bin/python3',
      '/usr/bin/neutron-metadata-agent',
      '--config-file',
      '/var/lib/osmeta-lab/etc/neutron/neutron.conf',
      '--config-file',
      '/var/lib/osmeta-lab/etc/neutron/metadata_agent.ini',
    ]);
    expect(runsProgram({ pid: 1, ...p }, 'neutron-metadata-agent')).toBe(true);
    expect(runsProgram({ pid: 1, ...p }, 'neutron-ovn-metadata-agent')).toBe(false);
  });

  it("reads haproxy's uid and gid", () => {
    expect(parseProcStatus(fixture('node/haproxy-proc-status.txt'))).toMatchObject({
      name: 'haproxy',
      ppid: 1,
      uids: [107, 107, 107, 107],
      gids: [115, 115, 115, 115],
      groups: [],
    });
  });
});

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

describe('oslo.config files of the agent and nova', () => {
  it("reads the agent's nova endpoint, socket and whether a secret is set", () => {
    const set = {
      paths: ['metadata_agent.ini'],
      files: [parseOsloIni(fixture('config/metadata_agent.ini'), 'metadata_agent.ini')],
      unreadable: [],
    };
    const s = metadataAgentSettings(set);
    expect(s).toMatchObject({
      novaHost: '127.0.0.1',
      novaPort: 8775,
      novaProtocol: 'http',
      novaInsecure: false,
      statePath: '/var/lib/neutron',
      workers: 1,
      socketMode: 'deduce',
    });
    expect(s.socket.value).toBe('/var/lib/osmeta-lab/neutron/metadata_proxy');
    expect(s.secret).toMatchObject({ value: '<shared-secret>', line: 5 });
  });

  it('substitutes $state_path in the default socket path; the later file wins', () => {
    const neutron = parseOsloIni(
      '[DEFAULT]\nstate_path = /srv/neutron\nnova_metadata_port = 1\n',
      'neutron.conf',
    );
    const agent = parseOsloIni('[DEFAULT]\nnova_metadata_port = 8775\n', 'metadata_agent.ini');
    const s = metadataAgentSettings({ paths: [], files: [neutron, agent], unreadable: [] });
    expect(s.socket.value).toBe('/srv/neutron/metadata_proxy');
    expect(s.novaPort).toBe(8775);
    expect(s.secret).toBeUndefined();
  });

  it("reads nova's [neutron] section", () => {
    const f = parseOsloIni(fixture('config/nova.conf.api-neutron-sections.ini'), 'nova.conf');
    const n = novaSettings({ paths: [], files: [f], unreadable: [] });
    expect(n.serviceMetadataProxy.value).toBe(true);
    expect(n.secret?.value).toBe('<shared-secret>');
    expect(n.secretInDefault).toBeUndefined();
  });

  it('treats a missing service_metadata_proxy as false and finds a secret in the wrong section', () => {
    const f = parseOsloIni('[DEFAULT]\nmetadata_proxy_shared_secret = x\n[neutron]\n', 'nova.conf');
    const n = novaSettings({ paths: [], files: [f], unreadable: [] });
    expect(n.serviceMetadataProxy.value).toBe(false);
    expect(n.secret).toBeUndefined();
    expect(n.secretInDefault?.line).toBe(2);
  });

  it('finds nova.conf from OS_NOVA_CONFIG_DIR/FILES and from a uwsgi ini', () => {
    expect(
      novaFilesFromEnv({
        OS_NOVA_CONFIG_DIR: '/s/etc/nova',
        OS_NOVA_CONFIG_FILES: 'nova.conf;nova-metadata.conf',
      }),
    ).toEqual(['/s/etc/nova/nova.conf', '/s/etc/nova/nova-metadata.conf']);
    expect(novaFilesFromEnv({})).toBeUndefined();
    const env = uwsgiIniEnv(
      '[uwsgi]\nhttp-socket = :8775\nenv = OS_NOVA_CONFIG_DIR=/x\nenv = OS_NOVA_CONFIG_FILES=nova.conf;m.conf\n',
    );
    expect(novaFilesFromEnv(env)).toEqual(['/x/nova.conf', '/x/m.conf']);
  });
});

describe('who answered', () => {
  it.each([
    [
      'haproxy-chain/qdhcp-probe-openstack.agent-stopped.503.http',
      'haproxy',
      'No server is available to handle this request.',
    ],
    ['haproxy-chain/qdhcp-probe-openstack.404.http', 'webob', 'The resource could not be found.'],
    [
      'agent-socket/no-x-forwarded-for.500.http',
      'webob',
      'An unknown error has occurred. Please try your request again.',
    ],
    ['nova-metadata/err-bad-signature.403.accept-json.http', 'webob', 'Invalid proxy request signature.'],
    ['agent-socket/vm1.200.http', 'other', undefined],
  ])('%s is a %s page', (file, form, explanation) => {
    const r = httpFixture(file);
    expect(responseForm(r.status, r.headers, r.body)).toBe(form);
    expect(errorExplanation(r.body)).toBe(explanation);
  });
});

describe('accounts and permissions', () => {
  const acc = parseAccounts(
    'root:x:0:0:root:/root:/bin/bash\nneutron:x:107:115::/var/lib/neutron:/bin/false\nhaproxy:x:108:116::/:/bin/false\n',
    'root:x:0:\nneutron:x:115:\nhaproxy:x:116:neutron\n',
  );

  it('names uids and gids', () => {
    expect(acc.userName(107)).toBe('neutron');
    expect(acc.groupName(115)).toBe('neutron');
    expect(acc.uidOf('haproxy')).toBe(108);
    expect(acc.groupsOf('neutron')).toEqual([116]);
    expect(acc.userName(4242)).toBe('4242');
  });

  it.each([
    [{ uid: 107, gid: 115, groups: [] }, { uid: 107, gid: 115, mode: 0o140644 }, true],
    [{ uid: 108, gid: 116, groups: [] }, { uid: 107, gid: 115, mode: 0o140644 }, false],
    [{ uid: 107, gid: 115, groups: [] }, { uid: 0, gid: 0, mode: 0o140600 }, false],
    [{ uid: 108, gid: 116, groups: [115] }, { uid: 107, gid: 115, mode: 0o140664 }, true],
    [{ uid: 0, gid: 0, groups: [] }, { uid: 107, gid: 115, mode: 0o140600 }, true],
  ])('connect(2) write permission for %j on %j is %s', (who, file, want) => {
    expect(mayAccess(who, file, 2)).toBe(want);
  });

  it('renders ls -l modes', () => {
    expect(modeString(0o140644)).toBe('srw-r--r--');
    expect(fixture('node/agent-socket-file.ls-l.txt').startsWith(modeString(0o140644))).toBe(true);
  });
});
