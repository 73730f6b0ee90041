import { ExitCode, OsmetaError, operationalError, usageError } from '../errors.js';
import type { HttpClient, HttpResponse, TlsOptions } from '../openstack/http.js';
import { TransportError } from '../openstack/http.js';
import { errorPageMessage as errorMessage } from './error-page.js';
import {
  HEADER_FORWARDED_FOR,
  HEADER_INSTANCE_ID,
  HEADER_INSTANCE_ID_SIGNATURE,
  HEADER_NEUTRON_NETWORK_ID,
  HEADER_NEUTRON_ROUTER_ID,
  HEADER_OVN_NETWORK_ID,
  HEADER_TENANT_ID,
  METADATA_HOST,
  NOVA_INTERNAL_ERROR,
  signedHeaders,
} from './protocol.js';

export { METADATA_PORT, OPENSTACK_DOCUMENTS } from './protocol.js';
export {
  errorMessage,
  HEADER_FORWARDED_FOR,
  HEADER_INSTANCE_ID,
  HEADER_INSTANCE_ID_SIGNATURE,
  HEADER_NEUTRON_NETWORK_ID,
  HEADER_NEUTRON_ROUTER_ID,
  HEADER_TENANT_ID,
  METADATA_HOST,
};

// Requests to nova's metadata API as the neutron metadata agent makes them (nova
// api/metadata/handler.py), or to the agent's UNIX socket as haproxy makes them
// (neutron agent/metadata/agent.py), and what their failures mean (internals §1.5, §3.4, §7).

export interface NovaTarget {
  via: 'nova';
  baseUrl: string;
  tls: TlsOptions;
  instanceId: string;
  projectId: string;
  signature: string;
  forwardedFor?: string;
}

export interface SocketTarget {
  via: 'socket';
  socketPath: string;
  forwardedFor: string;
  networkId?: string;
  routerId?: string;
  /** ML2/OVN: the agent finds the port by X-OVN-Network-ID (neutron agent/ovn/metadata/server.py) */
  ovnNetworkId?: string;
  /** for diagnosis only (never sent): the port's and the server's projects, when looked up */
  portProjectId?: string;
  serverProjectId?: string;
}

export type MetadataTarget = NovaTarget | SocketTarget;

export interface MetadataResponse {
  path: string;
  url: string;
  status: number;
  contentType: string;
  body: Buffer;
  durationMs: number;
  requestId?: string;
}

export function headersFor(t: MetadataTarget): Record<string, string> {
  if (t.via === 'nova') {
    return signedHeaders({
      instanceId: t.instanceId,
      projectId: t.projectId,
      signature: t.signature,
      ...(t.forwardedFor === undefined ? {} : { forwardedFor: t.forwardedFor }),
    });
  }
  return {
    Host: METADATA_HOST,
    [HEADER_FORWARDED_FOR]: t.forwardedFor,
    ...(t.ovnNetworkId !== undefined
      ? { [HEADER_OVN_NETWORK_ID]: t.ovnNetworkId }
      : t.routerId !== undefined
        ? { [HEADER_NEUTRON_ROUTER_ID]: t.routerId }
        : { [HEADER_NEUTRON_NETWORK_ID]: t.networkId ?? '' }),
    Accept: 'application/json',
  };
}

export function urlFor(t: MetadataTarget, path: string): string {
  if (t.via === 'nova') return `${t.baseUrl.replace(/\/+$/, '')}${path}`;
  return `http://${METADATA_HOST}${path}`;
}

export function describeTarget(t: MetadataTarget): string {
  return t.via === 'nova' ? "nova's metadata API" : 'the neutron metadata agent';
}

export async function fetchMetadata(
  http: HttpClient,
  t: MetadataTarget,
  path: string,
): Promise<MetadataResponse> {
  const url = urlFor(t, path);
  let res: HttpResponse;
  try {
    res = await http.request({
      url,
      headers: headersFor(t),
      service: describeTarget(t),
      ...(t.via === 'nova' ? { tls: t.tls } : { socketPath: t.socketPath }),
    });
  } catch (err) {
    throw err instanceof TransportError ? transportHint(err, t) : err;
  }
  return {
    path,
    url: t.via === 'nova' ? url : `unix:${t.socketPath}:${path}`,
    status: res.status,
    contentType: res.headers['content-type'] ?? '',
    body: res.body,
    durationMs: res.durationMs,
    ...(res.requestId === undefined ? {} : { requestId: res.requestId }),
  };
}

export function transportHint(e: TransportError, t: MetadataTarget): OsmetaError {
  let hint: string;
  if (t.via === 'socket') {
    switch (e.failure) {
      case 'socket-missing':
        hint =
          t.ovnNetworkId !== undefined
            ? 'is neutron-ovn-metadata-agent (or neutron-ovn-agent with its metadata extension) running on this node? compare metadata_proxy_socket in its config'
            : 'is neutron-metadata-agent running on this node? compare metadata_proxy_socket in metadata_agent.ini';
        break;
      case 'socket-denied':
        hint = "run as root or as the agent's user (neutron): the socket is usually mode 0644";
        break;
      case 'refused':
        hint = 'the socket file is left over from an agent that is not running: start neutron-metadata-agent';
        break;
      default:
        hint = "the agent did not answer: look in neutron-metadata-agent's log";
    }
  } else if (e.failure === 'tls') {
    hint =
      "give nova's CA with --metadata-cacert (or --metadata-insecure); Debian serves HTTPS on 8775 when /etc/nova/ssl has a key";
  } else if (
    e.failure === 'refused' ||
    e.failure === 'timeout' ||
    e.failure === 'unreachable' ||
    e.failure === 'dns'
  ) {
    hint = `nothing answers at ${t.baseUrl}: check --metadata-url and that nova-api-metadata runs`;
  } else {
    hint = `check --metadata-url (${t.baseUrl}): http or https, host and port`;
  }
  return new OsmetaError(e.code, e.exitCode, e.message, { hint, cause: e.cause });
}

// ---------------------------------------------------------------------------------------------
// Documents

export interface DocumentRef {
  /** the path sent, percent-encoded */
  path: string;
  /** what the user asked for, for messages */
  name: string;
  kind: 'openstack' | 'ec2' | 'absolute';
  listing: boolean;
  version: string;
}

const VERSION_RE = /^(latest|\d{4}-\d{2}-\d{2}|1\.0)$/;

export function validateVersion(v: string): string {
  if (!VERSION_RE.test(v)) {
    throw usageError('INVALID_VERSION', `'${v}' is not a metadata version`, {
      hint: 'use latest or a date such as 2018-08-27 (osmeta get <server> / lists them under openstack)',
    });
  }
  return v;
}

export function validateDocument(doc: string): void {
  if (/[\x00-\x1f\x7f]/.test(doc)) {
    throw usageError('INVALID_DOCUMENT', 'the document path has control characters');
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(doc)) {
    throw usageError('INVALID_DOCUMENT', `'${doc}' is a URL: give a document path`, {
      hint: "choose nova's address with --metadata-url",
    });
  }
  if (doc.split('/').includes('..')) {
    throw usageError('INVALID_DOCUMENT', `'${doc}' leaves the metadata tree ('..')`);
  }
}

const encodePath = (p: string) => p.split('/').map(encodeURIComponent).join('/');

export function resolveDocument(doc: string | undefined, o: { ec2?: boolean; version: string }): DocumentRef {
  const version = validateVersion(o.version);
  if (doc !== undefined) validateDocument(doc);
  if (doc?.startsWith('/')) {
    return { path: encodePath(doc), name: doc, kind: 'absolute', listing: doc.endsWith('/'), version };
  }
  const rel = doc?.replace(/^\/+/, '');
  if (o.ec2) {
    const name = rel === undefined || rel === '' ? 'meta-data/' : rel;
    return {
      path: `/${version}/${encodePath(name)}`,
      name,
      kind: 'ec2',
      listing: name.endsWith('/'),
      version,
    };
  }
  if (rel === undefined || rel === '') {
    return {
      path: `/openstack/${version}/`,
      name: `openstack/${version}/`,
      kind: 'openstack',
      listing: true,
      version,
    };
  }
  return {
    path: `/openstack/${version}/${encodePath(rel)}`,
    name: rel,
    kind: 'openstack',
    listing: rel.endsWith('/'),
    version,
  };
}

// ---------------------------------------------------------------------------------------------
// Errors

const withId = (res: MetadataResponse) => (res.requestId === undefined ? {} : { requestId: res.requestId });

/** The listing lines of a 200 text answer. */
export function listingOf(res: MetadataResponse): string[] {
  return res.body
    .toString('utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

export interface ExplainContext {
  http: HttpClient;
  target: MetadataTarget;
  doc: DocumentRef;
  now: () => number;
}

/** A typed error for a non-200 answer; 404s are told apart with listing requests. */
export async function explainFailure(e: ExplainContext, res: MetadataResponse): Promise<OsmetaError> {
  const { target: t } = e;
  const why = errorMessage(res);
  const because = why === '' ? '' : `: ${why}`;
  if (t.via === 'socket') return explainSocket(e, res, because);
  switch (res.status) {
    case 400:
      return operationalError(
        'METADATA_BAD_REQUEST',
        `nova's metadata API refused the request (400)${because}`,
        {
          hint: `nova needs ${HEADER_INSTANCE_ID}, ${HEADER_TENANT_ID} and ${HEADER_INSTANCE_ID_SIGNATURE}: something between osmeta and nova drops headers`,
          ...withId(res),
        },
      );
    case 403:
      return new OsmetaError(
        'SIGNATURE_REJECTED',
        ExitCode.CREDENTIALS,
        `nova rejected the signature for instance ${t.instanceId} (403)${because}`,
        {
          hint: "the shared secret differs from nova's [neutron] metadata_proxy_shared_secret (a 403 comes before any instance lookup: the server is not the problem)",
          ...withId(res),
        },
      );
    case 404:
      return explain404(e, res);
    case 500:
      return operationalError(
        'METADATA_SERVER_ERROR',
        `nova failed building the metadata of instance ${t.instanceId} (500)${because}`,
        {
          hint: `look in nova-api-metadata's log for 'Failed to get metadata for instance id: ${t.instanceId}' at ${new Date(e.now()).toISOString()}`,
          ...withId(res),
        },
      );
    default:
      return operationalError('METADATA_HTTP_ERROR', `nova's metadata API answered ${res.status}${because}`, {
        hint: `a ${res.status} is not nova's own: is something else (a proxy, a load balancer) answering at ${t.baseUrl}?`,
        ...withId(res),
      });
  }
}

async function probe(e: ExplainContext, path: string): Promise<MetadataResponse | undefined> {
  try {
    return await fetchMetadata(e.http, e.target, path);
  } catch {
    return undefined;
  }
}

function parentListing(doc: DocumentRef): string | undefined {
  if (doc.kind === 'openstack') return doc.listing ? undefined : `/openstack/${doc.version}/`;
  if (doc.kind === 'ec2') return doc.name === 'meta-data/' ? undefined : `/${doc.version}/meta-data/`;
  return undefined;
}

async function explain404(e: ExplainContext, res: MetadataResponse): Promise<OsmetaError> {
  const { doc } = e;
  const listingPath = parentListing(doc);
  if (listingPath) {
    const listing = await probe(e, listingPath);
    if (listing?.status === 200) return documentMissing(e, res, listingOf(listing));
  }
  const versions = await probe(e, '/openstack');
  if (versions?.status === 200) {
    if (doc.kind === 'absolute') {
      return operationalError('DOCUMENT_NOT_FOUND', `nova has no ${doc.name} for this instance (404)`, {
        hint: 'the instance is known to nova: the path is what is wrong',
        ...withId(res),
      });
    }
    if (doc.kind === 'ec2' || doc.version !== 'latest') {
      const ec2 = doc.kind === 'ec2';
      return operationalError(
        'VERSION_NOT_FOUND',
        `nova has no ${ec2 ? 'EC2 ' : ''}metadata version '${doc.version}' (404)`,
        {
          hint: ec2
            ? 'EC2 versions: 1.0, 2007-01-19 … 2009-04-04, latest'
            : `versions: ${listingOf(versions).join(', ')}`,
          ...withId(res),
        },
      );
    }
    return documentMissing(e, res, []);
  }
  return instanceUnknown(e, res);
}

function documentMissing(e: ExplainContext, res: MetadataResponse, present: string[]): OsmetaError {
  const { doc } = e;
  const where = doc.kind === 'ec2' ? `in the EC2 tree ${doc.version}/` : `under openstack/${doc.version}/`;
  const note =
    doc.name === 'user_data' || doc.name === 'user-data'
      ? ' (the server was created without user data)'
      : doc.name === 'vendor_data.json'
        ? " (nova's [api] vendordata_providers lacks StaticJSON)"
        : '';
  return operationalError('DOCUMENT_NOT_FOUND', `nova has no document '${doc.name}' ${where}${note} (404)`, {
    ...(present.length > 0 ? { hint: `documents that exist: ${present.join(', ')}` } : {}),
    ...withId(res),
  });
}

function instanceUnknown(e: ExplainContext, res: MetadataResponse): OsmetaError {
  const t = e.target as NovaTarget;
  return operationalError(
    'INSTANCE_NOT_FOUND',
    `nova's metadata API does not know instance ${t.instanceId} in project ${t.projectId} (404, even for the version list)`,
    {
      hint: `the instance is unknown to nova (deleted?), its project is not ${t.projectId}, or nova runs with [neutron] service_metadata_proxy = false; nova-api-metadata's log says which`,
      ...withId(res),
    },
  );
}

async function explainSocket(
  e: ExplainContext,
  res: MetadataResponse,
  because: string,
): Promise<OsmetaError> {
  const t = e.target as SocketTarget;
  const on =
    t.ovnNetworkId !== undefined
      ? `OVN network ${t.ovnNetworkId}`
      : t.routerId !== undefined
        ? `router ${t.routerId}`
        : `network ${t.networkId}`;
  switch (res.status) {
    case 404: {
      const listingPath = parentListing(e.doc);
      if (listingPath) {
        const listing = await probe(e, listingPath);
        if (listing?.status === 200) return documentMissing(e, res, listingOf(listing));
      }
      const projectsDiffer =
        t.portProjectId !== undefined &&
        t.serverProjectId !== undefined &&
        t.portProjectId !== t.serverProjectId;
      return operationalError(
        'AGENT_NOT_FOUND',
        `the metadata agent answered 404 for ${t.forwardedFor} on ${on}`,
        {
          hint: projectsDiffer
            ? `the port of ${t.forwardedFor} is in project ${t.portProjectId}, the server in ${t.serverProjectId}: the agent sends the port's project as X-Tenant-ID and nova refuses it`
            : t.ovnNetworkId !== undefined
              ? `no single port of the network bound to a chassis has ${t.forwardedFor} in OVN's southbound database (the agent's lookup), or nova refused the port's instance in the port's project; osmeta trace --ip ${t.forwardedFor} on the chassis tells which`
              : `no single port on the ${on} has ${t.forwardedFor} as a fixed IP, or nova refused the port's instance in the port's project; a direct osmeta get (without --via-socket) tells the two apart`,
        },
      );
    }
    case 403:
      return operationalError(
        'AGENT_SIGNATURE_REJECTED',
        `nova rejected the metadata agent's signature (403 through the agent)${because}`,
        {
          hint: "the agent's metadata_proxy_shared_secret ([DEFAULT] in metadata_agent.ini) differs from nova's [neutron] one",
        },
      );
    case 500:
      return operationalError('AGENT_ERROR', `the metadata agent answered 500${because}`, {
        hint: NOVA_INTERNAL_ERROR.test(because)
          ? "nova failed building the metadata: look in nova-api-metadata's log"
          : "the agent failed (nova unreachable, wrong nova_metadata_host/port/protocol, or a bad X-Forwarded-For): look for 'Unexpected error.' in neutron-metadata-agent's log",
      });
    default:
      return operationalError('AGENT_HTTP_ERROR', `the metadata agent answered ${res.status}${because}`, {
        hint: "look in neutron-metadata-agent's log",
      });
  }
}
