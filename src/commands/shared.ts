import type { Command } from 'commander';
import type { Context } from '../context.js';
import { usageError } from '../errors.js';
import type { GlobalOptions } from '../output.js';
import { addOptions, type OptionSpec } from './spec.js';

const exitCodes = new WeakMap<Context, number>();

/** A command's exit code, read by main() once commander has run the action. */
export function setExitCode(ctx: Context, code: number): void {
  exitCodes.set(ctx, code);
}

export function takeExitCode(ctx: Context): number {
  const code = exitCodes.get(ctx) ?? 0;
  exitCodes.delete(ctx);
  return code;
}

export function globalsOf(o: Record<string, unknown>): GlobalOptions {
  return {
    json: o.json === true,
    quiet: o.quiet === true,
    debug: o.debug === true,
    color: o.color !== false,
    timeout: typeof o.timeout === 'number' ? o.timeout : 10,
  };
}

/** The shared-secret sources. None takes the secret's value. */
export const SECRET_OPTIONS: readonly OptionSpec[] = [
  { flags: '--secret-file <path>', description: 'read the shared secret from a file (mode 0600)' },
  { flags: '--secret-stdin', description: 'read the shared secret from standard input' },
  {
    flags: '--secret-from-config <file>',
    description:
      'read metadata_proxy_shared_secret from nova.conf / neutron agent configs (repeatable; the later file wins)',
    repeatable: true,
  },
  { flags: '--secret-name <name>', description: 'use this entry of the OS keychain' },
];

export function addSecretOptions(cmd: Command): Command {
  return addOptions(cmd, SECRET_OPTIONS);
}

export function parsePositiveSeconds(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0 || value.trim() === '') {
      throw usageError('INVALID_OPTION', `${flag} takes a positive number of seconds, not '${value}'`);
    }
    return n;
  };
}

export function parsePositiveInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) {
      throw usageError('INVALID_OPTION', `${flag} takes a positive whole number, not '${value}'`);
    }
    return n;
  };
}

/** The root options (see src/cli.ts); declared as data so the fast path reads them too. */
export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  { flags: '--json', description: 'one JSON document on stdout (also on failure)' },
  { flags: '-q, --quiet', description: 'print nothing but errors' },
  { flags: '--debug', description: 'log every request and command on stderr (secrets redacted)' },
  { flags: '--no-color', description: 'no colour (NO_COLOR is honoured too)' },
  {
    flags: '--timeout <seconds>',
    description: 'timeout for every network request',
    default: 10,
    parse: parsePositiveSeconds('--timeout'),
  },
];

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
