import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CAUSE_RULES } from '../../../src/metrics/cause-codes.js';
import { smokeMetrics } from '../../../src/metrics/smoke.js';
import { traceMetrics } from '../../../src/metrics/trace.js';

// docs/prometheus.md is the contract's documentation: it must list what the code writes.
const doc = readFileSync(new URL('../../../docs/prometheus.md', import.meta.url), 'utf8');
const rows = (first: string) =>
  doc
    .split('\n')
    .filter((l) => l.startsWith(`| \`${first}`))
    .map((l) => l.split('|').map((c) => c.trim()));

describe('docs/prometheus.md', () => {
  it('lists every cause code of every hop, and no other', () => {
    const documented = doc
      .split('\n')
      .map((l) => /^\| `([a-z-]+)` \| `([a-z0-9_]+)` \|/.exec(l))
      .filter((m) => m !== null)
      .map((m) => `${m[1]} ${m[2]}`);
    const coded = Object.entries(CAUSE_RULES).flatMap(([hop, rules]) =>
      rules.map(([code]) => `${hop} ${code}`),
    );
    expect(documented.sort()).toEqual(coded.sort());
  });

  it('lists every metric trace and smoke write, with their labels', () => {
    const families = [
      ...traceMetrics({ ok: true, namespaces: [] }, { durationSeconds: 0, timestampSeconds: 0 }),
      ...smokeMetrics(
        {
          ok: true,
          summary: { total: 0, passed: 0, failed: 0 },
          servers: [],
          durationMs: 0,
          stoppedEarly: false,
        },
        0,
      ),
    ];
    for (const f of families) {
      const row = rows(f.name).find((r) => r[1] === `\`${f.name}\``);
      expect(row, f.name).toBeDefined();
      const labels = (f.labels ?? []).map((l) => `\`${l}\``).join(', ') || '–';
      expect(row![2], f.name).toBe(labels);
    }
    const documented = rows('osmeta_').map((r) => r[1]!.replace(/`/g, ''));
    expect(documented.sort()).toEqual(families.map((f) => f.name).sort());
  });
});
