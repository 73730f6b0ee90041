import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderExposition } from '../../src/metrics/exposition.js';
import { smokeMetrics } from '../../src/metrics/smoke.js';
import { type TraceAllInput, traceMetrics } from '../../src/metrics/trace.js';
import { toolRequired } from '../helpers/ci.js';
import { parseExposition } from '../helpers/exposition-parser.js';

// Prometheus's own tool (Debian's prometheus package) on osmeta's metrics and on the example
// alerting rules: each alert fired from series that traceMetrics wrote for real trace results.
// CI (CI=true or 1, or OSMETA_REQUIRE_PROMTOOL=1) fails without promtool instead of skipping.

const PROMTOOL = '/usr/bin/promtool';
const available = existsSync(PROMTOOL);
if (!available && toolRequired('PROMTOOL')) {
  throw new Error('promtool is required (apt-get install --no-install-recommends prometheus)');
}

const RULES = fileURLToPath(new URL('../../docs/alerts/osmeta-rules.yml', import.meta.url));
const FIXTURES = new URL('../unit/metrics/fixtures/', import.meta.url);

function load(name: string): TraceAllInput {
  const doc = JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'));
  return 'namespaces' in doc ? doc : { ok: doc.ok, namespaces: [doc] };
}

function promtool(args: string[], stdin?: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = execFile(PROMTOOL, args, { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
    child.stdin?.end(stdin ?? '');
  });
}

/** trace at t=0 on one node → promtool input series over 20 minutes (one value a minute). */
function nodeSeries(node: string, result: TraceAllInput, o: { stale?: boolean } = {}) {
  const text = renderExposition(traceMetrics(result, { durationSeconds: 0.8, timestampSeconds: 0 }));
  return parseExposition(text).flatMap((f) =>
    f.samples.map((s) => {
      const labels = { ...s.labels, instance: `${node}:9100`, job: 'node' };
      for (const v of Object.values(labels)) expect(v).toMatch(/^[\w.:-]*$/); // no PromQL escaping needed
      const sel = Object.entries(labels)
        .map(([k, v]) => `${k}="${v}"`)
        .join(',');
      // the timestamp moves on with each minute's run, unless the runs stopped
      const values =
        s.name === 'osmeta_metadata_trace_timestamp_seconds' && !o.stale
          ? `${s.value}+60x20`
          : `${s.value}x20`;
      return { series: `${s.name}{${sel}}`, values };
    }),
  );
}

/** the lab, every probe run, with the socket probe taking 3.5 s */
function slowSocket(): TraceAllInput {
  const r = load('trace.lab-probed.json');
  return {
    ...r,
    namespaces: r.namespaces.map((n) => ({
      ...n,
      hops: n.hops.map((h) => (h.name === 'probe-socket' ? { ...h, durationMs: 3500 } : h)),
    })),
  };
}

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'osmeta-promtool-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!available)('promtool', () => {
  it.each([
    'trace-all.lab-healthy.json',
    'trace.lab-probed.json',
    'trace-all.fake-agent-stopped.json',
    'trace-all.fake-one-namespace-broken.json',
  ])('check metrics accepts trace %s as metrics, without a lint remark', async (file) => {
    const text = renderExposition(
      traceMetrics(load(file), { durationSeconds: 0.8, timestampSeconds: 1796126400 }),
    );
    expect(await promtool(['check', 'metrics'], text)).toEqual({ code: 0, out: '' });
  });

  it('check metrics accepts smoke as metrics', async () => {
    const text = renderExposition(
      smokeMetrics(
        {
          ok: false,
          summary: { total: 1, passed: 0, failed: 1 },
          durationMs: 812,
          stoppedEarly: false,
          servers: [
            {
              id: 'cc44da1b-aa6c-4ab2-926d-31aa6e134fb0',
              projectId: '1bdf2554e6544b96a1d84276bf1cdb37',
              ok: false,
              checks: [
                { name: 'versions', ok: true, durationMs: 9, retries: 0 },
                { name: 'meta_data.json', ok: false, durationMs: 31, retries: 2 },
              ],
            },
          ],
        },
        1796126400,
      ),
    );
    expect(await promtool(['check', 'metrics'], text)).toEqual({ code: 0, out: '' });
  });

  it("check metrics parses osmeta's escaping of hostile label values", async () => {
    const hostile = ['a"b', 'back\\slash', 'line\nfeed', '}{,=', 'ünïcødé ✔', '\\"\\n', ''];
    const text = renderExposition(
      traceMetrics(
        {
          ok: true,
          namespaces: hostile.map((v, i) => ({
            netns: `qdhcp-${i}${v}`,
            kind: v,
            id: v,
            ok: true,
            hops: [{ name: 'nova', status: 'ok', durationMs: 1 }],
            diagnosis: null,
          })),
        },
        { durationSeconds: 0, timestampSeconds: 0 },
      ),
    );
    expect(await promtool(['check', 'metrics'], text)).toEqual({ code: 0, out: '' });
    // and Prometheus's parser rejects what an unescaped value would look like
    const raw = text.replace('line\\nfeed', 'line\nfeed');
    const r = await promtool(['check', 'metrics'], raw);
    expect(r.code).toBe(1);
    expect(r.out).toContain('text format parsing error');
  });

  it('check metrics notices a lint problem (the check can fail)', async () => {
    const r = await promtool(['check', 'metrics'], '# HELP x_total h\n# TYPE x_total gauge\nx_total 1\n');
    expect(r.code).toBe(3);
    expect(r.out).toContain('non-counter metrics should not have "_total" suffix');
  });

  it('check rules accepts the example alerting rules', async () => {
    const r = await promtool(['check', 'rules', RULES]);
    expect(r.out).toContain('SUCCESS: 4 rules found');
    expect(r.code).toBe(0);
  });

  it('test rules: each alert fires from trace results as osmeta writes them, and only where it should', async () => {
    const qdhcp = (id: string) => ({ netns: `qdhcp-${id}`, kind: 'qdhcp', id });
    const tests = {
      rule_files: [RULES],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            ...nodeSeries('net1', load('trace-all.lab-healthy.json')),
            ...nodeSeries('net2', load('trace-all.fake-agent-stopped.json')),
            ...nodeSeries('net3', load('trace-all.fake-one-namespace-broken.json')),
            ...nodeSeries('net4', slowSocket()),
            ...nodeSeries('net5', load('trace-all.lab-healthy.json'), { stale: true }),
          ],
          alert_rule_test: [
            // `for:` not yet over: nothing fires in the first minute
            ...[
              'OsmetaMetadataBrokenOnNode',
              'OsmetaMetadataNamespaceBroken',
              'OsmetaMetadataProbeSlow',
              'OsmetaMetricsStale',
            ].map((alertname) => ({ eval_time: '1m', alertname, exp_alerts: [] })),
            {
              eval_time: '10m',
              alertname: 'OsmetaMetadataBrokenOnNode',
              exp_alerts: [
                {
                  exp_labels: { severity: 'critical', instance: 'net2:9100', job: 'node' },
                  exp_annotations: {
                    summary: 'Instance metadata is broken on net2:9100',
                    description:
                      'Every metadata namespace on net2:9100 fails trace: no guest served from this node gets its metadata. On the node: osmeta trace --all',
                  },
                },
              ],
            },
            {
              eval_time: '10m',
              alertname: 'OsmetaMetadataNamespaceBroken',
              exp_alerts: [
                ['net2', '42c285f8-e8c2-4e66-bcfa-798fb177d538', 'agent', 'agent_down'],
                ['net3', '0011f5d3-30a2-478d-bdf6-432c585c5cb3', 'haproxy', 'haproxy_not_configured'],
              ].map(([node, id, hop, code]) => ({
                exp_labels: {
                  severity: 'warning',
                  instance: `${node}:9100`,
                  job: 'node',
                  ...qdhcp(id!),
                  hop,
                  cause_code: code,
                },
                exp_annotations: {
                  summary: `Metadata broken in qdhcp-${id} on ${node}:9100: ${code}`,
                  description: `The ${hop} hop of qdhcp-${id} is broken (${code}). On the node: osmeta trace --netns qdhcp-${id}`,
                },
              })),
            },
            {
              eval_time: '10m',
              alertname: 'OsmetaMetadataProbeSlow',
              exp_alerts: [
                {
                  exp_labels: {
                    severity: 'warning',
                    instance: 'net4:9100',
                    job: 'node',
                    ...qdhcp('d669a3d9-3cd4-414e-b95a-25ada26f8233'),
                    probe: 'probe-socket',
                  },
                  exp_annotations: {
                    summary:
                      'Slow metadata probe-socket in qdhcp-d669a3d9-3cd4-414e-b95a-25ada26f8233 on net4:9100',
                    description: 'The probe-socket request took 3.5s (over 2 s for 5 minutes).',
                  },
                },
              ],
            },
            {
              eval_time: '10m',
              alertname: 'OsmetaMetricsStale',
              exp_alerts: [
                {
                  exp_labels: { severity: 'warning', instance: 'net5:9100', job: 'node' },
                  exp_annotations: {
                    summary: "osmeta's metadata metrics on net5:9100 are stale",
                    description:
                      'The last trace finished 10m 0s ago. On the node: systemctl status osmeta-trace.timer osmeta-trace.service',
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    const file = join(dir, 'osmeta-rules.test.yml');
    await writeFile(file, JSON.stringify(tests, null, 2)); // YAML is a superset of JSON
    const r = await promtool(['test', 'rules', file]);
    expect(r.out).toContain('SUCCESS');
    expect(r.code).toBe(0);
  });
});
