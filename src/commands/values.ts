import { parseByteSize } from '../limits.js';
import { documentProblem, headerValueProblem, requireValid } from '../util/validate.js';

// Option parsers the commands share, built on src/util/validate.ts: every value that becomes a
// header, a URL or a query is checked where the option is declared (exit 2 naming the option).

// Keystone's project IDs are 32 hex digits, but other identity backends (LDAP, federation) make
// other strings: accepted as get always has, never with a control character or a space.
const PROJECT_ID_RE = /^[0-9A-Za-z_-]{1,64}$/;

export function projectIdProblem(value: string): string | undefined {
  return (
    headerValueProblem(value) ??
    (PROJECT_ID_RE.test(value) ? undefined : 'is not a project ID (letters, digits, _ and -, at most 64)')
  );
}

/** --project-id: becomes X-Tenant-ID. */
export const parseProjectId =
  (flag = '--project-id') =>
  (value: string): string =>
    requireValid(flag, value, projectIdProblem);

/** A server or project name or ID: any text a tenant may choose, but no control character. */
export function nameProblem(value: string): string | undefined {
  if (value === '') return 'is empty';
  if (value.length > 255) return 'is longer than 255 characters';
  return /[\u0000-\u001f\u007f-\u009f]/.test(value) ? 'contains a control character' : undefined;
}

export const parseName =
  (flag: string) =>
  (value: string): string =>
    requireValid(flag, value, nameProblem);

/** get's document argument: a metadata path (a leading / is sent as is). */
export const checkDocument = (value: string): string =>
  requireValid('the document', value, (v) => documentProblem(v, { absolute: true }));

export const MAX_RESPONSE_SIZE_ENV = 'OSMETA_MAX_RESPONSE_SIZE';

/** --max-response-size, else OSMETA_MAX_RESPONSE_SIZE; undefined: the command's own default. */
export function maxResponseBytesOf(
  o: { maxResponseSize?: number | undefined },
  env: Record<string, string | undefined>,
): number | undefined {
  if (o.maxResponseSize !== undefined) return o.maxResponseSize;
  const fromEnv = env[MAX_RESPONSE_SIZE_ENV];
  if (fromEnv === undefined || fromEnv === '') return undefined;
  return parseByteSize(MAX_RESPONSE_SIZE_ENV)(fromEnv);
}
