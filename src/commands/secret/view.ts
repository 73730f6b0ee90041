import type { Context } from '../../context.js';
import { emit, type GlobalOptions } from '../../output.js';
import type { SecretCommandResult } from './run.js';

export async function secretView(r: SecretCommandResult, ctx: Context, g: GlobalOptions): Promise<void> {
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
}
