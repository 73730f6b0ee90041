// The metadata protocol, once: the headers nova's metadata API (nova api/metadata/handler.py), the
// neutron metadata agent (neutron agent/metadata/agent.py) and haproxy exchange, how a request is
// signed, and the bodies whose words carry meaning. get, smoke and trace's probes all use it.

export const HEADER_INSTANCE_ID = 'X-Instance-ID';
export const HEADER_TENANT_ID = 'X-Tenant-ID';
export const HEADER_INSTANCE_ID_SIGNATURE = 'X-Instance-ID-Signature';
export const HEADER_FORWARDED_FOR = 'X-Forwarded-For';
export const HEADER_NEUTRON_NETWORK_ID = 'X-Neutron-Network-ID';
export const HEADER_NEUTRON_ROUTER_ID = 'X-Neutron-Router-ID';

export const METADATA_PORT = 8775;
/** what haproxy's Host header says on the guest's side */
export const METADATA_HOST = '169.254.169.254';

/** nova's OpenStack documents (base.py _handle_version), in listing order. */
export const OPENSTACK_DOCUMENTS = [
  'meta_data.json',
  'user_data',
  'password',
  'vendor_data.json',
  'network_data.json',
  'vendor_data2.json',
] as const;
/** nova's EC2 meta-data/ keys (base.py get_ec2_metadata), as nova lists them; a trailing / is a tree */
export const EC2_META_DATA = [
  'ami-id',
  'ami-launch-index',
  'ami-manifest-path',
  'block-device-mapping/',
  'hostname',
  'instance-action',
  'instance-id',
  'instance-type',
  'local-hostname',
  'local-ipv4',
  'placement/',
  'placement/availability-zone',
  'public-hostname',
  'public-ipv4',
  'public-keys/',
  'reservation-id',
  'security-groups',
] as const;
/** neutron's haproxy adds this one in OVN's metadata namespaces (ovn_metadata_agent) */
export const HEADER_OVN_NETWORK_ID = 'X-OVN-Network-ID';

/** what trace's probes ask for: a document every instance has */
export const PROBE_DOCUMENT = '/openstack/latest/meta_data.json';

export interface SignedRequest {
  instanceId: string;
  projectId: string;
  /** HMAC-SHA256 of the instance ID with the shared secret (src/signature.ts) */
  signature: string;
  forwardedFor?: string;
}

/**
 * The headers of a request to nova's metadata API as the agent sends it. Accept: application/json
 * makes webob's error pages JSON (internals §1.6); documents are unaffected.
 */
export function signedHeaders(r: SignedRequest): Record<string, string> {
  return {
    [HEADER_INSTANCE_ID]: r.instanceId,
    [HEADER_TENANT_ID]: r.projectId,
    [HEADER_INSTANCE_ID_SIGNATURE]: r.signature,
    ...(r.forwardedFor === undefined ? {} : { [HEADER_FORWARDED_FOR]: r.forwardedFor }),
    Accept: 'application/json',
  };
}

/** nova's 500 text when its own lookup fails; the agent relays it (handler.py _handle_instance_id_request) */
export const NOVA_INTERNAL_ERROR = /Remote metadata server experienced an internal server error/;
