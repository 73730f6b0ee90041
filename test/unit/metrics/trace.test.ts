import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderExposition } from '../../../src/metrics/exposition.js';
import { type TraceAllInput, type TraceNamespaceInput, traceMetrics } from '../../../src/metrics/trace.js';
import { parseExposition } from '../../helpers/exposition-parser.js';

const FIXTURES = new URL('./fixtures/', import.meta.url);
const load = (name: string): TraceAllInput => {
  const doc = JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'));
  return 'namespaces' in doc ? doc : { ok: doc.ok, namespaces: [doc] };
};
const RUN = { durationSeconds: 0.4567, timestampSeconds: 1796126400.25 };
const text = (r: TraceAllInput) => renderExposition(traceMetrics(r, RUN));
/** name{labels} → value, labels in the order written */
const series = (t: string) =>
  Object.fromEntries(
    parseExposition(t).flatMap((f) =>
      f.samples.map((s) => {
        const l = Object.entries(s.labels).map(([k, v]) => `${k}="${v}"`);
        return [`${s.name}${l.length ? `{${l.join(',')}}` : ''}`, s.value];
      }),
    ),
  );

const ns = (o: Partial<TraceNamespaceInput> = {}): TraceNamespaceInput => ({
  netns: 'qdhcp-n1',
  kind: 'qdhcp',
  id: 'n1',
  ok: true,
  hops: [],
  diagnosis: null,
  ...o,
});

describe('traceMetrics', () => {
  it('writes the metric contract for a small input, exactly', () => {
    const r: TraceAllInput = {
      ok: false,
      namespaces: [
        ns({
          ok: false,
          hops: [
            { name: 'namespace', status: 'ok', durationMs: 2 },
            { name: 'agent', status: 'fail', durationMs: 0 },
            { name: 'nova', status: 'ok', durationMs: 12.3456 },
            { name: 'probe-haproxy', status: 'skip', durationMs: 0 },
          ],
          diagnosis: { hop: 'agent', cause: 'neutron-metadata-agent is not running on this node: …' },
        }),
      ],
    };
    expect(text(r)).toBe(
      [
        '# HELP osmeta_metadata_diagnosis_info The root cause of a broken namespace: the hop at fault and a stable code for the cause (always 1).',
        '# TYPE osmeta_metadata_diagnosis_info gauge',
        'osmeta_metadata_diagnosis_info{netns="qdhcp-n1",hop="agent",cause_code="agent_down"} 1',
        '# HELP osmeta_metadata_hop_up 1 when the hop of the metadata path is healthy, 0 when broken; skipped hops are absent.',
        '# TYPE osmeta_metadata_hop_up gauge',
        'osmeta_metadata_hop_up{netns="qdhcp-n1",kind="qdhcp",id="n1",hop="agent"} 0',
        'osmeta_metadata_hop_up{netns="qdhcp-n1",kind="qdhcp",id="n1",hop="namespace"} 1',
        'osmeta_metadata_hop_up{netns="qdhcp-n1",kind="qdhcp",id="n1",hop="nova"} 1',
        "# HELP osmeta_metadata_namespace_up 1 when every hop of the namespace's metadata path is healthy, else 0.",
        '# TYPE osmeta_metadata_namespace_up gauge',
        'osmeta_metadata_namespace_up{netns="qdhcp-n1",kind="qdhcp",id="n1"} 0',
        '# HELP osmeta_metadata_namespaces_skipped Metadata namespaces on this node that the trace left out (--max-namespaces); 0 when it traced all.',
        '# TYPE osmeta_metadata_namespaces_skipped gauge',
        'osmeta_metadata_namespaces_skipped 0',
        '# HELP osmeta_metadata_node_up 1 when every metadata namespace on this node is healthy (also when there is none), else 0.',
        '# TYPE osmeta_metadata_node_up gauge',
        'osmeta_metadata_node_up 0',
        "# HELP osmeta_metadata_probe_duration_seconds Latency of each live request of trace (nova's GET /, through haproxy, the agent's socket, signed to nova).",
        '# TYPE osmeta_metadata_probe_duration_seconds gauge',
        'osmeta_metadata_probe_duration_seconds{netns="qdhcp-n1",kind="qdhcp",id="n1",probe="nova"} 0.012346',
        '# HELP osmeta_metadata_trace_duration_seconds How long the trace of this node took.',
        '# TYPE osmeta_metadata_trace_duration_seconds gauge',
        'osmeta_metadata_trace_duration_seconds 0.4567',
        '# HELP osmeta_metadata_trace_timestamp_seconds When the trace finished, in seconds since the epoch: old means the metrics are stale.',
        '# TYPE osmeta_metadata_trace_timestamp_seconds gauge',
        'osmeta_metadata_trace_timestamp_seconds 1796126400.25',
        '',
      ].join('\n'),
    );
  });

  it('counts the namespaces a limited run left out', () => {
    expect(series(text({ ok: true, namespaces: [], skipped: 42 })).osmeta_metadata_namespaces_skipped).toBe(
      42,
    );
  });

  it('a node without metadata namespaces is up, with only the node-wide series', () => {
    expect(series(text({ ok: true, namespaces: [] }))).toEqual({
      osmeta_metadata_node_up: 1,
      osmeta_metadata_namespaces_skipped: 0,
      osmeta_metadata_trace_duration_seconds: 0.4567,
      osmeta_metadata_trace_timestamp_seconds: 1796126400.25,
    });
  });

  it('the lab, healthy: every hop and namespace up, nothing diagnosed, skipped probes absent', () => {
    const s = series(text(load('trace-all.lab-healthy.json')));
    const a =
      'netns="qdhcp-8a32c3ce-f69a-435c-b020-15cdbf16751a",kind="qdhcp",id="8a32c3ce-f69a-435c-b020-15cdbf16751a"';
    const b =
      'netns="qdhcp-d669a3d9-3cd4-414e-b95a-25ada26f8233",kind="qdhcp",id="d669a3d9-3cd4-414e-b95a-25ada26f8233"';
    const want: Record<string, number> = {
      osmeta_metadata_node_up: 1,
      osmeta_metadata_namespaces_skipped: 0,
      [`osmeta_metadata_namespace_up{${a}}`]: 1,
      [`osmeta_metadata_namespace_up{${b}}`]: 1,
      [`osmeta_metadata_probe_duration_seconds{${a},probe="nova"}`]: 0.036,
      [`osmeta_metadata_probe_duration_seconds{${b},probe="nova"}`]: 0.036,
      osmeta_metadata_trace_duration_seconds: 0.4567,
      osmeta_metadata_trace_timestamp_seconds: 1796126400.25,
    };
    for (const n of [a, b]) {
      for (const hop of ['namespace', 'haproxy', 'socket', 'agent', 'nova']) {
        want[`osmeta_metadata_hop_up{${n},hop="${hop}"}`] = 1;
      }
    }
    expect(s).toEqual(want);
  });

  it('the lab, every probe run: one duration per probe, in seconds', () => {
    const s = series(text(load('trace.lab-probed.json')));
    const n =
      'netns="qdhcp-d669a3d9-3cd4-414e-b95a-25ada26f8233",kind="qdhcp",id="d669a3d9-3cd4-414e-b95a-25ada26f8233"';
    expect(
      Object.fromEntries(Object.entries(s).filter(([k]) => k.startsWith('osmeta_metadata_probe_duration'))),
    ).toEqual({
      [`osmeta_metadata_probe_duration_seconds{${n},probe="nova"}`]: 0.013,
      [`osmeta_metadata_probe_duration_seconds{${n},probe="probe-haproxy"}`]: 0.133,
      [`osmeta_metadata_probe_duration_seconds{${n},probe="probe-socket"}`]: 0.658,
      [`osmeta_metadata_probe_duration_seconds{${n},probe="probe-nova"}`]: 0.026,
    });
    expect(Object.keys(s).filter((k) => k.startsWith('osmeta_metadata_hop_up'))).toHaveLength(8);
  });

  it("never writes the guest's name, address, instance or project, nor any evidence", () => {
    const r = load('trace.lab-probed.json');
    const t = text(r);
    const guest = (r.namespaces[0] as unknown as { guest: Record<string, string> }).guest;
    expect(guest.name).toBe('lab-vm1');
    for (const v of [guest.name, guest.ip, guest.instanceId, guest.projectId, guest.portId, '/var/lib']) {
      expect(t).not.toContain(v);
    }
  });

  it.each([
    ['trace-all.fake-agent-stopped.json', 'agent', 'agent_down', ['socket', 'agent', 'probe-haproxy']],
    ['trace-all.fake-haproxy-killed.json', 'haproxy', 'haproxy_dead', ['haproxy', 'probe-haproxy']],
    ['trace-all.fake-nova-stopped.json', 'nova', 'nova_down', ['nova']],
    ['trace-all.fake-secret-mismatch.json', 'agent', 'secret_mismatch', ['agent']],
  ])('%s: the broken hops down, the namespace and node down, %s diagnosed as %s', (file, hop, code, down) => {
    const r = load(file);
    const s = series(text(r));
    const netns = r.namespaces[0]!.netns;
    const labels = `netns="${netns}",kind="qdhcp",id="${r.namespaces[0]!.id}"`;
    expect(s.osmeta_metadata_node_up).toBe(0);
    expect(s[`osmeta_metadata_namespace_up{${labels}}`]).toBe(0);
    expect(s[`osmeta_metadata_diagnosis_info{netns="${netns}",hop="${hop}",cause_code="${code}"}`]).toBe(1);
    const hopsDown = Object.entries(s)
      .filter(([k, v]) => k.startsWith('osmeta_metadata_hop_up') && v === 0)
      .map(([k]) => /hop="([^"]+)"/.exec(k)![1]);
    expect(hopsDown.sort()).toEqual([...down].sort());
    expect(Object.keys(s).filter((k) => k.startsWith('osmeta_metadata_diagnosis_info'))).toHaveLength(1);
  });

  it('one broken namespace among healthy ones: only it is down and diagnosed', () => {
    const s = series(text(load('trace-all.fake-one-namespace-broken.json')));
    const up = Object.entries(s).filter(([k]) => k.startsWith('osmeta_metadata_namespace_up'));
    expect(up.map(([k, v]) => [/netns="([^"]+)"/.exec(k)![1], v])).toEqual([
      ['qdhcp-0011f5d3-30a2-478d-bdf6-432c585c5cb3', 0],
      ['qdhcp-42c285f8-e8c2-4e66-bcfa-798fb177d538', 1],
    ]);
    expect(Object.entries(s).filter(([k]) => k.startsWith('osmeta_metadata_diagnosis_info'))).toEqual([
      [
        'osmeta_metadata_diagnosis_info{netns="qdhcp-0011f5d3-30a2-478d-bdf6-432c585c5cb3",hop="haproxy",cause_code="haproxy_not_configured"}',
        1,
      ],
    ]);
  });

  it('every fixture diagnosis has a known cause code', () => {
    for (const f of readdirSync(FIXTURES).filter((x) => x.endsWith('.json'))) {
      expect(text(load(f)), f).not.toContain('cause_code="unknown"');
    }
  });

  it('escapes a hostile namespace name and bounds its length', () => {
    const t = text({ ok: true, namespaces: [ns({ netns: `qdhcp-a"b\\c\n${'x'.repeat(300)}` })] });
    const line = t.split('\n').find((l) => l.startsWith('osmeta_metadata_namespace_up'))!;
    expect(line.startsWith('osmeta_metadata_namespace_up{netns="qdhcp-a\\"b\\\\c\\nxxx')).toBe(true);
    expect(
      parseExposition(t).find((f) => f.name === 'osmeta_metadata_namespace_up')!.samples[0]!.labels.netns,
    ).toHaveLength(128);
  });
});

const HOP_NAMES = [
  'namespace',
  'haproxy',
  'socket',
  'agent',
  'nova',
  'probe-haproxy',
  'probe-socket',
  'probe-nova',
];
const anyNamespaces = fc.uniqueArray(fc.stringMatching(/^[0-9a-f-]{1,36}$/), { maxLength: 6 }).chain((ids) =>
  fc.tuple(
    ...ids.map((id) =>
      fc
        .record({
          kind: fc.constantFrom('qdhcp', 'qrouter', 'ovnmeta'),
          statuses: fc.array(fc.constantFrom('ok', 'fail', 'skip'), { minLength: 8, maxLength: 8 }),
          durations: fc.array(fc.double({ min: 0, max: 60_000, noNaN: true }), {
            minLength: 8,
            maxLength: 8,
          }),
          cause: fc.string(),
        })
        .map(({ kind, statuses, durations, cause }): TraceNamespaceInput => {
          const hops = HOP_NAMES.map((name, i) => ({
            name,
            status: statuses[i]!,
            durationMs: durations[i]!,
          }));
          const failed = hops.find((h) => h.status === 'fail');
          return {
            netns: `${kind}-${id}`,
            kind,
            id,
            ok: !failed,
            hops,
            diagnosis: failed ? { hop: failed.name, cause } : null,
          };
        }),
    ),
  ),
);

describe('traceMetrics, for any trace result', () => {
  it('one namespace_up per namespace, one hop_up per hop that ran, a diagnosis per broken namespace', () => {
    fc.assert(
      fc.property(anyNamespaces, (namespaces) => {
        const r: TraceAllInput = { ok: namespaces.every((n) => n.ok), namespaces };
        const fams = parseExposition(text(r));
        const count = (name: string) => fams.find((f) => f.name === name)?.samples.length ?? 0;
        const ran = namespaces.flatMap((n) => n.hops.filter((h) => h.status !== 'skip'));
        expect(count('osmeta_metadata_namespace_up')).toBe(namespaces.length);
        expect(count('osmeta_metadata_hop_up')).toBe(ran.length);
        expect(count('osmeta_metadata_probe_duration_seconds')).toBe(
          ran.filter((h) => ['nova', 'probe-haproxy', 'probe-socket', 'probe-nova'].includes(h.name)).length,
        );
        expect(count('osmeta_metadata_diagnosis_info')).toBe(namespaces.filter((n) => !n.ok).length);
        expect(fams.find((f) => f.name === 'osmeta_metadata_node_up')!.samples[0]!.value).toBe(r.ok ? 1 : 0);
        for (const s of fams.flatMap((f) => f.samples)) {
          if (s.name === 'osmeta_metadata_diagnosis_info')
            expect(s.labels.cause_code).toMatch(/^[a-z_0-9]+$/);
          if (s.name.endsWith('_up')) expect([0, 1]).toContain(s.value);
        }
      }),
      { numRuns: 200 },
    );
  });
});
