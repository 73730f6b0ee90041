import { readFileSync } from 'node:fs';

/** A systemd unit file: section → key → every value given (a key may repeat). */
export type UnitFile = Record<string, Record<string, string[]>>;

export const UNIT_DIR = new URL('../../packaging/systemd/', import.meta.url);

export function parseUnitFile(text: string): UnitFile {
  const out: UnitFile = {};
  let section: Record<string, string[]> | undefined;
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    if (raw.endsWith('\\')) throw new Error(`line ${i + 1}: continuation lines are not used here`);
    const head = /^\[([A-Za-z]+)\]$/.exec(line);
    if (head) {
      if (out[head[1]!]) throw new Error(`line ${i + 1}: section [${head[1]}] twice`);
      section = {};
      out[head[1]!] = section;
      continue;
    }
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (!kv || !section) throw new Error(`line ${i + 1}: not a key=value in a section: ${raw}`);
    section[kv[1]!] = [...(section[kv[1]!] ?? []), kv[2]!];
  }
  return out;
}

export const readUnit = (name: string) => parseUnitFile(readFileSync(new URL(name, UNIT_DIR), 'utf8'));
