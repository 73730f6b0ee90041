import { describe, expect, it } from 'vitest';
import { HttpClient } from '../../../src/openstack/http.js';
import { listPorts, parsePort } from '../../../src/openstack/neutron.js';
import {
  findServer,
  firstFixedIPv4,
  getServer,
  listServers,
  MAX_SERVER_PAGES,
  parseServer,
} from '../../../src/openstack/nova.js';
import { Session } from '../../../src/openstack/session.js';
import { createTestContext } from '../../helpers/context.js';
import { cloudOf, FX, httpFixture, mockAgent, replyWith } from '../../helpers/openstack-fixtures.js';

function session(agent: ReturnType<typeof mockAgent>, projectName = 'demo') {
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
        {
          type: 'compute',
          endpoints: [{ interface: 'public', region_id: 'RegionOne', url: `${FX.nova}/v2.1` }],
        },
        { type: 'network', endpoints: [{ interface: 'public', region_id: 'RegionOne', url: FX.neutron }] },
      ],
      roles: [],
      projectName,
    },
    false,
  );
}

const serversBody = (servers: Array<{ id: string; name: string }>, next?: string) =>
  JSON.stringify({
    servers: servers.map((s) => ({ ...s, tenant_id: FX.demo, status: 'ACTIVE', addresses: {} })),
    ...(next ? { servers_links: [{ rel: 'next', href: next }] } : {}),
  });

describe('nova servers', () => {
  it('reads the fields get needs from GET /servers/{id}', () => {
    const doc = JSON.parse(httpFixture('api/nova-server-show.200.http').body.toString()) as {
      server: unknown;
    };
    const s = parseServer(doc.server)!;
    expect(s).toMatchObject({
      id: FX.vm1,
      name: 'lab-vm1',
      status: 'ACTIVE',
      projectId: FX.demo,
      host: 'lab-compute-1',
    });
    expect(s.addresses).toEqual([
      { network: 'lab-net', addr: '10.90.0.10', version: 4, type: 'fixed', mac: 'fa:16:3e:fe:cc:24' },
    ]);
    expect(firstFixedIPv4(s)).toBe('10.90.0.10');
  });

  it('picks the first fixed IPv4, never a floating or v6 address', () => {
    const s = parseServer({
      id: 'i',
      tenant_id: 't',
      addresses: {
        a: [
          { addr: 'fd00::5', version: 6, 'OS-EXT-IPS:type': 'fixed' },
          { addr: '203.0.113.7', version: 4, 'OS-EXT-IPS:type': 'floating' },
        ],
        b: [{ addr: '10.0.0.7', version: 4, 'OS-EXT-IPS:type': 'fixed' }],
      },
    })!;
    expect(firstFixedIPv4(s)).toBe('10.0.0.7');
    expect(firstFixedIPv4(parseServer({ id: 'i', tenant_id: 't', addresses: {} })!)).toBeUndefined();
  });

  it('finds a server by ID with one request', async () => {
    const agent = mockAgent();
    agent
      .get(FX.nova)
      .intercept({ path: `/v2.1/servers/${FX.vm1}`, headers: { 'x-auth-token': 'tok' } })
      .reply(replyWith('api/nova-server-show.200.http'));
    expect((await findServer(session(agent), FX.vm1)).name).toBe('lab-vm1');
    agent.assertNoPendingInterceptors();
  });

  it('finds a server by unique name, asking nova with an anchored, escaped regex', async () => {
    const agent = mockAgent();
    agent
      .get(FX.nova)
      .intercept({ path: '/v2.1/servers/detail', query: { name: '^web\\.1$', limit: '1000' } })
      .reply(200, serversBody([{ id: 'id-1', name: 'web.1' }]));
    expect((await findServer(session(agent), 'web.1')).id).toBe('id-1');
    agent.assertNoPendingInterceptors();
  });

  it('looks in every project with --all-projects', async () => {
    const agent = mockAgent();
    agent
      .get(FX.nova)
      .intercept({ path: '/v2.1/servers/detail', query: { all_tenants: '1', name: '^web$', limit: '1000' } })
      .reply(200, serversBody([{ id: 'id-9', name: 'web' }]));
    expect((await findServer(session(agent), 'web', { allProjects: true })).id).toBe('id-9');
  });

  it('refuses an ambiguous name, listing the IDs', async () => {
    const agent = mockAgent();
    agent
      .get(FX.nova)
      .intercept({ path: /^\/v2\.1\/servers\/detail/ })
      .reply(
        200,
        serversBody([
          { id: 'a1', name: 'web' },
          { id: 'b2', name: 'web' },
          { id: 'c3', name: 'web2' },
        ]),
      );
    await expect(findServer(session(agent), 'web')).rejects.toMatchObject({
      code: 'AMBIGUOUS_SERVER',
      exitCode: 1,
      message: "more than one server is named 'web': a1, b2",
    });
  });

  it('says no server exists, the openstackclient way, after trying the ID and then the name', async () => {
    const agent = mockAgent();
    agent
      .get(FX.nova)
      .intercept({ path: `/v2.1/servers/${FX.vm1}` })
      .reply(replyWith('api/nova-server-show-unknown-id.404.http'));
    agent
      .get(FX.nova)
      .intercept({ path: /^\/v2\.1\/servers\/detail/ })
      .reply(200, serversBody([]));
    await expect(findServer(session(agent), FX.vm1)).rejects.toMatchObject({
      code: 'SERVER_NOT_FOUND',
      exitCode: 1,
      message: `no server with a name or ID of '${FX.vm1}' exists`,
      hint: "looked in project 'demo' only: an admin can look in every project with --all-projects",
    });
    agent.assertNoPendingInterceptors();
  });

  it('pages through servers_links with the last ID as marker, up to the limit', async () => {
    const agent = mockAgent();
    const nova = agent.get(FX.nova);
    nova.intercept({ path: '/v2.1/servers/detail', query: { all_tenants: '1', limit: '2' } }).reply(
      200,
      serversBody(
        [
          { id: 'a', name: 'a' },
          { id: 'b', name: 'b' },
        ],
        'next',
      ),
    );
    nova
      .intercept({ path: '/v2.1/servers/detail', query: { all_tenants: '1', limit: '2', marker: 'b' } })
      .reply(
        200,
        serversBody(
          [
            { id: 'c', name: 'c' },
            { id: 'd', name: 'd' },
          ],
          'next',
        ),
      );
    nova
      .intercept({ path: '/v2.1/servers/detail', query: { all_tenants: '1', limit: '2', marker: 'd' } })
      .reply(200, serversBody([{ id: 'e', name: 'e' }]));
    expect((await listServers(session(agent), { allProjects: true, pageSize: 2 })).map((s) => s.id)).toEqual([
      'a',
      'b',
      'c',
      'd',
      'e',
    ]);
    agent.assertNoPendingInterceptors();
  });

  it('stops at the limit', async () => {
    const agent = mockAgent();
    agent
      .get(FX.nova)
      .intercept({ path: '/v2.1/servers/detail', query: { limit: '3' } })
      .reply(
        200,
        serversBody(
          [
            { id: 'a', name: 'a' },
            { id: 'b', name: 'b' },
            { id: 'c', name: 'c' },
          ],
          'next',
        ),
      );
    expect(await listServers(session(agent), { limit: 3 })).toHaveLength(3);
  });

  it('turns a 403 (policy) into exit 4 and a 500 into exit 1, with the request id', async () => {
    const agent = mockAgent();
    agent
      .get(FX.nova)
      .intercept({ path: /detail/ })
      .reply(
        403,
        '{"forbidden": {"code": 403, "message": "Policy doesn\'t allow os_compute_api:servers:detail:get_all_tenants to be performed."}}',
        { headers: { 'x-openstack-request-id': 'req-9' } },
      );
    await expect(listServers(session(agent), { allProjects: true })).rejects.toMatchObject({
      exitCode: 4,
      message:
        "nova refused listing servers: Policy doesn't allow os_compute_api:servers:detail:get_all_tenants to be performed.",
      requestId: 'req-9',
    });
    agent
      .get(FX.nova)
      .intercept({ path: '/v2.1/servers/x' })
      .reply(500, '{"computeFault": {"code": 500, "message": "boom"}}');
    await expect(getServer(session(agent), 'x')).rejects.toMatchObject({
      exitCode: 1,
      message: 'nova answered 500 looking up server x: boom',
    });
  });
});

describe('neutron ports', () => {
  it('reads the port fixture', () => {
    const doc = JSON.parse(httpFixture('api/neutron-ports-by-device_id.200.http').body.toString()) as {
      ports: unknown[];
    };
    expect(parsePort(doc.ports[0])).toEqual({
      id: '16deb931-f261-484d-be2e-31d4520c3030',
      name: 'lab-vm1-port',
      networkId: FX.network,
      projectId: FX.demo,
      macAddress: 'fa:16:3e:fe:cc:24',
      deviceId: FX.vm1,
      deviceOwner: 'compute:nova',
      status: 'DOWN',
      fixedIps: [{ ipAddress: '10.90.0.10', subnetId: expect.any(String) }],
    });
  });

  it.each([
    [{ deviceId: FX.vm1 }, 'device_id', FX.vm1],
    [{ fixedIp: '10.90.0.10' }, 'fixed_ips', 'ip_address=10.90.0.10'],
    [{ networkId: FX.network }, 'network_id', FX.network],
  ])('lists ports by %j under /v2.0 with the fields asked for', async (filter, key, value) => {
    const agent = mockAgent();
    const matches = (p: string) => {
      const u = new URL(p, FX.neutron);
      return (
        u.pathname === '/v2.0/ports' &&
        u.searchParams.get(key) === value &&
        u.searchParams.getAll('fields').includes('network_id')
      );
    };
    agent
      .get(FX.neutron)
      .intercept({ path: matches })
      .reply(replyWith('api/neutron-ports-by-device_id.200.http'));
    const ports = await listPorts(session(agent), filter);
    expect(ports.map((p) => p.networkId)).toEqual([FX.network]);
    agent.assertNoPendingInterceptors();
  });
});

describe('nova paging against a looping server', () => {
  const page = (ids: string[], next = true) =>
    serversBody(
      ids.map((id) => ({ id, name: id })),
      next ? 'next' : undefined,
    );

  it('stops with a clear error when nova answers the same page forever', async () => {
    const agent = mockAgent();
    let asked = 0;
    agent
      .get(FX.nova)
      .intercept({ path: (p: string) => p.startsWith('/v2.1/servers/detail') })
      .reply(200, () => {
        asked++;
        return page(['a', 'b']);
      })
      .persist();
    const err = await listServers(session(agent), { pageSize: 2 }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'PAGING_LOOP',
      exitCode: 1,
      message: "nova's server list does not end: page 2 brought no server that was not already listed",
    });
    expect(asked).toBe(2);
  });

  it('stops when a page ends with a marker already followed', async () => {
    const agent = mockAgent();
    const nova = agent.get(FX.nova);
    nova.intercept({ path: '/v2.1/servers/detail', query: { limit: '2' } }).reply(200, page(['a', 'b']));
    nova
      .intercept({ path: '/v2.1/servers/detail', query: { limit: '2', marker: 'b' } })
      .reply(200, page(['c', 'b']));
    await expect(listServers(session(agent), { pageSize: 2 })).rejects.toMatchObject({
      code: 'PAGING_LOOP',
      message: "nova's server list does not end: page 2 ends with the marker of an earlier page",
    });
    agent.assertNoPendingInterceptors();
  });

  it('gives up after MAX_SERVER_PAGES pages of ever-new servers, with an error, not a silent cut', async () => {
    const agent = mockAgent();
    let n = 0;
    agent
      .get(FX.nova)
      .intercept({ path: (p: string) => p.startsWith('/v2.1/servers/detail') })
      .reply(200, () => {
        n++;
        return page([`s-${n}`]);
      })
      .persist();
    await expect(listServers(session(agent), { pageSize: 1 })).rejects.toMatchObject({
      code: 'PAGING_LOOP',
      message: `nova's server list does not end: more than ${MAX_SERVER_PAGES} pages`,
    });
    expect(n).toBe(MAX_SERVER_PAGES);
  });

  it('drops a server listed twice across pages and goes on', async () => {
    const agent = mockAgent();
    const nova = agent.get(FX.nova);
    nova.intercept({ path: '/v2.1/servers/detail', query: { limit: '2' } }).reply(200, page(['a', 'b']));
    nova
      .intercept({ path: '/v2.1/servers/detail', query: { limit: '2', marker: 'b' } })
      .reply(200, page(['b', 'c'], false));
    expect((await listServers(session(agent), { pageSize: 2 })).map((s) => s.id)).toEqual(['a', 'b', 'c']);
  });
});
