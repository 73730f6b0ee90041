import type { Command } from 'commander';
import type { Context } from '../context.js';
import { ExitCode, usageError } from '../errors.js';
import { emit, type GlobalOptions, shellQuote, warn } from '../output.js';
import { resolveSecret, type SecretOptions, type SecretSource } from '../secrets.js';
import { isUuid, signaturesEqual, signInstanceId } from '../signature.js';
import { globalsOf, SECRET_OPTIONS, setExitCode } from './shared.js';
import { addOptions, type CommandSpec } from './spec.js';

export interface SignOptions extends SecretOptions {
  instanceId: string;
  verify?: string;
  curl?: boolean;
  projectId?: string;
  forwardedFor?: string;
  metadataUrl: string;
  path: string;
}

export interface SignResult {
  instanceId: string;
  signature: string;
  secretSource: SecretSource;
  /** with --verify */
  match?: boolean;
  /** with --curl */
  curl?: string;
  warnings: string[];
}

export const DEFAULT_METADATA_URL = 'http://127.0.0.1:8775';
export const DEFAULT_DOCUMENT_PATH = 'openstack/latest/meta_data.json';

export async function runSign(opts: SignOptions, ctx: Context): Promise<SignResult> {
  if (!isUuid(opts.instanceId)) {
    throw usageError('INVALID_UUID', `'${opts.instanceId}' is not an instance UUID`, {
      hint: 'nova instance IDs look like cc44da1b-aa6c-4ab2-926d-31aa6e134fb0',
    });
  }
  if (opts.curl && opts.projectId === undefined) {
    throw usageError(
      'MISSING_PROJECT_ID',
      '--curl needs --project-id: nova answers 400 without X-Tenant-ID',
      {
        hint: "the project ID is the server's tenant_id (openstack server show <id> -c project_id)",
      },
    );
  }
  const secret = await resolveSecret(opts, ctx);
  const warnings = [...secret.warnings];
  if (opts.instanceId !== opts.instanceId.toLowerCase()) {
    warnings.push(
      `'${opts.instanceId}' is not all lower case: signed as given, but the agent always sends nova's lower-case form`,
    );
  }
  const signature = signInstanceId(secret.value, opts.instanceId);
  const result: SignResult = {
    instanceId: opts.instanceId,
    signature,
    secretSource: secret.source,
    warnings,
  };
  if (opts.verify !== undefined) result.match = signaturesEqual(signature, opts.verify);
  if (opts.curl) result.curl = curlCommand(opts, signature);
  return result;
}

export function curlCommand(opts: SignOptions, signature: string): string {
  const base = opts.metadataUrl.replace(/\/+$/, '');
  const path = opts.path.replace(/^\/+/, '');
  const headers = [
    `X-Instance-ID: ${opts.instanceId}`,
    `X-Tenant-ID: ${opts.projectId ?? ''}`,
    `X-Instance-ID-Signature: ${signature}`,
    ...(opts.forwardedFor === undefined ? [] : [`X-Forwarded-For: ${opts.forwardedFor}`]),
  ];
  return [
    'curl',
    '-sS',
    ...headers.flatMap((h) => ['-H', shellQuote(h)]),
    shellQuote(`${base}/${path}`),
  ].join(' ');
}

export async function signView(r: SignResult, ctx: Context, g: GlobalOptions): Promise<number> {
  for (const w of r.warnings) await warn(ctx, g, w);
  const json = {
    instanceId: r.instanceId,
    signature: r.signature,
    secretSource: r.secretSource,
    ...(r.match === undefined ? {} : { match: r.match }),
    ...(r.curl === undefined ? {} : { curl: r.curl }),
  };
  if (r.match !== undefined) {
    const s = await ctx.io.styles('stdout');
    await emit(ctx, g, {
      json,
      human: () =>
        r.match
          ? `${s.green('✔ match')}: the signature is nova's for ${r.instanceId} with this secret`
          : `${s.red('✖ mismatch')}: nova would answer 403 for ${r.instanceId} with this signature and secret`,
    });
    return r.match ? ExitCode.OK : ExitCode.CREDENTIALS;
  }
  await emit(ctx, g, { json, human: () => r.curl ?? r.signature });
  return ExitCode.OK;
}

export const SIGN_COMMAND: CommandSpec = {
  name: 'sign',
  args: 1,
  options: [
    {
      flags: '--verify <signature>',
      description: 'compare with this signature instead (exit 0 on match, 4 on mismatch)',
    },
    { flags: '--curl', description: "print a ready-to-run curl command for nova's metadata API" },
    { flags: '--project-id <id>', description: "X-Tenant-ID for --curl: the instance's project ID" },
    { flags: '--forwarded-for <ip>', description: 'X-Forwarded-For for --curl' },
    {
      flags: '--metadata-url <url>',
      description: "nova's metadata API for --curl",
      default: DEFAULT_METADATA_URL,
    },
    { flags: '--path <path>', description: 'document path for --curl', default: DEFAULT_DOCUMENT_PATH },
    ...SECRET_OPTIONS,
  ],
};

/** sign's action, shared by commander and the fast path. */
export async function signAction(
  instanceId: string,
  o: Record<string, unknown>,
  ctx: Context,
  run = runSign,
): Promise<number> {
  const result = await run({ ...(o as Omit<SignOptions, 'instanceId'>), instanceId }, ctx);
  return signView(result, ctx, globalsOf(o));
}

export function registerSign(program: Command, ctx: Context, run = runSign): void {
  const cmd = program
    .command('sign')
    .description('print the X-Instance-ID-Signature nova expects for an instance (HMAC-SHA256 of the ID)')
    .argument('<uuid>', 'the instance ID, exactly as the agent sends it');
  addOptions(cmd, SIGN_COMMAND.options);
  cmd.addHelpText(
    'after',
    `
Examples:
  OSMETA_SHARED_SECRET=… osmeta sign cc44da1b-aa6c-4ab2-926d-31aa6e134fb0
  osmeta sign --secret-from-config /etc/neutron/metadata_agent.ini <uuid>
  osmeta sign --secret-file ~/.osmeta-secret --verify 2b3891… <uuid>
  osmeta sign --curl --project-id 1bdf2554e6544b96a1d84276bf1cdb37 <uuid> | sh`,
  );
  cmd.action(async (instanceId: string, _o: unknown, c: Command) => {
    setExitCode(ctx, await signAction(instanceId, c.optsWithGlobals(), ctx, run));
  });
}
