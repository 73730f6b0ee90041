import type { Context } from '../../context.js';
import { KIND_AGENT, listNamespaceNames, NETNS_DIR, parseNamespaceName } from '../../host/netns.js';
import { EC2_META_DATA, OPENSTACK_DOCUMENTS } from '../../metadata/protocol.js';
import { loadCloudFiles } from '../../openstack/config.js';
import { type ArgSpec, type OptionSpec, parseFlags } from '../definition.js';
import { SHELLS } from './definition.js';
import { COMPLETION_TREE, type CompletionNode } from './tree.js';

// `osmeta __complete <words…> <word>`: what the word being completed can become, read from the
// command definitions (tree.ts) and, for values, from this machine: clouds.yaml (the same search as
// every command), /run/netns (as `ip netns list`), the documents get knows. The shell scripts
// (view.ts) only pass the words and show the answer, as cobra's `__complete` does for gh.

export interface Candidate {
  value: string;
  description?: string;
}

/** `file`: the shell adds file names; `none`: only the candidates. */
export type Directive = 'file' | 'none';

export interface CompleteResult {
  candidates: Candidate[];
  directive: Directive;
}

type ValueKind = 'clouds' | 'netns' | 'file' | 'none';

/** What an option's value is, from its definition: the name, or the placeholder (<file>, <path>, <dir>). */
export function optionValueKind(spec: OptionSpec): ValueKind {
  const long = parseFlags(spec.flags).long;
  if (long === 'os-cloud') return 'clouds';
  if (long === 'netns') return 'netns';
  if (/<(?:file|path|dir)>/.test(spec.flags)) return 'file';
  return 'none';
}

const HELP = { flags: '-h, --help', description: 'show help' } as const satisfies OptionSpec;
const VERSION = { flags: '--version', description: 'print the version' } as const satisfies OptionSpec;

/** The options valid after `path`: the command's own, the root's (commander takes them anywhere), --help. */
function optionsAt(node: CompletionNode, root: boolean): OptionSpec[] {
  return [...node.options, ...(root ? [VERSION] : COMPLETION_TREE.options), HELP];
}

function findOption(options: readonly OptionSpec[], word: string): OptionSpec | undefined {
  return options.find((o) => {
    const f = parseFlags(o.flags);
    return word === `--${f.long}` || (f.short !== undefined && word === `-${f.short}`);
  });
}

const takesValue = (o: OptionSpec) => parseFlags(o.flags).takesValue;

// a name with a control character (a tab, a newline) would break the one-candidate-a-line answer
// and reach the terminal: left out
const printable = (s: string) => !/[\x00-\x1f\x7f]/.test(s);

async function cloudNames(ctx: Context): Promise<Candidate[]> {
  try {
    const files = await loadCloudFiles(ctx);
    return Object.keys(files.clouds).map((value) => ({ value }));
  } catch {
    return [];
  }
}

async function namespaces(ctx: Context): Promise<Candidate[]> {
  const dir = ctx.env.OSMETA_NETNS_DIR || NETNS_DIR;
  return (await listNamespaceNames(ctx.fs, dir)).map((value) => {
    const ns = parseNamespaceName(value);
    return ns ? { value, description: KIND_AGENT[ns.kind] } : { value };
  });
}

async function optionValues(spec: OptionSpec, ctx: Context): Promise<CompleteResult> {
  switch (optionValueKind(spec)) {
    case 'clouds':
      return { candidates: await cloudNames(ctx), directive: 'none' };
    case 'netns':
      return { candidates: await namespaces(ctx), directive: 'none' };
    case 'file':
      return { candidates: [], directive: 'file' };
    default:
      return { candidates: [], directive: 'none' };
  }
}

/** get's documents: nova's OpenStack documents, or with --ec2 the EC2 tree; a leading / gives full paths. */
function documents(ec2: boolean, cur: string): Candidate[] {
  const names = ec2
    ? ['meta-data/', ...EC2_META_DATA.map((k) => `meta-data/${k}`), 'user-data']
    : [...OPENSTACK_DOCUMENTS];
  if (!cur.startsWith('/')) return names.map((value) => ({ value }));
  return ec2
    ? names.map((n) => ({ value: `/latest/${n}` }))
    : names.map((n) => ({ value: `/openstack/latest/${n}` }));
}

function argValues(node: CompletionNode, index: number, given: Set<string>, cur: string): CompleteResult {
  const args: readonly ArgSpec[] = node.args;
  const last = args[args.length - 1];
  const arg = args[index] ?? (last?.syntax.includes('...') ? last : undefined);
  if (arg === undefined) return { candidates: [], directive: 'none' };
  if (node.name === 'get' && arg === args[1]) {
    return { candidates: documents(given.has('ec2'), cur), directive: 'none' };
  }
  if (node.name === 'completion')
    return { candidates: SHELLS.map((value) => ({ value })), directive: 'none' };
  return { candidates: [], directive: 'none' };
}

/**
 * bash splits `--os-cloud=prod` at the '=' (COMP_WORDBREAKS): `--os-cloud`, `=`, `prod`. Joined
 * again here; `split` says the word being completed was the value alone.
 */
function joinEquals(words: readonly string[]): { words: string[]; split: boolean } {
  const out: string[] = [];
  let split = false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const prev = out[out.length - 1];
    if (w === '=' && prev?.startsWith('--') && !prev.includes('=')) {
      const next = words[i + 1];
      out[out.length - 1] = `${prev}=${next ?? ''}`;
      if (i + 1 >= words.length - 1) split = true;
      i++;
      continue;
    }
    out.push(w);
  }
  return { words: out, split };
}

/** The candidates for the last of `words` (the word being completed; '' for a new one). */
export async function runComplete(input: readonly string[], ctx: Context): Promise<CompleteResult> {
  const { words, split } = joinEquals(input.length === 0 ? [''] : input);
  const cur = words[words.length - 1]!;
  let node = COMPLETION_TREE;
  let root = true;
  const positional: string[] = [];
  const given = new Set<string>();
  let pending: OptionSpec | undefined;
  let dashDash = false;
  for (const w of words.slice(0, -1)) {
    if (pending) {
      pending = undefined;
      continue;
    }
    if (dashDash) {
      positional.push(w);
      continue;
    }
    if (w === '--') {
      dashDash = true;
      continue;
    }
    if (w.startsWith('-') && w !== '-') {
      const eq = w.indexOf('=');
      const spec = findOption(optionsAt(node, root), eq < 0 ? w : w.slice(0, eq));
      if (spec) {
        given.add(parseFlags(spec.flags).attr);
        if (eq < 0 && takesValue(spec)) pending = spec;
      }
      continue;
    }
    const sub = positional.length === 0 ? node.commands.find((c) => c.name === w) : undefined;
    if (sub) {
      node = sub;
      root = false;
      continue;
    }
    positional.push(w);
  }

  let result: CompleteResult;
  let prefix = '';
  let typed = cur;
  const eq = cur.indexOf('=');
  if (pending) {
    result = await optionValues(pending, ctx);
  } else if (!dashDash && cur.startsWith('--') && eq > 0) {
    const spec = findOption(optionsAt(node, root), cur.slice(0, eq));
    result = spec && takesValue(spec) ? await optionValues(spec, ctx) : { candidates: [], directive: 'none' };
    typed = cur.slice(eq + 1);
    if (!split) prefix = cur.slice(0, eq + 1);
  } else if (!dashDash && cur.startsWith('-')) {
    const options = optionsAt(node, root).filter((o) => o.repeatable || !given.has(parseFlags(o.flags).attr));
    result = {
      candidates: options.map((o) => ({
        value: `--${parseFlags(o.flags).long}`,
        description: o.description,
      })),
      directive: 'none',
    };
  } else if (node.commands.length > 0 && positional.length === 0) {
    result = {
      candidates: node.commands.map((c) => ({ value: c.name, description: c.description })),
      directive: 'none',
    };
  } else {
    result = argValues(node, positional.length, given, cur);
  }
  return {
    directive: result.directive,
    candidates: result.candidates
      .filter((c) => c.value.startsWith(typed) && printable(c.value))
      .map((c) => ({ ...c, value: prefix + c.value })),
  };
}
