import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMPLETION_TREE, type CompletionNode } from '../../../../src/commands/completion/tree.js';
import { parseFlags } from '../../../../src/commands/definition.js';
import { ACTIONS, buildProgram } from '../../../../src/program.js';
import { createTestContext } from '../../../helpers/context.js';

// Completion reads the same definitions as commander: the same visible commands, the same options.

const visible = (c: Command) => c.commands.filter((s) => !(s as unknown as { _hidden: boolean })._hidden);
const longs = (flags: readonly { flags: string }[]) =>
  flags.map((o) => `--${parseFlags(o.flags).long}`).sort();

function compare(cmd: Command, node: CompletionNode) {
  expect(visible(cmd).map((c) => c.name())).toEqual(node.commands.map((c) => c.name));
  expect(longs(cmd.options.filter((o) => o.long !== '--version' && o.long !== '--help'))).toEqual(
    longs(node.options),
  );
  for (const sub of visible(cmd)) compare(sub, node.commands.find((n) => n.name === sub.name())!);
}

describe('the completion tree', () => {
  it("holds commander's visible commands and their options, at every level", async () => {
    const program = await buildProgram(createTestContext().ctx, ACTIONS, () => {});
    compare(program, COMPLETION_TREE);
  });
});
