import { parseSeconds } from '../../limits.js';
import { parseIpAddress } from '../../util/validate.js';
import { arg, defineCommand, flag, list, text, value } from '../definition.js';
import { parsePositiveInt } from '../shared.js';
import { parseName } from '../values.js';
import { PASSIVE_HOPS, PROBE_HOPS } from './types.js';

export const NETNS_HINT = 'qdhcp-<network-id>, qrouter-<router-id> or ovnmeta-<network-id> (ip netns list)';

export const TRACE = defineCommand({
  name: 'trace',
  description:
    "inspect and probe every hop of a guest's metadata path on this network node (read-only, root)",
  args: [],
  options: [
    text('--netns <name>', `the namespace to trace: ${NETNS_HINT}`),
    value(
      '--server <name|id>',
      "trace the namespace serving this server's port (Neutron)",
      parseName('--server'),
    ),
    value(
      '--ip <address>',
      'the guest to impersonate on the socket probe (alone: find its port and namespace)',
      parseIpAddress('--ip'),
    ),
    flag('--all', 'every metadata namespace on this node, one line each, then the failing ones'),
    flag('--probe-all', 'with --all: probe through every namespace, not only those that look broken'),
    text(
      '--prometheus <file>',
      "with --all: also write Prometheus metrics to this file, atomically ('-': stdout instead of the report)",
    ),
    value(
      '--max-namespaces <n>',
      'with --all: trace at most this many namespaces, the first by name (the rest count as skipped)',
      parsePositiveInt('--max-namespaces'),
    ),
    text('--state-path <dir>', "neutron's state_path (pid files, haproxy configs, DHCP host files)"),
    value(
      '--probe-timeout <seconds>',
      'bound for each live probe: a hang is reported as a hang',
      parseSeconds('--probe-timeout'),
      5,
    ),
    list('--nova-config <file>', "nova.conf to compare with (repeatable; default: the running nova's)"),
  ],
  help: `
Hops: ${PASSIVE_HOPS.join(', ')}, then live ${PROBE_HOPS.join(', ')}.
Exit codes: 0 every hop healthy, 3 a hop is broken (cause: and fix: name it), 1 trace could not run.

Examples:
  sudo osmeta trace --netns qdhcp-1548e69f-96a2-41ec-a74d-07234e530287
  sudo osmeta trace --netns qdhcp-<network-id> --ip 10.0.0.12 --json
  sudo osmeta trace --all
  sudo osmeta trace --all --prometheus /var/lib/prometheus/node-exporter/osmeta.prom`,
});

/** internal: one bounded HTTP request, answered as JSON — trace runs it inside a namespace */
export const PROBE_HTTP = defineCommand({
  name: '__probe-http',
  hidden: true,
  args: [arg('<url>')],
  options: [
    // not --timeout: the root program owns that name and would take the value
    value('--wait <seconds>', '', parseSeconds('--wait'), 5),
    list('--header <line>', 'Name: value (repeatable)'),
  ],
});
