// What never reaches output, --json, --debug or an error: the values of these headers.

/** Header names whose values never reach a log line (lower case). */
export const SECRET_HEADERS = new Set([
  'x-auth-token',
  'x-subject-token',
  'x-instance-id-signature',
  'x-metadata-provider-signature',
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
]);

export const REDACTED = '<redacted>';
