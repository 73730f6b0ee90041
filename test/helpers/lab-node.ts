import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Exec, ExecResult } from '../../src/context.js';
import { responseForm } from '../../src/metadata/error-page.js';
import { signInstanceId } from '../../src/signature.js';
import { FakeNode, TCP_HEADER, tcpListenRow } from './fake-node.js';
import { fixture, httpFixture } from './host-fixtures.js';

// The lab of the fixtures, rebuilt in memory: qdhcp namespace + haproxy, the agent (a real HTTP
// server on a temp UNIX socket), nova's metadata API (a real HTTP server on 127.0.0.1).

export const NET = '42c285f8-e8c2-4e66-bcfa-798fb177d538';
export const NS = `qdhcp-${NET}`;
export const NS_INO = 4026532500;
export const STATE = '/var/lib/osmeta-lab/neutron';
export const VM1 = {
  ip: '10.90.0.10',
  id: 'cc44da1b-aa6c-4ab2-926d-31aa6e134fb0',
  project: '1bdf2554e6544b96a1d84276bf1cdb37',
};
export const VM3 = {
  ip: '10.90.0.11',
  id: '9cf667f8-90f2-4e82-8a23-9422f00ae1e0',
  project: '3ea664627ce54b5c9bec47bdb5168f83',
};
export const STRAY_IP = '10.90.0.99';
export const SECRET = 'lab-secret-value-7f3a';
export const AGENT_CONF = '/var/lib/osmeta-lab/etc/neutron/metadata_agent.ini';
export const NEUTRON_CONF = '/var/lib/osmeta-lab/etc/neutron/neutron.conf';
export const NOVA_CONF = '/var/lib/osmeta-lab/etc/nova/nova.conf';
export const HAPROXY_CONF = `${STATE}/ns-metadata-proxy/${NET}.conf`;
export const PIDFILE = `${STATE}/external/pids/${NET}.pid.haproxy`;
export const HAPROXY_PID = 8469;
export const AGENT_PID = 8256;
export const WORKER_PID = 8321;
export const DHCP_AGENT_PID = 8110;
export const L3_AGENT_PID = 8120;
export const OVS_AGENT_PID = 8100;
export const DHCP_AGENT_CONF = '/var/lib/osmeta-lab/etc/neutron/dhcp_agent.ini';
export const L3_AGENT_CONF = '/var/lib/osmeta-lab/etc/neutron/l3_agent.ini';
export const OVS_AGENT_CONF = '/var/lib/osmeta-lab/etc/neutron/plugins/ml2/openvswitch_agent.ini';
/** the title neutron's agents set (setproctitle): "name (python3 /usr/bin/name --config-file …)" */
export const agentTitle = (program: string, conf: string) =>
  `${program} (/usr/bin/python3 /usr/bin/${program} --config-file ${NEUTRON_CONF} --config-file ${conf})`;
const AGENT_INODE = 274722;
const NOVA_INODE = 55501;
const NOVA_PID = 9001;

export type AgentBehaviour = 'normal' | 'hang' | 'forbidden' | 'nova-down';

export interface LabNode {
  node: FakeNode;
  exec: Exec;
  calls: string[][];
  socketPath: string;
  novaPort: number;
  /** what the probe run inside the namespace answers (a captured .http, or an outcome) */
  haproxyProbe: { file?: string; outcome?: string; status?: number };
  agent: {
    behaviour: AgentBehaviour;
    requests: Record<string, string | undefined>[];
    /** answers instead of the agent's own logic (a hostile agent) */
    handler?: (req: IncomingMessage, res: ServerResponse) => void;
  };
  nova: {
    requests: Record<string, string | undefined>[];
    secret: string;
    /** answers instead of nova's own logic (a hostile nova) */
    handler?: (req: IncomingMessage, res: ServerResponse) => void;
  };
  close(): Promise<void>;
}

function listen(server: Server, target: string | number): Promise<void> {
  return new Promise((resolve) => server.listen(target as never, '127.0.0.1' as never, () => resolve()));
}

function send(res: ServerResponse, file: string) {
  const f = httpFixture(file);
  res.writeHead(f.status, f.headers);
  res.end(f.body);
}

export async function labNode(): Promise<LabNode> {
  const dir = mkdtempSync(join(tmpdir(), 'osmeta-trace-'));
  const socketPath = join(dir, 'metadata_proxy');
  const agent: LabNode['agent'] = { behaviour: 'normal', requests: [] };
  const nova: LabNode['nova'] = { requests: [], secret: SECRET };
  const pending: ServerResponse[] = [];

  const agentServer = createServer((req: IncomingMessage, res: ServerResponse) => {
    agent.requests.push(flat(req));
    if (agent.handler) return agent.handler(req, res);
    const xff = req.headers['x-forwarded-for'];
    if (agent.behaviour === 'hang') {
      pending.push(res);
      return;
    }
    if (agent.behaviour === 'nova-down') return send(res, 'agent-socket/no-x-forwarded-for.500.http');
    if (agent.behaviour === 'forbidden' && xff === VM1.ip) {
      res.writeHead(403, { 'Content-Type': 'text/html; charset=UTF-8' });
      return res.end(
        '<html>\n <head>\n  <title>403 Forbidden</title>\n </head>\n <body>\n  <h1>403 Forbidden</h1>\n  Access was denied to this resource.<br /><br />\n\n\n\n </body>\n</html>',
      );
    }
    if (xff === VM1.ip) return send(res, 'agent-socket/vm1.200.http');
    if (xff === VM3.ip) return send(res, 'agent-socket/vm3-port-in-other-project.404.http');
    return send(res, 'agent-socket/unknown-ip.404.http');
  });
  await new Promise<void>((resolve) => agentServer.listen(socketPath, () => resolve()));

  const novaServer = createServer((req, res) => {
    nova.requests.push(flat(req));
    if (nova.handler) return nova.handler(req, res);
    if (req.url === '/') return send(res, 'nova-metadata/root.200.http');
    const id = req.headers['x-instance-id'];
    const sig = req.headers['x-instance-id-signature'];
    if (typeof id !== 'string' || sig !== signInstanceId(nova.secret, id)) {
      return send(res, 'nova-metadata/err-bad-signature.403.accept-json.http');
    }
    if (id === VM1.id && req.headers['x-tenant-id'] === VM1.project) {
      return send(res, 'nova-metadata/openstack-latest-meta_data.json.200.http');
    }
    return send(res, 'nova-metadata/err-tenant-mismatch.404.accept-json.http');
  });
  await listen(novaServer, 0);
  const novaPort = (novaServer.address() as AddressInfo).port;

  const node = new FakeNode();
  node
    .file(
      '/etc/passwd',
      'root:x:0:0:root:/root:/bin/bash\nneutron:x:107:115::/var/lib/neutron:/usr/sbin/nologin\nnova:x:108:116::/var/lib/nova:/usr/sbin/nologin\n',
    )
    .file('/etc/group', 'root:x:0:\nneutron:x:115:\nnova:x:116:\n')
    .file('/proc/sys/net/ipv6/conf/default/disable_ipv6', '0\n')
    .file(`/run/netns/${NS}`, '', { ino: NS_INO })
    .file(`/run/netns/vm1`, '', { ino: 4026532600 })
    .file(
      '/proc/net/unix',
      fixture('node/proc-net-unix.txt').replaceAll('/var/lib/osmeta-lab/neutron/metadata_proxy', socketPath),
    )
    .file('/proc/net/tcp', TCP_HEADER + tcpListenRow(novaPort, NOVA_INODE))
    .file('/proc/net/tcp6', TCP_HEADER)
    .socket(socketPath, { uid: 107, gid: 115, mode: 0o140644, ino: AGENT_INODE })
    .file(NEUTRON_CONF, `[DEFAULT]\nstate_path = ${STATE}\ncore_plugin = ml2\n`)
    .file(
      AGENT_CONF,
      fixture('config/metadata_agent.ini')
        .replace('<shared-secret>', SECRET)
        .replace('/var/lib/osmeta-lab/neutron/metadata_proxy', socketPath)
        .replace('nova_metadata_port = 8775', `nova_metadata_port = ${novaPort}`),
    )
    .file(NOVA_CONF, fixture('config/nova.conf.api-neutron-sections.ini').replace('<shared-secret>', SECRET))
    .file(
      '/var/lib/osmeta-lab/etc/nova/nova-metadata-uwsgi.ini',
      `[uwsgi]\nhttp-socket = 127.0.0.1:${novaPort}\nenv = OS_NOVA_CONFIG_DIR=/var/lib/osmeta-lab/etc/nova\nenv = OS_NOVA_CONFIG_FILES=api-paste.ini;nova.conf\n`,
    )
    .file(
      HAPROXY_CONF,
      fixture('haproxy-config/lab-live-qdhcp.conf').replace(
        '/var/lib/osmeta-lab/neutron/metadata_proxy',
        socketPath,
      ),
    )
    .file(PIDFILE, `${HAPROXY_PID}\n`)
    .file(`${STATE}/dhcp/${NET}/opts`, fixture('node/dhcp-opts.isolated.txt'))
    .process(1, { argv: ['/sbin/init'] })
    .process(HAPROXY_PID, {
      argv: fixture('node/haproxy-proc-cmdline.bin').split('\0').slice(0, 3),
      uid: 107,
      gid: 115,
      netns: NS_INO,
      tcp: fixture('node/haproxy-netns-proc-net-tcp.txt'),
      tcp6: fixture('node/haproxy-netns-proc-net-tcp6.txt'),
    })
    .process(AGENT_PID, {
      title: fixture('node/agent-proc-cmdline.bin').replace(/\0$/, ''),
      uid: 107,
      gid: 115,
      sockets: [AGENT_INODE, 274724],
    })
    .process(WORKER_PID, {
      title: fixture('node/agent-proc-cmdline.bin').replace(/\0$/, ''),
      ppid: AGENT_PID,
      uid: 107,
      gid: 115,
      sockets: [AGENT_INODE],
    })
    // the agents' socket is the metadata agent's (the lab's: $state_path/metadata_proxy)
    .file(DHCP_AGENT_CONF, withSocket(fixture('config/dhcp_agent.ini'), socketPath))
    .file(L3_AGENT_CONF, withSocket(fixture('config/l3_agent.ini'), socketPath))
    .file(OVS_AGENT_CONF, '[ovs]\nintegration_bridge = br-int\ndatapath_type = netdev\n')
    .process(DHCP_AGENT_PID, { title: agentTitle('neutron-dhcp-agent', DHCP_AGENT_CONF), uid: 107, gid: 115 })
    .process(L3_AGENT_PID, { title: agentTitle('neutron-l3-agent', L3_AGENT_CONF), uid: 107, gid: 115 })
    .process(OVS_AGENT_PID, {
      title: agentTitle('neutron-openvswitch-agent', OVS_AGENT_CONF),
      uid: 107,
      gid: 115,
    })
    .process(NOVA_PID, {
      argv: ['uwsgi', '--ini', '/var/lib/osmeta-lab/etc/nova/nova-metadata-uwsgi.ini'],
      uid: 108,
      sockets: [NOVA_INODE],
    })
    .process(NOVA_PID + 1, {
      argv: ['uwsgi', '--ini', '/var/lib/osmeta-lab/etc/nova/nova-metadata-uwsgi.ini'],
      ppid: NOVA_PID,
      uid: 108,
      sockets: [NOVA_INODE],
    });

  const calls: string[][] = [];
  const lab: LabNode = {
    node,
    calls,
    socketPath,
    novaPort,
    haproxyProbe: { file: 'haproxy-chain/qdhcp-probe-openstack.404.http' },
    agent,
    nova,
    exec: async (file, args): Promise<ExecResult> => {
      calls.push([file, ...args]);
      const ok = (stdout: string): ExecResult => ({
        code: 0,
        signal: null,
        stdout,
        stderr: '',
        timedOut: false,
        durationMs: 1,
      });
      if (file === 'ip' && args[0] === '-j' && args[1] === '-n') {
        if (node.entries.has(`/run/netns/${args[2]}`)) return ok(fixture('node/ip-n-qdhcp-j-addr.json'));
        return {
          ...ok(''),
          code: 1,
          stderr: `Cannot open network namespace "${args[2]}": No such file or directory`,
        };
      }
      if (file === 'ip' && args[0] === 'netns' && args[1] === 'exec' && args.includes('__probe-http')) {
        const p = lab.haproxyProbe;
        if (p.file) {
          const f = httpFixture(p.file);
          return ok(
            JSON.stringify({
              outcome: 'response',
              connected: true,
              latencyMs: 3,
              status: f.status,
              headers: f.headers,
              body: f.body,
              form: responseForm(f.status, f.headers, f.body),
            }),
          );
        }
        return ok(
          JSON.stringify({
            outcome: p.outcome,
            connected: p.outcome === 'hang',
            latencyMs: 5,
            error: p.outcome,
          }),
        );
      }
      return {
        code: 127,
        signal: null,
        stdout: '',
        stderr: `unexpected exec ${file} ${args.join(' ')}`,
        timedOut: false,
        durationMs: 0,
      };
    },
    close: async () => {
      for (const r of pending) r.destroy();
      agentServer.closeAllConnections();
      novaServer.closeAllConnections();
      await Promise.all([new Promise((r) => agentServer.close(r)), new Promise((r) => novaServer.close(r))]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return lab;
}

function withSocket(ini: string, socketPath: string): string {
  return ini.replace('[DEFAULT]\n', `[DEFAULT]\nmetadata_proxy_socket = ${socketPath}\n`);
}

function flat(req: IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = { url: req.url };
  for (const [k, v] of Object.entries(req.headers)) out[k] = Array.isArray(v) ? v.join(',') : v;
  return out;
}
