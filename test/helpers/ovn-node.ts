import type { ExecResult } from '../../src/context.js';
import { TCP_HEADER } from './fake-node.js';
import { fixture } from './host-fixtures.js';
import { type LabNode, SECRET, STATE, VM1, VM3 } from './lab-node.js';
import { type FakeOvsdb, fakeOvsdb, map, type Row, set, uuid } from './ovsdb-server.js';

// An OVN chassis on top of the lab node: an ovnmeta- namespace with haproxy, the OVN agent (it
// serves the lab's agent socket), ovn-controller, and two tiny OVSDB servers standing in for the
// node's Open vSwitch database and OVN's southbound database.

export const OVN_NET = '3c5e7a9b-2d4f-4b6a-8c1e-5f7a9b3d2c4e';
export const OVNMETA = `ovnmeta-${OVN_NET}`;
export const OVNMETA_INO = 4026532900;
export const CHASSIS = 'node-1';
export const OTHER_CHASSIS = 'node-2';
export const METADATA_PORT_IP = '10.90.0.2';
export const OVN_AGENT_PID = 7200;
export const OVN_CONTROLLER_PID = 7300;
export const OVN_HAPROXY_PID = 7101;
export const OVN_INI = '/etc/neutron/neutron_ovn_metadata_agent.ini';
export const OVN_AGENT_INI = '/etc/neutron/plugins/ml2/ovn_agent.ini';
export const TAP_IN = `tap${OVN_NET.slice(0, 10)}1`;

export interface OvnNode {
  sb: FakeOvsdb;
  ovs: FakeOvsdb;
  /** the namespace's `ip -j addr` (edit to break it) */
  addresses: { local: string; prefixlen: number }[];
  /** Port_Binding rows of the SB (edit to break them) */
  bindings: Row[];
  sbTables: FakeOvsdb['dbs'][string];
  /** the agent's ini, rewritten by setAgent */
  writeAgentIni(extra?: { sb?: string; ovs?: string; program?: 'meta' | 'agent'; extensions?: string }): void;
  exec(file: string, args: readonly string[]): Promise<ExecResult>;
  close(): Promise<void>;
}

export function metadataPortRow(mac = `fa:16:3e:00:00:02 ${METADATA_PORT_IP}`): Row {
  return {
    logical_port: 'a0e1c2d3-0000-4000-8000-00000000mdp1',
    type: 'localport',
    mac: set(mac),
    chassis: set(),
    datapath: uuid('dp-1'),
    external_ids: map({
      'neutron:cidrs': `${METADATA_PORT_IP}/24`,
      'neutron:device_id': `ovnmeta-${OVN_NET}`,
      'neutron:device_owner': 'network:distributed',
    }),
  };
}

export function vifRow(
  ip: string,
  port: string,
  chassis: string | null,
  owner?: { id: string; project: string },
): Row {
  return {
    logical_port: port,
    type: '',
    // a one-element set travels as the bare atom
    mac: `fa:16:3e:fe:cc:24 ${ip}`,
    chassis: chassis === null ? set() : uuid(chassis),
    datapath: uuid('dp-1'),
    external_ids: map({
      'neutron:device_owner': 'compute:nova',
      ...(owner ? { 'neutron:device_id': owner.id, 'neutron:project_id': owner.project } : {}),
    }),
  };
}

export async function ovnNode(lab: LabNode): Promise<OvnNode> {
  const bindings: Row[] = [
    metadataPortRow(),
    vifRow(VM3.ip, 'port-vm3', 'ch-1', { id: VM3.id, project: VM3.project }),
    vifRow(VM1.ip, 'port-vm1', 'ch-1', { id: VM1.id, project: VM1.project }),
    { ...vifRow('10.99.0.5', 'port-other-net', 'ch-1'), datapath: uuid('dp-2') },
  ];
  const sbTables: FakeOvsdb['dbs'][string] = {
    Chassis: [
      { _uuid: uuid('ch-1'), name: CHASSIS, hostname: 'node-1.lab', external_ids: map({}) },
      { _uuid: uuid('ch-2'), name: OTHER_CHASSIS, hostname: 'node-2.lab', external_ids: map({}) },
    ],
    Chassis_Private: [
      {
        name: CHASSIS,
        external_ids: map({ 'neutron:ovn-metadata-id': 'b8f6c0e2-0000-5000-8000-000000000001' }),
      },
    ],
    Datapath_Binding: [
      { _uuid: uuid('dp-1'), external_ids: map({ name: `neutron-${OVN_NET}`, name2: 'lab-net' }) },
      { _uuid: uuid('dp-2'), external_ids: map({ name: 'neutron-other', name2: 'other' }) },
    ],
    Port_Binding: bindings,
  };
  const sb = await fakeOvsdb({ OVN_Southbound: sbTables }, 'tcp');
  const ovs = await fakeOvsdb({
    Open_vSwitch: {
      Open_vSwitch: [
        {
          external_ids: map({
            'system-id': CHASSIS,
            'ovn-remote': sb.remote,
            'ovn-encap-type': 'geneve',
            'ovn-encap-ip': '127.0.0.1',
            hostname: 'node-1.lab',
          }),
        },
      ],
    },
  });
  const conf = `${STATE}/ovn-metadata-proxy/${OVN_NET}.conf`;
  const node: OvnNode = {
    sb,
    ovs,
    bindings,
    sbTables,
    addresses: [
      { local: METADATA_PORT_IP, prefixlen: 24 },
      { local: '169.254.169.254', prefixlen: 32 },
    ],
    writeAgentIni(o = {}) {
      const program = o.program === 'agent' ? 'neutron-ovn-agent' : 'neutron-ovn-metadata-agent';
      const ini = o.program === 'agent' ? OVN_AGENT_INI : OVN_INI;
      lab.node.file(
        ini,
        `[DEFAULT]\nstate_path = ${STATE}\nnova_metadata_port = ${lab.novaPort}\nmetadata_proxy_shared_secret = ${SECRET}\nmetadata_proxy_socket = ${lab.socketPath}\n` +
          (o.extensions !== undefined ? `[agent]\nextensions = ${o.extensions}\n` : '') +
          `[ovn]\novn_sb_connection = ${o.sb ?? sb.remote}\n[ovs]\novsdb_connection = ${o.ovs ?? ovs.remote}\n`,
      );
      const files =
        o.program === 'agent'
          ? `--config-file /etc/neutron/neutron.conf --config-file ${ini}`
          : `--config-file=${ini} --config-file=/etc/neutron/neutron.conf`;
      lab.node.process(OVN_AGENT_PID, {
        title: `${program} (/usr/bin/python3 /usr/bin/${program} ${files})`,
        sockets: [274722],
      });
    },
    exec: async (file, args) => {
      if (file === 'ip' && args[0] === '-j' && args[2] === OVNMETA) {
        if (!lab.node.entries.has(`/run/netns/${OVNMETA}`)) return lab.exec(file, args);
        return {
          code: 0,
          signal: null,
          stdout: JSON.stringify([
            { ifname: 'lo', flags: ['LOOPBACK', 'UP'], addr_info: [] },
            {
              ifname: TAP_IN,
              flags: ['BROADCAST', 'UP'],
              addr_info: node.addresses.map((a) => ({ family: 'inet', ...a })),
            },
          ]),
          stderr: '',
          timedOut: false,
          durationMs: 1,
        };
      }
      return lab.exec(file, args);
    },
    close: async () => {
      await Promise.all([sb.close(), ovs.close()]);
    },
  };
  lab.node
    .file(`/run/netns/${OVNMETA}`, '', { ino: OVNMETA_INO })
    .file(
      conf,
      fixture('haproxy-config/ovnmeta.conf')
        .replace('/var/lib/neutron/metadata_proxy', lab.socketPath)
        .replace('/var/lib/neutron/external', `${STATE}/external`),
    )
    .file(`${STATE}/external/pids/${OVN_NET}.pid.haproxy`, `${OVN_HAPROXY_PID}\n`)
    .file('/etc/neutron/neutron.conf', '[DEFAULT]\ncore_plugin = ml2\n')
    .process(OVN_HAPROXY_PID, {
      argv: ['haproxy', '-f', conf],
      netns: OVNMETA_INO,
      tcp: fixture('node/haproxy-netns-proc-net-tcp.txt'),
      tcp6: TCP_HEADER,
    })
    .process(OVN_CONTROLLER_PID, {
      argv: ['ovn-controller', ovs.remote, '-vconsole:emer', '--pidfile', '--detach'],
    });
  node.writeAgentIni();
  return node;
}
