import type { FileSystem } from '../context.js';
import { OsmetaError } from '../errors.js';
import { fsReason } from '../util/fs-reason.js';

export { fsReason };

// oslo.config's ini dialect (oslo_config/iniparser.py + cfg.ConfigParser):
// comments only at line start (# or ;), inline "#" text is part of the value, one pair of matching
// outer quotes is removed by the parser, indented lines continue the previous value, the last
// assignment in a file wins, later files win, group names are case-insensitive except DEFAULT.

export interface IniValue {
  value: string;
  path: string;
  line: number;
}

export interface IniFile {
  path: string;
  /** section (normalised) → key → last assignment */
  sections: Map<string, Map<string, IniValue>>;
}

export class IniParseError extends OsmetaError {
  constructor(path: string, line: number, why: string) {
    super('CONFIG_PARSE_ERROR', 1, `cannot parse ${path}: line ${line}: ${why}`);
  }
}

const normaliseSection = (s: string) => (s === 'DEFAULT' ? s : s.toLowerCase());
const normaliseKey = (k: string) => k.replace(/-/g, '_');

export function parseOsloIni(text: string, path = '<string>'): IniFile {
  const sections = new Map<string, Map<string, IniValue>>();
  let section: Map<string, IniValue> | undefined;
  let key: string | undefined;
  let keyLine = 0;
  let parts: string[] = [];

  const flush = () => {
    if (key === undefined) return;
    if (!section) throw new IniParseError(path, keyLine, 'assignment outside any [section]');
    section.set(normaliseKey(key), { value: parts.join('\n'), path, line: keyLine });
    key = undefined;
    parts = [];
  };

  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineno = i + 1;
    const line = (lines[i] ?? '').replace(/\s+$/, '');
    if (line === '') {
      flush();
      continue;
    }
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (key === undefined) {
        // a comment line may be indented in the wild; oslo calls any other an error
        if (/^\s*[#;]/.test(line)) continue;
        throw new IniParseError(path, lineno, 'unexpected continuation line');
      }
      parts.push(line.replace(/^\s+/, ''));
      continue;
    }
    flush();
    if (line.startsWith('[')) {
      if (!line.endsWith(']')) throw new IniParseError(path, lineno, 'section header must end with ]');
      if (line.length <= 2) throw new IniParseError(path, lineno, 'empty section name');
      const name = normaliseSection(line.slice(1, -1));
      section = sections.get(name) ?? new Map();
      sections.set(name, section);
    } else if (line.startsWith('#') || line.startsWith(';')) {
      // comment
    } else {
      const colon = line.indexOf(':');
      const equal = line.indexOf('=');
      if (colon < 0 && equal < 0) throw new IniParseError(path, lineno, "no ':' or '=' in assignment");
      const at = colon < 0 || (equal >= 0 && equal < colon) ? equal : colon;
      const k = line.slice(0, at).trim();
      let v = line.slice(at + 1).trim();
      if (v.length >= 2 && v[0] === v[v.length - 1] && (v[0] === '"' || v[0] === "'")) v = v.slice(1, -1);
      else if (v.length === 1 && (v === '"' || v === "'")) v = '';
      if (k === '') throw new IniParseError(path, lineno, 'empty key');
      key = k;
      keyLine = lineno;
      parts = [v];
    }
  }
  flush();
  return { path, sections };
}

/** The value of section/key across files: the later file wins (oslo.config --config-file order). */
export function lookupOslo(files: readonly IniFile[], section: string, key: string): IniValue | undefined {
  const s = normaliseSection(section);
  const k = normaliseKey(key);
  let found: IniValue | undefined;
  for (const f of files) {
    const v = f.sections.get(s)?.get(k);
    if (v) found = v;
  }
  return found;
}

/**
 * oslo.config's $-substitution for StrOpts: $$ is a literal $, $name / ${name} is another option of
 * the same group (or DEFAULT); `defaults` fills what the files do not set (e.g. state_path). An unknown
 * name is an error to oslo.config (NoSuchOptError: the service cannot read the option); with
 * `strict` it throws, otherwise the reference is left as written.
 */
export function substituteOslo(
  value: string,
  files: readonly IniFile[],
  section: string,
  defaults: Record<string, string> = {},
  opts: { strict?: boolean; what?: string } = {},
  depth = 0,
): string {
  if (!value.includes('$') || depth > 10) return value;
  return value.replace(
    /\$(\$|\{([A-Za-z_][A-Za-z0-9_.]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g,
    (m, _all, braced, bare) => {
      if (m === '$$') return '$';
      const name = String(braced ?? bare);
      const v = lookupOslo(files, section, name) ?? lookupOslo(files, 'DEFAULT', name);
      if (v) return substituteOslo(v.value, files, section, defaults, opts, depth + 1);
      const d = defaults[name];
      if (d !== undefined) return d;
      if (opts.strict) {
        throw new OsmetaError(
          'CONFIG_SUBSTITUTION',
          1,
          `${opts.what ?? 'a value'} refers to $${name}, which oslo.config cannot substitute (the service fails to read it)`,
          { hint: 'write a literal $ as $$ in oslo.config files' },
        );
      }
      return m;
    },
  );
}

export async function readOsloFile(fs: FileSystem, path: string): Promise<IniFile> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (err) {
    throw new OsmetaError('CONFIG_UNREADABLE', 1, `cannot read ${path}: ${fsReason(err)}`);
  }
  return parseOsloIni(text, path);
}
