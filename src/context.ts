import type * as fsp from 'node:fs/promises';
import type { Dispatcher } from 'undici';
import type { IO } from './io.js';

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
  /** this process's id (unique temporary file names) */
  pid: number;
  /** a timer: resolves after ms, or rejects when signal aborts */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
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
