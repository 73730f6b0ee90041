import { defineCommand } from '../definition.js';
import { STEP_NAMES } from './types.js';

export const GUEST = defineCommand({
  name: 'guest',
  description:
    "inside a guest: walk the guest's half of the metadata path (route, ARP, TCP, HTTP, identity) and name the first broken step (no credentials, no root)",
  args: [],
  options: [],
  help: `
Steps: ${STEP_NAMES.join(', ')}.
It sends traffic only to 169.254.169.254:80 and [fe80::a9fe:a9fe]:80. --timeout bounds each step.
Exit codes: 0 healthy, 3 a step failed (cause: and fix: name it), 1 guest could not run.

Examples:
  osmeta guest
  osmeta guest --json --timeout 5`,
});
