// A strict reader of the Prometheus text format (0.0.4), written from the format's description,
// not from osmeta's writer: the writer's output must read back to what it was given.

export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedFamily {
  name: string;
  help?: string;
  type?: string;
  samples: ParsedSample[];
}

function unescapeText(s: string, allowQuote: boolean): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = s[++i];
    if (n === '\\') out += '\\';
    else if (n === 'n') out += '\n';
    else if (n === '"' && allowQuote) out += '"';
    else throw new Error(`bad escape \\${n ?? ''} in ${JSON.stringify(s)}`);
  }
  return out;
}

function parseValue(v: string): number {
  if (v === 'NaN') return Number.NaN;
  if (v === '+Inf') return Number.POSITIVE_INFINITY;
  if (v === '-Inf') return Number.NEGATIVE_INFINITY;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)) throw new Error(`bad value '${v}'`);
  return Number(v);
}

function parseLabels(s: string, at: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = at + 1;
  while (s[i] !== '}') {
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(s.slice(i));
    if (!m) throw new Error(`bad label at ${i} in ${JSON.stringify(s)}`);
    i += m[0].length;
    let raw = '';
    while (s[i] !== '"') {
      if (i >= s.length) throw new Error(`unterminated label value in ${JSON.stringify(s)}`);
      if (s[i] === '\\') raw += s[i++];
      raw += s[i++];
    }
    i++;
    if (m[1]! in labels) throw new Error(`label ${m[1]} repeated`);
    labels[m[1]!] = unescapeText(raw, true);
    if (s[i] === ',') i++;
    else if (s[i] !== '}') throw new Error(`expected , or } at ${i} in ${JSON.stringify(s)}`);
  }
  return { labels, end: i + 1 };
}

export function parseExposition(text: string): ParsedFamily[] {
  if (text !== '' && !text.endsWith('\n')) throw new Error('no final line feed');
  const families: ParsedFamily[] = [];
  const byName = new Map<string, ParsedFamily>();
  const family = (name: string) => {
    let f = byName.get(name);
    if (!f) {
      f = { name, samples: [] };
      byName.set(name, f);
      families.push(f);
    }
    return f;
  };
  for (const line of text.split('\n').slice(0, -1)) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/s.exec(line);
    if (meta) {
      const f = family(meta[2]!);
      if (meta[1] === 'HELP') f.help = unescapeText(meta[3]!, false);
      else f.type = meta[3]!;
      continue;
    }
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
    if (!name) throw new Error(`bad line ${JSON.stringify(line)}`);
    let i = name.length;
    let labels: Record<string, string> = {};
    if (line[i] === '{') ({ labels, end: i } = parseLabels(line, i));
    if (line[i] !== ' ') throw new Error(`expected a space at ${i} in ${JSON.stringify(line)}`);
    const rest = line.slice(i + 1);
    if (rest.includes(' ')) throw new Error(`a timestamp or junk after the value: ${JSON.stringify(line)}`);
    family(name).samples.push({ name, labels, value: parseValue(rest) });
  }
  return families;
}
