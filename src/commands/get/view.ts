import type { Context } from '../../context.js';
import { operationalError } from '../../errors.js';
import {
  bodyKind,
  describeBinary,
  documentValue,
  isBinaryForTerminal,
  prettyJson,
} from '../../openstack/document.js';
import { emit, type GlobalOptions, note } from '../../output.js';
import type { FetchedDocument, GetResult } from './run.js';

export interface GetViewOptions {
  raw?: boolean;
  output?: string;
}

const ms = (d: FetchedDocument) => Math.round(d.durationMs);
const docValue = (d: FetchedDocument) =>
  d.body === undefined ? null : documentValue(d.body, d.contentType, d.name);

export function getJson(r: GetResult): Record<string, unknown> {
  const base = { server: r.server, via: r.via };
  if (r.document) {
    const d = r.document;
    return {
      ...base,
      request: {
        url: d.url,
        status: d.status,
        durationMs: ms(d),
        requestId: d.requestId ?? null,
        contentType: d.contentType,
      },
      document: docValue(d),
    };
  }
  const documents: Record<string, unknown> = {};
  for (const d of r.documents ?? []) {
    documents[d.name] =
      d.body === undefined
        ? { status: d.status, durationMs: ms(d), absent: true }
        : { status: d.status, durationMs: ms(d), document: docValue(d) };
  }
  return { ...base, documents };
}

/** --all when piped or written to a file: one object, name → document (null when absent). */
export function allObject(r: GetResult): string {
  const o: Record<string, unknown> = {};
  for (const d of r.documents ?? []) o[d.name] = docValue(d);
  return `${JSON.stringify(o, null, 2)}\n`;
}

async function terminalText(ctx: Context, d: FetchedDocument): Promise<string> {
  const body = d.body ?? Buffer.alloc(0);
  if (bodyKind(body, d.contentType, d.name) === 'json') {
    return `${prettyJson(JSON.parse(body.toString('utf8')), await ctx.io.styles('stdout'))}\n`;
  }
  const text = body.toString('utf8');
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}

export async function getView(
  r: GetResult,
  ctx: Context,
  g: GlobalOptions,
  v: GetViewOptions = {},
): Promise<void> {
  const d = r.document;
  if (g.json) {
    await emit(ctx, g, { json: getJson(r), human: () => '' });
    return;
  }
  if (g.quiet || v.output !== undefined) return;
  const tty = ctx.io.stdoutIsTTY && v.raw !== true;
  if (d) {
    const body = d.body ?? Buffer.alloc(0);
    // asked for raw: byte for byte, on a terminal too (never scrubbed, never escaped)
    if (v.raw === true) {
      ctx.io.raw(body);
      return;
    }
    if (ctx.io.stdoutIsTTY && isBinaryForTerminal(body)) {
      throw operationalError(
        'BINARY_OUTPUT',
        `${d.name} is binary (${describeBinary(body)}): not written to the terminal`,
        {
          hint: 'write it with -o FILE, or pipe it',
        },
      );
    }
    if (d.listing) {
      const names = body
        .toString('utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => ctx.io.external(l));
      if (names.length > 0) ctx.io.out(`${names.join('\n')}\n`);
      return;
    }
    if (!tty) {
      // a pipe gets the document byte for byte
      ctx.io.raw(body);
      return;
    }
    if (body.length === 0) note(ctx, g, `(${d.name} is empty)`);
    else ctx.io.out(await terminalText(ctx, d));
    return;
  }
  if (!tty) {
    ctx.io.out(allObject(r));
    return;
  }
  const s = await ctx.io.styles('stdout');
  const parts: string[] = [];
  for (const doc of r.documents ?? []) {
    const head = `${s.bold(`== ${doc.name}`)} ${s.dim(`(${doc.status}, ${ms(doc)} ms)`)}`;
    if (doc.body === undefined) parts.push(`${head}\n${s.dim('absent')}\n`);
    else if (isBinaryForTerminal(doc.body))
      parts.push(`${head}\n${s.dim(`binary (${describeBinary(doc.body)}): use --json or -o FILE`)}\n`);
    else if (doc.body.length === 0) parts.push(`${head}\n${s.dim('empty')}\n`);
    else parts.push(`${head}\n${await terminalText(ctx, doc)}`);
  }
  ctx.io.out(parts.join('\n'));
  return;
}
