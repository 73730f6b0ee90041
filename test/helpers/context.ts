import * as fsp from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { Context, Exec, FileSystem, Keychain } from '../../src/context.js';
import { dispatch } from '../../src/dispatch.js';
import { IO } from '../../src/io.js';

export interface TestIOOptions {
  stdoutIsTTY?: boolean;
  stderrIsTTY?: boolean;
  stdinIsTTY?: boolean;
  stdin?: string | Buffer;
  env?: Record<string, string | undefined>;
  columns?: number;
}

export interface TestIO {
  io: IO;
  stdout(): string;
  stderr(): string;
}

export function createTestIO(o: TestIOOptions = {}): TestIO {
  let out = '';
  let err = '';
  const io = new IO({
    stdout: {
      write: (c: string | Uint8Array) => (out += typeof c === 'string' ? c : Buffer.from(c).toString()),
    },
    stderr: {
      write: (c: string | Uint8Array) => (err += typeof c === 'string' ? c : Buffer.from(c).toString()),
    },
    stdin: Readable.from(o.stdin === undefined ? [] : [Buffer.from(o.stdin)]),
    stdoutIsTTY: o.stdoutIsTTY ?? false,
    stderrIsTTY: o.stderrIsTTY ?? false,
    stdinIsTTY: o.stdinIsTTY ?? false,
    columns: o.columns ?? 100,
    env: o.env ?? {},
  });
  return { io, stdout: () => out, stderr: () => err };
}

/** An in-memory keychain for precedence tests (the real one is tested against gnome-keyring). */
export function memoryKeychain(
  initial: Record<string, string> = {},
): Keychain & { entries: Map<string, string> } {
  const entries = new Map(Object.entries(initial));
  return {
    entries,
    get: async (n) => entries.get(n) ?? null,
    set: async (n, v) => {
      entries.set(n, v);
    },
    delete: async (n) => entries.delete(n),
  };
}

export interface TestContextOptions extends TestIOOptions {
  fs?: FileSystem;
  exec?: Exec;
  keychain?: Keychain;
  cwd?: string;
  homedir?: string;
  uid?: number;
  now?: () => number;
  prompt?: (q: string) => Promise<string>;
  dispatcher?: Context['dispatcher'];
}

export interface TestContext extends TestIO {
  ctx: Context;
}

export function createTestContext(o: TestContextOptions = {}): TestContext {
  const t = createTestIO(o);
  const env = o.env ?? {};
  const ctx: Context = {
    io: t.io,
    env,
    cwd: o.cwd ?? '/nonexistent-cwd',
    homedir: o.homedir ?? '/nonexistent-home',
    // the real effective uid: the token cache trusts only files owned by it
    uid: o.uid ?? process.geteuid?.() ?? 1000,
    fs: o.fs ?? fsp,
    exec:
      o.exec ??
      (async (file) => {
        throw new Error(`unexpected exec of ${file} in a test`);
      }),
    now: o.now ?? (() => Date.now()),
    clock: () => performance.now(),
    pid: 4242,
    sleep: (ms, signal) =>
      new Promise<void>((ok, fail) => {
        const t = setTimeout(ok, ms);
        signal?.addEventListener('abort', () => {
          clearTimeout(t);
          fail(signal.reason);
        });
      }),
    keychain: () => o.keychain ?? memoryKeychain(),
    prompt: o.prompt ?? (async () => ''),
    signal: new AbortController().signal,
    debug: () => {},
    selfArgv: [process.execPath, new URL('../../bin/osmeta.js', import.meta.url).pathname],
    ...(o.dispatcher === undefined ? {} : { dispatcher: o.dispatcher }),
  };
  return { ...t, ctx };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  ctx: Context;
}

/** Runs dispatch() with argv in a test context and captures everything. */
export async function runCli(argv: string[], o: TestContextOptions = {}): Promise<RunResult> {
  const t = createTestContext(o);
  const code = await dispatch(argv, t.ctx);
  return { code, stdout: t.stdout(), stderr: t.stderr(), ctx: t.ctx };
}

/** The effective uid of the test process (the token cache and safe-file trust only files it owns). */
export const EUID: number = process.geteuid?.() ?? 1000;

/** The environment a spawned osmeta gets in tests: only PATH. */
export function spawnEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin' };
}

/** The node binary running the tests, to spawn osmeta with. */
export function nodeBin(): string {
  return process.execPath;
}
