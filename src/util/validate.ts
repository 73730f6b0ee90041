import { isIP } from 'node:net';
import { configError, type ErrorDetails, usageError } from '../errors.js';
import { redactUserInfo } from './scrub.js';
import { escapeTerminal } from './terminal.js';

// The one validation for every value that becomes a header, a URL or a path on the wire.
// Each rule is a predicate-like checker returning a reason (undefined = fine); two faces use it:
//   parseX(flag)                   an option parser (src/commands/spec.ts OptionSpec.parse):
//                                  a usage error (exit 2) naming the option
//   checkConfigX(value, file, key) a configuration error naming the file and the key, never the value

/** Longest value shown back in an error message. */
const SHOWN_MAX = 80;
/** Longest header value osmeta sends (nova's IDs are 36, an IPv6 address 45). */
export const HEADER_VALUE_MAX = 1024;
/** Longest metadata path or URL osmeta sends. */
export const PATH_MAX = 2048;

/** A value quoted back to the user: URL user info redacted, control characters visible, cut to SHOWN_MAX. */
export function shown(value: string): string {
  // redacted before the cut: a cut inside the user info would leave no @ to find
  const v = redactUserInfo(value);
  const cut = v.length > SHOWN_MAX ? `${v.slice(0, SHOWN_MAX)}…` : v;
  const visible = escapeTerminal(cut);
  // control characters take up to 8 columns each once visible
  return `'${visible.length > 2 * SHOWN_MAX ? `${visible.slice(0, 2 * SHOWN_MAX)}…` : visible}'`;
}

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const HEX32_RE = /^[0-9a-fA-F]{32}$/;
// RFC 9110 field-value, restricted to what osmeta sends: visible ASCII and space, no control character
const HEADER_VALUE_RE = /^[\u0020-\u007e]*$/;

// ---- the rules: each returns why the value is refused, or undefined --------------------------

/** A dashed UUID, as nova (instances) and neutron (networks, routers, ports) make them. */
export function uuidProblem(value: string): string | undefined {
  return UUID_RE.test(value) ? undefined : 'is not a UUID';
}

/** A Keystone project ID: 32 hex digits (uuid4().hex), or a dashed UUID. */
export function projectIdProblem(value: string): string | undefined {
  return HEX32_RE.test(value) || UUID_RE.test(value) ? undefined : 'is not a project ID (32 hex digits)';
}

/** A value that can be sent as an HTTP header: no control character (no CR, LF, NUL, tab). */
export function headerValueProblem(value: string): string | undefined {
  if (value.length > HEADER_VALUE_MAX) return `is longer than ${HEADER_VALUE_MAX} characters`;
  if (!HEADER_VALUE_RE.test(value)) {
    return /[\u0000-\u001f\u007f-\u009f]/.test(value)
      ? 'contains a control character (it would inject a header)'
      : 'contains a character that is not ASCII';
  }
  return undefined;
}

/** An IPv4 or IPv6 address (no zone, no port, no brackets). */
export function ipAddressProblem(value: string): string | undefined {
  return isIP(value) === 0 ? 'is not an IP address' : undefined;
}

export interface UrlRules {
  /** osmeta appends paths to it: no query and no fragment */
  base?: boolean;
}

/** An http(s) URL with a host, no user info (and no query or fragment for a base URL). */
export function urlProblem(value: string, rules: UrlRules = {}): string | undefined {
  if (value.length > PATH_MAX) return `is longer than ${PATH_MAX} characters`;
  if (/[\u0000-\u0020\u007f-\u009f]/.test(value)) return 'contains a space or a control character';
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return /^[a-z][a-z0-9+.-]*:\/\//i.test(value)
      ? 'is not a valid URL (check the host and the port)'
      : 'is not a URL (it needs http:// or https://)';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'is not an http or https URL';
  if (u.hostname === '') return 'has no host';
  if (u.username !== '' || u.password !== '' || /^[a-z]+:\/\/[^/?#]*@/i.test(value)) {
    return 'has user info (user:password@): give credentials another way';
  }
  if (rules.base) {
    if (u.search !== '' || value.includes('?')) return 'has a query (?…): osmeta appends paths to it';
    if (u.hash !== '' || value.includes('#')) return 'has a fragment (#…): osmeta appends paths to it';
  }
  return undefined;
}

export interface DocumentRules {
  /** a path starting with / is sent as is (get's "/openstack/latest/…") */
  absolute?: boolean;
}

/**
 * A metadata document path: relative segments of visible ASCII, no "." or ".." (plain or
 * percent-encoded), no empty segment but a final slash (a listing), no backslash, query or fragment.
 */
export function documentProblem(value: string, rules: DocumentRules = {}): string | undefined {
  if (value === '') return 'is empty';
  if (value.length > PATH_MAX) return `is longer than ${PATH_MAX} characters`;
  if (!/^[\u0021-\u007e]*$/.test(value)) return 'contains a space, a control character or non-ASCII';
  if (/[\\?#]/.test(value)) return 'contains \\, ? or #';
  if (/%(2e|2f|5c|00)/i.test(value)) return 'contains an encoded dot, slash or NUL';
  let rest = value;
  if (rest.startsWith('/')) {
    if (!rules.absolute) return 'is not a relative path';
    rest = rest.slice(1);
  }
  if (rest.endsWith('/')) rest = rest.slice(0, -1);
  if (rest === '') return rules.absolute && value === '/' ? undefined : 'is not a path';
  for (const seg of rest.split('/')) {
    if (seg === '') return 'has an empty segment (//)';
    if (seg === '.' || seg === '..') return 'has a . or .. segment';
  }
  return undefined;
}

// ---- option parsers (OptionSpec.parse): usage errors, exit 2 ---------------------------------

function optionParser<T = string>(
  flag: string,
  problem: (value: string) => string | undefined,
  convert: (value: string) => T = (v) => v as unknown as T,
  details?: ErrorDetails,
) {
  return (value: string): T => {
    const why = problem(value);
    if (why !== undefined) throw usageError('INVALID_OPTION', `${flag} ${shown(value)} ${why}`, details);
    return convert(value);
  };
}

/** --instance-id, a server argument that must be an ID: a dashed UUID. */
export const parseUuid = (flag: string) => optionParser(flag, uuidProblem);
export const parseInstanceId = (flag = 'the instance ID') => optionParser(flag, uuidProblem);
export const parseNetworkId = (flag = '--network-id') => optionParser(flag, uuidProblem);
export const parseRouterId = (flag = '--router-id') => optionParser(flag, uuidProblem);
export const parseProjectId = (flag = '--project-id') => optionParser(flag, projectIdProblem);
/** Any value sent as a header (no control characters). */
export const parseHeaderValue = (flag: string) => optionParser(flag, headerValueProblem);
/** --forwarded-for: an IP address (it becomes X-Forwarded-For). */
export const parseIpAddress = (flag = '--forwarded-for') => optionParser(flag, ipAddressProblem);
/** --metadata-url and other base URLs: http(s), no user info, no query or fragment. */
export const parseBaseUrl = (flag: string) => optionParser(flag, (v) => urlProblem(v, { base: true }));
/** A document or --path: a safe relative path (absolute = a leading / is allowed). */
export const parseDocumentPath = (flag: string, rules: DocumentRules = {}) =>
  optionParser(flag, (v) => documentProblem(v, rules));

/** Checks a value that is not an option (a positional argument): the same usage error. */
export function requireValid(
  label: string,
  value: string,
  problem: (value: string) => string | undefined,
): string {
  return optionParser(label, problem)(value);
}

// ---- configuration values: errors name the file and the key, never the value -----------------

function configCheck(problem: (value: string) => string | undefined) {
  return (value: string, file: string, key: string): string => {
    const why = problem(value);
    if (why !== undefined) throw configError(file, key, why);
    return value;
  };
}

/** auth_url, metadata_url, endpoint overrides from clouds.yaml or a service config. */
export const checkConfigUrl = configCheck((v) => urlProblem(v));
export const checkConfigBaseUrl = configCheck((v) => urlProblem(v, { base: true }));
export const checkConfigUuid = configCheck(uuidProblem);
export const checkConfigHeaderValue = configCheck(headerValueProblem);

/** Text of a config file: refuses bytes that are not UTF-8 (PyYAML and oslo.config refuse them). */
export function checkConfigUtf8(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw configError(file, '(file)', 'is not UTF-8 text');
  }
}
