import type { FileSystem } from '../../src/context.js';

// An in-memory network node for trace's hop logic: /proc, /run/netns, config and pid files.
// Directories are implicit; every other path is a file, a symlink or a socket.

interface Entry {
  type: 'file' | 'link' | 'socket';
  content?: string;
  target?: string;
  uid: number;
  gid: number;
  mode: number;
  ino: number;
}

const enoent = (path: string) =>
  Object.assign(new Error(`ENOENT: no such file or directory, '${path}'`), { code: 'ENOENT', path });

let nextIno = 1000;

export class FakeNode {
  readonly entries = new Map<string, Entry>();
  readonly dirModes = new Map<string, { uid: number; gid: number; mode: number }>();

  file(path: string, content: string, o: Partial<Pick<Entry, 'uid' | 'gid' | 'mode' | 'ino'>> = {}): this {
    this.entries.set(path, { type: 'file', content, uid: 0, gid: 0, mode: 0o100644, ino: nextIno++, ...o });
    return this;
  }

  link(path: string, target: string): this {
    this.entries.set(path, { type: 'link', target, uid: 0, gid: 0, mode: 0o120777, ino: nextIno++ });
    return this;
  }

  socket(path: string, o: Partial<Pick<Entry, 'uid' | 'gid' | 'mode' | 'ino'>> = {}): this {
    this.entries.set(path, { type: 'socket', uid: 0, gid: 0, mode: 0o140644, ino: nextIno++, ...o });
    return this;
  }

  dir(path: string, o: { uid: number; gid: number; mode: number }): this {
    this.dirModes.set(path, o);
    return this;
  }

  remove(path: string): this {
    this.entries.delete(path);
    return this;
  }

  /** a process: cmdline (NUL-joined argv, or one setproctitle string), status, ns/net, fds */
  process(
    pid: number,
    o: {
      argv?: string[];
      title?: string;
      ppid?: number;
      uid?: number;
      gid?: number;
      netns?: number;
      sockets?: number[];
      environ?: Record<string, string>;
      tcp?: string;
      tcp6?: string;
    },
  ): this {
    const cmdline = o.title !== undefined ? `${o.title}\0` : `${(o.argv ?? []).join('\0')}\0`;
    this.file(`/proc/${pid}/cmdline`, cmdline);
    const uid = o.uid ?? 0;
    const gid = o.gid ?? 0;
    this.file(
      `/proc/${pid}/status`,
      `Name:\tx\nPPid:\t${o.ppid ?? 1}\nUid:\t${uid}\t${uid}\t${uid}\t${uid}\nGid:\t${gid}\t${gid}\t${gid}\t${gid}\nGroups:\t\n`,
    );
    this.file(`/proc/${pid}/stat`, `${pid} (x) S ${o.ppid ?? 1} 0 0`);
    this.link(`/proc/${pid}/ns/net`, `net:[${o.netns ?? 4026531840}]`);
    (o.sockets ?? []).forEach((ino, i) => {
      this.link(`/proc/${pid}/fd/${i + 3}`, `socket:[${ino}]`);
    });
    if (o.environ) {
      this.file(
        `/proc/${pid}/environ`,
        `${Object.entries(o.environ)
          .map(([k, v]) => `${k}=${v}`)
          .join('\0')}\0`,
      );
    }
    if (o.tcp !== undefined) this.file(`/proc/${pid}/net/tcp`, o.tcp);
    if (o.tcp6 !== undefined) this.file(`/proc/${pid}/net/tcp6`, o.tcp6);
    return this;
  }

  kill(pid: number): this {
    for (const k of [...this.entries.keys()]) if (k.startsWith(`/proc/${pid}/`)) this.entries.delete(k);
    return this;
  }

  fs(): FileSystem {
    const get = (path: string) => {
      const e = this.entries.get(path.replace(/\/+$/, '') || '/');
      if (!e) throw enoent(path);
      return e;
    };
    const isDir = (path: string) => {
      const prefix = path.endsWith('/') ? path : `${path}/`;
      for (const k of this.entries.keys()) if (k.startsWith(prefix)) return true;
      return this.dirModes.has(path);
    };
    const stats = (e: Entry | undefined, path: string) => {
      if (!e) {
        if (!isDir(path)) throw enoent(path);
        const d = this.dirModes.get(path) ?? { uid: 0, gid: 0, mode: 0o40755 };
        return fakeStats({ type: 'dir', ...d, ino: 1 });
      }
      return fakeStats(e);
    };
    const fs = {
      readFile: async (path: string) => {
        const e = get(String(path));
        if (e.type !== 'file') throw Object.assign(new Error('not a file'), { code: 'EINVAL' });
        return e.content ?? '';
      },
      readdir: async (path: string) => {
        const prefix = `${String(path).replace(/\/+$/, '')}/`;
        const names = new Set<string>();
        for (const k of this.entries.keys()) {
          if (k.startsWith(prefix)) names.add(k.slice(prefix.length).split('/')[0]!);
        }
        if (names.size === 0 && !this.dirModes.has(String(path))) throw enoent(String(path));
        return [...names];
      },
      readlink: async (path: string) => {
        const e = get(String(path));
        if (e.type !== 'link') throw Object.assign(new Error('not a link'), { code: 'EINVAL' });
        return e.target!;
      },
      lstat: async (path: string) => stats(this.entries.get(String(path)), String(path)),
      stat: async (path: string) => {
        let p = String(path);
        for (let i = 0; i < 10; i++) {
          const e = this.entries.get(p);
          if (e?.type !== 'link' || e.target?.startsWith('net:') || e.target?.startsWith('socket:')) break;
          p = e.target!;
        }
        return stats(this.entries.get(p), p);
      },
      access: async (path: string) => {
        stats(this.entries.get(String(path)), String(path));
      },
    };
    return fs as unknown as FileSystem;
  }
}

function fakeStats(e: { type: string; uid: number; gid: number; mode: number; ino: number }) {
  return {
    uid: e.uid,
    gid: e.gid,
    mode: e.mode,
    ino: e.ino,
    isSocket: () => e.type === 'socket',
    isFile: () => e.type === 'file',
    isDirectory: () => e.type === 'dir',
    isSymbolicLink: () => e.type === 'link',
  };
}

/** A /proc/net/tcp LISTEN row for 127.0.0.1:port with this inode. */
export function tcpListenRow(port: number, inode: number, addressHex = '0100007F'): string {
  const p = port.toString(16).toUpperCase().padStart(4, '0');
  return `   0: ${addressHex}:${p} 00000000:0000 0A 00000000:00000000 00:00000000 00000000   107        0 ${inode} 1 0000000000000000 100 0 0 10 0\n`;
}

export const TCP_HEADER =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
