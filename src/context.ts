import * as fs from 'node:fs';
import type * as fsp from 'node:fs/promises';
import type { Dispatcher } from 'undici';
import { IO } from './io.js';

export interface ExecResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

export interface ExecOptions {
  timeoutMs?: number;
  input?: string;
}

export type Exec = (file: string, args: readonly string[], opts?: ExecOptions) => Promise<ExecResult>;

/** The part of node:fs/promises osmeta uses; tests pass a fixture-backed one. */
export type FileSystem = Pick<
  typeof fsp,
  | 'readFile'
  | 'writeFile'
  | 'stat'
  | 'lstat'
  | 'readdir'
  | 'readlink'
  | 'rename'
  | 'mkdir'
  | 'chmod'
  | 'unlink'
  | 'open'
  | 'access'
>;

/** The OS keychain, one entry per name under the service "osmeta". */
export interface Keychain {
  get(name: string): Promise<string | null>;
  set(name: string, value: string): Promise<void>;
  delete(name: string): Promise<boolean>;
}

export interface PromptOptions {
  silent: boolean;
}

/** Every side effect osmeta has. Commands never touch process, console, global fetch or the keyring directly. */
export interface Context {
  io: IO;
  env: Record<string, string | undefined>;
  cwd: string;
  homedir: string;
  /** effective uid, or -1 where there is none */
  uid: number;
  fs: FileSystem;
  exec: Exec;
  /** wall clock, ms since the epoch */
  now(): number;
  /** monotonic ms, for durations */
  clock(): number;
  keychain(): Keychain;
  /** undici dispatcher override (tests pass a MockAgent); undefined = osmeta's own Agent */
  dispatcher?: Dispatcher;
  /** a line from the terminal; silent = no echo (secrets) */
  prompt(question: string, opts: PromptOptions): Promise<string>;
  /** aborted on SIGINT */
  signal: AbortSignal;
  /** set by the CLI from --debug / OSMETA_DEBUG */
  debug: (line: string) => void;
  /** how to run osmeta itself again (e.g. inside a network namespace): [node, script] or [executable] */
  selfArgv: string[];
}

export function createSystemContext(): Context {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort(new Error('interrupted')));
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    // a closed stdout (`| head`) ends quietly
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  const env = process.env;
  const io = new IO({
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    stdinIsTTY: process.stdin.isTTY === true,
    columns: process.stdout.columns,
    env,
  });
  return {
    io,
    env,
    cwd: process.cwd(),
    homedir: env.HOME ?? '/root',
    uid: typeof process.geteuid === 'function' ? process.geteuid() : -1,
    // node:fs is loaded at boot; its promises API (and readline, watchers…) only on first use
    get fs() {
      return fs.promises;
    },
    exec: (file, args, opts) => import('./system.js').then((m) => m.systemExec(file, args, opts)),
    now: () => Date.now(),
    clock: () => performance.now(),
    keychain: () => systemKeychain(),
    prompt: (q, o) => import('./system.js').then((m) => m.systemPrompt(q, o, controller.signal)),
    signal: controller.signal,
    debug: () => {},
    selfArgv: selfArgv(),
  };
}

function selfArgv(): string[] {
  const script = process.argv[1];
  // a single executable has no script: argv[1] is the first user argument
  const isScript = script !== undefined && /\.(c|m)?js$/.test(script);
  return isScript ? [process.execPath, script] : [process.execPath];
}

let keychainSingleton: Keychain | undefined;
function systemKeychain(): Keychain {
  keychainSingleton ??= {
    get: (name) => import('./keychain.js').then((m) => m.keychainGet(name)),
    set: (name, value) => import('./keychain.js').then((m) => m.keychainSet(name, value)),
    delete: (name) => import('./keychain.js').then((m) => m.keychainDelete(name)),
  };
  return keychainSingleton;
}
