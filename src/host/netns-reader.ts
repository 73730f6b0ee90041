// Many namespaces read by one process. `ip -n <ns>` spawned from node costs a fork of the whole
// node process plus a copy of the mount namespace (which holds one nsfs mount per namespace), and
// /proc/<pid>/net/tcp{,6} walks the kernel's whole established-connections table on every read:
// ~10 ms per namespace together. Node cannot enter a namespace itself, so a short Python program
// (python3 ships on every Neutron node: the agents are Python) does it for a list of namespaces:
// setns(2), then rtnetlink (RTM_GETLINK, RTM_GETADDR, as `ip addr show` asks) and sock_diag
// (listening TCP sockets only, which skips that table). It prints, per namespace, one JSON line:
// `ip -j addr show`'s fields and /proc/net/tcp{,6}'s rows, so that the parsers of the one-namespace
// path read them unchanged. Any namespace it could not read is asked again the usual way.

export const NAMESPACE_READER_PYTHON = '/usr/bin/python3';

/** Reads each namespace named in argv; stdlib only, nothing written, nothing but netlink dumps sent. */
const READER = String.raw`
import ctypes, json, os, socket, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
H = struct.Struct('=IHHII')
def dump(s, typ, body):
    s.send(H.pack(16 + len(body), typ, 0x301, 1, 0) + body)
    out = []
    while True:
        data = s.recv(1 << 20)
        off = 0
        while off + 16 <= len(data):
            ln, t = H.unpack_from(data, off)[:2]
            if ln < 16: raise OSError('bad netlink message')
            if t == 3: return out
            if t == 2:
                e = struct.unpack_from('=i', data, off + 16)[0]
                if e: raise OSError(-e, os.strerror(-e))
            else: out.append(data[off + 16:off + ln])
            off += (ln + 3) & ~3
def rtattrs(b, off):
    a = {}
    while off + 4 <= len(b):
        ln, t = struct.unpack_from('=HH', b, off)
        if ln < 4: break
        a.setdefault(t & 0x3fff, b[off + 4:off + ln])
        off += (ln + 3) & ~3
    return a
SCOPE = {0: 'global', 200: 'site', 253: 'link', 254: 'host', 255: 'nowhere'}
def addresses():
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
    try:
        links = []
        for m in dump(s, 18, struct.pack('=BxHiII', 0, 0, 0, 0, 0)):
            _, _, index, flags, _ = struct.unpack_from('=BxHiII', m)
            name = rtattrs(m, 16).get(3, b'').split(b'\0')[0].decode('utf-8', 'replace')
            links.append({'ifindex': index, 'ifname': name, 'flags': ['UP'] if flags & 1 else [], 'addr_info': []})
        by = {l['ifindex']: l for l in links}
        for m in dump(s, 22, struct.pack('=BBBBI', 0, 0, 0, 0, 0)):
            fam, plen, flags, scope, index = struct.unpack_from('=BBBBI', m)
            if fam not in (2, 10) or index not in by: continue
            a = rtattrs(m, 8)
            local = a.get(2) or a.get(1)
            if local is None: continue
            if 8 in a: flags = struct.unpack('=I', a[8][:4])[0]
            info = {'family': 'inet' if fam == 2 else 'inet6', 'local': socket.inet_ntop(fam, local), 'prefixlen': plen, 'scope': SCOPE.get(scope, str(scope))}
            if flags & 0x40: info['tentative'] = True
            if flags & 0x08: info['dadfailed'] = True
            by[index]['addr_info'].append(info)
        return links
    finally:
        s.close()
def hexaddr(b):
    return ''.join('%08X' % struct.unpack('=I', b[i:i + 4]) for i in range(0, len(b), 4))
def listening(fam):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 4)
    try:
        rows = ['  sl  local_address rem_address   st']
        for i, m in enumerate(dump(s, 20, struct.pack('=BBBxI', fam, 6, 0, 1 << 10) + bytes(48))):
            f, st = struct.unpack_from('=BB', m)
            sport, dport = struct.unpack_from('!HH', m, 4)
            n = 4 if f == 2 else 16
            uid, inode = struct.unpack_from('=II', m, 64)
            rows.append('%4d: %s:%04X %s:%04X %02X 00000000:00000000 00:00000000 00000000 %5d 0 %d' % (i, hexaddr(m[8:8 + n]), sport, hexaddr(m[24:24 + n]), dport, st, uid, inode))
        return '\n'.join(rows) + '\n'
    finally:
        s.close()
for name in sys.argv[1:]:
    r = {'ns': name}
    try:
        fd = os.open('/run/netns/' + name, os.O_RDONLY)
        try:
            r['inode'] = os.fstat(fd).st_ino
            if libc.setns(fd, 0x40000000) != 0:
                e = ctypes.get_errno()
                raise OSError(e, os.strerror(e))
        finally:
            os.close(fd)
        r['addr'] = addresses()
        r['tcp'] = listening(2)
        r['tcp6'] = listening(10)
    except Exception as e:
        r = {'ns': name, 'error': str(e)}
    sys.stdout.write(json.dumps(r) + '\n')
    sys.stdout.flush()
`;

/** argv for NAMESPACE_READER_PYTHON: -I -S (no environment, no site: nothing but the stdlib), names as arguments. */
export function namespaceReaderArgs(names: readonly string[]): string[] {
  return ['-I', '-S', '-c', READER, ...names];
}

export interface NamespaceRead {
  /** the nsfs inode the reader entered (matches /proc/<pid>/ns/net "net:[inode]") */
  inode: number;
  /** as `ip -j addr show` prints it (the fields parseIpAddrJson reads) */
  addrJson: string;
  /** the listening TCP sockets, as /proc/net/tcp and /proc/net/tcp6 rows */
  tcp: string;
  tcp6: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The reader's output: one JSON line per namespace. A line that is cut short (the reader timed out),
 * malformed, or an error leaves its namespace out, so that the caller reads it the usual way.
 */
export function parseNamespaceReads(text: string): Map<string, NamespaceRead> {
  const out = new Map<string, NamespaceRead>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      continue;
    }
    if (!isRecord(v) || typeof v.ns !== 'string' || v.error !== undefined) continue;
    const { ns, inode, addr, tcp, tcp6 } = v;
    if (
      typeof inode !== 'number' ||
      !Array.isArray(addr) ||
      typeof tcp !== 'string' ||
      typeof tcp6 !== 'string'
    )
      continue;
    out.set(ns, { inode, addrJson: JSON.stringify(addr), tcp, tcp6 });
  }
  return out;
}
