import type { ExecOptions, ExecResult, PromptOptions } from './context.js';
import { interruptedError } from './errors.js';

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
