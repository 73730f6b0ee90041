import { parseBaseUrl, parseIpAddress, parseNetworkId, parseRouterId } from '../../util/validate.js';
import { arg, defineCommand, flag, text, value } from '../definition.js';
import { SECRET_OPTIONS } from '../shared.js';
import { parseProjectId } from '../values.js';

/** The metadata API's TLS options, shared by get and smoke. */
export const METADATA_TLS_OPTIONS = [
  text('--metadata-cacert <file>', "CA bundle for an https metadata API (default: the cloud's)"),
  text('--metadata-cert <file>', 'client certificate for the metadata API (PEM)'),
  text('--metadata-key <file>', 'client certificate key for the metadata API (PEM)'),
  flag('--metadata-insecure', "do not verify the metadata API's certificate"),
];

export const GET = defineCommand({
  name: 'get',
  description: "show what nova's metadata API serves a server, asked the way the neutron metadata agent asks",
  args: [
    arg('<server>', 'server name or ID'),
    arg(
      '[document]',
      'meta_data.json, network_data.json, vendor_data.json, vendor_data2.json, user_data or password; with --ec2 an EC2 path; a path starting with / is sent as is (default: the document list)',
    ),
  ],
  options: [
    flag('--all', 'every document of the version, fetched at once'),
    flag('--ec2', 'the document is a path in the EC2 tree (default: meta-data/)'),
    text('--metadata-version <version>', 'metadata version (not --version)', { default: 'latest' }),
    value(
      '--project-id <id>',
      "the server's project ID: skips Keystone and nova (the server must be a UUID)",
      parseProjectId(),
    ),
    flag('--all-projects', 'find the server by name in every project (admin)'),
    value(
      '--forwarded-for <ip>',
      "X-Forwarded-For (default: the server's first fixed IPv4)",
      parseIpAddress(),
    ),
    value(
      '--metadata-url <url>',
      "nova's metadata API [OSMETA_METADATA_URL] (default: the compute endpoint's host, port 8775; no user info, query or fragment)",
      parseBaseUrl('--metadata-url'),
    ),
    ...METADATA_TLS_OPTIONS,
    text('--via-socket <path>', "ask through the neutron metadata agent's UNIX socket, as the guest (root)"),
    value(
      '--network-id <id>',
      'X-Neutron-Network-ID for --via-socket (default: the port of the address)',
      parseNetworkId(),
    ),
    value('--router-id <id>', 'X-Neutron-Router-ID for --via-socket, instead of a network', parseRouterId()),
    value(
      '--ovn-network-id <id>',
      "X-OVN-Network-ID for --via-socket: the ML2/OVN agent's socket (default: Neutron tells, by the network's OVN metadata port)",
      parseNetworkId('--ovn-network-id'),
    ),
    flag('--raw', 'the body exactly as sent, also on a terminal'),
    text(
      '-o, --output <file>',
      'write the body to a file: streamed, mode 0600, replaced atomically, never through a symbolic link',
    ),
    ...SECRET_OPTIONS,
  ],
  help: `
Examples:
  osmeta get web-1                                  # the documents nova serves web-1
  osmeta get web-1 meta_data.json
  osmeta get web-1 --ec2 meta-data/local-ipv4
  osmeta get web-1 --all --json
  osmeta get --project-id 1bdf2554e6544b96a1d84276bf1cdb37 cc44da1b-aa6c-4ab2-926d-31aa6e134fb0 user_data -o ud
  sudo osmeta get web-1 --via-socket /var/lib/neutron/metadata_proxy
  sudo osmeta get <id> --via-socket /var/lib/neutron/metadata_proxy --forwarded-for 10.0.0.5 --ovn-network-id <net>`,
});
