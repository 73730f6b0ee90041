import type { Context } from './context.js';
import { errorToJson, type OsmetaError } from './errors.js';
import type { IO } from './io.js';
import { escapeJsonText, escapeTerminal } from './util/terminal.js';

/** The global options every command sees (root flags of src/program.ts). */
export interface GlobalOptions {
  json: boolean;
  quiet: boolean;
  debug: boolean;
  color: boolean;
  /** seconds, for every network request */
  timeout: number;
}

export type OutputMode = 'json' | 'quiet' | 'human';

export function outputMode(g: Pick<GlobalOptions, 'json' | 'quiet'>): OutputMode {
  if (g.json) return 'json';
  if (g.quiet) return 'quiet';
  return 'human';
}

/** A rendered result: one JSON document for --json, text for people. */
export interface Rendered {
  json: unknown;
  human: () => string | Promise<string>;
}

/** The one renderer: stdout carries the answer and nothing else. */
export async function emit(ctx: Context, g: GlobalOptions, r: Rendered): Promise<void> {
  const mode = outputMode(g);
  if (mode === 'quiet') return;
  if (mode === 'json') {
    ctx.io.out(jsonDocument(ctx.io, r.json));
    return;
  }
  const text = await r.human();
  if (text !== '') ctx.io.out(text.endsWith('\n') ? text : `${text}\n`);
}

/**
 * One JSON document, pretty, with a newline: secrets scrubbed from every string, and the
 * characters a terminal acts on that JSON.stringify leaves raw (DEL, C1) written as \u escapes.
 */
export function jsonDocument(io: IO, value: unknown, pretty = true): string {
  return `${escapeJsonText(JSON.stringify(io.secrets.scrubValue(value), null, pretty ? 2 : undefined))}\n`;
}

/** One line of a message: whatever a server put in it, it stays one visible line. */
const oneLine = (text: string) => escapeTerminal(text);

/** A warning on stderr; silenced by --quiet. */
export async function warn(ctx: Context, g: Pick<GlobalOptions, 'quiet'>, message: string): Promise<void> {
  if (g.quiet) return;
  const s = await ctx.io.styles('stderr');
  ctx.io.err(`${s.yellow('warning:')} ${oneLine(message)}\n`);
}

/** A note on stderr (progress, context); silenced by --quiet and --json. */
export function note(ctx: Context, g: Pick<GlobalOptions, 'quiet' | 'json'>, message: string): void {
  if (g.quiet || g.json) return;
  ctx.io.err(`${oneLine(message)}\n`);
}

/** error: <what>: <why> / hint: / request id: — and the JSON error document with --json. */
export async function renderError(ctx: Context, json: boolean, err: OsmetaError): Promise<void> {
  const s = await ctx.io.styles('stderr');
  ctx.io.err(`${s.red('error:')} ${oneLine(err.message)}\n`);
  if (json) {
    ctx.io.out(jsonDocument(ctx.io, errorToJson(err)));
    return;
  }
  if (err.hint) ctx.io.err(`${s.dim('hint:')} ${oneLine(err.hint)}\n`);
  if (err.requestId) ctx.io.err(`${s.dim('request id:')} ${oneLine(err.requestId)}\n`);
}

/** POSIX shell quoting for copy-paste commands. */
export function shellQuote(value: string): string {
  if (value !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A borderless cli-table3 table (loaded only when a table is drawn), as the house style asks. */
export async function borderlessTable(
  head: string[],
  o: { colWidths?: Array<number | null>; wordWrap?: boolean } = {},
): Promise<{ push(row: string[]): void; toString(): string }> {
  const { default: Table } = await import('cli-table3');
  const none = [
    'top',
    'top-mid',
    'top-left',
    'top-right',
    'bottom',
    'bottom-mid',
    'bottom-left',
    'bottom-right',
  ];
  const sides = ['left', 'left-mid', 'mid', 'mid-mid', 'right', 'right-mid'];
  const chars = Object.fromEntries([...none, ...sides].map((k) => [k, '']));
  return new Table({
    head,
    chars: { ...chars, middle: '  ' },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
    ...(o.wordWrap ? { wordWrap: true } : {}),
    ...(o.colWidths ? { colWidths: o.colWidths as number[] } : {}),
  }) as unknown as { push(row: string[]): void; toString(): string };
}
