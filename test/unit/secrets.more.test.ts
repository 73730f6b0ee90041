import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { IO } from '../../src/io.js';
import { MAX_SECRET_BYTES, promptSecret, readAllStdin, resolveSecret } from '../../src/secrets.js';
import { signInstanceId } from '../../src/signature.js';
import { createTestContext, memoryKeychain, runCli } from '../helpers/context.js';
import { memoryFs } from '../helpers/memory-fs.js';

// What the shared secret's sources say when they fail, and where --debug says a secret came from
// (gaps StrykerJS found in secrets.test.ts: docs/mutation.md).

const ID = 'd2bbe7f9-5d6b-4c68-8bbe-0d1f2a3b4c5d';
let dir: string;

async function file(name: string, body: string, mode = 0o600): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, body);
  await chmod(p, mode);
  return p;
}

const jsonError = (stdout: string) => JSON.parse(stdout).error;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'osmeta-secrets-more-'));
});

describe('--debug names where the secret came from, never the secret', () => {
  it.each([
    ['a file', async () => ['--secret-file', await file('s1', 'abc')], (p: string[]) => `file ${p[1]}`],
    ['standard input', async () => ['--secret-stdin'], () => 'standard input'],
    [
      'a config file',
      async () => [
        '--secret-from-config',
        await file('nova.conf', '[neutron]\nmetadata_proxy_shared_secret = abc\n'),
      ],
      (p: string[]) => `metadata_proxy_shared_secret in ${p[1]}`,
    ],
    ['a keychain entry', async () => ['--secret-name', 'prod'], () => "keychain entry 'prod'"],
  ])('from %s', async (_what, flags, named) => {
    const f = await flags();
    const r = await runCli(['--debug', 'sign', ...f, ID], {
      stdin: 'abc\n',
      keychain: memoryKeychain({ prod: 'abc' }),
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${signInstanceId('abc', ID)}\n`);
    expect(r.stderr).toContain(`debug: shared secret: from ${named(f)}\n`);
    expect(r.stderr).not.toContain('abc\n');
  });

  it('names the source of an empty secret in the warning', async () => {
    const p = await file('empty', '\n');
    const r = await runCli(['sign', '--secret-file', p, ID]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      `warning: the shared secret from file ${p} is empty: nova accepts that, but anyone who can reach nova's metadata API can then read any instance's metadata\n`,
    );
  });
});

describe('standard input', () => {
  it('takes exactly 64 KiB, and says what to do with more', async () => {
    const ok = await runCli(['sign', '--secret-stdin', ID], { stdin: 'x'.repeat(MAX_SECRET_BYTES) });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe(`${signInstanceId('x'.repeat(MAX_SECRET_BYTES), ID)}\n`);
    const big = await runCli(['--json', 'sign', '--secret-stdin', ID], {
      stdin: 'x'.repeat(MAX_SECRET_BYTES + 1),
    });
    expect(big.code).toBe(2);
    expect(jsonError(big.stdout)).toMatchObject({
      code: 'SECRET_TOO_LARGE',
      hint: 'pipe the secret alone, as one line',
    });
  });

  function stdinContext() {
    const t = createTestContext();
    const stdin = new PassThrough();
    t.ctx.io = new IO({
      stdout: { write: () => true },
      stderr: { write: () => true },
      stdin,
      stdoutIsTTY: false,
      stderrIsTTY: false,
      stdinIsTTY: false,
      columns: 80,
      env: {},
    });
    const sigint = new AbortController();
    t.ctx.signal = sigint.signal;
    return { ctx: t.ctx, stdin, sigint };
  }

  it('reads text chunks as well as bytes', async () => {
    const { ctx, stdin } = stdinContext();
    stdin.setEncoding('utf8');
    const read = readAllStdin(ctx);
    stdin.write('sé');
    stdin.end('cret\n');
    expect(await read).toBe('sécret\n');
  });

  it('is a usage error naming the reason when standard input fails', async () => {
    const { ctx, stdin } = stdinContext();
    const read = readAllStdin(ctx);
    stdin.destroy(new Error('EIO: i/o error'));
    await expect(read).rejects.toMatchObject({
      code: 'STDIN_UNREADABLE',
      exitCode: 2,
      message: 'cannot read standard input: EIO: i/o error',
    });
  });

  it('is an interrupt (exit 130) when SIGINT arrives while reading, whatever was read', async () => {
    const { ctx, stdin, sigint } = stdinContext();
    const read = readAllStdin(ctx);
    stdin.write('half a secr');
    await new Promise((r) => setTimeout(r, 10));
    sigint.abort();
    await expect(read).rejects.toMatchObject({ code: 'INTERRUPTED', exitCode: 130 });
  });
});

describe('the prompt', () => {
  it('is an interrupt when SIGINT arrives while it waits', async () => {
    const { ctx } = createTestContext();
    const sigint = new AbortController();
    ctx.signal = sigint.signal;
    ctx.prompt = () => new Promise(() => {});
    const answer = promptSecret(ctx, 'Password: ');
    sigint.abort();
    await expect(answer).rejects.toMatchObject({ code: 'INTERRUPTED', exitCode: 130 });
  });

  it("is an interrupt when the prompt's own Ctrl-C ends it (EINTR)", async () => {
    const { ctx } = createTestContext();
    ctx.prompt = async () => {
      throw Object.assign(new Error('canceled'), { code: 'EINTR' });
    };
    await expect(promptSecret(ctx, 'Password: ')).rejects.toMatchObject({ code: 'INTERRUPTED' });
  });

  it('passes any other failure on as it is, and an answer as it was typed', async () => {
    const { ctx } = createTestContext();
    const boom = new Error('no terminal');
    ctx.prompt = async () => {
      throw boom;
    };
    await expect(promptSecret(ctx, 'Password: ')).rejects.toBe(boom);
    ctx.prompt = async (_q, o) => (o.silent ? ' typed ' : 'echoed');
    expect(await promptSecret(ctx, 'Password: ')).toBe(' typed ');
  });
});

describe('choosing a source', () => {
  it('says which sources to choose from when two are given (without the keychain)', async () => {
    const r = await runCli(['--json', 'sign', '--secret-stdin', '--secret-name', 'x', ID]);
    expect(r.code).toBe(2);
    expect(jsonError(r.stdout)).toMatchObject({
      code: 'CONFLICTING_SECRET_SOURCES',
      message: 'choose one secret source, not --secret-stdin and --secret-name',
      hint: 'give exactly one of --secret-file, --secret-stdin, --secret-from-config, --secret-name, OSMETA_SHARED_SECRET',
    });
  });

  it('counts an empty --secret-from-config list as no source', async () => {
    const { ctx } = createTestContext({ env: { OSMETA_SHARED_SECRET: 'abc' } });
    const s = await resolveSecret({ secretFromConfig: [] }, ctx);
    expect(s).toEqual({ value: 'abc', source: { kind: 'env', name: 'OSMETA_SHARED_SECRET' }, warnings: [] });
  });

  it('names the missing keychain entry and how to store it (exit 4)', async () => {
    const r = await runCli(['--json', 'sign', '--secret-name', 'prod', ID], { keychain: memoryKeychain() });
    expect(r.code).toBe(4);
    expect(jsonError(r.stdout)).toMatchObject({
      code: 'SECRET_NOT_IN_KEYCHAIN',
      message: "no keychain entry 'prod'",
      hint: 'store it with: osmeta secret set --name prod',
    });
  });

  it('exits 4 when the keychain fails for a named entry, saying why', async () => {
    const broken = {
      get: async () => {
        throw new Error('no Secret Service on the session bus');
      },
      set: async () => {},
      delete: async () => false,
    };
    const r = await runCli(['--json', 'sign', '--secret-name', 'prod', ID], { keychain: broken });
    expect(r.code).toBe(4);
    expect(jsonError(r.stdout)).toMatchObject({
      code: 'SECRET_UNAVAILABLE',
      message: 'no Secret Service on the session bus',
    });
  });

  it('says the keychain has no default entry, and how to store one', async () => {
    const r = await runCli(['--json', 'sign', ID], { keychain: memoryKeychain() });
    expect(jsonError(r.stdout)).toMatchObject({
      message:
        'no shared secret: none given, OSMETA_SHARED_SECRET unset, and the keychain has no default entry',
      hint: 'give one of --secret-file, --secret-stdin, --secret-from-config, --secret-name, OSMETA_SHARED_SECRET or the keychain (osmeta secret set stores one in the keychain)',
    });
  });
});

describe('--secret-file failures', () => {
  it('exits 4 with the reason when the file cannot be read after stat (a directory)', async () => {
    const d = join(dir, 'a-dir');
    await mkdir(d, { mode: 0o700 });
    const r = await runCli(['--json', 'sign', '--secret-file', d, ID]);
    expect(r.code).toBe(4);
    expect(jsonError(r.stdout).code).toBe('SECRET_FILE_UNREADABLE');
    expect(jsonError(r.stdout).message).toMatch(new RegExp(`^cannot read secret file ${d}: `));
  });

  it('keeps the hint of a file error, with exit 4', async () => {
    const p = await file('huge', 'x'.repeat(MAX_SECRET_BYTES + 1));
    const r = await runCli(['--json', 'sign', '--secret-file', p, ID]);
    expect(r.code).toBe(4);
    expect(jsonError(r.stdout).exitCode).toBe(4);
  });
});

describe('--secret-from-config', () => {
  it('exits 4 with a hint to run as a user who can read it, for an unreadable file', async () => {
    const fs = memoryFs({ '/etc/nova/nova.conf': null });
    const r = await runCli(['--json', 'sign', '--secret-from-config', '/etc/nova/nova.conf', ID], { fs });
    expect(r.code).toBe(4);
    expect(jsonError(r.stdout)).toMatchObject({
      code: 'CONFIG_UNREADABLE',
      exitCode: 4,
      hint: 'run as a user that can read the service configuration (often root), or use another secret source',
    });
  });

  it("resolves a $reference in the section the secret was found in: nova's [neutron]", async () => {
    const p = await file(
      'ref.conf',
      '[DEFAULT]\npart = wrong\n[neutron]\npart = right\nmetadata_proxy_shared_secret = $part-x\n',
    );
    const r = await runCli(['sign', '--secret-from-config', p, ID]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${signInstanceId('right-x', ID)}\n`);
  });

  it("resolves a $reference in the agent's [DEFAULT]", async () => {
    const p = await file('ref-agent.ini', '[DEFAULT]\npart = agent\nmetadata_proxy_shared_secret = $part\n');
    const r = await runCli(['sign', '--secret-from-config', p, ID]);
    expect(r.stdout).toBe(`${signInstanceId('agent', ID)}\n`);
  });

  it('says where to set the secret when no file sets it', async () => {
    const p = await file('none.conf', '[neutron]\nauth_type = password\n');
    const r = await runCli(['--json', 'sign', '--secret-from-config', p, ID]);
    expect(r.code).toBe(4);
    expect(jsonError(r.stdout)).toMatchObject({
      code: 'NO_SHARED_SECRET',
      message: `no metadata_proxy_shared_secret in ${p} ([neutron] for nova.conf, [DEFAULT] for the neutron agents)`,
      hint: 'an unset secret means the empty string to nova and neutron; set it in both, or use another source',
    });
  });

  it('warns when the files disagree, naming the files and lines and the one used', async () => {
    const a = await file('a.conf', '[neutron]\nmetadata_proxy_shared_secret = one\n');
    const b = await file('b.ini', '[DEFAULT]\n\nmetadata_proxy_shared_secret = two\n');
    const r = await runCli(['sign', '--secret-from-config', a, '--secret-from-config', b, ID]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${signInstanceId('two', ID)}\n`);
    expect(r.stderr).toBe(
      `warning: metadata_proxy_shared_secret differs between the files (${a}:2, ${b}:3); using ${b}, the later file\n`,
    );
  });
});
