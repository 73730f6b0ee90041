import * as fs from 'node:fs';
import type { Context, ExecOptions, ExecResult, Keychain, PromptOptions } from './context.js';
import { interruptedError } from './errors.js';
import { IO } from './io.js';

// The real Context: the only module under src/ that touches process (and real timers).

/** Runs osmeta as this process: argv in, exit code out (the single executable's entry). */
export async function runAsProcess(run: (argv: string[], ctx: Context) => Promise<number>): Promise<void> {
  process.exitCode = await run(process.argv.slice(2), createSystemContext());
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
    exec: systemExec,
    now: () => Date.now(),
    clock: () => performance.now(),
    pid: process.pid,
    sleep: (ms, signal) =>
      import('node:timers/promises').then((t) => t.setTimeout(ms, undefined, signal ? { signal } : {})),
    keychain: () => systemKeychain(),
    prompt: (q, o) => systemPrompt(q, o, controller.signal),
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

/** Runs a program without a shell; never throws for a non-zero exit. */
export async function systemExec(
  file: string,
  args: readonly string[],
  opts: ExecOptions = {},
): Promise<ExecResult> {
  const started = performance.now();
  // loaded on first use: sign's bundle carries this module but never runs a program
  const { spawn } = await import('node:child_process');
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (err) {
      resolve({ code: 127, signal: null, stdout: '', stderr: String(err), timedOut: false, durationMs: 0 });
      return;
    }
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, opts.timeoutMs);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer);
      resolve({
        code: err.code === 'ENOENT' ? 127 : 126,
        signal: null,
        stdout,
        stderr: stderr + err.message,
        timedOut,
        durationMs: performance.now() - started,
      });
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut, durationMs: performance.now() - started });
    });
    child.stdin?.on('error', () => {});
    child.stdin?.end(opts.input ?? '');
  });
}

export interface PromptStreams {
  stdin:
    | NodeJS.ReadStream
    | (NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown });
  stderr: { write(s: string): unknown };
}

/**
 * Reads one line from the terminal; with silent, nothing is echoed (secrets). Ctrl-C at the prompt,
 * or signal (SIGINT) while waiting, rejects with the INTERRUPTED error (exit 130).
 */
export async function systemPrompt(
  question: string,
  opts: PromptOptions,
  signal?: AbortSignal,
  streams: PromptStreams = { stdin: process.stdin, stderr: process.stderr },
): Promise<string> {
  const { stdin, stderr } = streams;
  if (signal?.aborted) throw interruptedError();
  stderr.write(question);
  if (!opts.silent || !stdin.isTTY) {
    const { createInterface } = await import('node:readline');
    const rl = createInterface({ input: stdin, terminal: false });
    let onAbort: (() => void) | undefined;
    try {
      const line = await new Promise<string>((resolve, reject) => {
        onAbort = () => reject(interruptedError());
        signal?.addEventListener('abort', onAbort, { once: true });
        rl.once('line', resolve);
        rl.once('close', () => resolve(''));
      });
      return line;
    } finally {
      if (onAbort) signal?.removeEventListener('abort', onAbort);
      rl.close();
    }
  }
  const tty = stdin as NodeJS.ReadStream;
  return new Promise<string>((resolve, reject) => {
    let value = '';
    tty.setRawMode(true);
    tty.resume();
    tty.setEncoding('utf8');
    const done = (err?: Error) => {
      tty.setRawMode(false);
      tty.pause();
      tty.off('data', onData);
      signal?.removeEventListener('abort', onAbort);
      stderr.write('\n');
      value = err ? '' : value;
      if (err) reject(err);
      else resolve(value);
    };
    const onAbort = () => done(interruptedError());
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done();
        // raw mode turns Ctrl-C into a byte instead of SIGINT: it is the same interrupt
        if (ch === '\u0003') return done(interruptedError());
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    tty.on('data', onData);
  });
}
