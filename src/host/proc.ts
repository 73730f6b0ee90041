import type { FileSystem } from '../context.js';
import { mapLimit } from '../util/pool.js';

// /proc/<pid>: cmdline, status, ns/net, fd, environ. Processes come and go while we read:
// every read tolerates ENOENT/ESRCH and simply yields nothing for that pid.

export interface ProcessInfo {
  pid: number;
  /** argv; for a setproctitle'd python service, the arguments inside the parentheses */
  argv: string[];
  /** the raw title when the process rewrote its cmdline (oslo.service/neutron: "name (argv…)") */
  title?: string;
  /** readlink of /proc/<pid>/ns/net, e.g. net:[4026532302] */
  netns?: string;
}

/**
 * /proc/<pid>/cmdline: NUL-separated argv. A process that called setproctitle has ONE string
 * "neutron-metadata-agent (/usr/bin/python3 /usr/bin/neutron-metadata-agent --config-file …)".
 */
export function parseCmdline(raw: string): { argv: string[]; title?: string } {
  const parts = raw.split('\0');
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length === 1 && parts[0]!.includes(' ')) {
    const title = parts[0]!;
    const m = /^(\S+) \((.*)\)$/.exec(title);
    if (m) return { argv: m[2]!.split(/\s+/).filter((w) => w !== ''), title };
    return { argv: title.split(/\s+/).filter((w) => w !== ''), title };
  }
  return { argv: parts };
}

export const basename = (p: string) => p.slice(p.lastIndexOf('/') + 1);

/** Whether argv runs `program` (directly, or as the script of an interpreter: python3 /usr/bin/x). */
export function runsProgram(p: ProcessInfo, program: string): boolean {
  const [a0, a1] = p.argv;
  if (a0 !== undefined && basename(a0) === program) return true;
  if (a1 !== undefined && a0 !== undefined && /python[0-9.]*$/.test(basename(a0)) && basename(a1) === program)
    return true;
  return p.title !== undefined && p.title.split(' ')[0] === program;
}

export async function readProcText(fs: FileSystem, path: string): Promise<string | undefined> {
  try {
    return await fs.readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

async function readLink(fs: FileSystem, path: string): Promise<string | undefined> {
  try {
    return await fs.readlink(path);
  } catch {
    return undefined;
  }
}

export async function listPids(fs: FileSystem, procRoot = '/proc'): Promise<number[]> {
  const names = await fs.readdir(procRoot);
  return names.filter((n) => /^\d+$/.test(n)).map(Number);
}

/** Every user-space process: argv and network namespace. Kernel threads (empty cmdline) are left out. */
export async function listProcesses(fs: FileSystem): Promise<ProcessInfo[]> {
  const pids = await listPids(fs);
  const all = await mapLimit(pids, 64, async (pid): Promise<ProcessInfo | undefined> => {
    const [raw, netns] = await Promise.all([
      readProcText(fs, `/proc/${pid}/cmdline`),
      readLink(fs, `/proc/${pid}/ns/net`),
    ]);
    if (raw === undefined || raw === '') return undefined;
    const { argv, title } = parseCmdline(raw);
    const p: ProcessInfo = { pid, argv };
    if (title !== undefined) p.title = title;
    if (netns !== undefined) p.netns = netns;
    return p;
  });
  return all.filter((p): p is ProcessInfo => p !== undefined);
}

export interface ProcStatus {
  name?: string;
  ppid?: number;
  /** real, effective, saved, fs */
  uids: number[];
  gids: number[];
  groups: number[];
}

export function parseProcStatus(text: string): ProcStatus {
  const st: ProcStatus = { uids: [], gids: [], groups: [] };
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const key = line.slice(0, i);
    const value = line.slice(i + 1).trim();
    const nums = () =>
      value
        .split(/\s+/)
        .filter((v) => v !== '')
        .map(Number);
    if (key === 'Name') st.name = value;
    else if (key === 'PPid') st.ppid = Number(value);
    else if (key === 'Uid') st.uids = nums();
    else if (key === 'Gid') st.gids = nums();
    else if (key === 'Groups') st.groups = nums();
  }
  return st;
}

export async function readStatus(fs: FileSystem, pid: number): Promise<ProcStatus | undefined> {
  const text = await readProcText(fs, `/proc/${pid}/status`);
  return text === undefined ? undefined : parseProcStatus(text);
}

/** The socket inodes a process holds open (`socket:[274722]` links in /proc/<pid>/fd). */
export async function socketInodes(fs: FileSystem, pid: number): Promise<Set<number>> {
  const inodes = new Set<number>();
  let fds: string[];
  try {
    fds = await fs.readdir(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  const links = await Promise.all(fds.map((fd) => readLink(fs, `/proc/${pid}/fd/${fd}`)));
  for (const l of links) {
    const m = l === undefined ? null : /^socket:\[(\d+)\]$/.exec(l);
    if (m) inodes.add(Number(m[1]));
  }
  return inodes;
}

/** Which of `candidates` hold socket `inode` open (tries them first; all processes only if none does). */
export async function holdersOfSocket(
  fs: FileSystem,
  inode: number,
  candidates: readonly number[],
  everyone: () => Promise<readonly number[]>,
): Promise<number[]> {
  const check = async (pids: readonly number[]) => {
    const held = await mapLimit(pids, 32, async (pid) =>
      (await socketInodes(fs, pid)).has(inode) ? pid : 0,
    );
    return held.filter((p) => p !== 0);
  };
  const first = await check(candidates);
  if (first.length > 0) return first;
  const rest = (await everyone()).filter((p) => !candidates.includes(p));
  return check(rest);
}

export async function readEnviron(fs: FileSystem, pid: number): Promise<Record<string, string>> {
  const text = await readProcText(fs, `/proc/${pid}/environ`);
  const env: Record<string, string> = {};
  for (const kv of (text ?? '').split('\0')) {
    const i = kv.indexOf('=');
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return env;
}

export function isAlive(fs: FileSystem, pid: number): Promise<boolean> {
  return readProcText(fs, `/proc/${pid}/stat`).then((s) => {
    if (s === undefined) return false;
    // the state letter follows the parenthesised comm, which may itself contain ") "
    const state = s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X' && state !== '';
  });
}
