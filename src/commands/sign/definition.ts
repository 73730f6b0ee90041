import { parseBaseUrl, parseDocumentPath, parseIpAddress } from '../../util/validate.js';
import { arg, defineCommand, flag, text, value } from '../definition.js';
import { SECRET_OPTIONS } from '../shared.js';
import { parseProjectId } from '../values.js';

export const DEFAULT_METADATA_URL = 'http://127.0.0.1:8775';
export const DEFAULT_DOCUMENT_PATH = 'openstack/latest/meta_data.json';

export const SIGN = defineCommand({
  name: 'sign',
  description: 'print the X-Instance-ID-Signature nova expects for an instance (HMAC-SHA256 of the ID)',
  args: [arg('<uuid>', 'the instance ID, exactly as the agent sends it')],
  options: [
    text('--verify <signature>', 'compare with this signature instead (exit 0 on match, 4 on mismatch)'),
    flag('--curl', "print a ready-to-run curl command for nova's metadata API"),
    value('--project-id <id>', "X-Tenant-ID for --curl: the instance's project ID", parseProjectId()),
    value('--forwarded-for <ip>', 'X-Forwarded-For for --curl (an IP address)', parseIpAddress()),
    value(
      '--metadata-url <url>',
      "nova's metadata API for --curl (http or https, no user info, query or fragment)",
      parseBaseUrl('--metadata-url'),
      DEFAULT_METADATA_URL,
    ),
    value(
      '--path <path>',
      'document path for --curl',
      parseDocumentPath('--path', { absolute: true }),
      DEFAULT_DOCUMENT_PATH,
    ),
    ...SECRET_OPTIONS,
  ],
  help: `
Examples:
  OSMETA_SHARED_SECRET=… osmeta sign cc44da1b-aa6c-4ab2-926d-31aa6e134fb0
  osmeta sign --secret-from-config /etc/neutron/metadata_agent.ini <uuid>
  osmeta sign --secret-file ~/.osmeta-secret --verify 2b3891… <uuid>
  osmeta sign --curl --project-id 1bdf2554e6544b96a1d84276bf1cdb37 <uuid> | sh`,
});
