import { describe, expect, it } from 'vitest';
import { renderExposition } from '../../../src/metrics/exposition.js';
import { type SmokeInput, smokeMetrics } from '../../../src/metrics/smoke.js';
import { parseExposition } from '../../helpers/exposition-parser.js';

// ids of the captured lab (shared/fixtures/README.md): lab-vm1 in demo, lab-vm3 in alt
const VM1 = 'cc44da1b-aa6c-4ab2-926d-31aa6e134fb0';
const DEMO = '1bdf2554e6544b96a1d84276bf1cdb37';
const VM3 = '9cf667f8-90f2-4e82-8a23-9422f00ae1e0';
const ALT = '3ea664627ce54b5c9bec47bdb5168f83';

/** the shape of smoke --json, names and details included (they must not reach a label) */
const result = {
  ok: false,
  metadataUrl: 'http://127.0.0.1:8775',
  summary: { total: 2, passed: 1, failed: 1 },
  durationMs: 1234.5,
  stoppedEarly: false,
  warnings: [],
  servers: [
    {
      id: VM1,
      name: 'lab-vm1',
      projectId: DEMO,
      ok: true,
      checks: [
        { name: 'versions', ok: true, detail: '10 versions, latest included', durationMs: 12, retries: 0 },
      ],
    },
    {
      id: VM3,
      name: 'web"1\n',
      projectId: ALT,
      ok: false,
      checks: [
        { name: 'versions', ok: true, detail: 'fine', durationMs: 3, retries: 0 },
        {
          name: 'meta_data.json',
          ok: false,
          detail: 'nova answered 404 for meta_data.json',
          durationMs: 2500,
          retries: 2,
        },
      ],
    },
  ],
};

describe('smokeMetrics', () => {
  it('writes one series per server and check, and the totals, exactly', () => {
    const t = renderExposition(smokeMetrics(result, 1796126400));
    const a = `server_id="${VM1}",project_id="${DEMO}"`;
    const b = `server_id="${VM3}",project_id="${ALT}"`;
    expect(t).toBe(
      [
        '# HELP osmeta_smoke_check_duration_seconds Latency of a metadata check of one server (its retries included).',
        '# TYPE osmeta_smoke_check_duration_seconds gauge',
        `osmeta_smoke_check_duration_seconds{${b},check="meta_data.json"} 2.5`,
        `osmeta_smoke_check_duration_seconds{${b},check="versions"} 0.003`,
        `osmeta_smoke_check_duration_seconds{${a},check="versions"} 0.012`,
        '# HELP osmeta_smoke_check_ok A metadata check of one server: 1 passed, 0 failed.',
        '# TYPE osmeta_smoke_check_ok gauge',
        `osmeta_smoke_check_ok{${b},check="meta_data.json"} 0`,
        `osmeta_smoke_check_ok{${b},check="versions"} 1`,
        `osmeta_smoke_check_ok{${a},check="versions"} 1`,
        '# HELP osmeta_smoke_check_retries 5xx answers retried before the outcome of a check.',
        '# TYPE osmeta_smoke_check_retries gauge',
        `osmeta_smoke_check_retries{${b},check="meta_data.json"} 2`,
        `osmeta_smoke_check_retries{${b},check="versions"} 0`,
        `osmeta_smoke_check_retries{${a},check="versions"} 0`,
        '# HELP osmeta_smoke_duration_seconds How long the smoke run took.',
        '# TYPE osmeta_smoke_duration_seconds gauge',
        'osmeta_smoke_duration_seconds 1.2345',
        '# HELP osmeta_smoke_ok 1 when every server checked passed, else 0.',
        '# TYPE osmeta_smoke_ok gauge',
        'osmeta_smoke_ok 0',
        '# HELP osmeta_smoke_server_ok A server: 1 when every metadata check passed, else 0.',
        '# TYPE osmeta_smoke_server_ok gauge',
        `osmeta_smoke_server_ok{${b}} 0`,
        `osmeta_smoke_server_ok{${a}} 1`,
        '# HELP osmeta_smoke_servers_checked Servers checked by this run.',
        '# TYPE osmeta_smoke_servers_checked gauge',
        'osmeta_smoke_servers_checked 2',
        '# HELP osmeta_smoke_servers_failed Servers with a failed check.',
        '# TYPE osmeta_smoke_servers_failed gauge',
        'osmeta_smoke_servers_failed 1',
        '# HELP osmeta_smoke_servers_passed Servers whose every check passed.',
        '# TYPE osmeta_smoke_servers_passed gauge',
        'osmeta_smoke_servers_passed 1',
        '# HELP osmeta_smoke_stopped_early 1 when --fail-fast stopped the run before every server was checked.',
        '# TYPE osmeta_smoke_stopped_early gauge',
        'osmeta_smoke_stopped_early 0',
        '# HELP osmeta_smoke_timestamp_seconds When the smoke run finished, in seconds since the epoch.',
        '# TYPE osmeta_smoke_timestamp_seconds gauge',
        'osmeta_smoke_timestamp_seconds 1796126400',
        '',
      ].join('\n'),
    );
  });

  it("never writes a server's name, a check's detail or the metadata URL", () => {
    const t = renderExposition(smokeMetrics(result, 0));
    for (const v of ['lab-vm1', 'web', 'nova answered', '10 versions', '8775']) expect(t).not.toContain(v);
  });

  it('an empty run (no servers) is ok with zero totals and no per-server series', () => {
    const empty: SmokeInput = {
      ok: true,
      summary: { total: 0, passed: 0, failed: 0 },
      servers: [],
      durationMs: 5,
      stoppedEarly: false,
    };
    const names = parseExposition(renderExposition(smokeMetrics(empty, 1))).map((f) => f.name);
    expect(names).toEqual([
      'osmeta_smoke_duration_seconds',
      'osmeta_smoke_ok',
      'osmeta_smoke_servers_checked',
      'osmeta_smoke_servers_failed',
      'osmeta_smoke_servers_passed',
      'osmeta_smoke_stopped_early',
      'osmeta_smoke_timestamp_seconds',
    ]);
  });

  it('a run --fail-fast stopped says so', () => {
    const t = renderExposition(smokeMetrics({ ...result, stoppedEarly: true }, 0));
    expect(t).toContain('\nosmeta_smoke_stopped_early 1\n');
  });

  it('cuts an ID at 128 characters (a hostile or broken API cannot make a series huge)', () => {
    const long = 'a'.repeat(300);
    const t = renderExposition(
      smokeMetrics(
        {
          ...result,
          servers: [
            {
              id: long,
              projectId: long,
              ok: true,
              checks: [{ name: long, ok: true, durationMs: 1, retries: 0 }],
            },
          ],
        },
        0,
      ),
    );
    const s = parseExposition(t).find((f) => f.name === 'osmeta_smoke_check_ok')!.samples[0]!;
    expect(s.labels).toEqual({
      server_id: 'a'.repeat(128),
      project_id: 'a'.repeat(128),
      check: 'a'.repeat(128),
    });
  });
});
