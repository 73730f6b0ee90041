import type { Socket } from 'node:net';
import type { ProbeClock } from './http-probe.js';

// A bounded, read-only OVSDB client (RFC 7047 JSON-RPC): one connection, `transact` with `select`
// operations only, every exchange bounded in time and size. Used for OVN's southbound database and
// the node's own Open vSwitch database, at the connection strings the OVN agent itself uses.

/** One entry of an OVSDB connection string (ovsdb-server's "ACTIVE DATABASE CONNECTION METHODS"). */
export type OvsdbRemote =
  | { kind: 'tcp'; host: string; port: number; text: string }
  | { kind: 'unix'; path: string; text: string }
  /** ssl: and anything else osmeta does not speak */
  | { kind: 'unsupported'; scheme: string; text: string };

/** "tcp:IP:PORT,unix:PATH,…" (ovsdbapp and OVN accept a comma-separated list; the first that answers wins). */
export function parseRemotes(text: string): OvsdbRemote[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(parseRemote);
}

export function parseRemote(text: string): OvsdbRemote {
  const i = text.indexOf(':');
  const scheme = i < 0 ? text : text.slice(0, i);
  const rest = i < 0 ? '' : text.slice(i + 1);
  if (scheme === 'unix' && rest !== '') return { kind: 'unix', path: rest, text };
  if (scheme === 'tcp') {
    // tcp:IP:PORT, tcp:[IPv6]:PORT
    const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(rest);
    const port = m ? Number(m[3]) : Number.NaN;
    if (m && port > 0 && port < 65536) return { kind: 'tcp', host: (m[1] ?? m[2])!, port, text };
  }
  return { kind: 'unsupported', scheme, text };
}

export type OvsdbOutcome =
  | 'refused'
  | 'no-socket'
  | 'denied'
  | 'connect-timeout'
  | 'timeout'
  | 'closed'
  | 'too-large'
  | 'protocol'
  | 'unsupported'
  | 'error';

export class OvsdbFailure extends Error {
  constructor(
    readonly outcome: OvsdbOutcome,
    message: string,
  ) {
    super(message);
  }
}

export interface OvsdbOptions {
  /** bound for connecting, and for each answer */
  timeoutMs: number;
  /** bound for one JSON-RPC message from the server */
  maxBytes: number;
}

export const OVSDB_DEFAULTS: OvsdbOptions = { timeoutMs: 5000, maxBytes: 8 * 1024 * 1024 };

type Condition = [column: string, fn: string, value: unknown];

export interface SelectOp {
  table: string;
  where: Condition[];
  columns?: string[];
}

export type OvsdbRow = Record<string, unknown>;

/** One `select` result: its rows, or the operation's error. */
export type SelectResult = { rows: OvsdbRow[] } | { error: string; details?: string };

/** Finds complete JSON texts in a byte stream (ovsdb-server sends them back to back, undelimited). */
export class JsonSplitter {
  private buf = '';
  /** the open brackets of the message being read */
  private open: string[] = [];
  private inString = false;
  private escaped = false;
  private scanned = 0;

  constructor(private readonly maxBytes: number) {}

  /** the complete messages in what has arrived; throws OvsdbFailure past maxBytes or on broken JSON */
  push(chunk: string): string[] {
    this.buf += chunk;
    const out: string[] = [];
    let start = 0;
    for (let i = this.scanned; i < this.buf.length; i++) {
      const c = this.buf[i];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === '\\') this.escaped = true;
        else if (c === '"') this.inString = false;
        continue;
      }
      if (c === '"') this.inString = true;
      else if (c === '{' || c === '[') this.open.push(c === '{' ? '}' : ']');
      else if (c === '}' || c === ']') {
        if (this.open.pop() !== c)
          throw new OvsdbFailure('protocol', 'the server sent something that is not JSON');
        if (this.open.length === 0) {
          out.push(this.buf.slice(start, i + 1).trim());
          start = i + 1;
        }
      }
    }
    this.buf = this.buf.slice(start);
    if (this.open.length === 0 && this.buf.trim() === '') this.buf = '';
    this.scanned = this.buf.length;
    // characters, not bytes: a bound, cheap to keep on every chunk
    if (this.buf.length > this.maxBytes) {
      throw new OvsdbFailure('too-large', `an answer exceeded ${this.maxBytes} bytes`);
    }
    return out;
  }
}

function outcomeOf(err: NodeJS.ErrnoException): OvsdbOutcome {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ENOENT':
    case 'ENOTDIR':
      return 'no-socket';
    case 'EACCES':
    case 'EPERM':
      return 'denied';
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'connect-timeout';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'closed';
    default:
      return 'error';
  }
}

/** A read-only OVSDB session on one connection. */
export class OvsdbClient {
  private socket: Socket | undefined;
  private splitter: JsonSplitter;
  private nextId = 1;
  private waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: OvsdbFailure) => void }>();
  private failure: OvsdbFailure | undefined;

  private constructor(
    readonly remote: OvsdbRemote,
    private readonly opts: OvsdbOptions,
    private readonly env: ProbeClock,
  ) {
    this.splitter = new JsonSplitter(opts.maxBytes);
  }

  static async connect(
    remote: OvsdbRemote,
    env: ProbeClock,
    opts: OvsdbOptions = OVSDB_DEFAULTS,
  ): Promise<OvsdbClient> {
    if (remote.kind === 'unsupported') {
      throw new OvsdbFailure(
        'unsupported',
        `${remote.scheme}: connections are not supported (osmeta speaks tcp: and unix: only)`,
      );
    }
    const c = new OvsdbClient(remote, opts, env);
    await c.open();
    return c;
  }

  private async open(): Promise<void> {
    const net = await import('node:net');
    const remote = this.remote as Exclude<OvsdbRemote, { kind: 'unsupported' }>;
    const bound = new AbortController();
    const started = this.env.clock();
    try {
      await new Promise<void>((resolve, reject) => {
        const s =
          remote.kind === 'unix'
            ? net.createConnection({ path: remote.path })
            : net.createConnection({ host: remote.host, port: remote.port });
        this.socket = s;
        s.setEncoding('utf8');
        s.once('connect', () => resolve());
        s.on('error', (err: NodeJS.ErrnoException) => {
          const f = new OvsdbFailure(outcomeOf(err), err.code ?? err.message);
          this.fail(f);
          reject(f);
        });
        s.on('close', () => this.fail(new OvsdbFailure('closed', 'the server closed the connection')));
        s.on('data', (chunk: string) => this.receive(chunk));
        this.env.sleep(this.opts.timeoutMs, bound.signal).then(
          () => {
            const f = new OvsdbFailure('connect-timeout', `no connection within ${this.opts.timeoutMs} ms`);
            reject(f);
            this.fail(f);
          },
          () => {},
        );
      });
    } finally {
      bound.abort();
      this.env.debug(
        `ovsdb connect ${remote.text} → ${this.failure ? this.failure.outcome : 'connected'} in ${Math.round(this.env.clock() - started)} ms`,
      );
    }
  }

  private fail(f: OvsdbFailure): void {
    this.failure ??= f;
    for (const w of this.waiting.values()) w.reject(this.failure);
    this.waiting.clear();
    this.socket?.destroy();
  }

  private receive(chunk: string): void {
    let messages: string[];
    try {
      messages = this.splitter.push(chunk);
    } catch (err) {
      this.fail(err instanceof OvsdbFailure ? err : new OvsdbFailure('protocol', String(err)));
      return;
    }
    for (const text of messages) {
      let msg: { id?: unknown; method?: unknown; params?: unknown; result?: unknown; error?: unknown };
      try {
        msg = JSON.parse(text) as typeof msg;
      } catch {
        this.fail(new OvsdbFailure('protocol', 'the server sent something that is not JSON'));
        return;
      }
      // RFC 7047 §4.1.11: answer the server's keepalive echo, or it drops the session
      if (msg.method === 'echo') {
        this.socket?.write(JSON.stringify({ result: msg.params ?? [], error: null, id: msg.id ?? null }));
        continue;
      }
      if (typeof msg.id !== 'number') continue;
      const w = this.waiting.get(msg.id);
      if (!w) continue;
      this.waiting.delete(msg.id);
      if (msg.error !== null && msg.error !== undefined) {
        const e = msg.error as { error?: unknown; details?: unknown } | string;
        const text =
          typeof e === 'string'
            ? e
            : `${String(e.error ?? 'error')}${e.details ? `: ${String(e.details)}` : ''}`;
        w.reject(new OvsdbFailure('protocol', text));
      } else {
        w.resolve(msg.result);
      }
    }
  }

  private async call(method: string, params: unknown[]): Promise<unknown> {
    if (this.failure) throw this.failure;
    const id = this.nextId++;
    const bound = new AbortController();
    const started = this.env.clock();
    try {
      return await new Promise<unknown>((resolve, reject) => {
        this.waiting.set(id, { resolve, reject });
        this.socket!.write(JSON.stringify({ method, params, id }));
        this.env.sleep(this.opts.timeoutMs, bound.signal).then(
          () => {
            this.waiting.delete(id);
            reject(new OvsdbFailure('timeout', `no answer to ${method} within ${this.opts.timeoutMs} ms`));
          },
          () => {},
        );
      });
    } finally {
      bound.abort();
      this.env.debug(
        `ovsdb ${method} on ${this.remote.text} in ${Math.round(this.env.clock() - started)} ms`,
      );
    }
  }

  /** select only: one transaction of selects, one result per operation. */
  async select(db: string, ops: readonly SelectOp[]): Promise<SelectResult[]> {
    const result = await this.call('transact', [
      db,
      ...ops.map((o) => ({
        op: 'select',
        table: o.table,
        where: o.where,
        ...(o.columns ? { columns: o.columns } : {}),
      })),
    ]);
    if (!Array.isArray(result)) throw new OvsdbFailure('protocol', 'transact answered no result array');
    return ops.map((_, i) => {
      const r = result[i] as { rows?: unknown; error?: unknown; details?: unknown } | null | undefined;
      if (r && Array.isArray(r.rows)) return { rows: r.rows.filter(isRow) };
      if (r && typeof r.error === 'string') {
        return { error: r.error, ...(typeof r.details === 'string' ? { details: r.details } : {}) };
      }
      return { error: 'no result' };
    });
  }

  /** The tables of a database (get_schema), to tell an old schema from a missing row. */
  async tables(db: string): Promise<string[]> {
    const schema = (await this.call('get_schema', [db])) as { tables?: unknown } | null;
    return schema && typeof schema.tables === 'object' && schema.tables !== null
      ? Object.keys(schema.tables)
      : [];
  }

  close(): void {
    this.failure ??= new OvsdbFailure('closed', 'closed');
    this.socket?.destroy();
  }
}

const isRow = (v: unknown): v is OvsdbRow => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---- values (RFC 7047 §5.1) ---------------------------------------------------------------------

/** An atom: ["uuid", u] → u, a string, number or boolean as is. */
export function atom(v: unknown): string | number | boolean | undefined {
  if (Array.isArray(v) && (v[0] === 'uuid' || v[0] === 'named-uuid') && typeof v[1] === 'string') return v[1];
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return undefined;
}

/** A set: ["set", [atoms]] or a single atom. */
export function setOf(v: unknown): (string | number | boolean)[] {
  if (Array.isArray(v) && v[0] === 'set' && Array.isArray(v[1])) {
    return v[1].map(atom).filter((a) => a !== undefined);
  }
  const a = atom(v);
  return a === undefined ? [] : [a];
}

/** A map: ["map", [[k, v] …]] → Record (string keys and values only: external_ids, options). */
export function mapOf(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(v) || v[0] !== 'map' || !Array.isArray(v[1])) return out;
  for (const pair of v[1]) {
    if (!Array.isArray(pair)) continue;
    const k = atom(pair[0]);
    const val = atom(pair[1]);
    if (k !== undefined && val !== undefined) out[String(k)] = String(val);
  }
  return out;
}

/** A where-clause value for a map column: ["map", [[k, v]]]. */
export const mapValue = (entries: Record<string, string>) => ['map', Object.entries(entries)];
export const uuidValue = (u: string) => ['uuid', u];
