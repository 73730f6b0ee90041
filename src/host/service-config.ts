import type { FileSystem } from '../context.js';
import { OsmetaError } from '../errors.js';
import { fsReason } from '../util/fs-reason.js';
import { type IniFile, type IniValue, lookupOslo, readOsloFile, substituteOslo } from './oslo-config.js';

// Which config files a running OpenStack service reads, in oslo.config order (the later file wins).

export interface ConfigSet {
  /** in the order the service reads them */
  paths: string[];
  files: IniFile[];
  unreadable: { path: string; reason: string }[];
}

/**
 * --config-file X / --config-file=X / --config-dir D (its *.conf, sorted) in command-line order, as
 * oslo.config's _ConfigFileOpt/_ConfigDirOpt collect them.
 */
export async function configPathsFromArgv(fs: FileSystem, argv: readonly string[]): Promise<string[]> {
  const paths: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    let flag: string | undefined;
    let value: string | undefined;
    const eq = /^(--config-file|--config-dir)=(.*)$/.exec(a);
    if (eq) {
      flag = eq[1];
      value = eq[2];
    } else if (a === '--config-file' || a === '--config-dir') {
      flag = a;
      value = argv[++i];
    }
    if (value === undefined || flag === undefined) continue;
    if (flag === '--config-file') {
      paths.push(value);
    } else {
      try {
        const names = (await fs.readdir(value)).filter((n) => n.endsWith('.conf')).sort();
        paths.push(...names.map((n) => `${value.replace(/\/+$/, '')}/${n}`));
      } catch {
        // an unreadable --config-dir: oslo.config fails at start-up; nothing to add here
      }
    }
  }
  return paths;
}

export async function loadConfigSet(fs: FileSystem, paths: readonly string[]): Promise<ConfigSet> {
  const results = await Promise.all(
    paths.map(async (path) => {
      try {
        return { path, file: await readOsloFile(fs, path) };
      } catch (err) {
        const reason = err instanceof OsmetaError ? err.message : `cannot read ${path}: ${fsReason(err)}`;
        return { path, reason };
      }
    }),
  );
  const set: ConfigSet = { paths: [...paths], files: [], unreadable: [] };
  for (const r of results) {
    if ('file' in r && r.file) set.files.push(r.file);
    else set.unreadable.push({ path: r.path, reason: (r as { reason: string }).reason });
  }
  return set;
}

/** A string option with oslo.config's $-substitution and a default. */
export function optString(
  set: ConfigSet,
  section: string,
  key: string,
  fallback: string,
  defaults: Record<string, string> = {},
): { value: string; from?: IniValue } {
  const v = lookupOslo(set.files, section, key);
  const raw = v?.value ?? fallback;
  const value = substituteOslo(raw, set.files, section, defaults, {
    what: v ? `${key} in ${v.path}:${v.line}` : `the default of ${key}`,
  });
  return v ? { value, from: v } : { value };
}

const TRUE = new Set(['1', 't', 'true', 'on', 'y', 'yes']);
const FALSE = new Set(['0', 'f', 'false', 'off', 'n', 'no']);

/** oslo.config types.Boolean; undefined for a value oslo would reject at start-up. */
export function parseOsloBool(v: string): boolean | undefined {
  const s = v.trim().toLowerCase();
  if (TRUE.has(s)) return true;
  if (FALSE.has(s)) return false;
  return undefined;
}

/** "file:line" of an option's last assignment, for causes and evidence. */
export const where = (v: IniValue | undefined) => (v ? `${v.path}:${v.line}` : undefined);
