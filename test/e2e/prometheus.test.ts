import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ParsedSample, parseExposition } from '../helpers/exposition-parser.js';
import { BREAK_TIMEOUT, broken, lab, labScript, osmeta } from './lab.js';

// trace --all --prometheus into the directory the lab's node_exporter reads (the .deb unit's),
// then a real scrape of node_exporter over loopback: the series a Prometheus server would store.
// Healthy, then two broken hops (healed right away: the other suites share the lab).

const TEXTFILE_DIR = '/var/lib/prometheus/node-exporter';
const FILE = `${TEXTFILE_DIR}/osmeta.prom`;
const NODE_EXPORTER = 'http://127.0.0.1:9100/metrics';

async function scrape(): Promise<ParsedSample[]> {
  const res = await fetch(NODE_EXPORTER, { signal: AbortSignal.timeout(10_000) });
  expect(res.status).toBe(200);
  return parseExposition(await res.text()).flatMap((f) => f.samples);
}

/** The value of the one sample with this name whose labels include `labels`. */
function value(
  samples: ParsedSample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)}: ${found.length} series`);
  return found[0]?.value;
}

const traceAll = (target: string) =>
  osmeta(['trace', '--all', '--state-path', lab('LAB_NEUTRON_STATE_PATH'), '--prometheus', target], {
    timeoutMs: 120_000,
  });

const ns = (netns: string) => ({ netns });
const PASSIVE = ['namespace', 'haproxy', 'socket', 'agent', 'nova'];

beforeAll(async () => {
  labScript('heal');
  const r = await fetch(NODE_EXPORTER, { signal: AbortSignal.timeout(10_000) }).catch((e: unknown) => e);
  if (!(r instanceof Response))
    throw new Error(`node_exporter does not answer on ${NODE_EXPORTER}: run lab/up`);
}, BREAK_TIMEOUT);
afterAll(() => {
  labScript('heal');
  rmSync(FILE, { force: true });
}, BREAK_TIMEOUT);

describe('node_exporter serves osmeta trace --all --prometheus', () => {
  it('a healthy lab: every hop of the lab networks and the router up, nothing diagnosed there', async () => {
    const r = await traceAll(FILE);
    expect([0, 3], r.stderr).toContain(r.code);
    expect(r.stderr).not.toMatch(/error:/);
    const s = await scrape();
    expect(value(s, 'node_textfile_scrape_error')).toBe(0);
    expect(value(s, 'node_textfile_mtime_seconds', { file: FILE })).toBeGreaterThan(Date.now() / 1000 - 120);
    for (const n of [lab('LAB_QDHCP_NETNS'), lab('LAB_ALT_QDHCP_NETNS'), lab('LAB_QROUTER_NETNS')]) {
      expect(value(s, 'osmeta_metadata_namespace_up', ns(n)), n).toBe(1);
      for (const hop of PASSIVE)
        expect(value(s, 'osmeta_metadata_hop_up', { netns: n, hop }), `${n} ${hop}`).toBe(1);
      expect(value(s, 'osmeta_metadata_probe_duration_seconds', { netns: n, probe: 'nova' })).toBeGreaterThan(
        0,
      );
      expect(s.filter((x) => x.name === 'osmeta_metadata_diagnosis_info' && x.labels.netns === n)).toEqual(
        [],
      );
    }
    expect(value(s, 'osmeta_metadata_namespace_up', { netns: lab('LAB_QROUTER_NETNS') })).toBe(1);
    expect(s.find((x) => x.labels.netns === lab('LAB_QROUTER_NETNS'))?.labels).toMatchObject({
      kind: 'qrouter',
      id: lab('LAB_ROUTER_ID'),
    });
    // node_up is the verdict over every namespace the scrape shows
    const nsUp = s.filter((x) => x.name === 'osmeta_metadata_namespace_up').map((x) => x.value);
    expect(value(s, 'osmeta_metadata_node_up')).toBe(nsUp.every((v) => v === 1) ? 1 : 0);
    expect(r.code).toBe(nsUp.every((v) => v === 1) ? 0 : 3);
    expect(value(s, 'osmeta_metadata_namespaces_skipped')).toBe(0);
    const ts = value(s, 'osmeta_metadata_trace_timestamp_seconds')!;
    expect(Math.abs(ts - Date.now() / 1000)).toBeLessThan(60);
    expect(value(s, 'osmeta_metadata_trace_duration_seconds')).toBeGreaterThan(0);
    // no secret, no tenant-chosen name in any label
    const labels = JSON.stringify(s.filter((x) => x.name.startsWith('osmeta_')).map((x) => x.labels));
    expect(labels).not.toContain(lab('LAB_SECRET'));
    expect(labels).not.toContain(lab('LAB_VM1_NAME'));
  }, 180_000);

  it(
    'lab/break haproxy: the demo network down at its haproxy (haproxy_dead), the others up',
    async () => {
      const qdhcp = lab('LAB_QDHCP_NETNS');
      const { r, s } = await broken('haproxy', async () => {
        const r = await traceAll(FILE);
        return { r, s: await scrape() };
      });
      expect(r.code, r.stderr).toBe(3);
      expect(value(s, 'node_textfile_scrape_error')).toBe(0);
      expect(value(s, 'osmeta_metadata_node_up')).toBe(0);
      expect(value(s, 'osmeta_metadata_namespace_up', ns(qdhcp))).toBe(0);
      expect(value(s, 'osmeta_metadata_hop_up', { netns: qdhcp, hop: 'haproxy' })).toBe(0);
      expect(value(s, 'osmeta_metadata_hop_up', { netns: qdhcp, hop: 'probe-haproxy' })).toBe(0);
      expect(value(s, 'osmeta_metadata_diagnosis_info', { netns: qdhcp })).toBe(1);
      expect(
        s.find((x) => x.name === 'osmeta_metadata_diagnosis_info' && x.labels.netns === qdhcp)?.labels,
      ).toEqual({
        netns: qdhcp,
        hop: 'haproxy',
        cause_code: 'haproxy_dead',
      });
      expect(value(s, 'osmeta_metadata_namespace_up', ns(lab('LAB_ALT_QDHCP_NETNS')))).toBe(1);
      expect(value(s, 'osmeta_metadata_namespace_up', ns(lab('LAB_QROUTER_NETNS')))).toBe(1);
    },
    BREAK_TIMEOUT,
  );

  it(
    'lab/break agent: every namespace down at the agent (agent_down), the node down',
    async () => {
      const { r, s } = await broken('agent', async () => {
        const r = await traceAll(FILE);
        return { r, s: await scrape() };
      });
      expect(r.code, r.stderr).toBe(3);
      expect(value(s, 'node_textfile_scrape_error')).toBe(0);
      expect(value(s, 'osmeta_metadata_node_up')).toBe(0);
      for (const n of [lab('LAB_QDHCP_NETNS'), lab('LAB_ALT_QDHCP_NETNS'), lab('LAB_QROUTER_NETNS')]) {
        expect(value(s, 'osmeta_metadata_namespace_up', ns(n)), n).toBe(0);
        expect(value(s, 'osmeta_metadata_hop_up', { netns: n, hop: 'agent' }), n).toBe(0);
        expect(value(s, 'osmeta_metadata_hop_up', { netns: n, hop: 'haproxy' }), n).toBe(1);
        expect(
          s.find((x) => x.name === 'osmeta_metadata_diagnosis_info' && x.labels.netns === n)?.labels,
          n,
        ).toEqual({ netns: n, hop: 'agent', cause_code: 'agent_down' });
      }
    },
    BREAK_TIMEOUT,
  );
});

describe("promtool check metrics on osmeta's real output", () => {
  it(
    'accepts it, healthy and broken',
    async () => {
      const healthy = await traceAll('-');
      expect(healthy.stdout).toMatch(/^# HELP osmeta_metadata_/);
      const broke = await broken('haproxy', () => traceAll('-'));
      expect(broke.code).toBe(3);
      for (const out of [healthy.stdout, broke.stdout]) {
        const r = spawnSync('promtool', ['check', 'metrics'], { input: out, encoding: 'utf8' });
        expect(r.status, r.stdout + r.stderr).toBe(0);
        expect(r.stdout + r.stderr).toBe('');
      }
    },
    BREAK_TIMEOUT,
  );
});
