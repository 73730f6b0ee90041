import { describe, expect, it } from 'vitest';
import type { SmokeResult } from '../../../../src/commands/smoke/run.js';
import { junitXml, progressBar, showProgress, smokeJson } from '../../../../src/commands/smoke/view.js';
import { createTestContext } from '../../../helpers/context.js';

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

describe('the progress bar', () => {
  const g = { json: false, quiet: false, debug: false, color: true, timeout: 10 };
  it.each([
    [{ stderrIsTTY: true }, g, true],
    [{ stderrIsTTY: false }, g, false],
    [{ stderrIsTTY: true, env: { CI: 'true' } }, g, false],
    [{ stderrIsTTY: true }, { ...g, quiet: true }, false],
    [{ stderrIsTTY: true }, { ...g, json: true }, true],
  ])('shows for %j with %j: %s', (io, globals, expected) => {
    expect(showProgress(createTestContext(io).ctx, globals)).toBe(expected);
  });

  it('draws on stderr only, counts failures, and clears its line', () => {
    const t = createTestContext({ stderrIsTTY: true });
    const bar = progressBar(t.ctx);
    const server = result.servers[1]!;
    bar.update(server, 1, 4);
    bar.update({ ...server, ok: true }, 2, 4);
    bar.clear();
    expect(t.stdout()).toBe('');
    expect(t.stderr()).toBe(
      `\r[${'#'.repeat(8)}${'.'.repeat(22)}] 1/4 servers, 1 failed` +
        `\r[${'#'.repeat(15)}${'.'.repeat(15)}] 2/4 servers, 1 failed` +
        '\r\u001b[2K',
    );
  });
});
