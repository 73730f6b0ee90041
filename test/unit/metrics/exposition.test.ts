import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  escapeHelp,
  escapeLabelValue,
  formatValue,
  isValidLabelName,
  isValidMetricName,
  type MetricFamily,
  renderExposition,
} from '../../../src/metrics/exposition.js';
import { parseExposition } from '../../helpers/exposition-parser.js';

describe('renderExposition', () => {
  it('writes HELP, TYPE and one line per sample, labels in declared order, a final line feed', () => {
    const text = renderExposition([
      {
        name: 'osmeta_x',
        help: 'An example.',
        type: 'gauge',
        labels: ['netns', 'hop'],
        samples: [
          { labels: { hop: 'socket', netns: 'qdhcp-b' }, value: 0 },
          { labels: { hop: 'agent', netns: 'qdhcp-a' }, value: 1 },
        ],
      },
    ]);
    expect(text).toBe(
      [
        '# HELP osmeta_x An example.',
        '# TYPE osmeta_x gauge',
        'osmeta_x{netns="qdhcp-a",hop="agent"} 1',
        'osmeta_x{netns="qdhcp-b",hop="socket"} 0',
        '',
      ].join('\n'),
    );
  });

  it('sorts families by name and samples by label values, whatever the input order', () => {
    const fam = (name: string, values: string[]): MetricFamily => ({
      name,
      help: 'h',
      type: 'gauge',
      labels: ['a', 'b'],
      samples: values.map((v, i) => ({ labels: { a: v, b: String(i % 2) }, value: i })),
    });
    const one = renderExposition([fam('m_b', ['y', 'x', 'x']), fam('m_a', ['z'])]);
    expect(one).toBe(
      [
        '# HELP m_a h',
        '# TYPE m_a gauge',
        'm_a{a="z",b="0"} 0',
        '# HELP m_b h',
        '# TYPE m_b gauge',
        'm_b{a="x",b="0"} 2',
        'm_b{a="x",b="1"} 1',
        'm_b{a="y",b="0"} 0',
        '',
      ].join('\n'),
    );
  });

  it('writes a family without labels as a bare name', () => {
    expect(renderExposition([{ name: 'up', help: 'h', type: 'gauge', samples: [{ value: 1 }] }])).toBe(
      '# HELP up h\n# TYPE up gauge\nup 1\n',
    );
  });

  it('leaves out a family without samples, and writes nothing at all for none', () => {
    expect(renderExposition([{ name: 'empty', help: 'h', type: 'gauge', labels: ['a'], samples: [] }])).toBe(
      '',
    );
    expect(renderExposition([])).toBe('');
  });

  it('escapes backslash, double quote and line feed in label values, and nothing else', () => {
    const text = renderExposition([
      {
        name: 'm',
        help: 'h',
        type: 'gauge',
        labels: ['v'],
        samples: [{ labels: { v: 'a\\b"c\nd\té{}=,' }, value: 1 }],
      },
    ]);
    expect(text.split('\n')[2]).toBe('m{v="a\\\\b\\"c\\nd\té{}=,"} 1');
  });

  it('escapes backslash and line feed in HELP, not the double quote', () => {
    expect(escapeHelp('a\\b\n"c"')).toBe('a\\\\b\\n"c"');
  });

  it.each([
    [1, '1'],
    [0, '0'],
    [-0, '0'],
    [-3, '-3'],
    [0.25, '0.25'],
    [1e-7, '1e-7'],
    [1.5e21, '1.5e+21'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, '+Inf'],
    [Number.NEGATIVE_INFINITY, '-Inf'],
  ])('formats the value %s as %s', (v, text) => {
    expect(formatValue(v)).toBe(text);
  });

  it.each([
    ['osmeta_ok', true],
    ['a:b_c9', true],
    ['_x', true],
    ['9x', false],
    ['a-b', false],
    ['', false],
    ['a b', false],
  ])('metric name %j valid: %s', (name, ok) => {
    expect(isValidMetricName(name)).toBe(ok);
  });

  it.each([
    ['netns', true],
    ['cause_code', true],
    ['_x', true],
    ['__name__', false],
    ['a:b', false],
    ['1a', false],
    ['', false],
  ])('label name %j valid: %s', (name, ok) => {
    expect(isValidLabelName(name)).toBe(ok);
  });

  it.each<[string, MetricFamily[], string]>([
    [
      'a bad metric name',
      [{ name: 'bad-name', help: '', type: 'gauge', samples: [{ value: 1 }] }],
      'invalid metric name',
    ],
    [
      'a reserved label name',
      [{ name: 'm', help: '', type: 'gauge', labels: ['__x'], samples: [{ labels: { __x: '' }, value: 1 }] }],
      "invalid label name '__x'",
    ],
    [
      'a sample missing a label',
      [
        {
          name: 'm',
          help: '',
          type: 'gauge',
          labels: ['a', 'b'],
          samples: [{ labels: { a: '' }, value: 1 }],
        },
      ],
      'a sample has labels {a}, not {a,b}',
    ],
    [
      'a repeated label name',
      [
        {
          name: 'm',
          help: '',
          type: 'gauge',
          labels: ['a', 'a'],
          samples: [{ labels: { a: '' }, value: 1 }],
        },
      ],
      'm: a label name is repeated',
    ],
    [
      'a sample with a label more than declared',
      [
        {
          name: 'm',
          help: '',
          type: 'gauge',
          labels: ['a'],
          samples: [{ labels: { a: '', b: '' }, value: 1 }],
        },
      ],
      'a sample has labels {a,b}, not {a}',
    ],
    [
      'a sample with an undeclared label',
      [{ name: 'm', help: '', type: 'gauge', labels: ['a'], samples: [{ labels: { b: '' }, value: 1 }] }],
      'a sample has labels {b}, not {a}',
    ],
    [
      'two samples with the same labels',
      [
        {
          name: 'm',
          help: '',
          type: 'gauge',
          labels: ['a', 'b'],
          samples: [
            { labels: { a: 'x', b: 'y' }, value: 1 },
            { labels: { a: 'x', b: 'y' }, value: 2 },
          ],
        },
      ],
      'two samples with the same labels {x,y}',
    ],
    [
      'one family twice',
      [
        { name: 'm', help: '', type: 'gauge', samples: [{ value: 1 }] },
        { name: 'm', help: '', type: 'gauge', samples: [{ value: 2 }] },
      ],
      'metric m appears twice',
    ],
  ])('refuses %s', (_what, families, message) => {
    expect(() => renderExposition(families)).toThrow(message);
  });
});

// ---- properties: what is written reads back as it was given ------------------------------------

const labelName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/).filter((n) => !n.startsWith('__'));
// any code point, with the characters the format gives a meaning to much more often than chance
const special = fc.constantFrom('\\', '"', '\n', '\r', '\\n', '{', '}', ',', '=', ' ', '#');
const anyText = fc.string({
  unit: fc.oneof(special, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })),
  maxLength: 40,
});
const value = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
);

const family = fc
  .record({
    name: fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,12}$/),
    help: anyText,
    labels: fc.uniqueArray(labelName, { maxLength: 4 }),
  })
  .chain(({ name, help, labels }) =>
    fc
      .uniqueArray(
        fc.record({
          values: fc.array(anyText, { minLength: labels.length, maxLength: labels.length }),
          value,
        }),
        { maxLength: 6, selector: (s) => JSON.stringify(s.values) },
      )
      .map(
        (rows): MetricFamily => ({
          name,
          help,
          type: 'gauge',
          labels,
          samples: rows.map((r) => ({
            labels: Object.fromEntries(labels.map((l, i) => [l, r.values[i]!])),
            value: r.value,
          })),
        }),
      ),
  );

describe('renderExposition, for any input', () => {
  it('label values and HELP text read back unchanged, whatever they hold', () => {
    fc.assert(
      fc.property(family, (f) => {
        const parsed = parseExposition(renderExposition([f]));
        expect(parsed).toHaveLength(f.samples.length === 0 ? 0 : 1);
        if (f.samples.length === 0) return;
        expect(parsed[0]!.help).toBe(f.help);
        expect(parsed[0]!.type).toBe('gauge');
        const key = (l: Record<string, string>) => JSON.stringify((f.labels ?? []).map((n) => l[n]));
        // -0 is written as 0
        const want = new Map(f.samples.map((s) => [key(s.labels ?? {}), s.value === 0 ? 0 : s.value]));
        const got = new Map(parsed[0]!.samples.map((s) => [key(s.labels), s.value]));
        expect(got).toEqual(want);
      }),
      { numRuns: 300 },
    );
  });

  it('every line is one HELP, TYPE or sample line: no value breaks out of its line', () => {
    fc.assert(
      fc.property(fc.array(family, { maxLength: 3 }), (fams) => {
        const unique = [...new Map(fams.map((f) => [f.name, f])).values()];
        const text = renderExposition(unique);
        const samples = unique.reduce((n, f) => n + f.samples.length, 0);
        const written = unique.filter((f) => f.samples.length > 0).length;
        expect(text.split('\n')).toHaveLength(2 * written + samples + 1);
        expect(text === '' || text.endsWith('\n')).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('the same families in any order give the same text', () => {
    fc.assert(
      fc.property(fc.uniqueArray(family, { maxLength: 4, selector: (f) => f.name }), (fams) => {
        const reversed = [...fams].reverse().map((f) => ({ ...f, samples: [...f.samples].reverse() }));
        expect(renderExposition(reversed)).toBe(renderExposition(fams));
      }),
      { numRuns: 200 },
    );
  });

  it('escapeLabelValue leaves no bare double quote or line feed', () => {
    fc.assert(
      fc.property(anyText, (s) => {
        const e = escapeLabelValue(s);
        expect(e).not.toContain('\n');
        expect(e.replace(/\\\\/g, '').replace(/\\"/g, '')).not.toContain('"');
      }),
    );
  });
});
