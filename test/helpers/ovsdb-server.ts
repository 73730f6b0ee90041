import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonSplitter } from '../../src/host/ovsdb.js';

// A tiny OVSDB server (RFC 7047 JSON-RPC) for tests: get_schema, transact with select ('==' on
// atoms, 'includes' on maps), echo. Rows are kept in wire notation (["uuid", …], ["map", …]).

export type Row = Record<string, unknown>;

export interface FakeOvsdb {
  /** database → table → rows */
  dbs: Record<string, Record<string, Row[]>>;
  /** what was asked, in order: method and params */
  requests: { method: string; params: unknown }[];
  /** how the server misbehaves */
  mode: 'normal' | 'hang' | 'garbage' | 'huge' | 'close' | 'dribble' | 'echo-first';
  /** 'unix:PATH' or 'tcp:127.0.0.1:PORT' */
  remote: string;
  close(): Promise<void>;
}

function matches(row: Row, [col, fn, value]: [string, string, unknown]): boolean {
  const v = row[col];
  if (fn === '==') return JSON.stringify(v) === JSON.stringify(value);
  if (fn === 'includes' && Array.isArray(value) && value[0] === 'map' && Array.isArray(v) && v[0] === 'map') {
    const have = (v[1] as [string, string][]).map((p) => JSON.stringify(p));
    return (value[1] as [string, string][]).every((p) => have.includes(JSON.stringify(p)));
  }
  return false;
}

function answer(db: FakeOvsdb, msg: { method: string; params: unknown[]; id: unknown }): unknown {
  if (msg.method === 'get_schema') {
    const tables = db.dbs[String(msg.params[0])];
    if (!tables) return { result: null, error: { error: 'unknown database' }, id: msg.id };
    return {
      result: { name: msg.params[0], tables: Object.fromEntries(Object.keys(tables).map((t) => [t, {}])) },
      error: null,
      id: msg.id,
    };
  }
  if (msg.method === 'transact') {
    const [name, ...ops] = msg.params as [
      string,
      ...{ op: string; table: string; where: never[]; columns?: string[] }[],
    ];
    const tables = db.dbs[name];
    if (!tables) return { result: null, error: { error: 'unknown database', details: name }, id: msg.id };
    const results: unknown[] = [];
    for (const op of ops) {
      const rows = tables[op.table];
      if (op.op !== 'select') return { result: null, error: { error: 'not a select' }, id: msg.id };
      // ovsdb-server refuses the whole transaction for an unknown table
      if (!rows)
        return {
          result: null,
          error: { error: 'syntax error', details: `no table named ${op.table}` },
          id: msg.id,
        };
      const picked = rows
        .filter((r) => op.where.every((c) => matches(r, c)))
        .map((r) => (op.columns ? Object.fromEntries(op.columns.map((c) => [c, r[c]])) : r));
      results.push({ rows: picked });
    }
    return { result: results, error: null, id: msg.id };
  }
  return { result: null, error: { error: 'unknown method' }, id: msg.id };
}

export async function fakeOvsdb(dbs: FakeOvsdb['dbs'], on: 'unix' | 'tcp' = 'unix'): Promise<FakeOvsdb> {
  const dir = mkdtempSync(join(tmpdir(), 'osmeta-ovsdb-'));
  const sockets = new Set<Socket>();
  const db: FakeOvsdb = { dbs, requests: [], mode: 'normal', remote: '', close: async () => {} };
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.setEncoding('utf8');
    const splitter = new JsonSplitter(1 << 20);
    if (db.mode === 'echo-first') s.write(JSON.stringify({ method: 'echo', params: ['x'], id: 'echo' }));
    s.on('data', (chunk: string) => {
      for (const text of splitter.push(chunk)) handle(JSON.parse(text));
    });
    const handle = (msg: { method: string; params: unknown[]; id: unknown; result?: unknown }) => {
      if (msg.method === undefined) {
        db.requests.push({ method: 'echo-reply', params: msg.result });
        return;
      }
      db.requests.push({ method: msg.method, params: msg.params });
      if (db.mode === 'hang') return;
      if (db.mode === 'close') {
        s.destroy();
        return;
      }
      if (db.mode === 'garbage') {
        s.write('{"id": 1, "result": [}');
        return;
      }
      if (db.mode === 'huge') {
        s.write(
          `{"id": ${JSON.stringify(msg.id)}, "result": [{"rows": [{"x": "${'a'.repeat(200_000)}"}]}], "error": null}`,
        );
        return;
      }
      const text = JSON.stringify(answer(db, msg));
      if (db.mode === 'dribble') {
        // one character at a time, with an update notification in between
        const note = JSON.stringify({ method: 'update', params: [null, {}], id: null });
        s.write(note);
        for (const c of text) s.write(c);
        return;
      }
      s.write(text);
    };
  });
  if (on === 'unix') {
    const path = join(dir, 'db.sock');
    await new Promise<void>((r) => server.listen(path, () => r()));
    db.remote = `unix:${path}`;
  } else {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    db.remote = `tcp:127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  db.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  };
  return db;
}

// ---- rows in wire notation ----------------------------------------------------------------------

export const uuid = (u: string) => ['uuid', u];
export const map = (o: Record<string, string>) => ['map', Object.entries(o)];
export const set = (...atoms: unknown[]) => ['set', atoms];
