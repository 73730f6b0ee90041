// The Prometheus text exposition format, version 0.0.4, as node_exporter's textfile collector
// reads it: https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
// Pure functions from data to text; no client-side timestamps (the textfile collector rejects them).

export type MetricType = 'gauge' | 'counter' | 'untyped';

export interface Sample {
  /** one value per label the family declares */
  labels?: Readonly<Record<string, string>>;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  /** the label names every sample carries, in the order they are written */
  labels?: readonly string[];
  samples: readonly Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const NEEDS_ESCAPE = /[\\"\n]/;

export const isValidMetricName = (name: string): boolean => METRIC_NAME.test(name);

/** `__` starts names Prometheus reserves for itself. */
export const isValidLabelName = (name: string): boolean => LABEL_NAME.test(name) && !name.startsWith('__');

/** Label values: backslash, double quote and line feed are escaped; everything else is literal UTF-8. */
export function escapeLabelValue(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/[\\"\n]/g, (c) => (c === '\\' ? '\\\\' : c === '"' ? '\\"' : '\\n'));
}

/** HELP text: backslash and line feed are escaped (a double quote is not). */
export function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === '\\' ? '\\\\' : '\\n'));
}

/** A sample value as Go's strconv.ParseFloat reads it: NaN, +Inf, -Inf, integers without a fraction. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  // String() gives the shortest round-tripping form: 1, 0.25, 1e-7, 1.5e+21; -0 becomes 0
  return String(v);
}

const compareValues = (a: readonly string[], b: readonly string[]): number => {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.length - b.length;
};

function familyText(f: MetricFamily): string {
  if (!isValidMetricName(f.name)) throw new Error(`invalid metric name '${f.name}'`);
  const names = f.labels ?? [];
  for (const n of names) {
    if (!isValidLabelName(n)) throw new Error(`${f.name}: invalid label name '${n}'`);
  }
  if (new Set(names).size !== names.length) throw new Error(`${f.name}: a label name is repeated`);
  const rows = f.samples.map((s) => {
    const labels = s.labels ?? {};
    const values = names.map((n) => (Object.hasOwn(labels, n) ? labels[n] : undefined));
    if (values.includes(undefined) || Object.keys(labels).length !== names.length) {
      const given = Object.keys(labels).join(',');
      throw new Error(`${f.name}: a sample has labels {${given}}, not {${names.join(',')}}`);
    }
    return { values: values as string[], value: s.value };
  });
  rows.sort((a, b) => compareValues(a.values, b.values));
  const lines = [`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`];
  let prev: readonly string[] | undefined;
  for (const r of rows) {
    if (prev && compareValues(prev, r.values) === 0) {
      throw new Error(`${f.name}: two samples with the same labels {${r.values.join(',')}}`);
    }
    prev = r.values;
    const labels = names.length
      ? `{${names.map((n, i) => `${n}="${escapeLabelValue(r.values[i]!)}"`).join(',')}}`
      : '';
    lines.push(`${f.name}${labels} ${formatValue(r.value)}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The families as one exposition text: sorted by name, samples by their label values, a family
 * without samples left out, a line feed after every line. Bad names or duplicate series throw:
 * they are bugs, not input.
 */
export function renderExposition(families: readonly MetricFamily[]): string {
  const sorted = families.filter((f) => f.samples.length > 0).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.name === sorted[i - 1]!.name) throw new Error(`metric ${sorted[i]!.name} appears twice`);
  }
  return sorted.map(familyText).join('');
}
