import type { Command } from 'commander';
import type { Context } from '../context.js';
import { ExitCode, operationalError } from '../errors.js';
import { fsReason } from '../host/oslo-config.js';
import {
  bodyKind,
  describeBinary,
  documentValue,
  isBinaryForTerminal,
  prettyJson,
} from '../openstack/document.js';
import type { FetchedDocument, GetOptions, GetResult } from '../openstack/get-metadata.js';
import { openStackFlagsOf } from '../openstack/options.js';
import { emit, type GlobalOptions, note, warn } from '../output.js';
import { globalsOf, SECRET_OPTIONS, setExitCode } from './shared.js';
import { addOptions, type CommandSpec } from './spec.js';

export type { GetOptions, GetResult };

export interface GetViewOptions {
  raw?: boolean;
  output?: string;
}

/** Network code is loaded here, not at start-up (sign must not pay for undici). */
export async function runGet(opts: GetOptions, ctx: Context): Promise<GetResult> {
  const { getMetadata } = await import('../openstack/get-metadata.js');
  return getMetadata(opts, ctx);
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
function allObject(r: GetResult): string {
  const o: Record<string, unknown> = {};
  for (const d of r.documents ?? []) o[d.name] = docValue(d);
  return `${JSON.stringify(o, null, 2)}\n`;
}

async function writeOutput(ctx: Context, path: string, data: Buffer | string): Promise<void> {
  try {
    // metadata holds user data and passwords: not for other users' eyes
    await ctx.fs.writeFile(path, data, { mode: 0o600 });
  } catch (err) {
    throw operationalError('OUTPUT_UNWRITABLE', `cannot write ${path}: ${fsReason(err)}`);
  }
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
): Promise<number> {
  for (const w of r.warnings) await warn(ctx, g, w);
  const d = r.document;
  if (v.output !== undefined) {
    const data = d ? (d.body ?? Buffer.alloc(0)) : allObject(r);
    await writeOutput(ctx, v.output, data);
    note(ctx, g, `wrote ${Buffer.byteLength(data)} bytes${d ? ` of ${d.name}` : ''} to ${v.output}`);
  }
  if (g.json) {
    await emit(ctx, g, { json: getJson(r), human: () => '' });
    return ExitCode.OK;
  }
  if (g.quiet || v.output !== undefined) return ExitCode.OK;
  const tty = ctx.io.stdoutIsTTY && v.raw !== true;
  if (d) {
    const body = d.body ?? Buffer.alloc(0);
    if (ctx.io.stdoutIsTTY && isBinaryForTerminal(body)) {
      throw operationalError(
        'BINARY_OUTPUT',
        `${d.name} is binary (${describeBinary(body)}): not written to the terminal`,
        {
          hint: 'write it with -o FILE, or pipe it',
        },
      );
    }
    if (d.listing && v.raw !== true) {
      const names = body
        .toString('utf8')
        .split('\n')
        .filter((l) => l.trim() !== '');
      if (names.length > 0) ctx.io.out(`${names.join('\n')}\n`);
      return ExitCode.OK;
    }
    if (!tty) {
      ctx.io.stdout.write(body);
      return ExitCode.OK;
    }
    if (body.length === 0) note(ctx, g, `(${d.name} is empty)`);
    else ctx.io.out(await terminalText(ctx, d));
    return ExitCode.OK;
  }
  if (!tty) {
    ctx.io.out(allObject(r));
    return ExitCode.OK;
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
  return ExitCode.OK;
}

export const GET_COMMAND: CommandSpec = {
  name: 'get',
  args: 1,
  optionalArgs: 1,
  options: [
    { flags: '--all', description: 'every document of the version, fetched at once' },
    { flags: '--ec2', description: 'the document is a path in the EC2 tree (default: meta-data/)' },
    {
      flags: '--metadata-version <version>',
      description: 'metadata version (not --version)',
      default: 'latest',
    },
    {
      flags: '--project-id <id>',
      description: "the server's project ID: skips Keystone and nova (the server must be a UUID)",
    },
    { flags: '--all-projects', description: 'find the server by name in every project (admin)' },
    {
      flags: '--forwarded-for <ip>',
      description: "X-Forwarded-For (default: the server's first fixed IPv4)",
    },
    {
      flags: '--metadata-url <url>',
      description:
        "nova's metadata API [OSMETA_METADATA_URL] (default: the compute endpoint's host, port 8775)",
    },
    {
      flags: '--metadata-cacert <file>',
      description: "CA bundle for an https metadata API (default: the cloud's)",
    },
    { flags: '--metadata-cert <file>', description: 'client certificate for the metadata API (PEM)' },
    { flags: '--metadata-key <file>', description: 'client certificate key for the metadata API (PEM)' },
    { flags: '--metadata-insecure', description: "do not verify the metadata API's certificate" },
    {
      flags: '--via-socket <path>',
      description: "ask through the neutron metadata agent's UNIX socket, as the guest (root)",
    },
    {
      flags: '--network-id <id>',
      description: 'X-Neutron-Network-ID for --via-socket (default: the port of the address)',
    },
    { flags: '--router-id <id>', description: 'X-Neutron-Router-ID for --via-socket, instead of a network' },
    { flags: '--raw', description: 'the body exactly as sent, also on a terminal' },
    { flags: '-o, --output <file>', description: 'write the body to a file (mode 0600)' },
    ...SECRET_OPTIONS,
  ],
};

/** get's action, shared by commander and the fast path. */
export async function getAction(
  args: readonly string[],
  o: Record<string, unknown>,
  ctx: Context,
  run = runGet,
): Promise<number> {
  const [server, document] = args;
  const g = globalsOf(o);
  const { raw, output, ...rest } = o as Record<string, unknown> & GetViewOptions;
  const opts = {
    ...(rest as Omit<GetOptions, 'server' | 'document' | 'os' | 'timeout'>),
    server: server ?? '',
    ...(document === undefined ? {} : { document }),
    os: openStackFlagsOf(o),
    timeout: g.timeout,
  } as GetOptions;
  const result = await run(opts, ctx);
  return getView(result, ctx, g, { ...(raw ? { raw } : {}), ...(output === undefined ? {} : { output }) });
}

export function registerGet(program: Command, ctx: Context, run = runGet): void {
  const cmd = program
    .command('get')
    .description(
      "show what nova's metadata API serves a server, asked the way the neutron metadata agent asks",
    )
    .argument('<server>', 'server name or ID')
    .argument(
      '[document]',
      'meta_data.json, network_data.json, vendor_data.json, vendor_data2.json, user_data or password; with --ec2 an EC2 path; a path starting with / is sent as is (default: the document list)',
    );
  addOptions(cmd, GET_COMMAND.options);
  cmd.addHelpText(
    'after',
    `
Examples:
  osmeta get web-1                                  # the documents nova serves web-1
  osmeta get web-1 meta_data.json
  osmeta get web-1 --ec2 meta-data/local-ipv4
  osmeta get web-1 --all --json
  osmeta get --project-id 1bdf2554e6544b96a1d84276bf1cdb37 cc44da1b-aa6c-4ab2-926d-31aa6e134fb0 user_data -o ud
  sudo osmeta get web-1 --via-socket /var/lib/neutron/metadata_proxy`,
  );
  cmd.action(async (server: string, document: string | undefined, _o: unknown, c: Command) => {
    const args = document === undefined ? [server] : [server, document];
    setExitCode(ctx, await getAction(args, c.optsWithGlobals(), ctx, run));
  });
}
