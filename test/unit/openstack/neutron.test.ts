import { describe, expect, it } from 'vitest';
import { HttpClient } from '../../../src/openstack/http.js';
import { listPorts, parsePort } from '../../../src/openstack/neutron.js';
import { Session } from '../../../src/openstack/session.js';
import { createTestContext } from '../../helpers/context.js';
import { cloudOf, FX, mockAgent } from '../../helpers/openstack-fixtures.js';

// neutron's ports as trace and get read them: what a port answer becomes, and which request lists
// them (the catalog's network endpoint with or without /v2.0). The fixture cases are in nova.test.ts.

function session(agent: ReturnType<typeof mockAgent>, networkUrl: string = FX.neutron) {
  const { ctx } = createTestContext({ dispatcher: agent });
  return new Session(
    ctx,
    cloudOf({ authUrl: 'http://k/v3' }),
    new HttpClient(ctx, { timeout: 5 }),
    {
      token: 'tok',
      expiresAt: Date.now() + 3600_000,
      authUrl: 'http://k/v3',
      catalog: [
        { type: 'network', endpoints: [{ interface: 'public', region_id: 'RegionOne', url: networkUrl }] },
      ],
      roles: [],
      projectName: 'demo',
    },
    false,
  );
}

describe('parsePort', () => {
  it('reads an old neutron that names the project tenant_id', () => {
    expect(parsePort({ id: 'p1', tenant_id: 't1' })).toMatchObject({ id: 'p1', projectId: 't1' });
    expect(parsePort({ id: 'p1', tenant_id: 't1', project_id: 'p2' })?.projectId).toBe('p2');
  });

  it('gives empty strings for absent or non-text fields, and keeps the fixed IPs that have an address', () => {
    expect(
      parsePort({
        id: 'p1',
        name: 7,
        mac_address: null,
        fixed_ips: [
          { ip_address: '10.0.0.5' },
          { subnet_id: 's-only' },
          { ip_address: '10.0.0.6', subnet_id: 's1' },
        ],
      }),
    ).toEqual({
      id: 'p1',
      name: '',
      networkId: '',
      projectId: '',
      macAddress: '',
      deviceId: '',
      deviceOwner: '',
      status: '',
      fixedIps: [{ ipAddress: '10.0.0.5' }, { ipAddress: '10.0.0.6', subnetId: 's1' }],
    });
    expect(parsePort({ id: 'p1', fixed_ips: 'not a list' })?.fixedIps).toEqual([]);
  });

  it.each([[null], ['a port'], [{ name: 'no id' }], [{ id: 42 }]])('is no port for %j', (v) => {
    expect(parsePort(v)).toBeUndefined();
  });
});

describe('listPorts', () => {
  const ports = JSON.stringify({
    ports: [{ id: 'p1', network_id: 'n1' }, { name: 'no id' }, { id: 'p2', network_id: 'n2' }],
  });

  it.each([
    ['without a version', FX.neutron, '/v2.0/ports'],
    ['with /v2.0', `${FX.neutron}/v2.0`, '/v2.0/ports'],
    ['with /v2.0/', `${FX.neutron}/v2.0/`, '/v2.0/ports'],
  ])('asks the endpoint %s for /v2.0/ports once', async (_what, url, path) => {
    const agent = mockAgent();
    agent
      .get(FX.neutron)
      .intercept({ path: (p: string) => new URL(p, FX.neutron).pathname === path })
      .reply(200, ports, { headers: { 'content-type': 'application/json' } });
    const got = await listPorts(session(agent, url), { deviceId: 'vm' });
    expect(got.map((p) => p.id)).toEqual(['p1', 'p2']);
    agent.assertNoPendingInterceptors();
  });

  it('sends only the filters given, every one of them, and the fields', async () => {
    const agent = mockAgent();
    let query: URLSearchParams | undefined;
    agent
      .get(FX.neutron)
      .intercept({
        path: (p: string) => {
          query = new URL(p, FX.neutron).searchParams;
          return true;
        },
      })
      .reply(200, JSON.stringify({}), { headers: { 'content-type': 'application/json' } });
    expect(
      await listPorts(session(agent), { networkId: 'n1', projectId: 'pr1', fixedIp: '10.0.0.5' }),
    ).toEqual([]);
    expect(query?.get('network_id')).toBe('n1');
    expect(query?.get('project_id')).toBe('pr1');
    expect(query?.get('fixed_ips')).toBe('ip_address=10.0.0.5');
    expect(query?.has('device_id')).toBe(false);
    expect(query?.getAll('fields')).toEqual([
      'id',
      'name',
      'network_id',
      'tenant_id',
      'project_id',
      'mac_address',
      'device_id',
      'device_owner',
      'status',
      'fixed_ips',
    ]);
  });
});
