import { type Command, Option } from 'commander';
import type { Context } from '../context.js';
import { usageError } from '../errors.js';
import type { GlobalOptions } from '../output.js';

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

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/** The shared-secret sources. None takes the secret's value. */
export function addSecretOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--secret-file <path>', 'read the shared secret from a file (mode 0600)'))
    .addOption(new Option('--secret-stdin', 'read the shared secret from standard input'))
    .addOption(
      new Option(
        '--secret-from-config <file>',
        'read metadata_proxy_shared_secret from nova.conf / neutron agent configs (repeatable; the later file wins)',
      ).argParser(collect),
    )
    .addOption(new Option('--secret-name <name>', 'use this entry of the OS keychain'));
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
