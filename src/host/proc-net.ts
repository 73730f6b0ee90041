// The kernel's socket tables: /proc/<pid>/net/tcp{,6} (that process's network namespace) and
// /proc/net/unix. Formats: net/ipv4/tcp_ipv4.c get_tcp4_sock, net/ipv6/tcp_ipv6.c, net/unix/af_unix.c.

export const TCP_LISTEN = 0x0a;
const SO_ACCEPTCON = 0x10000;
const SS_UNCONNECTED = 1;

export interface TcpRow {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** tcp_states.h: 0x0A = LISTEN, 0x06 = TIME_WAIT … */
  state: number;
  uid: number;
  inode: number;
}

/** "FEA9FEA9" → 169.254.169.254; 32 hex digits → an IPv6 address (four host-order words). */
export function decodeProcAddress(hex: string): string {
  if (hex.length === 8) {
    const bytes = hex.match(/../g)!.map((b) => Number.parseInt(b, 16));
    return bytes.reverse().join('.');
  }
  if (hex.length === 32) {
    const bytes: number[] = [];
    for (let w = 0; w < 4; w++) {
      const word = hex
        .slice(w * 8, w * 8 + 8)
        .match(/../g)!
        .map((b) => Number.parseInt(b, 16));
      bytes.push(...word.reverse());
    }
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
    return compressIpv6(groups);
  }
  throw new Error(`not a /proc/net address: ${hex}`);
}

function compressIpv6(groups: string[]): string {
  // RFC 5952: the longest run (≥ 2) of zero groups becomes ::
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  const head = groups.slice(0, bestStart).join(':');
  const tail = groups.slice(bestStart + bestLen).join(':');
  return `${head}::${tail}`;
}

const ADDRESS = /^(?:[0-9A-Fa-f]{8}|[0-9A-Fa-f]{32})$/;
const PORT = /^[0-9A-Fa-f]{4}$/;

/** Parses /proc/<pid>/net/tcp or tcp6 (header line skipped, trailing spaces tolerated). */
export function parseProcNetTcp(text: string): TcpRow[] {
  const rows: TcpRow[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [local, remote, st] = [f[1]!, f[2]!, f[3]!];
    const [la, lp] = local.split(':');
    const [ra, rp] = remote.split(':');
    // a truncated or garbled row is skipped, not thrown on
    if (
      !la ||
      !lp ||
      !ra ||
      !rp ||
      !ADDRESS.test(la) ||
      !ADDRESS.test(ra) ||
      !PORT.test(lp) ||
      !PORT.test(rp)
    )
      continue;
    if (!/^[0-9A-Fa-f]{1,2}$/.test(st)) continue;
    rows.push({
      localAddress: decodeProcAddress(la),
      localPort: Number.parseInt(lp, 16),
      remoteAddress: decodeProcAddress(ra),
      remotePort: Number.parseInt(rp, 16),
      state: Number.parseInt(st, 16),
      uid: Number(f[7]),
      inode: Number(f[9]),
    });
  }
  return rows;
}

export interface UnixRow {
  refCount: number;
  flags: number;
  /** 1 = SOCK_STREAM, 2 = SOCK_DGRAM, 5 = SOCK_SEQPACKET */
  type: number;
  /** 1 = unconnected, 3 = connected */
  state: number;
  inode: number;
  path?: string;
  listening: boolean;
}

export function parseProcNetUnix(text: string): UnixRow[] {
  const rows: UnixRow[] = [];
  const re =
    /^[0-9a-fA-F]+: ([0-9a-fA-F]+) [0-9a-fA-F]+ ([0-9a-fA-F]+) ([0-9a-fA-F]+) ([0-9a-fA-F]+)\s+(\d+)(?: (.*))?$/;
  for (const line of text.split('\n').slice(1)) {
    const m = re.exec(line);
    if (!m) continue;
    const flags = Number.parseInt(m[2]!, 16);
    const state = Number.parseInt(m[4]!, 16);
    const row: UnixRow = {
      refCount: Number.parseInt(m[1]!, 16),
      flags,
      type: Number.parseInt(m[3]!, 16),
      state,
      inode: Number(m[5]),
      listening: (flags & SO_ACCEPTCON) !== 0 && state === SS_UNCONNECTED,
    };
    if (m[6] !== undefined && m[6] !== '') row.path = m[6];
    rows.push(row);
  }
  return rows;
}

/** The LISTEN row serving host:port: the address itself or a wildcard of its family (dual-stack "::" too). */
export function listensOn(rows: readonly TcpRow[], host: string, port: number): TcpRow | undefined {
  const want = normaliseHost(host);
  const wildcard = (a: string) => a === '0.0.0.0' || a === '::';
  return rows.find((r) => {
    if (r.state !== TCP_LISTEN || r.localPort !== port) return false;
    if (want === '0.0.0.0') return wildcard(r.localAddress);
    if (want === '::') return r.localAddress === '::';
    return r.localAddress === want || wildcard(r.localAddress);
  });
}

function normaliseHost(h: string): string {
  if (h === '' || h === '*') return '0.0.0.0';
  return h.replace(/^\[|\]$/g, '').toLowerCase();
}
