import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExecResult } from '../../../../src/context.js';
import { NAMESPACE_READER_PYTHON } from '../../../../src/host/netns-reader.js';
import { runCli } from '../../../helpers/context.js';
import { fixture } from '../../../helpers/host-fixtures.js';
import { HAPROXY_PID, type LabNode, labNode, NS } from '../../../helpers/lab-node.js';

// trace --all reads every namespace's addresses and listening sockets with one reader process
// (src/host/netns-reader.ts) instead of `ip -n` and /proc/<pid>/net/tcp{,6} per namespace. The
// hops must come out the same whichever way the namespace was read.

const OTHER = 'qdhcp-0011f5d3-30a2-478d-bdf6-432c585c5cb3';
const OTHER_INO = 4026532700;

let lab: LabNode;
beforeEach(async () => {
  lab = await labNode();
  // a second namespace whose haproxy is missing: a failing hop, read both ways
  lab.node.file(`/run/netns/${OTHER}`, '', { ino: OTHER_INO });
});
afterEach(async () => {
  await lab.close();
});

type Reader = (name: string) => Record<string, unknown> | undefined;

/** What the real reader prints for a namespace of the fake node: ip's fixture, haproxy's tables. */
const honest: Reader = (name) => {
  const entry = lab.node.entries.get(`/run/netns/${name}`);
  if (!entry) return { ns: name, error: `[Errno 2] No such file or directory: '/run/netns/${name}'` };
  const proc = (t: string) => lab.node.entries.get(`/proc/${HAPROXY_PID}/net/${t}`)?.content ?? '';
  return {
    ns: name,
    inode: entry.ino,
    addr: JSON.parse(fixture('node/ip-n-qdhcp-j-addr.json')),
    tcp: name === NS ? proc('tcp') : '  sl  local_address rem_address   st\n',
    tcp6: name === NS ? proc('tcp6') : '  sl  local_address rem_address   st\n',
  };
};

function traceAll(reader: Reader | 'missing') {
  const exec = async (file: string, args: readonly string[]): Promise<ExecResult> => {
    if (file !== NAMESPACE_READER_PYTHON) return lab.exec(file, args);
    lab.calls.push([file, '<reader>', ...args.slice(4)]);
    if (reader === 'missing') {
      return { code: 127, signal: null, stdout: '', stderr: 'ENOENT', timedOut: false, durationMs: 0 };
    }
    const lines = args.slice(4).flatMap((n) => {
      const r = reader(n);
      return r ? [JSON.stringify(r)] : [];
    });
    return {
      code: 0,
      signal: null,
      stdout: lines.map((l) => `${l}\n`).join(''),
      stderr: '',
      timedOut: false,
      durationMs: 5,
    };
  };
  return runCli(['trace', '--all', '--json'], { fs: lab.node.fs(), exec, uid: 0, env: { FORCE_COLOR: '0' } });
}

/** The JSON document without timings (the only thing allowed to differ). */
const comparable = (stdout: string) =>
  JSON.parse(stdout, (k, v) => (k === 'durationMs' || k === 'latencyMs' ? undefined : v)) as unknown;

const ipCalls = () =>
  lab.calls.filter((c) => c[0] === 'ip' && c[1] === '-j' && c[2] === '-n').map((c) => c[3]);
const readerCalls = () => lab.calls.filter((c) => c[0] === NAMESPACE_READER_PYTHON);

describe('trace --all reads the namespaces in one process', () => {
  it('gives the same hops as reading each namespace on its own, and spawns no ip per namespace', async () => {
    const one = await traceAll('missing');
    expect(ipCalls().sort()).toEqual([NS, OTHER].sort());
    lab.calls.length = 0;

    const batch = await traceAll(honest);
    expect(readerCalls()).toEqual([[NAMESPACE_READER_PYTHON, '<reader>', OTHER, NS]]);
    expect(ipCalls()).toEqual([]);

    expect([one.code, batch.code]).toEqual([3, 3]);
    expect(batch.stderr).toBe(one.stderr);
    expect(comparable(batch.stdout)).toEqual(comparable(one.stdout));
    const doc = JSON.parse(batch.stdout) as { namespaces: { netns: string; ok: boolean }[] };
    expect(doc.namespaces.map((n) => [n.netns, n.ok])).toEqual([
      [OTHER, false],
      [NS, true],
    ]);
  });

  it('reads again, one by one, the namespaces the reader could not read', async () => {
    const one = await traceAll('missing');
    lab.calls.length = 0;
    const partial = await traceAll((name) =>
      name === NS ? { ns: name, error: '[Errno 1] Operation not permitted' } : honest(name),
    );
    expect(ipCalls()).toEqual([NS]);
    expect(comparable(partial.stdout)).toEqual(comparable(one.stdout));
  });

  it('reads again a namespace that is not the one the reader entered (another inode)', async () => {
    await traceAll((name) => ({ ...honest(name), ...(name === OTHER ? { inode: OTHER_INO + 1 } : {}) }));
    expect(ipCalls()).toEqual([OTHER]);
  });

  it('reads again the namespaces a reader that timed out never reached', async () => {
    await traceAll((name) => (name === NS ? undefined : honest(name)));
    expect(ipCalls()).toEqual([NS]);
  });

  it('trace --netns reads its one namespace itself', async () => {
    const r = await runCli(['trace', '--netns', NS, '--json'], {
      fs: lab.node.fs(),
      exec: lab.exec,
      uid: 0,
      env: { FORCE_COLOR: '0' },
    });
    expect(r.code).toBe(0);
    expect(ipCalls()).toEqual([NS]);
    expect(readerCalls()).toEqual([]);
  });
});
