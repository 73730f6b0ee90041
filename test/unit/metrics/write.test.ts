import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { umask } from 'node:process';
import { isMainThread } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FileSystem } from '../../../src/context.js';
import { OsmetaError } from '../../../src/errors.js';
import { writeMetricsFile } from '../../../src/metrics/write.js';

let dir: string;
beforeEach(async () => {
  dir = await fsp.mkdtemp(join(tmpdir(), 'osmeta-metrics-'));
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

const fs: FileSystem = fsp;
const mode = async (p: string) => (await fsp.stat(p)).mode & 0o7777;

async function failure(p: Promise<unknown>): Promise<OsmetaError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OsmetaError);
  return err as OsmetaError;
}

describe('writeMetricsFile', () => {
  it('writes the text, 0644, and leaves nothing else in the directory', async () => {
    const target = join(dir, 'osmeta.prom');
    await writeMetricsFile(fs, target, 'osmeta_metadata_node_up 1\n');
    expect(await fsp.readFile(target, 'utf8')).toBe('osmeta_metadata_node_up 1\n');
    expect(await mode(target)).toBe(0o644);
    expect(await fsp.readdir(dir)).toEqual(['osmeta.prom']);
  });

  // a worker thread cannot set the umask (vitest's threads pool, as under StrykerJS)
  it.skipIf(!isMainThread)(
    'is 0644 under a umask of 077 too: node_exporter reads it as another user',
    async () => {
      const old = umask(0o077);
      try {
        await writeMetricsFile(fs, join(dir, 'osmeta.prom'), 'x 1\n');
      } finally {
        umask(old);
      }
      expect(await mode(join(dir, 'osmeta.prom'))).toBe(0o644);
    },
  );

  it('replaces an existing file by rename: a reader holding the old one keeps reading the old text', async () => {
    const target = join(dir, 'osmeta.prom');
    await fsp.writeFile(target, 'old 1\n', { mode: 0o666 });
    await fsp.chmod(target, 0o666);
    const before = (await fsp.stat(target)).ino;
    const reader = await fsp.open(target, 'r');
    try {
      await writeMetricsFile(fs, target, 'new 1\n');
      expect(await reader.readFile('utf8')).toBe('old 1\n');
    } finally {
      await reader.close();
    }
    expect(await fsp.readFile(target, 'utf8')).toBe('new 1\n');
    expect((await fsp.stat(target)).ino).not.toBe(before);
    expect(await mode(target)).toBe(0o644);
  });

  it('writes the temporary file in the same directory, under a name the textfile collector skips', async () => {
    const opened: string[] = [];
    const spy: FileSystem = {
      ...fsp,
      open: ((p: string, ...rest: never[]) => {
        opened.push(p);
        return (fsp.open as (...a: unknown[]) => unknown)(p, ...rest);
      }) as FileSystem['open'],
    };
    await writeMetricsFile(spy, join(dir, 'osmeta.prom'), 'x 1\n');
    // the temporary file, then the directory (opened to fsync the rename)
    expect(opened).toHaveLength(2);
    expect(opened[0]!.startsWith(`${dir}/.osmeta.prom.`)).toBe(true);
    expect(opened[0]!.endsWith('.prom')).toBe(false);
    expect(opened[1]).toBe(dir);
  });

  it('refuses a symlink at the destination and leaves its target alone', async () => {
    const elsewhere = join(dir, 'elsewhere');
    await fsp.writeFile(elsewhere, 'precious\n');
    const target = join(dir, 'osmeta.prom');
    await fsp.symlink(elsewhere, target);
    const err = await failure(writeMetricsFile(fs, target, 'x 1\n'));
    expect(err.code).toBe('METRICS_WRITE_FAILED');
    expect(err.exitCode).toBe(1);
    expect(err.message).toBe(`cannot write the metrics file ${target}: it is a symbolic link`);
    expect(await fsp.readFile(elsewhere, 'utf8')).toBe('precious\n');
    expect((await fsp.lstat(target)).isSymbolicLink()).toBe(true);
    expect((await fsp.readdir(dir)).sort()).toEqual(['elsewhere', 'osmeta.prom']);
  });

  it('refuses a directory at the destination', async () => {
    const target = join(dir, 'osmeta.prom');
    await fsp.mkdir(target);
    const err = await failure(writeMetricsFile(fs, target, 'x 1\n'));
    expect(err.message).toBe(`cannot write the metrics file ${target}: it exists and is not a regular file`);
  });

  it('says so in one line when the directory does not exist', async () => {
    const target = join(dir, 'missing', 'osmeta.prom');
    const err = await failure(writeMetricsFile(fs, target, 'x 1\n'));
    expect(err.message).toBe(`cannot write the metrics file ${target}: no such directory`);
    expect(err.hint).toContain('--collector.textfile.directory');
  });

  it('removes the temporary file when the rename fails, and keeps the old metrics', async () => {
    const target = join(dir, 'osmeta.prom');
    await fsp.writeFile(target, 'old 1\n');
    const broken: FileSystem = {
      ...fsp,
      rename: async () => {
        throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      },
    };
    const err = await failure(writeMetricsFile(broken, target, 'new 1\n'));
    expect(err.message).toBe(`cannot write the metrics file ${target}: permission denied`);
    expect(await fsp.readdir(dir)).toEqual(['osmeta.prom']);
    expect(await fsp.readFile(target, 'utf8')).toBe('old 1\n');
  });
});
