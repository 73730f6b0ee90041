import { usageError } from '../../errors.js';
import { parseBaseUrl } from '../../util/validate.js';
import { arg, defineCommand, flag, text, value } from '../definition.js';
import { METADATA_TLS_OPTIONS } from '../get/definition.js';
import { parsePositiveInt, SECRET_OPTIONS } from '../shared.js';
import { parseName } from '../values.js';
import { parseShard } from './shard.js';

function parseRetries(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 10)
    throw usageError('INVALID_OPTION', `--retries takes 0 to 10, not '${v}'`);
  return n;
}

export const SMOKE = defineCommand({
  name: 'smoke',
  description: "check that every server's metadata is right: nova's documents validated, JSON/JUnit reports",
  args: [
    arg(
      '[servers...]',
      'server names or IDs (default: every server of the project, or see --project / --all-projects)',
    ),
  ],
  options: [
    value('--project <project>', 'every server of this project (name or ID)', parseName('--project')),
    flag('--all-projects', 'every server of every project (admin)'),
    value('--limit <n>', 'at most this many servers', parsePositiveInt('--limit')),
    value('--concurrency <n>', 'servers checked at once', parsePositiveInt('--concurrency'), 16),
    value('--retries <n>', 'retries of a 5xx answer, with backoff', parseRetries, 2),
    flag('--expect-user-data', 'fail servers without user_data'),
    text(
      '--via-socket <path>',
      "also ask through the neutron metadata agent's UNIX socket, as each guest (root)",
    ),
    flag('--fail-fast', 'stop starting servers after the first failure'),
    text(
      '--junit <file>',
      'write a JUnit XML report (one testcase per server and check; mode 0600, replaced atomically)',
    ),
    text(
      '--prometheus <file>',
      "also write Prometheus metrics to this file, atomically ('-': stdout instead of the report)",
    ),
    value(
      '--shard <k/n>',
      'check only shard K of N: the servers whose ID hashes to it (one runner of N in CI)',
      parseShard,
    ),
    value(
      '--metadata-url <url>',
      "nova's metadata API (default: OSMETA_METADATA_URL, clouds.yaml metadata_url, the compute host:8775)",
      parseBaseUrl('--metadata-url'),
    ),
    ...METADATA_TLS_OPTIONS,
    ...SECRET_OPTIONS,
  ],
  help: `
Checks per server: the version list has latest; meta_data.json is 200 JSON with the server's uuid,
project_id, name and a hostname; network_data.json's links carry the server's port MACs;
vendor_data*.json are JSON when present; user_data with --expect-user-data; with --via-socket,
meta_data.json through the agent as the guest.

Exit codes: 0 all passed, 3 a server failed a check (a rejected signature included),
4 Keystone rejected the credentials, 1 it could not run.

Examples:
  osmeta smoke --all-projects --junit smoke.xml
  osmeta smoke --project demo --expect-user-data --json
  sudo osmeta smoke --all-projects --via-socket /var/lib/neutron/metadata_proxy
  osmeta smoke --all-projects --shard 2/4 --junit smoke-2.xml --json > smoke-2.json`,
});
