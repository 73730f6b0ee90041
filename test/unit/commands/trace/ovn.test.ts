import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { traceGuest } from '../../../../src/commands/trace/guest.js';
import type { OpenStackLookup, PortInfo } from '../../../../src/commands/trace/lookup.js';
import { createTestContext, runCli } from '../../../helpers/context.js';
import { type LabNode, labNode, NET, NS, STATE, VM1, VM3 } from '../../../helpers/lab-node.js';
import {
  CHASSIS,
  METADATA_PORT_IP,
  metadataPortRow,
  OVN_AGENT_PID,
  OVN_CONTROLLER_PID,
  OVN_HAPROXY_PID,
  OVN_INI,
  OVN_NET,
  OVNMETA,
  type OvnNode,
  ovnNode,
  TAP_IN,
  vifRow,
} from '../../../helpers/ovn-node.js';
import { map, uuid } from '../../../helpers/ovsdb-server.js';

// ovnmeta- namespaces end to end on a fake chassis: the OVN hop reads a real OVSDB JSON-RPC
// server (Open vSwitch and the southbound database) at the agent's own connection strings.

interface HopJson {
  name: string;
  status: string;
  detail: string;
  evidence: Record<string, unknown>;
}
interface TraceJson {
  netns: string;
  ok: boolean;
  hops: HopJson[];
  diagnosis: { hop: string; code: string; cause: string; fix: string } | null;
}

let lab: LabNode;
let ovn: OvnNode;
beforeEach(async () => {
  lab = await labNode();
  ovn = await ovnNode(lab);
});
afterEach(async () => {
  await ovn.close();
  await lab.close();
});

async function trace(args: string[], o: { json?: boolean } = {}) {
  const r = await runCli(['trace', ...args, ...(o.json === false ? [] : ['--json'])], {
    fs: lab.node.fs(),
    exec: ovn.exec,
    uid: 0,
  });
  return r;
}
async function traceJson(args: string[]) {
  const r = await trace(args);
  const doc = JSON.parse(r.stdout) as TraceJson;
  const hop = (n: string) => doc.hops.find((h) => h.name === n)!;
  return { ...r, doc, hop };
}

describe('trace --netns ovnmeta-<network> on a healthy chassis', () => {
  it('checks every hop: addresses, haproxy with X-OVN-Network-ID, socket, agent, SB, chassis, probes', async () => {
    const { code, doc, hop, stderr } = await traceJson(['--netns', OVNMETA, '--ip', VM1.ip]);
    expect(stderr).toBe('');
    expect(doc.diagnosis).toBe(null);
    expect(code).toBe(0);
    expect(hop('namespace')).toMatchObject({
      status: 'ok',
      detail: `169.254.169.254, ${METADATA_PORT_IP} on ${TAP_IN}`,
    });
    expect(hop('namespace').evidence.metadataPortAddresses).toEqual([`${METADATA_PORT_IP}/24`]);
    expect(hop('haproxy').evidence.header).toBe(`X-OVN-Network-ID ${OVN_NET}`);
    expect(hop('ovn')).toMatchObject({
      status: 'ok',
      target: `network ${OVN_NET} on ${CHASSIS}`,
      detail: `ovn-controller pid ${OVN_CONTROLLER_PID}, SB ${ovn.sb.remote} answers, chassis ${CHASSIS} (neutron-ovn-metadata-agent registered), metadata port ${METADATA_PORT_IP}, ${VM1.ip} bound here`,
    });
    expect(hop('ovn').evidence).toMatchObject({
      ovnController: OVN_CONTROLLER_PID,
      sbConnection: ovn.sb.remote,
      sbConnectionFrom: '/etc/neutron/neutron_ovn_metadata_agent.ini:7',
      systemId: CHASSIS,
      chassis: { name: CHASSIS, hostname: 'node-1.lab' },
      agentRecord: {
        table: 'Chassis_Private',
        key: 'neutron:ovn-metadata-id',
        value: 'b8f6c0e2-0000-5000-8000-000000000001',
      },
      metadataPort: { ips: [METADATA_PORT_IP] },
      guestBinding: { logicalPort: 'port-vm1', chassis: CHASSIS, here: true },
    });
    expect(hop('agent').evidence).toMatchObject({
      program: 'neutron-ovn-metadata-agent',
      pid: OVN_AGENT_PID,
      ovn: { sbConnection: ovn.sb.remote, ovsdbConnection: ovn.ovs.remote },
    });
    expect(hop('probe-socket').evidence.header).toBe(`X-OVN-Network-ID: ${OVN_NET}`);
    expect(lab.agent.requests[0]).toMatchObject({ 'x-ovn-network-id': OVN_NET, 'x-forwarded-for': VM1.ip });
    // read-only: the SB and the local database were asked selects and their schema only
    for (const db of [ovn.sb, ovn.ovs]) {
      for (const q of db.requests) expect(['transact', 'get_schema']).toContain(q.method);
      const ops = db.requests
        .filter((q) => q.method === 'transact')
        .flatMap((q) => (q.params as { op?: string }[]).slice(1));
      expect(ops.every((o) => o.op === 'select')).toBe(true);
    }
  });

  it('without a guest and without Neutron: impersonates a port the SB binds here, counts the ports bound here', async () => {
    const { code, doc, hop } = await traceJson(['--netns', OVNMETA]);
    expect(hop('ovn').detail).toMatch(/, 2 ports bound here$/);
    expect((doc as unknown as { guest: unknown }).guest).toMatchObject({
      ip: VM1.ip,
      source: 'ovn-sb',
      portId: 'port-vm1',
      instanceId: VM1.id,
    });
    expect(hop('probe-socket').status).toBe('ok');
    expect(hop('probe-nova').status).toBe('ok');
    expect(code).toBe(0);
  });

  it('draws the ovn hop on a terminal', async () => {
    const r = await trace(['--netns', OVNMETA, '--ip', VM1.ip], { json: false });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/✔ ovn {11}network 3c5e7a9b-2d4f-4b6a-8c1e-5f7a9b3d2c4e on node-1 +\d+ ms\n/);
    expect(r.stdout).toContain('every hop is healthy');
  });
});

describe('what only OVN breaks: named at the ovn hop', () => {
  it('ovn-controller stopped: says what guests see', async () => {
    lab.node.kill(OVN_CONTROLLER_PID);
    const { code, doc } = await traceJson(['--netns', OVNMETA, '--ip', VM1.ip]);
    expect(code).toBe(3);
    expect(doc.diagnosis).toMatchObject({ hop: 'ovn', code: 'ovn_controller_down' });
    expect(doc.diagnosis!.cause).toContain('a guest that renews or boots gets no lease');
  });

  it("the agent's SB connection refused: names the setting, and ovn-controller's SB that answers", async () => {
    ovn.writeAgentIni({ sb: 'tcp:127.0.0.1:1' });
    const { code, doc, hop } = await traceJson(['--netns', OVNMETA, '--ip', VM1.ip]);
    expect(code).toBe(3);
    expect(doc.diagnosis).toMatchObject({ hop: 'ovn', code: 'sb_unreachable' });
    expect(doc.diagnosis!.cause).toBe(
      `the southbound database at the agent's [ovn] ovn_sb_connection = tcp:127.0.0.1:1 (/etc/neutron/neutron_ovn_metadata_agent.ini:7) does not answer (connection refused); ovn-controller's ovn-remote ${ovn.sb.remote} answers: only the agent's setting is wrong: the agent cannot look ports up or follow bindings, so it provisions no namespace and new guests get no metadata`,
    );
    expect(doc.diagnosis!.fix).toContain(`set ovn_sb_connection to ${ovn.sb.remote}`);
    expect(hop('ovn').evidence).toMatchObject({ sbAnswered: false, sbError: 'refused' });
  });

  it('the network has no metadata port: the torn-down namespace is its consequence', async () => {
    ovn.bindings.splice(0, 1);
    lab.node.remove(`/run/netns/${OVNMETA}`);
    const { code, doc, hop } = await traceJson(['--netns', OVNMETA, '--ip', VM1.ip]);
    expect(code).toBe(3);
    expect(hop('namespace').status).toBe('fail');
    expect(doc.diagnosis).toMatchObject({ hop: 'ovn', code: 'metadata_port_missing' });
    expect(doc.diagnosis!.fix).toContain('network:distributed');
  });

  it('the metadata port has no IP', async () => {
    ovn.bindings[0] = {
      ...metadataPortRow('fa:16:3e:00:00:02'),
      external_ids: map({ 'neutron:device_owner': 'network:distributed' }),
    };
    const { doc } = await traceJson(['--netns', OVNMETA, '--ip', VM1.ip]);
    expect(doc.diagnosis).toMatchObject({ hop: 'ovn', code: 'metadata_port_no_ip' });
  });

  it("the metadata port's address is not in the namespace", async () => {
    ovn.addresses.splice(0, 1);
    const { doc, hop } = await traceJson(['--netns', OVNMETA, '--ip', VM1.ip]);
    expect(hop('namespace')).toMatchObject({ status: 'fail' });
    expect(doc.diagnosis).toMatchObject({ hop: 'ovn', code: 'metadata_port_ip_mismatch' });
  });

  it('the guest is bound to another chassis: names it and its host', async () => {
    ovn.bindings[2] = vifRow(VM1.ip, 'port-vm1', 'ch-2');
    const { code, doc, hop } = await traceJson(['--netns', OVNMETA, '--ip', VM1.ip]);
    expect(code).toBe(3);
    expect(doc.diagnosis).toMatchObject({ hop: 'ovn', code: 'port_bound_elsewhere' });
    expect(doc.diagnosis!.cause).toContain('is bound to node-2 (host node-2.lab), not to this node');
    expect(doc.diagnosis!.fix).toContain('on node-2.lab');
    expect(hop('ovn').evidence.guestBinding).toEqual({
      logicalPort: 'port-vm1',
      chassis: 'node-2',
      hostname: 'node-2.lab',
      here: false,
    });
    // the agent still serves it (any chassis will do for its lookup)
    expect(hop('probe-socket').status).toBe('ok');
  });

  it.each([
    [null, 'guest_port_unbound'],
    ['dup', 'guest_port_duplicate'],
    ['none', 'guest_port_missing'],
  ])('the guest binding %s → %s', async (what, code) => {
    if (what === null) ovn.bindings[2] = vifRow(VM1.ip, 'port-vm1', null);
    if (what === 'dup') ovn.bindings.push(vifRow(VM1.ip, 'port-vm1-copy', 'ch-1'));
    if (what === 'none') ovn.bindings.splice(2, 1);
    const { doc } = await traceJson(['--netns', OVNMETA, '--ip', VM1.ip]);
    expect(doc.diagnosis).toMatchObject({ hop: 'ovn', code });
  });

  it('no port of the network bound here (no guest asked)', async () => {
    ovn.bindings[2] = vifRow(VM1.ip, 'port-vm1', 'ch-2');
    ovn.bindings[1] = vifRow(VM3.ip, 'port-vm3', 'ch-2');
    const { doc } = await traceJson(['--netns', OVNMETA]);
    expect(doc.diagnosis).toMatchObject({ hop: 'ovn', code: 'no_port_bound_here' });
  });

  it("the agent's chassis record is missing; with the agent stopped, the agent is the cause", async () => {
    ovn.sbTables.Chassis_Private = [{ name: CHASSIS, external_ids: map({}) }];
    let { doc } = await traceJson(['--netns', OVNMETA, '--ip', VM1.ip]);
    expect(doc.diagnosis).toMatchObject({ hop: 'ovn', code: 'agent_chassis_record_missing' });
    lab.node.kill(OVN_AGENT_PID);
    ({ doc } = await traceJson(['--netns', OVNMETA, '--ip', VM1.ip]));
    expect(doc.diagnosis).toMatchObject({ hop: 'agent', code: 'agent_down' });
  });

  it("the agent stopped, its config unknown: the SB is ovn-controller's, the local database the one ovn-controller uses", async () => {
    lab.node.kill(OVN_AGENT_PID).remove(OVN_INI);
    const { doc, hop } = await traceJson(['--netns', OVNMETA, '--ip', VM1.ip]);
    expect(hop('ovn')).toMatchObject({ status: 'ok' });
    expect(hop('ovn').evidence).toMatchObject({
      sbConnection: ovn.sb.remote,
      sbConnectionFrom: 'ovn-remote',
      ovsConnection: ovn.ovs.remote,
      systemId: CHASSIS,
    });
    expect(doc.diagnosis).toMatchObject({ hop: 'agent', code: 'agent_down' });
  });

  it('an SB without Chassis_Private (OVN before 20.09): the record is read from Chassis', async () => {
    delete ovn.sbTables.Chassis_Private;
    ovn.sbTables.Chassis![0]!.external_ids = map({ 'neutron:ovn-metadata-id': 'x-1' });
    const { code, hop } = await traceJson(['--netns', OVNMETA, '--ip', VM1.ip]);
    expect(hop('ovn').evidence.agentRecord).toEqual({
      table: 'Chassis',
      key: 'neutron:ovn-metadata-id',
      value: 'x-1',
    });
    expect(code).toBe(0);
  });

  it('no Chassis for this system-id', async () => {
    ovn.sbTables.Chassis = ovn.sbTables.Chassis!.filter((c) => c.name !== CHASSIS);
    const { doc } = await traceJson(['--netns', OVNMETA, '--ip', VM1.ip]);
    expect(doc.diagnosis).toMatchObject({ hop: 'ovn', code: 'chassis_missing' });
  });

  it('no datapath for the network', async () => {
    ovn.sbTables.Datapath_Binding = [];
    const { doc } = await traceJson(['--netns', OVNMETA, '--ip', VM1.ip]);
    expect(doc.diagnosis).toMatchObject({ hop: 'ovn', code: 'ovn_network_missing' });
  });
});

describe('the hops OVN shares with ML2/OVS, on an ovnmeta namespace', () => {
  it("haproxy killed and the agent's ProcessMonitor off: nothing respawns it", async () => {
    const ini = lab.node.entries.get(OVN_INI)!.content!;
    lab.node.file(OVN_INI, `${ini}[agent]\ncheck_child_processes_interval = 0\n`);
    lab.node.kill(OVN_HAPROXY_PID);
    const { code, doc } = await traceJson(['--netns', OVNMETA, '--ip', VM1.ip]);
    expect(code).toBe(3);
    expect(doc.diagnosis).toMatchObject({ hop: 'haproxy', code: 'haproxy_dead' });
    expect(doc.diagnosis!.cause).toContain(
      `nothing respawns it: check_child_processes_interval = 0 (${OVN_INI}:11), check_child_processes_action = respawn`,
    );
    expect(doc.diagnosis!.fix).toMatch(/^restart neutron-ovn-metadata-agent: /);
  });
});

describe("when OVN's databases cannot be reached", () => {
  it('containerized: one line, the ovn hop skipped, the other hops checked', async () => {
    ovn.writeAgentIni({ sb: 'unix:/run/ovn/ovnsb_db.sock', ovs: 'unix:/run/openvswitch/db.sock' });
    // ovn-controller runs in its container, with the container's paths
    lab.node.process(OVN_CONTROLLER_PID, { argv: ['ovn-controller', 'unix:/run/openvswitch/db.sock'] });
    const r = await trace(['--netns', OVNMETA, '--ip', VM1.ip], { json: false });
    expect(r.code).toBe(0);
    const notes = r.stderr.split('\n').filter((l) => l.includes("OVN's databases"));
    expect(notes).toEqual([
      "note: OVN's databases cannot be read from here (unix:/run/openvswitch/db.sock: no such socket; unix:/run/ovn/ovnsb_db.sock: no such socket; containerized deployment?): ovn-controller, chassis and port bindings not checked",
    ]);
    expect(r.stdout).toMatch(/– ovn /);
  });

  it('ovn-controller in a container (neither it nor its database in sight): a note, the SB still read', async () => {
    ovn.writeAgentIni({ ovs: 'unix:/run/openvswitch/db.sock' });
    lab.node.kill(OVN_CONTROLLER_PID);
    const r = await trace(['--netns', OVNMETA, '--ip', VM1.ip], { json: false });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      'note: ovn-controller is not seen on this node and unix:/run/openvswitch/db.sock cannot be read (containerized?): not checked\n',
    );
    expect(r.stdout).toMatch(
      /✔ ovn .*\n.*ovn-controller not seen, SB tcp:\S+ answers, chassis not read, metadata port 10\.90\.0\.2, 10\.90\.0\.10 bound \(this chassis unknown\)\n/,
    );
  });

  it('ssl: says it is not supported, in one line, and goes on', async () => {
    ovn.writeAgentIni({ sb: 'ssl:127.0.0.1:6642' });
    const r = await trace(['--netns', OVNMETA, '--ip', VM1.ip], { json: false });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      'note: ssl:127.0.0.1:6642: ssl: connections are not supported (osmeta speaks tcp: and unix: only); the southbound database not checked\n',
    );
  });
});

describe('neutron-ovn-agent (2024.1+) with its metadata extension', () => {
  const master = (f: string) =>
    readFileSync(new URL(`../../../fixtures/neutron-master/${f}`, import.meta.url), 'utf8');

  it("is recognised as the OVN agent; its haproxy config (neutron master's) is read; its key is checked", async () => {
    ovn.writeAgentIni({ program: 'agent', extensions: 'metadata' });
    lab.node.remove('/etc/neutron/neutron_ovn_metadata_agent.ini');
    lab.node.file(
      `${STATE}/ovn-metadata-proxy/${OVN_NET}.conf`,
      master('ovnmeta.ipv4.conf')
        .replace('/var/lib/neutron/metadata_proxy', lab.socketPath)
        .replace('/var/lib/neutron/external', `${STATE}/external`),
    );
    ovn.sbTables.Chassis_Private = [
      {
        name: CHASSIS,
        external_ids: map({ 'neutron:ovn-neutron-agent-id': 'c0ffee00-0000-5000-8000-000000000002' }),
      },
    ];
    const { code, doc, hop } = await traceJson(['--netns', OVNMETA, '--ip', VM1.ip]);
    expect(doc.diagnosis).toBe(null);
    expect(code).toBe(0);
    expect(hop('agent').evidence).toMatchObject({
      program: 'neutron-ovn-agent',
      configFiles: ['/etc/neutron/neutron.conf', '/etc/neutron/plugins/ml2/ovn_agent.ini'],
      ovn: { extensions: ['metadata'] },
    });
    expect(hop('haproxy').evidence).toMatchObject({ header: `X-OVN-Network-ID ${OVN_NET}`, nbthread: 2 });
    expect(hop('ovn').evidence.agentRecord).toMatchObject({ key: 'neutron:ovn-neutron-agent-id' });
    expect(hop('ovn').detail).toContain('(neutron-ovn-agent registered)');
  });

  it('without the metadata extension: nothing serves metadata', async () => {
    ovn.writeAgentIni({ program: 'agent', extensions: 'qos_hwol' });
    lab.node.remove('/etc/neutron/neutron_ovn_metadata_agent.ini');
    const { doc } = await traceJson(['--netns', OVNMETA, '--ip', VM1.ip]);
    expect(doc.diagnosis).toMatchObject({ hop: 'agent', code: 'ovn_agent_metadata_off' });
  });
});

describe('trace --all and --ip on an OVN chassis', () => {
  it('--all: the ovnmeta namespace healthy, its agent probed once as a guest the SB names', async () => {
    const r = await runCli(['trace', '--all', '--json'], { fs: lab.node.fs(), exec: ovn.exec, uid: 0 });
    const doc = JSON.parse(r.stdout) as { ok: boolean; namespaces: (TraceJson & { guest: unknown })[] };
    const o = doc.namespaces.find((n) => n.netns === OVNMETA)!;
    expect(o.ok, JSON.stringify(o.diagnosis)).toBe(true);
    expect(o.guest).toMatchObject({ ip: VM1.ip, source: 'ovn-sb' });
    expect(o.hops.find((h) => h.name === 'probe-socket')!.status).toBe('ok');
    expect(o.hops.find((h) => h.name === 'ovn')!.status).toBe('ok');
    expect(lab.agent.requests.filter((q) => q['x-ovn-network-id'] === OVN_NET)).toHaveLength(1);
    expect(r.code).toBe(doc.ok ? 0 : 3);
  });

  it('--all includes the ovnmeta namespace; the metrics carry the ovn hop', async () => {
    ovn.bindings[2] = vifRow(VM1.ip, 'port-vm1', 'ch-2');
    ovn.bindings[1] = vifRow(VM3.ip, 'port-vm3', 'ch-2');
    const r = await runCli(['trace', '--all', '--prometheus', '-'], {
      fs: lab.node.fs(),
      exec: ovn.exec,
      uid: 0,
    });
    expect(r.code).toBe(3);
    expect(r.stdout).toContain(
      `osmeta_metadata_hop_up{netns="${OVNMETA}",kind="ovnmeta",id="${OVN_NET}",hop="ovn"} 0`,
    );
    expect(r.stdout).toContain(
      `osmeta_metadata_diagnosis_info{netns="${OVNMETA}",hop="ovn",cause_code="no_port_bound_here"} 1`,
    );
    // ML2/OVS namespaces carry no ovn series
    expect(r.stdout).not.toMatch(/kind="qdhcp",[^}]*hop="ovn"/);
  });

  it('--ip of a guest bound to another chassis, its namespace gone here: says which chassis serves it', async () => {
    ovn.bindings[2] = vifRow(VM1.ip, 'port-vm1', 'ch-2');
    ovn.bindings[1] = vifRow(VM3.ip, 'port-vm3', 'ch-2');
    lab.node.remove(`/run/netns/${OVNMETA}`);
    const port: PortInfo = {
      id: 'port-vm1',
      networkId: OVN_NET,
      projectId: VM1.project,
      deviceId: VM1.id,
      deviceOwner: 'compute:nova',
      fixedIps: [VM1.ip],
    };
    const metadataPort: PortInfo = {
      ...port,
      id: 'port-md',
      deviceId: OVNMETA,
      deviceOwner: 'network:distributed',
      fixedIps: ['10.90.0.2'],
    };
    const lookup: OpenStackLookup = {
      portsByIp: async () => [port],
      portsByDevice: async () => [port],
      portsOnNetwork: async () => [port, metadataPort],
      server: async () => ({ id: VM1.id, name: 'lab-vm1', projectId: VM1.project }),
    };
    const { ctx } = createTestContext({ fs: lab.node.fs(), exec: ovn.exec, uid: 0 });
    const r = await traceGuest(ctx, { ip: VM1.ip, probeTimeout: 5 }, { openstack: async () => lookup });
    expect(r.netns).toBe(OVNMETA);
    expect(r.hops.find((h) => h.name === 'namespace')).toMatchObject({
      status: 'fail',
      consequenceOf: 'ovn',
    });
    expect(r.diagnosis).toMatchObject({ hop: 'ovn', code: 'port_bound_elsewhere' });
    expect(r.diagnosis!.cause).toContain('bound to node-2 (host node-2.lab)');
  });
});

// keep the helper's row builders honest
it('fake SB rows use wire notation', () => {
  expect(uuid('x')).toEqual(['uuid', 'x']);
});

it('--ip on a node that also runs an OVN agent: a network without an OVN metadata port is ML2/OVS', async () => {
  const lab2 = await labNode();
  const ovn2 = await ovnNode(lab2);
  try {
    const port: PortInfo = {
      id: 'port-vm1',
      networkId: NET,
      projectId: VM1.project,
      deviceId: VM1.id,
      deviceOwner: 'compute:nova',
      fixedIps: [VM1.ip],
    };
    const lookup: OpenStackLookup = {
      portsByIp: async () => [port],
      portsByDevice: async () => [port],
      portsOnNetwork: async () => [port],
      server: async () => ({ id: VM1.id, name: 'lab-vm1', projectId: VM1.project }),
    };
    const { ctx } = createTestContext({ fs: lab2.node.fs(), exec: ovn2.exec, uid: 0 });
    const r = await traceGuest(ctx, { ip: VM1.ip, probeTimeout: 5 }, { openstack: async () => lookup });
    expect(r.netns).toBe(NS);
    expect(r.hops.find((h) => h.name === 'ovn')?.status).toBe('skip');
  } finally {
    await ovn2.close();
    await lab2.close();
  }
});
