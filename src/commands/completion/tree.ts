import type { ArgSpec, CommandGroup, CommandSpec, OptionSpec } from '../definition.js';
import { GET } from '../get/definition.js';
import { GUEST } from '../guest/definition.js';
import { SECRET } from '../secret/definition.js';
import { ROOT_OPTIONS } from '../shared.js';
import { SIGN } from '../sign/definition.js';
import { SMOKE } from '../smoke/definition.js';
import { TRACE } from '../trace/definition.js';
import { COMPLETION } from './definition.js';

// What completion knows of osmeta: the same definitions commander is wired from (src/program.ts;
// test/unit/commands/completion/tree.test.ts checks that both hold the same commands and options).

export interface CompletionNode {
  name: string;
  description: string;
  args: readonly ArgSpec[];
  /** this command's own options (the root's are valid everywhere, as commander takes them) */
  options: readonly OptionSpec[];
  commands: readonly CompletionNode[];
}

const leaf = (c: CommandSpec): CompletionNode => ({
  name: c.name,
  description: c.description ?? '',
  args: c.args,
  options: c.options,
  commands: [],
});

const group = (g: CommandGroup): CompletionNode => ({
  name: g.name,
  description: g.description,
  args: [],
  options: [],
  commands: g.commands.filter((c) => !c.hidden).map(leaf),
});

/** The visible commands, in --help's order. */
export const COMPLETION_TREE: CompletionNode = {
  name: 'osmeta',
  description: '',
  args: [],
  options: ROOT_OPTIONS,
  commands: [leaf(SIGN), group(SECRET), leaf(GET), leaf(SMOKE), leaf(TRACE), leaf(COMPLETION), leaf(GUEST)],
};
