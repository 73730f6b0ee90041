import type { MetadataResponse } from '../../metadata/api.js';
import type { Server } from '../../openstack/nova.js';

// What `osmeta smoke` asks of each server's metadata, as pure functions of nova's answers, so the
// rules are tested on real documents captured from the lab.

export type CheckName =
  | 'versions'
  | 'meta_data.json'
  | 'network_data.json'
  | 'vendor_data.json'
  | 'vendor_data2.json'
  | 'user_data'
  | 'socket';

export interface CheckOutcome {
  ok: boolean;
  detail: string;
}

type Answer = Pick<MetadataResponse, 'status' | 'body' | 'contentType'>;

const ok = (detail: string): CheckOutcome => ({ ok: true, detail });
const fail = (detail: string): CheckOutcome => ({ ok: false, detail });

/** What a non-200 from nova's metadata API means (internals §1.4–1.5, §7). */
export function statusMeaning(status: number, what: string): string {
  switch (status) {
    case 400:
      return `nova answered 400 for ${what}: a header of the agent's is missing`;
    case 403:
      return `nova rejected the signature (403): the shared secret differs from nova's [neutron] metadata_proxy_shared_secret`;
    case 404:
      return `nova answered 404 for ${what}: the instance is unknown to nova, its project differs from X-Tenant-ID, or nova runs with service_metadata_proxy = false`;
    case 500:
      return `nova failed building ${what} (500): look in nova-api-metadata's log for this instance`;
    default:
      return `nova answered ${status} for ${what}`;
  }
}

function parseJson(a: Answer): { value?: unknown; error?: string } {
  try {
    return { value: JSON.parse(a.body.toString('utf8')) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** GET /openstack: the version list must offer "latest". */
export function checkVersions(a: Answer): CheckOutcome {
  if (a.status !== 200) return fail(statusMeaning(a.status, 'the version list'));
  const versions = a.body.toString('utf8').split('\n').filter(Boolean);
  if (!versions.includes('latest')) return fail(`the version list has no 'latest': ${versions.join(', ')}`);
  return ok(`${versions.length} versions, latest included`);
}

export function checkMetaData(a: Answer, server: Server): CheckOutcome {
  if (a.status !== 200) return fail(statusMeaning(a.status, 'meta_data.json'));
  const { value, error } = parseJson(a);
  if (error !== undefined) return fail(`meta_data.json is not valid JSON: ${error}`);
  if (!value || typeof value !== 'object' || Array.isArray(value))
    return fail('meta_data.json is not a JSON object');
  const m = value as Record<string, unknown>;
  if (m.uuid !== server.id) return fail(`meta_data.json is for instance ${String(m.uuid)}, not ${server.id}`);
  if (m.project_id !== server.projectId) {
    return fail(
      `meta_data.json says project ${String(m.project_id)}, nova's server says ${server.projectId}`,
    );
  }
  if (m.name !== server.name)
    return fail(`meta_data.json names the server '${String(m.name)}', nova '${server.name}'`);
  if (typeof m.hostname !== 'string' || m.hostname === '') return fail('meta_data.json has no hostname');
  return ok(`uuid, project_id, name and hostname (${m.hostname}) as nova has them`);
}

export function checkNetworkData(a: Answer, server: Server): CheckOutcome {
  if (a.status !== 200) return fail(statusMeaning(a.status, 'network_data.json'));
  const { value, error } = parseJson(a);
  if (error !== undefined) return fail(`network_data.json is not valid JSON: ${error}`);
  const links = (value as { links?: unknown } | null)?.links;
  if (!Array.isArray(links) || links.length === 0) {
    return fail(
      "network_data.json has no links: nova's network info cache knows no port of this server (a port in another project than the instance's?)",
    );
  }
  const macs = new Set(server.addresses.map((x) => x.mac?.toLowerCase()).filter((x): x is string => !!x));
  for (const link of links as Array<Record<string, unknown>>) {
    const mac = typeof link.ethernet_mac_address === 'string' ? link.ethernet_mac_address.toLowerCase() : '';
    if (!macs.has(mac)) {
      return fail(
        `network_data.json link ${String(link.id)} has MAC ${mac || '(none)'}, not one of the server's ports (${[...macs].join(', ') || 'none'})`,
      );
    }
  }
  return ok(`${links.length} link${links.length === 1 ? '' : 's'}, MACs match the server's ports`);
}

/** vendor_data*.json: valid JSON when present; absent (404) is fine. */
export function checkVendorData(a: Answer, name: string): CheckOutcome {
  if (a.status === 404) return ok('absent');
  if (a.status !== 200) return fail(statusMeaning(a.status, name));
  const { error } = parseJson(a);
  if (error !== undefined) return fail(`${name} is not valid JSON: ${error}`);
  return ok('valid JSON');
}

export function checkUserData(a: Answer): CheckOutcome {
  if (a.status === 404) return fail('no user_data: nova has none for this server (--expect-user-data)');
  if (a.status !== 200) return fail(statusMeaning(a.status, 'user_data'));
  if (a.body.length === 0) return fail('user_data is empty');
  return ok(`${a.body.length} bytes`);
}

/** meta_data.json asked through the agent's socket as the guest. */
export function checkSocket(a: Answer, server: Server, portNote: string | undefined): CheckOutcome {
  if (a.status !== 200) {
    const why =
      a.status === 404
        ? (portNote ??
          'the agent found no port for this address on the network, or nova refused the port’s project')
        : a.status === 403
          ? "nova rejected the agent's signature: metadata_proxy_shared_secret differs between the agent and nova"
          : a.status === 500
            ? 'the agent failed (nova unreachable, or nova failed): see neutron-metadata-agent’s log'
            : `status ${a.status}`;
    return fail(`the agent answered ${a.status}: ${why}`);
  }
  const { value, error } = parseJson(a);
  if (error !== undefined) return fail(`the agent's meta_data.json is not valid JSON: ${error}`);
  const uuid = (value as { uuid?: unknown } | null)?.uuid;
  if (uuid !== server.id) return fail(`the agent answered for instance ${String(uuid)}, not ${server.id}`);
  return ok('the agent found the port and nova accepted its signature');
}
