import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FileSystem } from '../../../../src/context.js';
import { causeCode } from '../../../../src/metrics/cause-codes.js';
import { runCli } from '../../../helpers/context.js';
import { parseExposition } from '../../../helpers/exposition-parser.js';
import { fixture } from '../../../helpers/host-fixtures.js';
import {
  AGENT_PID,
  HAPROXY_PID,
  type LabNode,
  labNode,
  NET,
  NOVA_CONF,
  NS,
  SECRET,
  VM1,
  WORKER_PID,
} from '../../../helpers/lab-node.js';

let lab: LabNode;
let dir: string;
beforeEach(async () => {
  lab = await labNode();
  dir = await fsp.mkdtemp(join(tmpdir(), 'osmeta-trace-prom-'));
});
afterEach(async () => {
  await lab.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

/** The fake node's file system, with the real one for the metrics directory. */
function nodeFs(): FileSystem {
  const fake = lab.node.fs();
  const real = (p: unknown) => String(p).startsWith(`${dir}/`);
  return {
    ...fake,
    lstat: (p: string) => (real(p) ? fsp.lstat(p) : fake.lstat(p)),
    open: fsp.open,
    rename: fsp.rename,
    unlink: fsp.unlink,
  } as unknown as FileSystem;
}

const trace = (args: string[], o: { uid?: number } = {}) =>
  runCli(['trace', ...args], {
    fs: nodeFs(),
    exec: lab.exec,
    uid: o.uid ?? 0,
    stdoutIsTTY: false,
    env: { FORCE_COLOR: '0' },
  });

/** series name{labels} → value, labels in the written order */
function series(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of parseExposition(text)) {
    for (const s of f.samples) {
      const l = Object.entries(s.labels)
        .map(([k, v]) => `${k}="${v}"`)
        .join(',');
      out[l ? `${s.name}{${l}}` : s.name] = s.value;
    }
  }
  return out;
}

const nsLabels = `netns="${NS}",kind="qdhcp",id="${NET}"`;

describe('osmeta trace --all --prometheus FILE', () => {
  it('writes the metrics of a healthy node, 0644, and still prints the report', async () => {
    const file = join(dir, 'osmeta.prom');
    const r = await trace(['--all', '--prometheus', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`✔\\s+qdhcp\\s+${NET}\\s+ok`));
    expect(r.stderr).toBe('');
    expect((await fsp.stat(file)).mode & 0o777).toBe(0o644);
    const s = series(await fsp.readFile(file, 'utf8'));
    expect(s.osmeta_metadata_node_up).toBe(1);
    expect(s[`osmeta_metadata_namespace_up{${nsLabels}}`]).toBe(1);
    for (const hop of ['namespace', 'haproxy', 'socket', 'agent', 'nova']) {
      expect(s[`osmeta_metadata_hop_up{${nsLabels},hop="${hop}"}`]).toBe(1);
    }
    expect(s.osmeta_metadata_namespaces_skipped).toBe(0);
    expect(s.osmeta_metadata_trace_duration_seconds).toBeGreaterThanOrEqual(0);
    expect(s.osmeta_metadata_trace_timestamp_seconds).toBeGreaterThan(1.7e9);
    expect(Object.keys(s).some((k) => k.startsWith('osmeta_metadata_diagnosis_info'))).toBe(false);
    expect((await fsp.readdir(dir)).sort()).toEqual(['osmeta.prom']);
  });

  it('writes the file on exit 3 too, with the broken hop and its cause code', async () => {
    lab.node.kill(HAPROXY_PID);
    lab.haproxyProbe = { outcome: 'refused' };
    const file = join(dir, 'osmeta.prom');
    const r = await trace(['--all', '--prometheus', file]);
    expect(r.code).toBe(3);
    const s = series(await fsp.readFile(file, 'utf8'));
    expect(s.osmeta_metadata_node_up).toBe(0);
    expect(s[`osmeta_metadata_namespace_up{${nsLabels}}`]).toBe(0);
    expect(s[`osmeta_metadata_hop_up{${nsLabels},hop="haproxy"}`]).toBe(0);
    expect(s[`osmeta_metadata_diagnosis_info{netns="${NS}",hop="haproxy",cause_code="haproxy_dead"}`]).toBe(
      1,
    );
  });

  it("--json's diagnosis carries the same code", async () => {
    lab.node.kill(HAPROXY_PID);
    lab.haproxyProbe = { outcome: 'refused' };
    const r = await trace(['--netns', NS, '--json']);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout).diagnosis).toMatchObject({ hop: 'haproxy', code: 'haproxy_dead' });
  });

  it.each([
    [
      'agent stopped',
      'agent_down',
      () => {
        lab.node.kill(AGENT_PID).kill(WORKER_PID);
        lab.node.file('/proc/net/unix', fixture('node/proc-net-unix.agent-stopped.txt'));
        lab.haproxyProbe = { file: 'haproxy-chain/qdhcp-probe-openstack.agent-stopped.503.http' };
      },
    ],
    [
      'secret mismatch',
      'secret_mismatch',
      () => {
        lab.nova.secret = 'nova-side-secret';
        lab.node.file(
          NOVA_CONF,
          fixture('config/nova.conf.api-neutron-sections.ini').replace('<shared-secret>', 'nova-side-secret'),
        );
        lab.agent.behaviour = 'forbidden';
      },
    ],
    [
      'service_metadata_proxy = false',
      'nova_service_metadata_proxy_off',
      () => {
        lab.node.file(
          NOVA_CONF,
          fixture('config/nova.conf.api-neutron-sections.ini')
            .replace('<shared-secret>', SECRET)
            .replace('service_metadata_proxy = true', 'service_metadata_proxy = false'),
        );
      },
    ],
  ])("%s: diagnosis.code is the check's own, and the one its wording maps to", async (_, code, breakIt) => {
    breakIt();
    const r = await trace(['--netns', NS, '--ip', VM1.ip, '--json']);
    expect(r.code).toBe(3);
    const d = JSON.parse(r.stdout).diagnosis as { hop: string; code: string; cause: string };
    expect(d.code).toBe(code);
    expect(causeCode({ hop: d.hop, cause: d.cause })).toBe(code);
  });

  it('replaces the previous file whole', async () => {
    const file = join(dir, 'osmeta.prom');
    await fsp.writeFile(file, 'old 1\n');
    expect((await trace(['--all', '--prometheus', file])).code).toBe(0);
    expect(await fsp.readFile(file, 'utf8')).toMatch(/^# HELP osmeta_/);
  });

  it("'-' writes the metrics alone to stdout", async () => {
    const r = await trace(['--all', '--prometheus', '-']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^# HELP osmeta_metadata_hop_up /);
    expect(series(r.stdout).osmeta_metadata_node_up).toBe(1);
    expect(r.stdout).not.toContain('✔');
  });

  it('exits 1 with one line when the directory does not exist, and writes nothing', async () => {
    const file = join(dir, 'missing', 'osmeta.prom');
    const r = await trace(['--all', '--prometheus', file]);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe(`error: cannot write the metrics file ${file}: no such directory`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('writes nothing when trace cannot run (not root): the old file ages', async () => {
    const file = join(dir, 'osmeta.prom');
    const r = await trace(['--all', '--prometheus', file], { uid: 1000 });
    expect(r.code).toBe(1);
    await expect(fsp.access(file)).rejects.toThrow();
  });
});

describe('osmeta trace --all --max-namespaces', () => {
  const other = '0011f5d3-30a2-478d-bdf6-432c585c5cb3';

  it('traces the first N namespaces by name and counts the rest as skipped', async () => {
    lab.node.file(`/run/netns/qdhcp-${other}`, '', { ino: 4026532700 });
    const r = await trace(['--all', '--max-namespaces', '1', '--prometheus', '-']);
    // qdhcp-0011… sorts first: it is traced (and broken), the lab's own namespace is skipped
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      'note: --max-namespaces 1: traced 1 of 2 metadata namespaces (the first by name)',
    );
    const s = series(r.stdout);
    expect(s.osmeta_metadata_namespaces_skipped).toBe(1);
    expect(Object.keys(s).filter((k) => k.startsWith('osmeta_metadata_namespace_up{'))).toEqual([
      `osmeta_metadata_namespace_up{netns="qdhcp-${other}",kind="qdhcp",id="${other}"}`,
    ]);
  });

  it('--json says how many were skipped', async () => {
    lab.node.file(`/run/netns/qdhcp-${other}`, '', { ino: 4026532700 });
    const r = await trace(['--all', '--max-namespaces', '1', '--json']);
    const doc = JSON.parse(r.stdout) as { skipped: number; namespaces: Array<{ netns: string }> };
    expect(doc.skipped).toBe(1);
    expect(doc.namespaces.map((n) => n.netns)).toEqual([`qdhcp-${other}`]);
  });

  it('skips nothing when the node has no more than N', async () => {
    const r = await trace(['--all', '--max-namespaces', '5', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, skipped: 0 });
    expect(r.stderr).toBe('');
  });
});

describe('osmeta trace refuses (metrics options)', () => {
  it.each([
    [['--netns', NS, '--prometheus', '/tmp/x.prom'], '--prometheus goes with --all'],
    [
      ['--all', '--prometheus', '-', '--json'],
      '--prometheus - writes the metrics to stdout: it takes no --json',
    ],
    [['--netns', NS, '--max-namespaces', '3'], '--max-namespaces goes with --all'],
    [['--all', '--max-namespaces', '0'], "--max-namespaces takes a positive whole number, not '0'"],
    [['--all', '--max-namespaces', 'many'], "--max-namespaces takes a positive whole number, not 'many'"],
  ])('exits 2 for %j', async (args, message) => {
    const r = await trace(args);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toContain(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
