import type { Command } from 'commander';
import type { Context } from '../context.js';
import { usageError } from '../errors.js';
import { emit, type GlobalOptions, warn } from '../output.js';
import { DEFAULT_KEYCHAIN_ENTRY, readAllStdin, stripOneNewline } from '../secrets.js';
import { globalsOf, setExitCode } from './shared.js';

export type SecretAction = 'set' | 'delete' | 'status';

export interface SecretCommandOptions {
  action: SecretAction;
  name: string;
}

export interface SecretCommandResult {
  action: SecretAction;
  name: string;
  /** status: whether an entry is stored; set: true; delete: whether one was removed */
  stored?: boolean;
  deleted?: boolean;
  warnings: string[];
}

const validName = (n: string) => /^[A-Za-z0-9_.@:-]{1,128}$/.test(n);

export async function runSecret(opts: SecretCommandOptions, ctx: Context): Promise<SecretCommandResult> {
  if (!validName(opts.name)) {
    throw usageError('INVALID_SECRET_NAME', `'${opts.name}' is not a keychain entry name`, {
      hint: 'use letters, digits and . _ - @ : (at most 128)',
    });
  }
  const keychain = ctx.keychain();
  const warnings: string[] = [];
  switch (opts.action) {
    case 'status': {
      const value = await keychain.get(opts.name);
      return { action: 'status', name: opts.name, stored: value !== null, warnings };
    }
    case 'delete': {
      const deleted = await keychain.delete(opts.name);
      return { action: 'delete', name: opts.name, deleted, warnings };
    }
    case 'set': {
      let value: string;
      if (ctx.io.stdinIsTTY) {
        value = await ctx.prompt(`shared secret for keychain entry '${opts.name}' (not echoed): `, {
          silent: true,
        });
      } else {
        value = stripOneNewline(await readAllStdin(ctx));
      }
      if (value === '')
        warnings.push('storing an empty shared secret: nova accepts it, but it protects nothing');
      await keychain.set(opts.name, value);
      return { action: 'set', name: opts.name, stored: true, warnings };
    }
  }
}

export async function secretView(r: SecretCommandResult, ctx: Context, g: GlobalOptions): Promise<number> {
  for (const w of r.warnings) await warn(ctx, g, w);
  const json: Record<string, unknown> = { action: r.action, name: r.name };
  if (r.stored !== undefined) json.stored = r.stored;
  if (r.deleted !== undefined) json.deleted = r.deleted;
  let human: string;
  switch (r.action) {
    case 'set':
      human = `stored the shared secret in keychain entry '${r.name}'`;
      break;
    case 'delete':
      human = r.deleted ? `deleted keychain entry '${r.name}'` : `no keychain entry '${r.name}' to delete`;
      break;
    case 'status':
      human = r.stored ? `keychain entry '${r.name}': stored` : `keychain entry '${r.name}': not stored`;
      break;
  }
  await emit(ctx, g, { json, human: () => human });
  // status answers with the exit code too, for scripts: 0 stored, 1 not stored
  return r.action === 'status' && !r.stored ? 1 : 0;
}

export function registerSecret(program: Command, ctx: Context, run = runSecret): void {
  const secret = program
    .command('secret')
    .description('store the shared secret in the OS keychain (Secret Service), or check or delete it');
  for (const action of ['set', 'delete', 'status'] as const) {
    const descriptions: Record<SecretAction, string> = {
      set: 'store the secret: prompted without echo on a terminal, else read from standard input',
      delete: 'delete the stored secret',
      status: 'say whether a secret is stored (never its value); exit 1 when none is',
    };
    secret
      .command(action)
      .description(descriptions[action])
      .option('--name <name>', 'keychain entry name', DEFAULT_KEYCHAIN_ENTRY)
      .action(async (o: { name: string }, c: Command) => {
        const g = globalsOf(c.optsWithGlobals());
        const result = await run({ action, name: o.name }, ctx);
        setExitCode(ctx, await secretView(result, ctx, g));
      });
  }
  secret.addHelpText(
    'after',
    `
Examples:
  osmeta secret set                       # prompts, no echo
  osmeta secret set --name prod < /root/metadata-secret
  osmeta secret status --name prod
  osmeta sign --secret-name prod <uuid>`,
  );
}
