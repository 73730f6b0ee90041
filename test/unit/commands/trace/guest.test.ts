import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { traceGuest } from '../../../../src/commands/trace/guest.js';
import type { OpenStackLookup, PortInfo, ServerInfo } from '../../../../src/commands/trace/lookup.js';
import { traceNamespace } from '../../../../src/commands/trace/namespace.js';
import type { TraceOptions } from '../../../../src/commands/trace/types.js';
import { createTestContext } from '../../../helpers/context.js';
import { type LabNode, labNode, NET, NS, STRAY_IP, VM1, VM3 } from '../../../helpers/lab-node.js';

// --server / --ip alone and the Neutron-backed causes, with a table standing in for the API.

const port = (ip: string, id: string, deviceId: string, projectId: string, networkId = NET): PortInfo => ({
  id,
  networkId,
  projectId,
  deviceId,
  deviceOwner: 'compute:nova',
  fixedIps: [ip],
});
const PORTS = [
  port(VM3.ip, 'port-vm3', VM3.id, VM3.project),
  port(VM1.ip, 'port-vm1', VM1.id, VM1.project),
  { ...port('10.90.0.2', 'port-dhcp', `dhcp-${NET}`, VM1.project), deviceOwner: 'network:dhcp' },
];
// vm3's instance lives in vm1's project; its port was made in another one
const SERVERS: ServerInfo[] = [
  { id: VM1.id, name: 'lab-vm1', projectId: VM1.project },
  { id: VM3.id, name: 'lab-vm3', projectId: VM1.project },
  { id: 'f0000000-0000-4000-8000-000000000001', name: 'elsewhere', projectId: VM1.project },
];

function fakeLookup(ports: PortInfo[] = PORTS): OpenStackLookup & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    portsByIp: async (ip, net) => {
      calls.push(`portsByIp ${ip}`);
      return ports.filter((p) => p.fixedIps.includes(ip) && (!net || p.networkId === net));
    },
    portsByDevice: async (d) => {
      calls.push(`portsByDevice ${d}`);
      return ports.filter((p) => p.deviceId === d);
    },
    portsOnNetwork: async (n) => {
      calls.push(`portsOnNetwork ${n}`);
      return ports.filter((p) => p.networkId === n);
    },
    server: async (x) => {
      calls.push(`server ${x}`);
      return SERVERS.find((s) => s.id === x || s.name === x);
    },
  };
}

let lab: LabNode;
beforeEach(async () => {
  lab = await labNode();
});
afterEach(async () => {
  await lab.close();
});

const ctx = () => createTestContext({ fs: lab.node.fs(), exec: lab.exec, uid: 0 }).ctx;
const opts = (o: Partial<TraceOptions>): TraceOptions => ({ probeTimeout: 5, ...o });

describe('--ip alone', () => {
  it('a port in another project than its instance: probe-nova names both projects', async () => {
    const lookup = fakeLookup();
    const r = await traceGuest(ctx(), opts({ ip: VM3.ip }), { openstack: async () => lookup });
    expect(r.netns).toBe(NS);
    expect(r.hops.find((h) => h.name === 'probe-socket')?.status).toBe('fail');
    expect(r.diagnosis?.hop).toBe('probe-nova');
    expect(r.diagnosis?.cause).toContain(
      `the port's project ${VM3.project} is not instance ${VM3.id}'s project ${VM1.project}`,
    );
    expect(lab.nova.requests.at(-1)).toMatchObject({ 'x-instance-id': VM3.id, 'x-tenant-id': VM3.project });
  });

  it('an address no port owns: found through the namespace whose subnet holds it', async () => {
    const r = await traceGuest(ctx(), opts({ ip: STRAY_IP }), { openstack: async () => fakeLookup() });
    expect(r.netns).toBe(NS);
    expect(r.diagnosis?.hop).toBe('probe-socket');
    expect(r.diagnosis?.cause).toContain(`no Neutron port has the fixed IP ${STRAY_IP} on network ${NET}`);
    expect(r.notes).toContain(`${NS} serves ${STRAY_IP}: one of its interfaces is on that subnet`);
  });

  it('without credentials: the local subnet, and a cause that names both possibilities', async () => {
    const r = await traceGuest(ctx(), opts({ ip: STRAY_IP }), {});
    expect(r.netns).toBe(NS);
    expect(r.diagnosis?.cause).toContain('either no port on it has that fixed IP');
  });

  it('no namespace here holds the address: exit 1, one line', async () => {
    await expect(traceGuest(ctx(), opts({ ip: '192.0.2.7' }), {})).rejects.toMatchObject({
      code: 'NO_NAMESPACE',
      exitCode: 1,
    });
  });
});

describe('--server', () => {
  it("finds the server's port and its namespace", async () => {
    const r = await traceGuest(ctx(), opts({ server: 'lab-vm1' }), { openstack: async () => fakeLookup() });
    expect(r.ok).toBe(true);
    expect(r.netns).toBe(NS);
    expect(r.guest).toMatchObject({ ip: VM1.ip, instanceId: VM1.id, name: 'lab-vm1' });
  });

  it("a relayed 403 that nova confirms: probe-socket's failure is probe-nova's consequence", async () => {
    // the configs on disk agree, but the running nova uses another secret
    lab.nova.secret = 'nova-runtime-secret';
    lab.agent.behaviour = 'forbidden';
    const r = await traceGuest(ctx(), opts({ server: 'lab-vm1' }), { openstack: async () => fakeLookup() });
    const status = Object.fromEntries(r.hops.map((h) => [h.name, h.status]));
    expect(status).toMatchObject({ agent: 'ok', 'probe-socket': 'fail', 'probe-nova': 'fail' });
    expect(r.diagnosis?.hop).toBe('probe-nova');
    expect(r.diagnosis?.cause).toContain(
      "nova rejects a request signed with the agent's metadata_proxy_shared_secret",
    );
  });

  it('says which namespace should exist when it is not on this node', async () => {
    const other = '77777777-0000-4000-8000-000000000000';
    const ports = [...PORTS, port('10.99.0.5', 'p-else', SERVERS[2]!.id, VM1.project, other)];
    const r = await traceGuest(ctx(), opts({ server: 'elsewhere' }), {
      openstack: async () => fakeLookup(ports),
    });
    expect(r.netns).toBe(`qdhcp-${other}`);
    expect(r.diagnosis?.hop).toBe('namespace');
    expect(r.diagnosis?.cause).toContain(`it would be qdhcp-${other}, and none exists here`);
    expect(r.hops[0]?.evidence.expected).toEqual([`qdhcp-${other}`]);
  });

  it('is an error without credentials, and for a server that does not exist', async () => {
    await expect(traceGuest(ctx(), opts({ server: 'lab-vm1' }), {})).rejects.toMatchObject({
      code: 'NEEDS_OPENSTACK',
    });
    await expect(
      traceGuest(ctx(), opts({ server: 'nope' }), { openstack: async () => fakeLookup() }),
    ).rejects.toMatchObject({
      code: 'SERVER_NOT_FOUND',
      message: "no server with a name or ID of 'nope' exists",
    });
  });
});

describe('--netns without --ip', () => {
  it("impersonates the network's compute ports in address order, until one answers 200", async () => {
    const lookup = fakeLookup();
    const r = await traceNamespace(ctx(), { name: NS, kind: 'qdhcp', id: NET }, opts({}), {
      openstack: async () => lookup,
    });
    expect(r.ok).toBe(true);
    expect(r.guest).toMatchObject({ ip: VM1.ip, source: 'neutron', instanceId: VM1.id });
    expect(lab.agent.requests.map((q) => q['x-forwarded-for'])).toEqual([VM1.ip]);
  });

  it('does not load the API at all when --ip is given and the trace is healthy', async () => {
    let loaded = false;
    const r = await traceNamespace(ctx(), { name: NS, kind: 'qdhcp', id: NET }, opts({ ip: VM1.ip }), {
      openstack: async () => {
        loaded = true;
        return fakeLookup();
      },
    });
    expect(r.ok).toBe(true);
    expect(loaded).toBe(false);
  });

  it('goes on without the API when it cannot be reached, with a note', async () => {
    const r = await traceNamespace(ctx(), { name: NS, kind: 'qdhcp', id: NET }, opts({}), {
      openstack: async () => {
        throw new Error('keystone at http://127.0.0.1:5000 refused the connection');
      },
    });
    expect(r.ok).toBe(true);
    expect(r.hops.find((h) => h.name === 'probe-socket')?.status).toBe('skip');
    expect(r.notes[0]).toContain('OpenStack API not used: keystone');
  });
});
