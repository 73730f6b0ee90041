import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';

// End-to-end tests run the built CLI against the running lab (lab/up). OSMETA_BIN points them at
// another build of the same CLI (the standalone executable) — same tests, another binary.

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The lab scripts: this checkout's, or LAB_DIR's (another checkout's lab/, e.g. a newer flavour). */
export const LAB_DIR = (process.env.LAB_DIR ?? `${ROOT}lab`).replace(/\/+$/, '');

/** The lab's facts (lab/env), loaded once. */
export function labEnv(): Record<string, string> {
  if (cached) return cached;
  const r = spawnSync('bash', ['-c', `. "${LAB_DIR}/env" && env -0`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cannot source lab/env (is the lab up? run lab/up): ${r.stderr}`);
  const env: Record<string, string> = {};
  for (const kv of r.stdout.split('\0')) {
    const i = kv.indexOf('=');
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  cached = env;
  return env;
}
let cached: Record<string, string> | undefined;

/**
 * The lab's flavour (lab/env's LAB_FLAVOUR): 'ovs' (ML2/OVS, the default) or 'ovn'. Suites that
 * need one flavour's namespaces run only on it.
 */
export function labFlavour(): string {
  try {
    return labEnv().LAB_FLAVOUR ?? 'ovs';
  } catch {
    return 'ovs';
  }
}

export function lab(name: string): string {
  const v = labEnv()[name];
  if (v === undefined) throw new Error(`lab/env does not export ${name}`);
  return v;
}

export function osmetaCommand(): string[] {
  const bin = process.env.OSMETA_BIN;
  if (bin) return [bin];
  const script = `${ROOT}bin/osmeta.js`;
  if (!existsSync(`${ROOT}dist/osmeta.js`)) throw new Error('dist/ is missing: run npm run build first');
  return [process.execPath, script];
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface RunOptions {
  /** extra environment on top of the lab's (undefined removes a variable) */
  env?: Record<string, string | undefined>;
  stdin?: string;
  timeoutMs?: number;
  /** start from a clean environment: PATH, HOME and these only */
  cleanEnv?: boolean;
}

/** Runs osmeta as a child process with the lab's environment. */
export function osmeta(args: string[], o: RunOptions = {}): Promise<CliResult> {
  const [cmd, ...pre] = osmetaCommand();
  const base: Record<string, string | undefined> = o.cleanEnv
    ? { PATH: process.env.PATH, HOME: process.env.HOME }
    : { ...process.env, ...labEnv() };
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...base, NO_COLOR: '1', ...o.env })) if (v !== undefined) env[k] = v;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd!, [...pre, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, durationMs: performance.now() - started });
    });
    child.stdin.end(o.stdin ?? '');
  });
}

/**
 * Runs a lab script (lab/break, lab/heal …) and fails loudly if it fails. Lab scripts take a lock
 * on the lab, so one may wait for another: LAB_SCRIPT_TIMEOUT (seconds, default 420) bounds it.
 */
export function labScript(script: string, ...args: string[]): void {
  const timeout = Number(process.env.LAB_SCRIPT_TIMEOUT ?? 420) * 1000;
  const r = spawnSync(`${LAB_DIR}/${script}`, args, { encoding: 'utf8', timeout });
  if (r.status !== 0)
    throw new Error(`lab/${script} ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
}

/** How long a break or heal may take: one may wait for the lab's lock while another suite holds it. */
export const BREAK_TIMEOUT = 420_000;

/** Breaks one hop of the lab (lab/break FAULT), runs fn, heals — whatever happens. */
export async function broken<T>(fault: string, fn: () => Promise<T>): Promise<T> {
  labScript('break', fault);
  try {
    return await fn();
  } finally {
    labScript('heal');
  }
}

/**
 * A suite that breaks the shared lab: lab/heal before its first test and after its last, when it
 * runs at all (on this flavour).
 */
export function healAround(runs: boolean): void {
  beforeAll(() => {
    if (runs) labScript('heal');
  }, BREAK_TIMEOUT);
  afterAll(() => {
    if (runs) labScript('heal');
  }, BREAK_TIMEOUT);
}
