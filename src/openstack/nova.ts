import { isIP } from 'node:net';
import { operationalError } from '../errors.js';
import { isUuid } from '../signature.js';
import { type Session, serviceError } from './session.js';

// nova's compute API at microversion 2.1 (no header): GET /servers/{id} and /servers/detail.
// tenant_id is what X-Tenant-ID must equal; addresses are {network: [{addr, version, OS-EXT-IPS:type}]}.

export interface ServerAddress {
  network: string;
  addr: string;
  version: number;
  type?: string;
  mac?: string;
}

export interface Server {
  id: string;
  name: string;
  status: string;
  projectId: string;
  userId?: string;
  host?: string;
  addresses: ServerAddress[];
}

export function parseServer(v: unknown): Server | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const s = v as Record<string, unknown>;
  if (typeof s.id !== 'string' || typeof s.tenant_id !== 'string') return undefined;
  const addresses: ServerAddress[] = [];
  if (s.addresses && typeof s.addresses === 'object') {
    for (const [network, list] of Object.entries(s.addresses as Record<string, unknown>)) {
      if (!Array.isArray(list)) continue;
      for (const a of list) {
        const addr = a as Record<string, unknown>;
        if (typeof addr.addr !== 'string') continue;
        addresses.push({
          network,
          addr: addr.addr,
          version: typeof addr.version === 'number' ? addr.version : isIP(addr.addr),
          ...(typeof addr['OS-EXT-IPS:type'] === 'string' ? { type: addr['OS-EXT-IPS:type'] } : {}),
          ...(typeof addr['OS-EXT-IPS-MAC:mac_addr'] === 'string'
            ? { mac: addr['OS-EXT-IPS-MAC:mac_addr'] }
            : {}),
        });
      }
    }
  }
  return {
    id: s.id,
    name: typeof s.name === 'string' ? s.name : '',
    status: typeof s.status === 'string' ? s.status : '',
    projectId: s.tenant_id,
    addresses,
    ...(typeof s.user_id === 'string' ? { userId: s.user_id } : {}),
    ...(typeof s['OS-EXT-SRV-ATTR:host'] === 'string' ? { host: s['OS-EXT-SRV-ATTR:host'] } : {}),
  };
}

/** The first fixed IPv4 address: what the guest's X-Forwarded-For would be. */
export function firstFixedIPv4(server: Server): string | undefined {
  const v4 = server.addresses.filter((a) => a.version === 4);
  return (v4.find((a) => a.type === 'fixed') ?? v4.find((a) => a.type === undefined))?.addr;
}

/** GET /servers/{id}; undefined when nova says 404. */
export async function getServer(session: Session, id: string): Promise<Server | undefined> {
  const res = await session.request('compute', { path: `/servers/${encodeURIComponent(id)}` });
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw serviceError('compute', res, `looking up server ${id}`);
  let server: Server | undefined;
  try {
    server = parseServer((JSON.parse(res.body.toString('utf8')) as { server?: unknown }).server);
  } catch {
    server = undefined;
  }
  if (!server) throw operationalError('BAD_RESPONSE', `nova's answer for server ${id} has no server in it`);
  return server;
}

export interface ListServersOptions {
  allProjects?: boolean;
  projectId?: string;
  /** nova's name filter is a regular expression */
  name?: string;
  /** stop after this many servers */
  limit?: number;
  /** page size asked of nova (capped by [api] max_limit) */
  pageSize?: number;
}

/** listServers follows at most this many pages (1000 servers each by default): then an error, never a silent cut */
export const MAX_SERVER_PAGES = 1000;

const pagingError = (why: string) =>
  operationalError('PAGING_LOOP', `nova's server list does not end: ${why}`, {
    hint: 'nova (or a proxy in front of it) keeps answering with a next link; narrow the query (a name, --limit) or check nova-api',
  });

/**
 * GET /servers/detail, following servers_links until done or limit servers are in. A page that
 * repeats a marker or brings no server not already listed is an error (a looping server would
 * otherwise be followed forever), and so is a list longer than MAX_SERVER_PAGES pages.
 */
export async function listServers(session: Session, o: ListServersOptions = {}): Promise<Server[]> {
  const out: Server[] = [];
  const seen = new Set<string>();
  const markers = new Set<string>();
  let marker: string | undefined;
  const pageSize = o.pageSize ?? (o.limit !== undefined ? Math.min(o.limit, 1000) : 1000);
  for (let page = 1; page <= MAX_SERVER_PAGES; page++) {
    const query: Record<string, string | undefined> = {
      ...(o.allProjects ? { all_tenants: '1' } : {}),
      ...(o.projectId ? { project_id: o.projectId } : {}),
      ...(o.name !== undefined ? { name: o.name } : {}),
      limit: String(pageSize),
      ...(marker ? { marker } : {}),
    };
    const doc = (await session.getJson('compute', { path: '/servers/detail', query }, 'listing servers')) as {
      servers?: unknown[];
      servers_links?: { rel?: string; href?: string }[];
    };
    const servers = (Array.isArray(doc.servers) ? doc.servers : [])
      .map(parseServer)
      .filter((s): s is Server => s !== undefined);
    const fresh = servers.filter((s) => !seen.has(s.id));
    if (servers.length > 0 && fresh.length === 0)
      throw pagingError(`page ${page} brought no server that was not already listed`);
    for (const s of fresh) {
      seen.add(s.id);
      out.push(s);
      if (o.limit !== undefined && out.length >= o.limit) return out;
    }
    const next = Array.isArray(doc.servers_links)
      ? doc.servers_links.find((l) => l?.rel === 'next')
      : undefined;
    const last = servers[servers.length - 1];
    if (!next || !last) return out;
    if (markers.has(last.id)) throw pagingError(`page ${page} ends with the marker of an earlier page`);
    markers.add(last.id);
    marker = last.id;
  }
  throw pagingError(`more than ${MAX_SERVER_PAGES} pages`);
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The server by ID, else by unique name (openstackclient's find_resource). */
export async function findServer(
  session: Session,
  nameOrId: string,
  o: { allProjects?: boolean } = {},
): Promise<Server> {
  if (isUuid(nameOrId)) {
    const byId = await getServer(session, nameOrId);
    if (byId) return byId;
  }
  const candidates = await listServers(session, {
    ...(o.allProjects ? { allProjects: true } : {}),
    name: `^${escapeRegex(nameOrId)}$`,
  });
  const exact = candidates.filter((s) => s.name === nameOrId);
  if (exact.length === 1) return exact[0]!;
  if (exact.length > 1) {
    throw operationalError(
      'AMBIGUOUS_SERVER',
      `more than one server is named '${nameOrId}': ${exact.map((s) => s.id).join(', ')}`,
      { hint: 'give the server ID instead' },
    );
  }
  const project = session.token.projectName ?? session.token.projectId;
  throw operationalError('SERVER_NOT_FOUND', `no server with a name or ID of '${nameOrId}' exists`, {
    hint: o.allProjects
      ? 'check the name or ID (openstack server list --all-projects)'
      : `looked in project '${project ?? '?'}' only: an admin can look in every project with --all-projects`,
  });
}
