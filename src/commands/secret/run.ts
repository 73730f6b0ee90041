import type { Context } from '../../context.js';
import { usageError } from '../../errors.js';
import { promptSecret, readAllStdin, stripOneNewline } from '../../secrets.js';

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
        // Ctrl-C at the prompt: exit 130, nothing stored
        value = await promptSecret(ctx, `shared secret for keychain entry '${opts.name}' (not echoed): `);
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
