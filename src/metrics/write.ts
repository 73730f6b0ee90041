import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { FileSystem } from '../context.js';
import { isOsmetaError, operationalError } from '../errors.js';
import { fsReason } from '../util/fs-reason.js';

// node_exporter's textfile collector reads every *.prom in its directory on each scrape: a file
// it reads must be whole, so it is written beside the target under a name it ignores, then renamed
// over it (atomic within one filesystem). node_exporter runs as its own user (Debian: prometheus)
// while trace runs as root: 0644, whatever the umask; never group- or world-writable.

export const METRICS_FILE_MODE = 0o644;

/**
 * Write `text` to `path` atomically. The directory must exist. A symlink, a directory or any
 * other non-regular file at `path` is refused (rename would replace a symlink, never follow it,
 * but the operator meant something else by it).
 */
export async function writeMetricsFile(fs: FileSystem, path: string, text: string): Promise<void> {
  const dir = dirname(path);
  const fail = (why: string) =>
    operationalError('METRICS_WRITE_FAILED', `cannot write the metrics file ${path}: ${why}`, {
      hint: `the directory must exist and be writable (node_exporter's --collector.textfile.directory)`,
    });
  try {
    const st = await fs.lstat(path);
    if (!st.isFile()) {
      throw fail(
        st.isSymbolicLink() ? 'it is a symlink (refusing to replace it)' : 'it is not a regular file',
      );
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw isOsmetaError(err) ? err : fail(fsReason(err));
  }
  // not *.prom: the collector skips it while it is being written
  const tmp = `${dir}/.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`;
  let handle: Awaited<ReturnType<FileSystem['open']>> | undefined;
  try {
    handle = await fs.open(
      tmp,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      METRICS_FILE_MODE,
    );
    await handle.writeFile(text, 'utf8');
    // open's mode is masked by the umask (077 would hide the file from node_exporter)
    await handle.chmod(METRICS_FILE_MODE);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.rename(tmp, path);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await fs.unlink(tmp).catch(() => undefined);
    throw fail(fsReason(err));
  }
}
