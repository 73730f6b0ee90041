import { constants, type Stats } from 'node:fs';
import type { FileSystem } from './context.js';
import { OsmetaError, operationalError } from './errors.js';

// Every file osmeta writes goes through here (the token cache, `get -o`, `smoke --junit`, and
// anything added later), and config files it reads are bounded here.
//
//   writeFileAtomic(fs, path, data, o?)      the whole content at once
//   writeStreamAtomic(fs, path, chunks, o)   a body streamed to disk, at most o.maxBytes bytes
//   readTextBounded(fs, path, maxBytes, what) a config file, refused above maxBytes
//
// A write creates a temporary file next to the destination with O_CREAT|O_EXCL|O_NOFOLLOW and
// mode 0600 (fchmod-ed, so the umask cannot loosen it and an existing loose file's mode is not
// kept), writes, fsyncs, closes, then rename(2)s it over the destination: a reader sees the old
// file or the new one, never a torn one. The destination is lstat-ed first: a symlink is refused
// (never followed, never chmod-ed), and so is anything but a regular file (a device, a FIFO, a
// directory), so `-o /dev/sda` or a planted link cannot turn osmeta into an arbitrary overwrite.
// Failures are OsmetaErrors (UNSAFE_PATH, WRITE_FAILED; exit 1) naming the path; the temporary
// file is removed on every failure.
//
// `get -o FILE`, streaming a large body without holding it in memory:
//   const res = await http.requestStream({ url, headers, service, maxResponseBytes });
//   if (res.status !== 200) { res.discard(); throw … }
//   await writeStreamAtomic(ctx.fs, FILE, res.body, { maxBytes: maxResponseBytes });
// (res.body already stops with RESPONSE_TOO_LARGE at the limit; the old FILE stays as it was.)
// `smoke --junit FILE`: await writeFileAtomic(ctx.fs, FILE, xml).

export type SafeFs = Pick<FileSystem, 'open' | 'lstat' | 'rename' | 'unlink'>;

export interface WriteOptions {
  /** permission bits of the new file; 0600 unless given */
  mode?: number;
}

export interface StreamWriteOptions extends WriteOptions {
  /** refuse (and remove the partial file) once more than this many bytes arrive */
  maxBytes: number;
  /** the error to throw when maxBytes is exceeded; a generic TOO_LARGE one by default */
  tooLarge?: (maxBytes: number) => Error;
}

const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const O_DIRECTORY = constants.O_DIRECTORY ?? 0;

const errno = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code;

function reason(err: unknown): string {
  switch (errno(err)) {
    case 'ENOENT':
      return 'no such directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EROFS':
      return 'read-only file system';
    case 'ELOOP':
      return 'is a symbolic link';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}

export class UnsafePathError extends OsmetaError {
  readonly path: string;
  /** why the path was refused, without the path: "it is a symbolic link" */
  readonly why: string;
  constructor(path: string, why: string) {
    super('UNSAFE_PATH', 1, `refusing to write ${path}: ${why}`, {
      hint: 'remove it or choose another path (osmeta never follows a symbolic link it writes to)',
    });
    this.path = path;
    this.why = why;
  }
}

export class WriteFailedError extends OsmetaError {
  readonly path: string;
  /** the system's reason, without the path: "permission denied" */
  readonly why: string;
  constructor(path: string, err: unknown) {
    const why = reason(err);
    super('WRITE_FAILED', 1, `cannot write ${path}: ${why}`);
    this.path = path;
    this.why = why;
  }
}

const dirOf = (path: string) => {
  const i = path.lastIndexOf('/');
  return i < 0 ? '.' : i === 0 ? '/' : path.slice(0, i);
};
const baseOf = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** Refuses a destination that is a symlink or not a regular file; a missing one is fine. */
export async function checkDestination(fs: Pick<FileSystem, 'lstat'>, path: string): Promise<void> {
  if (baseOf(path) === '' || baseOf(path) === '.' || baseOf(path) === '..')
    throw new UnsafePathError(path, 'not a file name');
  let st: Stats;
  try {
    st = await fs.lstat(path);
  } catch (err) {
    if (errno(err) === 'ENOENT') return;
    throw new WriteFailedError(path, err);
  }
  if (st.isSymbolicLink()) throw new UnsafePathError(path, 'it is a symbolic link');
  if (!st.isFile()) throw new UnsafePathError(path, 'it exists and is not a regular file');
}

function tempName(path: string): string {
  const rand = Math.random().toString(36).slice(2, 10) + Date.now().toString(36);
  return `${dirOf(path)}/.${baseOf(path)}.${rand}.tmp`;
}

type Handle = Awaited<ReturnType<FileSystem['open']>>;

async function createTemp(fs: SafeFs, path: string, mode: number): Promise<{ tmp: string; fh: Handle }> {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW;
  for (let attempt = 0; ; attempt++) {
    const tmp = tempName(path);
    try {
      const fh = await fs.open(tmp, flags, mode);
      try {
        // the umask can only take bits away; fchmod makes the mode exactly what was asked
        await fh.chmod(mode);
      } catch (err) {
        await fh.close().catch(() => {});
        await fs.unlink(tmp).catch(() => {});
        throw err;
      }
      return { tmp, fh };
    } catch (err) {
      if (errno(err) === 'EEXIST' && attempt < 5) continue;
      throw new WriteFailedError(path, err);
    }
  }
}

async function commit(fs: SafeFs, tmp: string, path: string, fh: Handle): Promise<void> {
  await fh.sync();
  await fh.close();
  // a symlink planted between the first check and now is replaced, never followed: rename(2)
  // acts on the link itself; checking again still refuses rather than silently replacing it
  await checkDestination(fs, path);
  await fs.rename(tmp, path);
  await syncDir(fs, dirOf(path));
}

async function syncDir(fs: SafeFs, dir: string): Promise<void> {
  // the rename is durable once the directory is; best effort (some file systems refuse)
  try {
    const dh = await fs.open(dir, constants.O_RDONLY | O_DIRECTORY);
    await dh.sync().catch(() => {});
    await dh.close();
  } catch {
    // nothing more to do
  }
}

async function abandon(fs: SafeFs, tmp: string, fh: Handle, path: string, err: unknown): Promise<never> {
  await fh.close().catch(() => {});
  await fs.unlink(tmp).catch(() => {});
  if (err instanceof OsmetaError) throw err;
  throw new WriteFailedError(path, err);
}

/** Writes data to path atomically with mode 0600 (or o.mode); refuses a symlink at path. */
export async function writeFileAtomic(
  fs: SafeFs,
  path: string,
  data: string | Uint8Array,
  o: WriteOptions = {},
): Promise<void> {
  await checkDestination(fs, path);
  const { tmp, fh } = await createTemp(fs, path, o.mode ?? 0o600);
  try {
    await fh.writeFile(data);
    await commit(fs, tmp, path, fh);
  } catch (err) {
    await abandon(fs, tmp, fh, path, err);
  }
}

export class TooLargeError extends OsmetaError {
  readonly maxBytes: number;
  constructor(what: string, maxBytes: number, hint?: string) {
    super(
      'TOO_LARGE',
      1,
      `${what} is larger than ${formatBytes(maxBytes)}`,
      hint === undefined ? {} : { hint },
    );
    this.maxBytes = maxBytes;
  }
}

/**
 * Streams chunks into path atomically (as writeFileAtomic); more than o.maxBytes in total throws
 * o.tooLarge(maxBytes) and leaves the destination untouched. Returns the number of bytes written.
 */
export async function writeStreamAtomic(
  fs: SafeFs,
  path: string,
  chunks: AsyncIterable<Uint8Array | string>,
  o: StreamWriteOptions,
): Promise<number> {
  await checkDestination(fs, path);
  const { tmp, fh } = await createTemp(fs, path, o.mode ?? 0o600);
  let total = 0;
  try {
    for await (const chunk of chunks) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      total += buf.byteLength;
      if (total > o.maxBytes) {
        throw o.tooLarge?.(o.maxBytes) ?? new TooLargeError(`the data for ${path}`, o.maxBytes);
      }
      await fh.write(buf);
    }
    await commit(fs, tmp, path, fh);
  } catch (err) {
    await abandon(fs, tmp, fh, path, err);
  }
  return total;
}

/** 1 KiB = 1024 bytes; whole units where they are whole. */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && v % 1024 === 0 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v} ${units[i]}`;
}

/**
 * A text file read whole, refused when larger than maxBytes (checked before reading where the
 * file system reports a size, and again after). what names the file in the error: "config file".
 */
export async function readTextBounded(
  fs: Pick<FileSystem, 'stat' | 'readFile'>,
  path: string,
  maxBytes: number,
  what = 'file',
): Promise<string> {
  const tooLarge = () =>
    new TooLargeError(
      `${what} ${path}`,
      maxBytes,
      `osmeta reads ${what}s of at most ${formatBytes(maxBytes)}; check that ${path} is the right file`,
    );
  const st = await fs.stat(path);
  if (typeof st.size === 'number' && st.size > maxBytes) throw tooLarge();
  const text = await fs.readFile(path, 'utf8');
  // utf-8 decoding never yields more UTF-16 units than there were bytes
  if (text.length > maxBytes && Buffer.byteLength(text, 'utf8') > maxBytes) throw tooLarge();
  return text;
}

/** Why a directory cannot hold private files, or undefined: a real directory, owned by uid, 0700. */
export function privateDirProblem(st: Stats, uid: number): string | undefined {
  if (st.isSymbolicLink()) return 'it is a symbolic link';
  if (!st.isDirectory()) return 'it is not a directory';
  if (uid >= 0 && st.uid !== uid) return `it is owned by uid ${st.uid}, not ${uid}`;
  if ((st.mode & 0o077) !== 0) return `mode ${(st.mode & 0o777).toString(8)} is open to others`;
  return undefined;
}

/** Why a file cannot be trusted as private, or undefined: a regular file, owned by uid, no group/other bits. */
export function privateFileProblem(st: Stats, uid: number): string | undefined {
  if (st.isSymbolicLink()) return 'it is a symbolic link';
  if (!st.isFile()) return 'it is not a regular file';
  if (uid >= 0 && st.uid !== uid) return `it is owned by uid ${st.uid}, not ${uid}`;
  if ((st.mode & 0o077) !== 0) return `mode ${(st.mode & 0o777).toString(8)} is open to others`;
  return undefined;
}

/**
 * Makes dir a private directory (created 0700; an existing one owned by uid is tightened to 0700
 * through a handle opened with O_NOFOLLOW, so a symlink is never chmod-ed). A symlink, a
 * non-directory or another owner's directory is refused with UnsafePathError.
 */
export async function ensurePrivateDir(
  fs: Pick<FileSystem, 'lstat' | 'mkdir' | 'open'>,
  dir: string,
  uid: number,
): Promise<void> {
  let st: Stats;
  try {
    st = await fs.lstat(dir);
  } catch (err) {
    if (errno(err) !== 'ENOENT') throw operationalError('WRITE_FAILED', `cannot use ${dir}: ${reason(err)}`);
    try {
      await fs.mkdir(dirOf(dir), { recursive: true, mode: 0o700 });
      await fs.mkdir(dir, { mode: 0o700 });
    } catch (e) {
      if (errno(e) !== 'EEXIST') throw operationalError('WRITE_FAILED', `cannot create ${dir}: ${reason(e)}`);
    }
    st = await fs.lstat(dir);
  }
  const problem = privateDirProblem(st, uid);
  if (problem === undefined) return;
  if (st.isSymbolicLink() || !st.isDirectory() || (uid >= 0 && st.uid !== uid))
    throw new UnsafePathError(dir, problem);
  const dh = await fs.open(dir, constants.O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  try {
    const again = await dh.stat();
    if (again.ino !== st.ino || again.dev !== st.dev)
      throw new UnsafePathError(dir, 'it changed while in use');
    await dh.chmod(0o700);
  } finally {
    await dh.close();
  }
}

/**
 * Opens path for reading without following a symlink, and returns its text only if the open file
 * passes trust(stat) (undefined) and is at most maxBytes; otherwise { problem }.
 */
export async function readTrustedFile(
  fs: Pick<FileSystem, 'open'>,
  path: string,
  uid: number,
  maxBytes: number,
): Promise<{ text: string } | { problem: string; code?: string }> {
  let fh: Handle;
  try {
    fh = await fs.open(path, constants.O_RDONLY | O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = errno(err);
    if (code === 'ELOOP') return { problem: 'it is a symbolic link', code };
    return { problem: reason(err), ...(code === undefined ? {} : { code }) };
  }
  try {
    const st = await fh.stat();
    const problem = privateFileProblem(st, uid);
    if (problem !== undefined) return { problem };
    if (st.size > maxBytes) return { problem: `it is larger than ${formatBytes(maxBytes)}` };
    return { text: await fh.readFile('utf8') };
  } finally {
    await fh.close().catch(() => {});
  }
}

/** lstat-based check of a private directory or file: 'missing', a problem, or undefined when trusted. */
export async function lstatProblem(
  fs: Pick<FileSystem, 'lstat'>,
  path: string,
  uid: number,
  kind: 'directory' | 'file',
): Promise<string | undefined> {
  let st: Stats;
  try {
    st = await fs.lstat(path);
  } catch (err) {
    return errno(err) === 'ENOENT' ? 'missing' : reason(err);
  }
  return kind === 'directory' ? privateDirProblem(st, uid) : privateFileProblem(st, uid);
}
