import type { FileSystem } from '../context.js';
import { operationalError } from '../errors.js';
import { UnsafePathError, WriteFailedError, writeFileAtomic } from '../safe-file.js';

// node_exporter's textfile collector reads every *.prom in its directory on each scrape: a file
// it reads must be whole, so it is written beside the target under a name it ignores, then renamed
// over it (atomic within one filesystem): the name safe-file gives it (.<name>.<random>.tmp) is not
// *.prom. node_exporter runs as its own user (Debian: prometheus)
// while trace runs as root: 0644, whatever the umask; never group- or world-writable.

export const METRICS_FILE_MODE = 0o644;

/**
 * Write `text` to `path` atomically, 0644, through safe-file's writer (a temporary file in the
 * same directory, fsync, rename). The directory must exist. A symlink, a directory or any other
 * non-regular file at `path` is refused.
 */
export async function writeMetricsFile(fs: FileSystem, path: string, text: string): Promise<void> {
  try {
    await writeFileAtomic(fs, path, text, { mode: METRICS_FILE_MODE });
  } catch (err) {
    if (err instanceof UnsafePathError || err instanceof WriteFailedError) {
      throw operationalError('METRICS_WRITE_FAILED', `cannot write the metrics file ${path}: ${err.why}`, {
        hint: `the directory must exist and be writable (node_exporter's --collector.textfile.directory)`,
      });
    }
    throw err;
  }
}
