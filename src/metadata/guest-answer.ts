// What an answer means when a guest reads it from 169.254.169.254: who wrote it (haproxy's own
// page, the agent's webob page, nova's document) and which broken hop it names. The guest sees
// only what haproxy and the agent hand on (internals §3.4, §4.5, §7): nova's own 403/404 texts
// are lost, re-rendered by the agent. One thing still tells the agent's lookup apart from nova's:
// nova answers `GET /` with its version list before any check (internals §1.2 step 1), and the
// agent only forwards a request once it has found the guest's port. So `/` → 200 means the agent
// found a port and nova was reached; `/` → 404 means the agent found none.

import { errorExplanation, responseForm } from './error-page.js';
import { NOVA_INTERNAL_ERROR } from './protocol.js';

/** the path nova answers without any lookup or header check (handler.py __call__) */
export const VERSIONS_PATH = '/';

/** who wrote an answer, as far as the guest can tell */
export type GuestAnswerer = 'haproxy' | 'agent' | 'nova' | 'unknown';

/** The named causes of a failed answer, as the guest sees them. The codes are a JSON contract. */
export type GuestAnswerCause =
  | 'HAPROXY_NO_BACKEND'
  | 'HAPROXY_TIMEOUT'
  | 'HAPROXY_BAD_GATEWAY'
  | 'HAPROXY_RATE_LIMITED'
  | 'HAPROXY_OTHER'
  | 'AGENT_NO_PORT'
  | 'NOVA_NOT_FOUND'
  | 'SECRET_MISMATCH'
  | 'NOVA_ERROR'
  | 'AGENT_ERROR'
  | 'BAD_REQUEST'
  | 'CONFLICT'
  | 'UNEXPECTED_ANSWER'
  | 'NOT_JSON';

export interface GuestAnswerMeaning {
  code: GuestAnswerCause;
  answeredBy: GuestAnswerer;
  cause: string;
  fix: string;
}

/** haproxy 2.x's own pages (internals §4.5; 429 from neutron ≥ 23's [metadata_rate_limiting]). */
export const HAPROXY_GUEST_PAGES: Readonly<Record<number, Omit<GuestAnswerMeaning, 'answeredBy'>>> = {
  503: {
    code: 'HAPROXY_NO_BACKEND',
    cause:
      "haproxy answered 503 itself: it could not connect to the metadata agent's UNIX socket (the agent is down, the socket is stale or denied, or the DHCP/L3 agent's metadata_proxy_socket differs from the metadata agent's)",
    fix: 'on the network node, run: sudo osmeta trace --netns <the qdhcp-/qrouter-/ovnmeta- namespace serving this network>',
  },
  504: {
    code: 'HAPROXY_TIMEOUT',
    cause:
      "haproxy answered 504 itself: the metadata agent did not answer within haproxy's 'timeout server' (32 s): neutron-server (RPC) or nova's metadata API hangs",
    fix: 'on the network node: sudo osmeta trace --netns <namespace>; look at neutron-metadata-agent.log for RPC timeouts',
  },
  502: {
    code: 'HAPROXY_BAD_GATEWAY',
    cause: 'haproxy answered 502 itself: the metadata agent broke its answer off (a worker crashed)',
    fix: "look at neutron-metadata-agent.log on the network node (a worker's traceback)",
  },
  429: {
    code: 'HAPROXY_RATE_LIMITED',
    cause:
      "haproxy answered 429 itself: this guest sent more requests than neutron's [metadata_rate_limiting] allows (neutron ≥ 23)",
    fix: 'wait for the window to pass, or raise base_query_rate_limit/burst_query_rate_limit in the metadata agent config',
  },
};

/** The meaning of one non-200 answer (or a 200 that is not what was asked for). */
export function guestAnswerMeaning(
  a: { status: number; headers: Record<string, string>; body: string },
  /** the status `GET /` got: 200 → the agent found a port and nova was reached */
  versionsStatus?: number,
): GuestAnswerMeaning {
  const form = responseForm(a.status, a.headers, a.body);
  if (form === 'haproxy') {
    const page = HAPROXY_GUEST_PAGES[a.status];
    if (page) return { ...page, answeredBy: 'haproxy' };
    return {
      code: 'HAPROXY_OTHER',
      answeredBy: 'haproxy',
      cause: `haproxy answered ${a.status} itself: ${errorExplanation(a.body) ?? 'its own error page'}`,
      fix: 'on the network node, run: sudo osmeta trace --netns <namespace>',
    };
  }
  if (form === 'webob') return webobMeaning(a, versionsStatus);
  return {
    code: 'UNEXPECTED_ANSWER',
    answeredBy: 'unknown',
    cause: `${a.status} in neither haproxy's nor webob's form: something other than neutron's metadata proxy answers 169.254.169.254 (another proxy, a firewall, a service in the guest's own network)`,
    fix: 'find what owns 169.254.169.254 on this network: ip neigh show 169.254.169.254; the MAC should be the DHCP port, the router or the OVN metadata port',
  };
}

function webobMeaning(
  a: { status: number; body: string },
  versionsStatus: number | undefined,
): GuestAnswerMeaning {
  const why = errorExplanation(a.body) ?? '';
  switch (a.status) {
    case 404:
      if (versionsStatus === 200) {
        return {
          code: 'NOVA_NOT_FOUND',
          answeredBy: 'nova',
          cause:
            "404 from nova, relayed by the agent: the agent found this guest's port (nova answered GET /) but nova refused the instance: [neutron] service_metadata_proxy is off in nova.conf, or the port's project differs from the instance's (X-Tenant-ID mismatch), or the instance is unknown to nova",
          fix: "on the controller: check service_metadata_proxy = true in nova.conf's [neutron]; compare the port's project_id with the server's (openstack port show / server show); nova-api-metadata's log names which",
        };
      }
      return {
        code: 'AGENT_NO_PORT',
        answeredBy: 'agent',
        cause:
          "a 404 page from the metadata agent: it found no port (or more than one) with this guest's address on this network, so nova was never asked (GET / got 404 too: nova answers that unconditionally)",
        fix: "check the port: openstack port list --fixed-ip ip-address=<this guest's address> --network <network>; a static address the port does not own, a stale or deleted port, or a port without device_id",
      };
    case 403:
      return {
        code: 'SECRET_MISMATCH',
        answeredBy: 'agent',
        cause:
          "403 relayed by the agent: nova rejected the agent's signature: metadata_proxy_shared_secret (metadata agent) and [neutron] metadata_proxy_shared_secret (nova) differ",
        fix: 'on the network node: osmeta trace --netns <namespace> compares the secrets; make both files hold the same secret and restart the metadata agent',
      };
    case 500:
      if (NOVA_INTERNAL_ERROR.test(why)) {
        return {
          code: 'NOVA_ERROR',
          answeredBy: 'nova',
          cause:
            "500 relayed by the agent: nova's metadata API failed while building the instance's metadata",
          fix: "look at nova-api-metadata's log (e.g. /var/log/nova/nova-api-metadata.log, or nova-api's): 'Failed to get metadata for instance id' and its traceback",
        };
      }
      return {
        code: 'AGENT_ERROR',
        answeredBy: 'agent',
        cause:
          "500 from the metadata agent itself ('An unknown error has occurred'): it could not reach nova's metadata API (down, wrong host/port/protocol, TLS) or nova answered something unexpected",
        fix: "look at neutron-metadata-agent.log on the network node ('Unexpected error.' and its traceback); then: sudo osmeta trace --netns <namespace>",
      };
    case 400:
      return {
        code: 'BAD_REQUEST',
        answeredBy: 'agent',
        cause: `400 from the agent: ${why || 'nova rejected the request the agent made'}`,
        fix: "look at neutron-metadata-agent.log and nova-api-metadata's log on the nodes",
      };
    case 409:
      return {
        code: 'CONFLICT',
        answeredBy: 'agent',
        cause: '409 relayed by the agent: nova answered Conflict',
        fix: "look at nova-api-metadata's log",
      };
    default:
      return {
        code: 'UNEXPECTED_ANSWER',
        answeredBy: 'agent',
        cause: `${a.status} page from the agent or nova: ${why || 'no explanation'}`,
        fix: 'look at neutron-metadata-agent.log on the network node',
      };
  }
}

/** A 200 whose body is not the JSON document asked for (a captive portal, another service). */
export function notJsonMeaning(contentType: string): GuestAnswerMeaning {
  return {
    code: 'NOT_JSON',
    answeredBy: 'unknown',
    cause: `200 but not a JSON document (content-type ${contentType || 'none'}): something other than nova answered`,
    fix: 'find what owns 169.254.169.254 on this network: ip neigh show 169.254.169.254',
  };
}

/** The fields of meta_data.json the guest's identity is checked against (nova base.py). */
export interface InstanceIdentity {
  uuid?: string;
  name?: string;
  hostname?: string;
  projectId?: string;
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** uuid, name, hostname and project_id out of meta_data.json; undefined when it is not that document. */
export function identityOf(body: string): InstanceIdentity | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  const d = doc as Record<string, unknown>;
  const out: InstanceIdentity = {};
  const uuid = str(d.uuid);
  if (uuid !== undefined) out.uuid = uuid;
  const name = str(d.name);
  if (name !== undefined) out.name = name;
  const hostname = str(d.hostname);
  if (hostname !== undefined) out.hostname = hostname;
  const project = str(d.project_id);
  if (project !== undefined) out.projectId = project;
  return out;
}

/** The MAC addresses network_data.json gives the instance's links (lower case). */
export function linkMacsOf(body: string): string[] | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return undefined;
  }
  const links = (doc as { links?: unknown } | null)?.links;
  if (!Array.isArray(links)) return undefined;
  return links
    .map((l) => str((l as { ethernet_mac_address?: unknown } | null)?.ethernet_mac_address))
    .filter((m): m is string => m !== undefined)
    .map((m) => m.toLowerCase());
}
