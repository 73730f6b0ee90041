import { parseArgs } from 'node:util';
import type { Command } from 'commander';

// A command is declared once, as typed data: its arguments and options (key, flag syntax, value
// type, default, parser). Commander's wiring (`wire`), the fast path's parsing (`fastParse`, node's
// own parseArgs: commander is not loaded at all), --help and the TypeScript type of the options
// (`OptionsOf`) all derive from it, so a renamed option is a compile error where it is read.
// Anything fastParse is unsure of (help, an unknown flag, a missing value…) is left to commander,
// which then prints its usual error.

type LongName<F extends string> = F extends `-${string}, --${infer L}`
  ? Head<L>
  : F extends `--${infer L}`
    ? Head<L>
    : never;
type Head<L extends string> = L extends `${infer N} ${string}` ? N : L;
type Camel<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;
/** commander's attribute name for a flag syntax: '--os-auth-url <value>' → 'osAuthUrl', '--no-color' → 'color' */
export type KeyOf<F extends string> = LongName<F> extends `no-${infer R}` ? Camel<R> : Camel<LongName<F>>;

export interface OptionSpec<F extends string = string, T = unknown, R extends boolean = boolean> {
  /** commander syntax: '--secret-file <path>', '-q, --quiet', '--no-color' */
  flags: F;
  description: string;
  default?: T;
  /** validates and converts a value (throws an OsmetaError on bad input) */
  parse?: (value: string) => T;
  /** may be given several times; the values are collected in order */
  repeatable?: boolean;
  /** a heading of its own in --help */
  helpGroup?: string;
  /** type only: the value's type and whether it is always present */
  readonly __type?: { value: T; required: R };
}

interface Extra {
  helpGroup?: string;
}

/** A switch: true when given. '--no-x' is true unless given. */
export function flag<F extends string>(
  flags: F,
  description: string,
  extra: Extra = {},
): OptionSpec<F, boolean, F extends `--no-${string}` ? true : false> {
  return { flags, description, ...extra };
}

/** A string value, absent unless given (or with a default, always present). */
export function text<F extends string>(
  flags: F,
  description: string,
  extra?: Extra,
): OptionSpec<F, string, false>;
export function text<F extends string>(
  flags: F,
  description: string,
  extra: Extra & { default: string },
): OptionSpec<F, string, true>;
export function text<F extends string>(
  flags: F,
  description: string,
  extra: Extra & { default?: string } = {},
): OptionSpec<F, string> {
  return { flags, description, ...extra };
}

/** A parsed value, absent unless given (or with a default, always present). */
export function value<F extends string, T>(
  flags: F,
  description: string,
  parse: (value: string) => T,
): OptionSpec<F, T, false>;
export function value<F extends string, T>(
  flags: F,
  description: string,
  parse: (value: string) => T,
  defaultValue: T,
): OptionSpec<F, T, true>;
export function value<F extends string, T>(
  flags: F,
  description: string,
  parse: (value: string) => T,
  defaultValue?: T,
): OptionSpec<F, T> {
  return { flags, description, parse, ...(defaultValue === undefined ? {} : { default: defaultValue }) };
}

/** A repeatable string option: the values in order, absent unless given. */
export function list<F extends string>(flags: F, description: string): OptionSpec<F, string[], false> {
  return { flags, description, repeatable: true };
}

type ValueOf<O> = O extends OptionSpec<string, infer T, boolean> ? T : never;
type IsRequired<O> = O extends { readonly __type?: { required: true } } ? true : false;

/** The options object a list of option specs produces. */
export type OptionsOf<Specs extends readonly OptionSpec[]> = {
  [O in Specs[number] as IsRequired<O> extends true ? KeyOf<O['flags']> : never]: ValueOf<O>;
} & {
  [O in Specs[number] as IsRequired<O> extends true ? never : KeyOf<O['flags']>]?: ValueOf<O>;
};

export interface ArgSpec<S extends string = string> {
  /** commander syntax: '<uuid>', '[document]', '[servers...]' */
  syntax: S;
  description?: string;
}

export function arg<S extends string>(syntax: S, description?: string): ArgSpec<S> {
  return description === undefined ? { syntax } : { syntax, description };
}

type ArgValue<S extends string> = S extends `${string}...${string}`
  ? string[]
  : S extends `<${string}>`
    ? string
    : string | undefined;
/** The positional values an argument list produces, in order. */
export type ArgsOf<A extends readonly ArgSpec[]> = { -readonly [K in keyof A]: ArgValue<A[K]['syntax']> };

export interface CommandSpec<
  A extends readonly ArgSpec[] = readonly ArgSpec[],
  O extends readonly OptionSpec[] = readonly OptionSpec[],
> {
  name: string;
  description?: string;
  args: A;
  options: O;
  /** --help text after the options */
  help?: string;
  hidden?: boolean;
}

/** A command that only holds subcommands (secret set|delete|status). */
export interface CommandGroup {
  name: string;
  description: string;
  commands: readonly CommandSpec[];
  help?: string;
}

export function defineCommand<const A extends readonly ArgSpec[], const O extends readonly OptionSpec[]>(
  spec: CommandSpec<A, O>,
): CommandSpec<A, O> {
  return spec;
}

/** What an action is handed: its arguments, and its own and the global options. */
export interface Invocation<C extends CommandSpec, G = Record<never, never>> {
  args: C extends CommandSpec<infer A, readonly OptionSpec[]> ? ArgsOf<A> : never;
  opts: (C extends CommandSpec<readonly ArgSpec[], infer O> ? OptionsOf<O> : never) & G;
}

export const collect = (value: string, previous: unknown): string[] => [
  ...(Array.isArray(previous) ? (previous as string[]) : []),
  value,
];

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

/** Adds a command to `parent` from its definition; the action's exit code goes to `done`. */
export function wire(
  parent: Command,
  spec: CommandSpec,
  action: (inv: { args: unknown[]; opts: Record<string, unknown> }) => Promise<number>,
  done: (code: number) => void,
): Command {
  const cmd = parent.command(spec.name, spec.hidden ? { hidden: true } : {});
  if (spec.description !== undefined) cmd.description(spec.description);
  for (const a of spec.args) cmd.argument(a.syntax, a.description);
  addOptions(cmd, spec.options);
  if (spec.help !== undefined) cmd.addHelpText('after', spec.help);
  cmd.action(async (...params: unknown[]) => {
    const c = params[params.length - 1] as Command;
    done(await action({ args: params.slice(0, spec.args.length), opts: c.optsWithGlobals() }));
  });
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

export function parseFlags(flags: string): Flag {
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
  args: (string | undefined)[];
  opts: Record<string, unknown>;
}

const isVariadic = (a: ArgSpec) => a.syntax.includes('...');
const isRequired = (a: ArgSpec) => a.syntax.startsWith('<');

/** Reads argv as `<globals…> name <args…> <options…>`, or undefined when commander should decide. */
export function fastParse(
  argv: readonly string[],
  globals: readonly OptionSpec[],
  command: CommandSpec,
): FastParse | undefined {
  if (argv.some((a) => a === '-h' || a === '--help' || a === '--version' || a === '--')) return undefined;
  if (command.args.some(isVariadic)) return undefined;
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
  const [name, ...given] = parsed.positionals;
  const required = command.args.filter(isRequired).length;
  if (name !== command.name || given.length < required || given.length > command.args.length)
    return undefined;
  // as commander hands them over: an optional argument not given is undefined
  const args = command.args.map((_a, i) => given[i]);
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
