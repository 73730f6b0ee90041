import type { FileSystem } from '../context.js';

// Local users and groups from /etc/passwd and /etc/group (no NSS: the agents' service users are local).

export interface Accounts {
  userName(uid: number): string;
  groupName(gid: number): string;
  uidOf(name: string): number | undefined;
  gidOf(name: string): number | undefined;
  /** the groups a user is a member of (supplementary, from /etc/group) */
  groupsOf(user: string): number[];
}

export function parseAccounts(passwd: string, group: string): Accounts {
  const users = new Map<number, string>();
  const uids = new Map<string, number>();
  const groups = new Map<number, string>();
  const gids = new Map<string, number>();
  const members = new Map<string, number[]>();
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || f[0] === '' || line.startsWith('#')) continue;
    const uid = Number(f[2]);
    if (!users.has(uid)) users.set(uid, f[0]!);
    uids.set(f[0]!, uid);
  }
  for (const line of group.split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || f[0] === '' || line.startsWith('#')) continue;
    const gid = Number(f[2]);
    if (!groups.has(gid)) groups.set(gid, f[0]!);
    gids.set(f[0]!, gid);
    for (const m of (f[3] ?? '').split(',').filter((x) => x !== '')) {
      members.set(m, [...(members.get(m) ?? []), gid]);
    }
  }
  return {
    userName: (uid) => users.get(uid) ?? String(uid),
    groupName: (gid) => groups.get(gid) ?? String(gid),
    uidOf: (name) => (/^\d+$/.test(name) ? Number(name) : uids.get(name)),
    gidOf: (name) => (/^\d+$/.test(name) ? Number(name) : gids.get(name)),
    groupsOf: (user) => members.get(user) ?? [],
  };
}

export async function readAccounts(fs: FileSystem): Promise<Accounts> {
  const read = (p: string) => fs.readFile(p, 'utf8').catch(() => '');
  const [passwd, group] = await Promise.all([read('/etc/passwd'), read('/etc/group')]);
  return parseAccounts(passwd, group);
}

export interface Credentials {
  uid: number;
  gid: number;
  groups: readonly number[];
}

/** POSIX permission classes: may `who` do `bit` (4 r, 2 w, 1 x) on a file with this owner and mode? */
export function mayAccess(
  who: Credentials,
  file: { uid: number; gid: number; mode: number },
  bit: 1 | 2 | 4,
): boolean {
  // root (CAP_DAC_OVERRIDE) passes every check a connect() or a path walk makes
  if (who.uid === 0) return true;
  if (who.uid === file.uid) return ((file.mode >> 6) & bit) !== 0;
  if (who.gid === file.gid || who.groups.includes(file.gid)) return ((file.mode >> 3) & bit) !== 0;
  return (file.mode & bit) !== 0;
}

/** "srw-r--r--" from a stat mode. */
export function modeString(mode: number): string {
  const type =
    (mode & 0o170000) === 0o140000
      ? 's'
      : (mode & 0o170000) === 0o040000
        ? 'd'
        : (mode & 0o170000) === 0o120000
          ? 'l'
          : '-';
  const rwx = (v: number) => `${v & 4 ? 'r' : '-'}${v & 2 ? 'w' : '-'}${v & 1 ? 'x' : '-'}`;
  return type + rwx((mode >> 6) & 7) + rwx((mode >> 3) & 7) + rwx(mode & 7);
}

export const octalMode = (mode: number) => `0${(mode & 0o7777).toString(8).padStart(3, '0')}`;
