import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OsmetaError } from '../../src/errors.js';
import {
  ensurePrivateDir,
  formatBytes,
  readTextBounded,
  TooLargeError,
  writeFileAtomic,
  writeStreamAtomic,
} from '../../src/safe-file.js';
import { EUID } from '../helpers/context.js';
import { useTempDir } from '../helpers/temp-dir.js';

const tmp = useTempDir('osmeta-safe-');

const UID = EUID;

async function* chunks(n: number, size: number) {
  for (let i = 0; i < n; i++) yield Buffer.alloc(size, 0x61 + (i % 26));
}

describe('writeFileAtomic', () => {
  it('writes a new file with mode 0600 and leaves no temporary file', async () => {
    const f = join(tmp.dir, 'out');
    await writeFileAtomic(fsp, f, 'hello\n');
    expect(readFileSync(f, 'utf8')).toBe('hello\n');
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(readdirSync(tmp.dir)).toEqual(['out']);
  });

  it('replaces an existing 0644 file with a 0600 one', async () => {
    const f = join(tmp.dir, 'out');
    writeFileSync(f, 'old');
    chmodSync(f, 0o644);
    await writeFileAtomic(fsp, f, 'new');
    expect(readFileSync(f, 'utf8')).toBe('new');
    expect(statSync(f).mode & 0o777).toBe(0o600);
  });

  it('refuses a symlink at the destination and leaves its target untouched', async () => {
    const victim = join(tmp.dir, 'victim');
    writeFileSync(victim, 'precious');
    chmodSync(victim, 0o644);
    const f = join(tmp.dir, 'out');
    symlinkSync(victim, f);
    const err = await writeFileAtomic(fsp, f, 'evil').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OsmetaError);
    expect(err).toMatchObject({
      code: 'UNSAFE_PATH',
      exitCode: 1,
      message: `refusing to write ${f}: it is a symbolic link`,
    });
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(statSync(victim).mode & 0o777).toBe(0o644);
    expect(readdirSync(tmp.dir).sort()).toEqual(['out', 'victim']);
  });

  it('refuses a dangling symlink too (it would create the target)', async () => {
    const f = join(tmp.dir, 'out');
    symlinkSync(join(tmp.dir, 'would-be-created'), f);
    await expect(writeFileAtomic(fsp, f, 'x')).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
    expect(readdirSync(tmp.dir)).toEqual(['out']);
  });

  it.each([
    ['a directory', (p: string) => mkdirSync(p)],
    ['a FIFO', (p: string) => execFileSync('mkfifo', [p])],
  ])('refuses %s at the destination', async (_what, make) => {
    const f = join(tmp.dir, 'out');
    make(f);
    await expect(writeFileAtomic(fsp, f, 'x')).rejects.toMatchObject({
      code: 'UNSAFE_PATH',
      message: `refusing to write ${f}: it exists and is not a regular file`,
    });
  });

  it('says which directory is missing, as one line', async () => {
    const f = join(tmp.dir, 'no', 'such', 'out');
    await expect(writeFileAtomic(fsp, f, 'x')).rejects.toMatchObject({
      code: 'WRITE_FAILED',
      message: `cannot write ${f}: no such directory`,
    });
  });
});

describe('writeStreamAtomic', () => {
  it('streams every chunk to a 0600 file and returns the byte count', async () => {
    const f = join(tmp.dir, 'body');
    expect(await writeStreamAtomic(fsp, f, chunks(10, 1000), { maxBytes: 10_000 })).toBe(10_000);
    expect(statSync(f).size).toBe(10_000);
    expect(statSync(f).mode & 0o777).toBe(0o600);
  });

  it('stops above maxBytes with the given error, leaving the old file and no temporary file', async () => {
    const f = join(tmp.dir, 'body');
    writeFileSync(f, 'old');
    const err = await writeStreamAtomic(fsp, f, chunks(100, 1000), {
      maxBytes: 5000,
      tooLarge: (max) => new TooLargeError('the response', max, 'raise --max-response-size'),
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TOO_LARGE', message: 'the response is larger than 5000 bytes' });
    expect(readFileSync(f, 'utf8')).toBe('old');
    expect(readdirSync(tmp.dir)).toEqual(['body']);
  });

  it('refuses a symlink before reading any of the stream', async () => {
    const f = join(tmp.dir, 'body');
    symlinkSync('/etc/passwd', f);
    let pulled = 0;
    async function* counting() {
      pulled++;
      yield Buffer.from('x');
    }
    await expect(writeStreamAtomic(fsp, f, counting(), { maxBytes: 10 })).rejects.toMatchObject({
      code: 'UNSAFE_PATH',
    });
    expect(pulled).toBe(0);
  });
});

describe('ensurePrivateDir', () => {
  it('creates a missing directory 0700 (and its parents)', async () => {
    const d = join(tmp.dir, 'a', 'b');
    await ensurePrivateDir(fsp, d, UID);
    expect(statSync(d).mode & 0o777).toBe(0o700);
  });

  it('tightens an own loose directory to 0700', async () => {
    const d = join(tmp.dir, 'd');
    mkdirSync(d);
    chmodSync(d, 0o755);
    await ensurePrivateDir(fsp, d, UID);
    expect(statSync(d).mode & 0o777).toBe(0o700);
  });

  it('refuses a symlinked directory and never chmods its target', async () => {
    const target = join(tmp.dir, 'target');
    mkdirSync(target);
    chmodSync(target, 0o755);
    symlinkSync(target, join(tmp.dir, 'link'));
    await expect(ensurePrivateDir(fsp, join(tmp.dir, 'link'), UID)).rejects.toMatchObject({
      code: 'UNSAFE_PATH',
      message: `refusing to write ${join(tmp.dir, 'link')}: it is a symbolic link`,
    });
    expect(statSync(target).mode & 0o777).toBe(0o755);
  });

  it("refuses another user's directory", async () => {
    mkdirSync(join(tmp.dir, 'd'), { mode: 0o700 });
    await expect(ensurePrivateDir(fsp, join(tmp.dir, 'd'), UID + 4242)).rejects.toMatchObject({
      code: 'UNSAFE_PATH',
    });
  });
});

describe('readTextBounded', () => {
  it('reads a file up to the limit', async () => {
    writeFileSync(join(tmp.dir, 'c'), 'x'.repeat(100));
    expect(await readTextBounded(fsp, join(tmp.dir, 'c'), 100, 'config file')).toHaveLength(100);
  });

  it('refuses a larger file with its name and the limit', async () => {
    writeFileSync(join(tmp.dir, 'c'), 'x'.repeat(2049));
    await expect(readTextBounded(fsp, join(tmp.dir, 'c'), 2048, 'config file')).rejects.toMatchObject({
      code: 'TOO_LARGE',
      exitCode: 1,
      message: `config file ${join(tmp.dir, 'c')} is larger than 2 KiB`,
    });
  });

  it.each([
    [0, '0 bytes'],
    [1000, '1000 bytes'],
    [1024, '1 KiB'],
    [64 * 1024 * 1024, '64 MiB'],
    [1536, '1536 bytes'],
  ])('formats %d as %s', (n, s) => expect(formatBytes(n)).toBe(s));
});
