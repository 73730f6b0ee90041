import type { Context } from '../context.js';
import { usageError } from '../errors.js';
import { MAX_TIMEOUT_SECONDS, parseByteSize, parseSeconds } from '../limits.js';
import type { OpenStackFlags } from '../openstack/options.js';
import { OS_FLAGS } from '../openstack/options.js';
import type { GlobalOptions } from '../output.js';
import { flag, list, type OptionSpec, type OptionsOf, text, value } from './definition.js';

export function parsePositiveSeconds(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0 || v.trim() === '') {
      throw usageError('INVALID_OPTION', `${name} takes a positive number of seconds, not '${v}'`);
    }
    return n;
  };
}

export function parsePositiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) {
      throw usageError('INVALID_OPTION', `${name} takes a positive whole number, not '${v}'`);
    }
    return n;
  };
}

/** The root options (see src/program.ts); declared as data so the fast path reads them too. */
export const GLOBAL_OPTIONS = [
  flag('--json', 'one JSON document on stdout (also on failure)'),
  flag('-q, --quiet', 'print nothing but errors'),
  flag('--debug', 'log every request and command on stderr (secrets redacted)'),
  flag('--no-color', 'no colour (NO_COLOR is honoured too)'),
  value(
    '--timeout <seconds>',
    `timeout for every network request (at most ${MAX_TIMEOUT_SECONDS})`,
    parseSeconds('--timeout'),
    10,
  ),
  value(
    '--max-response-size <size>',
    'largest HTTP response body read, e.g. 64MiB or 1GB (default 64MiB) [OSMETA_MAX_RESPONSE_SIZE]',
    parseByteSize('--max-response-size'),
  ),
];

const GROUP = 'OpenStack options:';

// The global --os-* options: the non-secret half of openstack(1)'s. No option takes a password,
// an application-credential secret or a token: those come from OS_* variables, secure.yaml,
// clouds.yaml or a prompt. Environment fallbacks are applied by openstack/config.ts from ctx.env,
// not by commander (which would read process.env).
export const OPENSTACK_OPTIONS: readonly OptionSpec[] = [
  text('--os-cloud <name>', 'cloud in clouds.yaml [OS_CLOUD]', { helpGroup: GROUP }),
  ...OS_FLAGS.map((f) =>
    text(`--os-${f.flag} <value>`, `${f.help}${f.env ? ` [${f.env}]` : ''}`, { helpGroup: GROUP }),
  ),
  flag('--os-insecure', "do not verify the APIs' TLS certificates (as openstack --insecure)", {
    helpGroup: GROUP,
  }),
  flag('--no-token-cache', 'neither read nor write the Keystone token cache', { helpGroup: GROUP }),
];

/** Every option the root program takes, in --help's order. */
export const ROOT_OPTIONS: readonly OptionSpec[] = [...GLOBAL_OPTIONS, ...OPENSTACK_OPTIONS];

/** What every action is handed besides its own options: the globals, and the --os-* flags. */
export type GlobalFlags = OptionsOf<typeof GLOBAL_OPTIONS> & OpenStackFlags;

/** The shared-secret sources. None takes the secret's value. */
export const SECRET_OPTIONS = [
  text('--secret-file <path>', 'read the shared secret from a file (mode 0600)'),
  flag('--secret-stdin', 'read the shared secret from standard input'),
  list(
    '--secret-from-config <file>',
    'read metadata_proxy_shared_secret from nova.conf / neutron agent configs (repeatable; the later file wins)',
  ),
  text('--secret-name <name>', 'use this entry of the OS keychain'),
];

/** Picks the secret options out of a command's options. */
export function secretOptionsOf(o: OptionsOf<typeof SECRET_OPTIONS>): OptionsOf<typeof SECRET_OPTIONS> {
  return {
    ...(o.secretFile === undefined ? {} : { secretFile: o.secretFile }),
    ...(o.secretStdin === undefined ? {} : { secretStdin: o.secretStdin }),
    ...(o.secretFromConfig === undefined ? {} : { secretFromConfig: o.secretFromConfig }),
    ...(o.secretName === undefined ? {} : { secretName: o.secretName }),
  };
}

export function globalsOf(o: Partial<GlobalFlags>): GlobalOptions {
  return {
    json: o.json === true,
    quiet: o.quiet === true,
    debug: o.debug === true,
    color: o.color !== false,
    timeout: typeof o.timeout === 'number' ? o.timeout : 10,
  };
}

/** Picks the OpenStack flags out of a command's options. */
export function openStackFlagsOf(o: object): OpenStackFlags {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if ((k.startsWith('os') && /^os[A-Z]/.test(k)) || k === 'tokenCache') out[k] = v;
  }
  return out as OpenStackFlags;
}

const isTruthy = (v: string | undefined) =>
  v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';

export function debugRequested(argv: readonly string[], env: Record<string, string | undefined>): boolean {
  return argv.includes('--debug') || isTruthy(env.OSMETA_DEBUG);
}

/** What the global options change in the Context, before any command runs. */
export function applyGlobalOptions(o: Record<string, unknown>, ctx: Context): void {
  if (o.color === false) ctx.io.disableColor();
  if (o.debug === true || isTruthy(ctx.env.OSMETA_DEBUG)) {
    ctx.debug = (line: string) => ctx.io.err(`debug: ${line}\n`);
  }
}
