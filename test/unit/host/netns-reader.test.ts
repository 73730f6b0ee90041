import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseIpAddrJson } from '../../../src/host/netns.js';
import { namespaceReaderArgs, parseNamespaceReads } from '../../../src/host/netns-reader.js';
import { parseProcNetTcp, TCP_LISTEN } from '../../../src/host/proc-net.js';

// Captured from the lab at one moment (test/fixtures/netns-batch): the reader's line for three
// namespaces (a real qdhcp- with dnsmasq and haproxy, the qrouter-, a lab/scale-netns qdhcp-), and for
// each `ip -j -n <ns> addr show` and haproxy's /proc/<pid>/net/tcp{,6}.
const DIR = new URL('../../fixtures/netns-batch/', import.meta.url);
const capture = (name: string) => readFileSync(new URL(name, DIR), 'utf8');
const READER = capture('reader.jsonl');
const NAMESPACES = [
  'qdhcp-3d8a292a-4a5b-4779-b07a-6d42dad3e156',
  'qrouter-9c2aa917-1ee1-4f73-9c7b-9d990a0c300c',
  'qdhcp-01a6e5a3-87bf-4431-a296-a833e90576f7',
];

const listening = (text: string) =>
  parseProcNetTcp(text)
    .filter((r) => r.state === TCP_LISTEN)
    .map((r) => ({ ...r }))
    .sort((a, b) => a.inode - b.inode);

describe('the namespace reader', () => {
  it('reads every namespace of its list, with the inode it entered', () => {
    const reads = parseNamespaceReads(READER);
    expect([...reads.keys()]).toEqual(NAMESPACES);
    expect(reads.get(NAMESPACES[0]!)?.inode).toBe(4026532389);
    expect(reads.get(NAMESPACES[1]!)?.inode).toBe(4026532320);
  });

  it.each(NAMESPACES)('sees the addresses ip -j -n %s addr show prints', (ns) => {
    const read = parseNamespaceReads(READER).get(ns)!;
    const ip = parseIpAddrJson(capture(`${ns}.ip-j-addr.json`));
    expect(ip.length).toBeGreaterThan(1);
    expect(parseIpAddrJson(read.addrJson)).toEqual(ip);
  });

  it.each(NAMESPACES)("sees the listening sockets of haproxy's /proc/<pid>/net/tcp{,6} in %s", (ns) => {
    const read = parseNamespaceReads(READER).get(ns)!;
    for (const [mine, proc] of [
      [read.tcp, capture(`${ns}.proc-net-tcp.txt`)],
      [read.tcp6, capture(`${ns}.proc-net-tcp6.txt`)],
    ] as const) {
      expect(listening(mine)).toEqual(listening(proc));
    }
    expect(listening(read.tcp).length + listening(read.tcp6).length).toBeGreaterThan(0);
  });

  it('finds haproxy on 169.254.169.254:80 and fe80::a9fe:a9fe:80 in a dnsmasq namespace', () => {
    const read = parseNamespaceReads(READER).get(NAMESPACES[0]!)!;
    const ports = [...listening(read.tcp), ...listening(read.tcp6)].map(
      (r) => `${r.localAddress}:${r.localPort}`,
    );
    expect(ports).toEqual(
      expect.arrayContaining(['169.254.169.254:80', 'fe80::a9fe:a9fe:80', '10.91.0.2:53']),
    );
  });

  it('leaves out what it could not read, so that the caller reads it the usual way', () => {
    const good = READER.split('\n')[0]!;
    const text = [
      '{"ns": "qdhcp-gone", "error": "[Errno 2] No such file or directory"}',
      '{"ns": "qdhcp-half", "error": "[Errno 1] Operation not permitted", "inode": 1, "addr": [], "tcp": "", "tcp6": ""}',
      good.slice(0, 200), // cut short by a timeout
      'not json',
      '["an", "array"]',
      '{"ns": "qdhcp-odd", "inode": "1", "addr": [], "tcp": "", "tcp6": ""}',
      '{"ns": "qdhcp-noaddr", "inode": 1, "tcp": "", "tcp6": ""}',
      good,
      '',
    ].join('\n');
    expect([...parseNamespaceReads(text).keys()]).toEqual([NAMESPACES[0]]);
  });

  it('passes the names as arguments, never inside the program', () => {
    const a = namespaceReaderArgs(['qdhcp-a', 'qrouter-b']);
    const b = namespaceReaderArgs(['qdhcp-$(reboot)']);
    expect(a.slice(0, 3)).toEqual(['-I', '-S', '-c']);
    expect(a[3]).toBe(b[3]);
    expect(a.slice(4)).toEqual(['qdhcp-a', 'qrouter-b']);
    expect(b.slice(4)).toEqual(['qdhcp-$(reboot)']);
  });
});
