import { parseArgs } from 'node:util';
import type { Command } from 'commander';

// Options are declared once, as data. Commander builds the full CLI from them; `fastParse` reads a
// well-formed invocation of a hot command (sign) with node's own parseArgs so that commander is not
// loaded at all. Anything fastParse is unsure of (help, an unknown flag, a missing value…) is left to
// commander, which then prints its usual error.

export interface OptionSpec {
  /** commander syntax: '--secret-file <path>', '-q, --quiet', '--no-color' */
  flags: string;
  description: string;
  default?: string | number | boolean;
  /** validates and converts a value (throws an OsmetaError on bad input) */
  parse?: (value: string) => unknown;
  /** may be given several times; the values are collected in order */
  repeatable?: boolean;
  /** a heading of its own in --help */
  helpGroup?: string;
}

export interface CommandSpec {
  name: string;
  /** number of required positional arguments */
  args: number;
  /** number of optional positional arguments after them */
  optionalArgs?: number;
  options: readonly OptionSpec[];
}

const collect = (value: string, previous: unknown) => [...(Array.isArray(previous) ? previous : []), value];

export function addOptions(cmd: Command, specs: readonly OptionSpec[]): Command {
  for (const s of specs) {
    const o = cmd.createOption(s.flags, s.description);
    if (s.default !== undefined) o.default(s.default);
    if (s.helpGroup !== undefined) o.helpGroup(s.helpGroup);
    if (s.repeatable) o.argParser(collect);
    else if (s.parse) o.argParser(s.parse);
    cmd.addOption(o);
  }
  return cmd;
}

interface Flag {
  short?: string;
  long: string;
  takesValue: boolean;
  negate: boolean;
  /** commander's attribute name: camelCase, without "no-" */
  attr: string;
}

function parseFlags(flags: string): Flag {
  const m = /^(?:-(\w),\s*)?--([\w-]+)(?:\s+[<[].*)?$/.exec(flags);
  if (!m) throw new Error(`cannot read option flags '${flags}'`);
  const long = m[2]!;
  const negate = long.startsWith('no-');
  const bare = negate ? long.slice(3) : long;
  return {
    ...(m[1] === undefined ? {} : { short: m[1] }),
    long,
    takesValue: /[<[]/.test(flags),
    negate,
    attr: bare.replace(/-(\w)/g, (_x, c: string) => c.toUpperCase()),
  };
}

export interface FastParse {
  args: string[];
  opts: Record<string, unknown>;
}

/** Reads argv as `<globals…> name <args…> <options…>`, or undefined when commander should decide. */
export function fastParse(
  argv: readonly string[],
  globals: readonly OptionSpec[],
  command: CommandSpec,
): FastParse | undefined {
  if (argv.some((a) => a === '-h' || a === '--help' || a === '--version' || a === '--')) return undefined;
  const specs = [...globals, ...command.options];
  const flags = specs.map((s) => ({ spec: s, flag: parseFlags(s.flags) }));
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const { spec, flag } of flags) {
    options[flag.long] = {
      type: flag.takesValue ? 'string' : 'boolean',
      ...(flag.short === undefined ? {} : { short: flag.short }),
      ...(spec.repeatable ? { multiple: true } : {}),
    };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch {
    return undefined;
  }
  const [name, ...args] = parsed.positionals;
  if (name !== command.name || args.length < command.args) return undefined;
  if (args.length > command.args + (command.optionalArgs ?? 0)) return undefined;
  const opts: Record<string, unknown> = {};
  for (const { spec, flag } of flags) {
    const v = (parsed.values as Record<string, unknown>)[flag.long];
    if (flag.negate) {
      opts[flag.attr] = v === true ? false : (spec.default ?? true);
    } else if (v === undefined) {
      if (spec.default !== undefined) opts[flag.attr] = spec.default;
    } else if (typeof v === 'string' && spec.parse) {
      opts[flag.attr] = spec.parse(v);
    } else {
      opts[flag.attr] = v;
    }
  }
  return { args, opts };
}
