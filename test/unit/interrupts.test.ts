import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { dispatch as main } from '../../src/dispatch.js';
import { IO } from '../../src/io.js';
import { systemPrompt } from '../../src/system.js';
import { createTestContext, memoryKeychain, nodeBin, spawnEnv } from '../helpers/context.js';

// An interrupt while osmeta reads a secret (SIGINT on a pipe, Ctrl-C at a no-echo prompt) is exit
// 130 with nothing signed, stored or written. The signal source is the Context's AbortSignal.

const ID = 'd2bbe7f9-5d6b-4c68-8bbe-0d1f2a3b4c5d';

/** A context whose stdin is a pipe that stays open, and whose SIGINT is a controller we hold. */
function interruptible(o: { stdinIsTTY?: boolean; prompt?: () => Promise<string> } = {}) {
  const t = createTestContext({
    keychain: memoryKeychain(),
    ...(o.prompt ? { prompt: o.prompt } : {}),
  });
  const stdin = new PassThrough();
  let out = '';
  let err = '';
  const sigint = new AbortController();
  t.ctx.io = new IO({
    stdout: { write: (c: string | Uint8Array) => (out += String(c)) },
    stderr: { write: (c: string | Uint8Array) => (err += String(c)) },
    stdin,
    stdoutIsTTY: false,
    stderrIsTTY: false,
    stdinIsTTY: o.stdinIsTTY ?? false,
    columns: 100,
    env: {},
  });
  t.ctx.signal = sigint.signal;
  const keychain = memoryKeychain();
  t.ctx.keychain = () => keychain;
  return { ctx: t.ctx, stdin, sigint, keychain, stdout: () => out, stderr: () => err };
}

const tick = () => new Promise((r) => setTimeout(r, 20));

describe('SIGINT while a secret is read from a pipe', () => {
  it.each([
    ['sign --secret-stdin', ['sign', '--secret-stdin', ID]],
    ['sign --secret-stdin --json', ['sign', '--secret-stdin', '--json', ID]],
    ['secret set', ['secret', 'set']],
  ])('%s: exit 130, nothing signed or stored, even when EOF follows', async (_n, argv) => {
    const t = interruptible();
    const run = main(argv, t.ctx);
    t.stdin.write('partial-sec');
    await tick();
    t.sigint.abort(new Error('interrupted'));
    t.stdin.end('ret\n');
    expect(await run).toBe(130);
    expect(t.keychain.entries.size).toBe(0);
    if (argv.includes('--json')) {
      expect(JSON.parse(t.stdout())).toEqual({
        error: expect.objectContaining({ code: 'INTERRUPTED', exitCode: 130 }),
      });
    } else {
      expect(t.stdout()).toBe('');
    }
    expect(t.stderr()).toBe('error: interrupted\n');
  });
});

describe('Ctrl-C at a no-echo prompt', () => {
  it('secret set on a terminal: exit 130, nothing stored', async () => {
    const t = interruptible({ stdinIsTTY: true });
    t.ctx.prompt = (q, o) => {
      // what the real prompt does with the Ctrl-C byte in raw mode
      const tty = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => tty });
      const p = systemPrompt(q, o, t.ctx.signal, { stdin: tty, stderr: { write: () => true } });
      setTimeout(() => tty.write('abc\u0003'), 5);
      return p;
    };
    expect(await main(['secret', 'set'], t.ctx)).toBe(130);
    expect(t.keychain.entries.size).toBe(0);
    expect(t.stdout()).toBe('');
    expect(t.stderr()).toBe('error: interrupted\n');
  });

  it('secret set on a terminal: a SIGINT while the prompt waits is exit 130', async () => {
    const t = interruptible({ stdinIsTTY: true });
    const tty = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => tty });
    // the real Context hands its SIGINT signal to the prompt
    t.ctx.prompt = (q, o) => systemPrompt(q, o, t.ctx.signal, { stdin: tty, stderr: { write: () => true } });
    const run = main(['secret', 'set'], t.ctx);
    tty.write('typed-so-f');
    await tick();
    t.sigint.abort(new Error('interrupted'));
    expect(await run).toBe(130);
    expect(t.keychain.entries.size).toBe(0);
    expect(t.stderr()).toBe('error: interrupted\n');
  });

  it.each([
    [
      'a prompt that reports Ctrl-C its own way',
      () => Promise.reject(Object.assign(new Error('interrupted'), { code: 'EINTR' })),
    ],
    ['a prompt that ignores SIGINT', () => new Promise<string>(() => {})],
  ])('the Keystone password: %s is exit 130 and no request is sent', async (_n, prompt) => {
    const t = interruptible({ stdinIsTTY: true });
    t.ctx.prompt = prompt;
    const cloud = {
      name: 'test',
      authType: 'password',
      auth: { authUrl: 'http://127.0.0.1:1/v3', username: 'admin', projectName: 'admin' },
    } as unknown as import('../../src/openstack/config.js').ResolvedCloud;
    const { withSecret } = await import('../../src/openstack/session.js');
    const check = expect(withSecret(t.ctx, cloud)).rejects.toMatchObject({
      code: 'INTERRUPTED',
      exitCode: 130,
    });
    await tick();
    t.sigint.abort(new Error('interrupted'));
    await check;
  });
});

describe('systemPrompt', () => {
  const fakeTty = () => {
    const raw: boolean[] = [];
    const tty = Object.assign(new PassThrough(), {
      isTTY: true,
      setRawMode: (r: boolean) => {
        raw.push(r);
        return tty;
      },
    });
    return { tty, raw };
  };

  it('rejects Ctrl-C with the INTERRUPTED error (exit 130) and leaves raw mode', async () => {
    const { tty, raw } = fakeTty();
    let shown = '';
    const p = systemPrompt('password: ', { silent: true }, new AbortController().signal, {
      stdin: tty,
      stderr: { write: (s: string) => (shown += s) },
    });
    tty.write('secr\u0003');
    await expect(p).rejects.toMatchObject({ code: 'INTERRUPTED', exitCode: 130, message: 'interrupted' });
    expect(raw).toEqual([true, false]);
    expect(shown).toBe('password: \n');
  });

  it('returns the typed line without echoing it', async () => {
    const { tty } = fakeTty();
    let shown = '';
    const p = systemPrompt('password: ', { silent: true }, undefined, {
      stdin: tty,
      stderr: { write: (s: string) => (shown += s) },
    });
    tty.write('se\u007fecret\r');
    expect(await p).toBe('secret');
    expect(shown).not.toContain('secret');
  });

  it('rejects a SIGINT while a line is awaited (no terminal) with the INTERRUPTED error', async () => {
    const stdin = Object.assign(new PassThrough(), { isTTY: false });
    const ac = new AbortController();
    const p = systemPrompt('name: ', { silent: false }, ac.signal, { stdin, stderr: { write: () => true } });
    await tick();
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: 'INTERRUPTED', exitCode: 130 });
  });
});

describe('a real SIGINT to a real osmeta', () => {
  it('sign --secret-stdin reading a pipe exits 130 and prints no signature', async () => {
    const bin = new URL('../../bin/osmeta.js', import.meta.url).pathname;
    const child = spawn(nodeBin(), [bin, 'sign', '--secret-stdin', ID], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: spawnEnv(),
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    child.stdin.write('partial-secret');
    // wait until the process is up and reading: its first read drains the pipe
    await new Promise((r) => setTimeout(r, 700));
    child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 100));
    child.stdin.end('\n');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    const code = await exited;
    clearTimeout(timer);
    expect(code).toBe(130);
    expect(out).toBe('');
    expect(err).toBe('error: interrupted\n');
  }, 10_000);
});
