import { describe, expect, it } from 'vitest';
import { junitXml, smokeJson } from '../../../src/commands/smoke.js';
import type { SmokeResult } from '../../../src/smoke/run.js';

const result: SmokeResult = {
  ok: false,
  metadataUrl: 'http://127.0.0.1:8775',
  summary: { total: 2, passed: 1, failed: 1 },
  durationMs: 1234.5,
  warnings: [],
  stoppedEarly: false,
  servers: [
    {
      id: 'a',
      name: 'web-1',
      projectId: 'p',
      ok: true,
      checks: [{ name: 'versions', ok: true, detail: 'fine', durationMs: 12, retries: 0 }],
    },
    {
      id: 'b',
      name: 'db<1>',
      projectId: 'p',
      ok: false,
      checks: [
        { name: 'versions', ok: true, detail: 'fine', durationMs: 3, retries: 0 },
        {
          name: 'meta_data.json',
          ok: false,
          detail: 'nova said "no" & 404\u0001',
          durationMs: 2500,
          retries: 2,
        },
      ],
    },
  ],
};

describe('smoke reports', () => {
  it('has the JSON contract', () => {
    const j = smokeJson(result) as Record<string, unknown>;
    expect(j).toMatchObject({ ok: false, summary: { total: 2, passed: 1, failed: 1 } });
    expect((j.servers as unknown[])[1]).toEqual({
      id: 'b',
      name: 'db<1>',
      projectId: 'p',
      ok: false,
      checks: [
        { name: 'versions', ok: true, detail: 'fine', durationMs: 3, retries: 0 },
        {
          name: 'meta_data.json',
          ok: false,
          detail: 'nova said "no" & 404\u0001',
          durationMs: 2500,
          retries: 2,
        },
      ],
    });
  });

  it('writes one JUnit testcase per server and check, failures escaped', () => {
    const x = junitXml(result);
    expect(
      x.startsWith(
        '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="osmeta smoke" tests="3" failures="1"',
      ),
    ).toBe(true);
    expect(x.match(/<testcase /g)).toHaveLength(3);
    expect(x).toContain('<testcase classname="web-1 (a)" name="versions" time="0.012"/>');
    expect(x).toContain('<testcase classname="db&lt;1&gt; (b)" name="meta_data.json" time="2.500">');
    expect(x).toContain(
      '<failure message="nova said &quot;no&quot; &amp; 404" type="meta_data.json">nova said &quot;no&quot; &amp; 404</failure>',
    );
    expect(x).not.toContain('\u0001');
  });
});
