import type { Context } from '../../context.js';
import { usageError } from '../../errors.js';
import { shellQuote } from '../../output.js';
import { resolveSecret, type SecretOptions, type SecretSource } from '../../secrets.js';
import { isUuid, signaturesEqual, signInstanceId } from '../../signature.js';
import type { Invocation } from '../definition.js';
import type { SIGN } from './definition.js';

export type SignOptions = SecretOptions & Invocation<typeof SIGN>['opts'] & { instanceId: string };

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
