import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseIpAddrJson } from '../../src/host/netns.js';
import {
  NAMESPACE_READER_PYTHON,
  namespaceReaderArgs,
  parseNamespaceReads,
} from '../../src/host/netns-reader.js';
import { parseProcNetTcp, TCP_LISTEN } from '../../src/host/proc-net.js';

// The namespace reader itself (Python, netlink) against ip and /proc, on this machine's own network
// namespace: "../../proc/self/ns/net" under /run/netns is the reader's own namespace, which root may
// enter again. Needs root, python3 and iproute2; skipped elsewhere.

const IP = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip'].find((p) => existsSync(p));
const root = typeof process.getuid === 'function' && process.getuid() === 0;
const runs = existsSync(NAMESPACE_READER_PYTHON) && IP !== undefined && root;
const SELF = '../../proc/self/ns/net';

function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 20_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    );
  });
}

const listening = (text: string) =>
  new Set(
    parseProcNetTcp(text)
      .filter((r) => r.state === TCP_LISTEN)
      .map((r) => `${r.localAddress}:${r.localPort} uid ${r.uid} inode ${r.inode}`),
  );
const procListening = () =>
  new Set([
    ...listening(readFileSync('/proc/net/tcp', 'utf8')),
    ...listening(readFileSync('/proc/net/tcp6', 'utf8')),
  ]);

describe.runIf(runs)('the namespace reader on this machine', () => {
  it('sees the addresses ip -j addr show prints', async () => {
    // interfaces come and go on a busy node: agree with ip before and after, or try again
    let last = '';
    for (let i = 0; i < 3; i++) {
      const before = JSON.stringify(parseIpAddrJson(await run(IP!, ['-j', 'addr', 'show'])));
      const read = parseNamespaceReads(await run(NAMESPACE_READER_PYTHON, namespaceReaderArgs([SELF]))).get(
        SELF,
      );
      const after = JSON.stringify(parseIpAddrJson(await run(IP!, ['-j', 'addr', 'show'])));
      expect(read).toBeDefined();
      last = JSON.stringify(parseIpAddrJson(read!.addrJson));
      if (before === after) {
        expect(last).toBe(before);
        return;
      }
    }
    throw new Error(`the addresses kept changing; last read ${last.slice(0, 200)}`);
  });

  it("sees the listening TCP sockets /proc/net/tcp{,6} lists, each with its owner's uid and inode", async () => {
    const before = procListening();
    const read = parseNamespaceReads(await run(NAMESPACE_READER_PYTHON, namespaceReaderArgs([SELF]))).get(
      SELF,
    )!;
    const after = procListening();
    const mine = new Set([...listening(read.tcp), ...listening(read.tcp6)]);
    expect(mine.size).toBeGreaterThan(0);
    for (const s of before) if (after.has(s)) expect(mine).toContain(s);
    for (const s of mine) expect(before.has(s) || after.has(s)).toBe(true);
    // only listening sockets: the established table is what it is there to skip
    expect(parseProcNetTcp(read.tcp).every((r) => r.state === TCP_LISTEN)).toBe(true);
  });

  it('reports a namespace it cannot open and goes on with the next', async () => {
    const out = await run(NAMESPACE_READER_PYTHON, namespaceReaderArgs(['qdhcp-osmeta-test-absent', SELF]));
    const lines = out.trim().split('\n');
    expect(JSON.parse(lines[0]!)).toMatchObject({
      ns: 'qdhcp-osmeta-test-absent',
      error: expect.any(String),
    });
    expect([...parseNamespaceReads(out).keys()]).toEqual([SELF]);
  });
});
