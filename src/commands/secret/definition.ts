import { DEFAULT_KEYCHAIN_ENTRY } from '../../secrets.js';
import { type CommandGroup, defineCommand, text } from '../definition.js';

const NAME = [text('--name <name>', 'keychain entry name', { default: DEFAULT_KEYCHAIN_ENTRY })];

export const SECRET_SET = defineCommand({
  name: 'set',
  description: 'store the secret: prompted without echo on a terminal, else read from standard input',
  args: [],
  options: NAME,
});

export const SECRET_DELETE = defineCommand({
  name: 'delete',
  description: 'delete the stored secret',
  args: [],
  options: NAME,
});

export const SECRET_STATUS = defineCommand({
  name: 'status',
  description: 'say whether a secret is stored (never its value); exit 1 when none is',
  args: [],
  options: NAME,
});

export const SECRET: CommandGroup = {
  name: 'secret',
  description: 'store the shared secret in the OS keychain (Secret Service), or check or delete it',
  commands: [SECRET_SET, SECRET_DELETE, SECRET_STATUS],
  help: `
Examples:
  osmeta secret set                       # prompts, no echo
  osmeta secret set --name prod < /root/metadata-secret
  osmeta secret status --name prod
  osmeta sign --secret-name prod <uuid>`,
};
