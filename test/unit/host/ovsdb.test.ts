import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  atom,
  JsonSplitter,
  mapOf,
  OvsdbClient,
  OvsdbFailure,
  parseRemote,
  parseRemotes,
  setOf,
} from '../../../src/host/ovsdb.js';
import { type FakeOvsdb, fakeOvsdb, map, set, uuid } from '../../helpers/ovsdb-server.js';

const env = {
  clock: () => performance.now(),
  sleep: (ms: number, signal?: AbortSignal) => delay(ms, undefined, signal ? { signal } : {}),
  debug: () => {},
};

const SB = {
  OVN_Southbound: {
    Chassis: [
      { _uuid: uuid('c-1'), name: 'node-1', hostname: 'node-1.lab', external_ids: map({}) },
      { _uuid: uuid('c-2'), name: 'node-2', hostname: 'node-2.lab', external_ids: map({}) },
    ],
    Datapath_Binding: [
      { _uuid: uuid('dp-1'), external_ids: map({ name: 'neutron-net-1', name2: 'lab-net' }) },
    ],
  },
};

let server: FakeOvsdb | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('OVSDB connection strings', () => {
  it.each([
    ['tcp:127.0.0.1:6642', { kind: 'tcp', host: '127.0.0.1', port: 6642 }],
    ['tcp:[::1]:6642', { kind: 'tcp', host: '::1', port: 6642 }],
    ['unix:/var/run/openvswitch/db.sock', { kind: 'unix', path: '/var/run/openvswitch/db.sock' }],
    ['ssl:10.0.0.1:6642', { kind: 'unsupported', scheme: 'ssl' }],
    ['ptcp:6642', { kind: 'unsupported', scheme: 'ptcp' }],
    ['tcp:127.0.0.1:99999', { kind: 'unsupported', scheme: 'tcp' }],
    ['tcp:127.0.0.1', { kind: 'unsupported', scheme: 'tcp' }],
    ['unix:', { kind: 'unsupported', scheme: 'unix' }],
  ])('reads %s', (text, want) => {
    expect(parseRemote(text)).toMatchObject({ ...want, text });
  });

  it('splits a comma-separated list, in order', () => {
    expect(parseRemotes(' tcp:10.0.0.1:6642, tcp:10.0.0.2:6642,,').map((r) => r.text)).toEqual([
      'tcp:10.0.0.1:6642',
      'tcp:10.0.0.2:6642',
    ]);
  });
});

describe('JSON framing', () => {
  it('finds back-to-back objects, across chunks, with braces inside strings', () => {
    const s = new JsonSplitter(1000);
    expect(s.push('{"a":"}{\\"x"}{"b":[1,')).toEqual(['{"a":"}{\\"x"}']);
    expect(s.push('2]} {"c":3}')).toEqual(['{"b":[1,2]}', '{"c":3}']);
  });

  it('refuses a message larger than its bound', () => {
    const s = new JsonSplitter(10);
    expect(() => s.push('{"a":"0123456789')).toThrow(/exceeded 10/);
  });
});

describe('OVSDB values', () => {
  it('reads atoms, sets and maps', () => {
    expect(atom(['uuid', 'u-1'])).toBe('u-1');
    expect(atom('x')).toBe('x');
    expect(atom(['set', []])).toBeUndefined();
    expect(setOf(['set', []])).toEqual([]);
    expect(setOf(['uuid', 'c'])).toEqual(['c']);
    expect(setOf(['set', ['a', 'b']])).toEqual(['a', 'b']);
    expect(mapOf(['map', [['k', 'v']]])).toEqual({ k: 'v' });
    expect(mapOf('nope')).toEqual({});
  });
});

describe('OvsdbClient', () => {
  it.each(['unix', 'tcp'] as const)('selects rows over %s', async (on) => {
    server = await fakeOvsdb(SB, on);
    const c = await OvsdbClient.connect(parseRemote(server.remote), env);
    try {
      const [r] = await c.select('OVN_Southbound', [
        { table: 'Chassis', where: [['name', '==', 'node-2']], columns: ['_uuid', 'hostname'] },
      ]);
      expect(r).toEqual({ rows: [{ _uuid: ['uuid', 'c-2'], hostname: 'node-2.lab' }] });
      const [d] = await c.select('OVN_Southbound', [
        {
          table: 'Datapath_Binding',
          where: [['external_ids', 'includes', map({ name: 'neutron-net-1' })]],
          columns: ['_uuid'],
        },
      ]);
      expect(d).toEqual({ rows: [{ _uuid: ['uuid', 'dp-1'] }] });
      expect(await c.tables('OVN_Southbound')).toEqual(['Chassis', 'Datapath_Binding']);
    } finally {
      c.close();
    }
    // read-only: selects and the schema, nothing else
    expect(server.requests.map((r) => r.method)).toEqual(['transact', 'transact', 'get_schema']);
    const ops = server.requests
      .filter((r) => r.method === 'transact')
      .flatMap((r) => (r.params as unknown[]).slice(1) as { op: string }[]);
    expect(ops.every((o) => o.op === 'select')).toBe(true);
  });

  it('fails the whole transaction when a table does not exist (an older schema)', async () => {
    server = await fakeOvsdb(SB);
    const c = await OvsdbClient.connect(parseRemote(server.remote), env);
    await expect(c.select('OVN_Southbound', [{ table: 'Chassis_Private', where: [] }])).rejects.toThrow(
      /no table named Chassis_Private/,
    );
    c.close();
  });

  it("answers the server's echo and reads an answer sent byte by byte after a notification", async () => {
    server = await fakeOvsdb(SB);
    server.mode = 'echo-first';
    const c = await OvsdbClient.connect(parseRemote(server.remote), env);
    server.mode = 'dribble';
    const [r] = await c.select('OVN_Southbound', [{ table: 'Chassis', where: [['name', '==', 'node-1']] }]);
    c.close();
    expect(r && 'rows' in r && r.rows.length).toBe(1);
    expect(server.requests).toContainEqual({ method: 'echo-reply', params: ['x'] });
  });

  it.each([
    ['hang', 'timeout', /no answer to transact within 200 ms/],
    ['garbage', 'protocol', /not JSON/],
    ['huge', 'too-large', /exceeded 65536/],
    ['close', 'closed', /closed the connection/],
  ] as const)('bounds a server that answers %s: %s', async (mode, outcome, message) => {
    server = await fakeOvsdb(SB);
    server.mode = mode;
    const c = await OvsdbClient.connect(parseRemote(server.remote), env, { timeoutMs: 200, maxBytes: 65536 });
    const started = performance.now();
    const err = await c.select('OVN_Southbound', [{ table: 'Chassis', where: [] }]).catch((e: unknown) => e);
    c.close();
    expect(err).toBeInstanceOf(OvsdbFailure);
    expect((err as OvsdbFailure).outcome).toBe(outcome);
    expect((err as Error).message).toMatch(message);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('says refused, missing socket and unsupported schemes apart', async () => {
    const refused = await OvsdbClient.connect(parseRemote('tcp:127.0.0.1:1'), env).catch((e: unknown) => e);
    expect((refused as OvsdbFailure).outcome).toBe('refused');
    const missing = await OvsdbClient.connect(parseRemote('unix:/nonexistent/db.sock'), env).catch(
      (e: unknown) => e,
    );
    expect((missing as OvsdbFailure).outcome).toBe('no-socket');
    const ssl = await OvsdbClient.connect(parseRemote('ssl:127.0.0.1:6642'), env).catch((e: unknown) => e);
    expect((ssl as OvsdbFailure).outcome).toBe('unsupported');
    expect((ssl as Error).message).toBe(
      'ssl: connections are not supported (osmeta speaks tcp: and unix: only)',
    );
  });

  it('reports an unknown database as the transaction error', async () => {
    server = await fakeOvsdb(SB);
    const c = await OvsdbClient.connect(parseRemote(server.remote), env);
    await expect(c.select('Open_vSwitch', [{ table: 'Open_vSwitch', where: [] }])).rejects.toThrow(
      'unknown database: Open_vSwitch',
    );
    c.close();
  });

  it('keeps sets in wire notation for the caller', async () => {
    server = await fakeOvsdb({ X: { T: [{ s: set('a', 'b') }] } });
    const c = await OvsdbClient.connect(parseRemote(server.remote), env);
    const [r] = await c.select('X', [{ table: 'T', where: [] }]);
    c.close();
    expect(r).toEqual({ rows: [{ s: ['set', ['a', 'b']] }] });
  });
});
