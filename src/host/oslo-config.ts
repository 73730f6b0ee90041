import type { FileSystem } from '../context.js';
import { OsmetaError } from '../errors.js';
import { readTextBounded } from '../safe-file.js';
import { fsReason } from '../util/fs-reason.js';

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
    const line = (lines[i] ?? '').trimEnd();
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
      parts.push(line.trimStart());
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

/** oslo.config files osmeta reads are refused above this size (nova.conf with every comment is ~250 KiB) */
export const MAX_OSLO_FILE_BYTES = 4 * 1024 * 1024;
/** references nested deeper than this are refused; oslo.config itself manages ~120 (Python's recursion limit) */
export const MAX_SUBSTITUTION_DEPTH = 100;
/** a substituted value longer than this is refused: $a$a with a=$b$b… doubles at every level */
export const MAX_SUBSTITUTED_LENGTH = 64 * 1024;

export interface SubstituteOptions {
  /** an unknown $name throws (else it is left as written: the option may have a default osmeta does not know) */
  strict?: boolean;
  /** how errors name the option: "metadata_proxy_shared_secret in /etc/nova/nova.conf:12" */
  what?: string;
}

// oslo.config's Template: idpattern [_a-z][._a-z0-9]* with re.IGNORECASE; $$ is a literal $; a $
// followed by anything else stays as written (safe_substitute)
const REFERENCE = /\$(?:(\$)|\{([_a-z][._a-z0-9]*)\}|([_a-z][._a-z0-9]*))/gi;

class SubstitutionError extends OsmetaError {
  constructor(what: string, why: string, hint?: string) {
    // never a fragment of the value: it may be the shared secret, and `$…` in a secret is common
    super('CONFIG_SUBSTITUTION', 1, `${what} cannot be read: ${why}`, hint === undefined ? {} : { hint });
  }
}

/**
 * oslo.config's $-substitution for StrOpts (cfg.py ConfigOpts._substitute + StrSubWrapper): $$ and
 * \$ are a literal $, $name / ${name} is another option of the same group or of DEFAULT, $group.name
 * an option of another group, each expanded in its own group; `defaults` fills what the files do
 * not set (e.g. state_path). Where oslo.config fails the service cannot read the option, and so
 * osmeta throws: a reference loop or self-reference (oslo: RecursionError → NoSuchOptError), and
 * with `strict` an unknown name (NoSuchOptError). Expansion is memoised and bounded in depth and
 * length. Errors name the option (opts.what) and never a fragment of the value.
 */
export function substituteOslo(
  value: string,
  files: readonly IniFile[],
  section: string,
  defaults: Record<string, string> = {},
  opts: SubstituteOptions = {},
): string {
  const what = opts.what ?? 'an oslo.config value';
  const memo = new Map<string, string>();
  const active = new Set<string>();

  const resolve = (name: string, group: string): { value: string; group: string } | undefined => {
    const dot = name.indexOf('.');
    if (dot >= 0) {
      const v = lookupOslo(files, name.slice(0, dot), name.slice(dot + 1));
      if (v) return { value: v.value, group: normaliseSection(name.slice(0, dot)) };
    }
    const v = lookupOslo(files, group, name) ?? lookupOslo(files, 'DEFAULT', name);
    if (v) return { value: v.value, group: lookupOslo(files, group, name) ? group : 'DEFAULT' };
    return undefined;
  };

  const expand = (text: string, group: string, depth: number): string => {
    if (!text.includes('$')) return text;
    if (depth > MAX_SUBSTITUTION_DEPTH) {
      throw new SubstitutionError(
        what,
        `its $-substitution is nested more than ${MAX_SUBSTITUTION_DEPTH} deep`,
      );
    }
    const out = text.replace(/\\\$/g, '$$$$').replace(REFERENCE, (m, dollar, braced, bare) => {
      if (dollar !== undefined) return '$';
      const name = String(braced ?? bare);
      const found = resolve(name, group);
      if (!found) {
        const d = defaults[name];
        if (d !== undefined) return d;
        if (opts.strict) {
          throw new SubstitutionError(
            what,
            'it refers to an option oslo.config cannot substitute (the service fails to read it)',
            'a $ in an oslo.config value starts a reference: write a literal $ as $$',
          );
        }
        return m;
      }
      const key = `${found.group}\0${name.slice(name.indexOf('.') + 1)}`;
      const cached = memo.get(key);
      if (cached !== undefined) return cached;
      if (active.has(key)) {
        throw new SubstitutionError(
          what,
          'its $-substitution refers back to itself (oslo.config fails to read it)',
          'a $ in an oslo.config value starts a reference: write a literal $ as $$',
        );
      }
      active.add(key);
      const v = expand(found.value, found.group, depth + 1);
      active.delete(key);
      memo.set(key, v);
      return v;
    });
    if (out.length > MAX_SUBSTITUTED_LENGTH) {
      throw new SubstitutionError(
        what,
        `its $-substitution grows beyond ${MAX_SUBSTITUTED_LENGTH} characters`,
      );
    }
    return out;
  };
  return expand(value, normaliseSection(section), 0);
}

/** An oslo.config file, read whole (at most MAX_OSLO_FILE_BYTES) and parsed. */
export async function readOsloFile(
  fs: Pick<FileSystem, 'stat' | 'readFile'>,
  path: string,
  maxBytes = MAX_OSLO_FILE_BYTES,
): Promise<IniFile> {
  let text: string;
  try {
    text = await readTextBounded(fs, path, maxBytes, 'config file');
  } catch (err) {
    if (err instanceof OsmetaError) throw err;
    throw new OsmetaError('CONFIG_UNREADABLE', 1, `cannot read ${path}: ${fsReason(err)}`);
  }
  return parseOsloIni(text, path);
}
