import { credentialsError, OsmetaError, operationalError } from '../errors.js';
import { type Catalog, parseCatalog } from './catalog.js';
import type { CloudAuth, ResolvedCloud } from './config.js';
import type { HttpClient, HttpResponse } from './http.js';

// Keystone v3 POST /v3/auth/tokens (keystoneauth1/identity/v3/{base,password,token,
// application_credential}.py): the token comes back in X-Subject-Token, the catalog in the body.

export const HEADER_SUBJECT_TOKEN = 'X-Subject-Token';
export const HEADER_AUTH_TOKEN = 'X-Auth-Token';

export interface KeystoneToken {
  token: string;
  /** ms since the epoch */
  expiresAt: number;
  authUrl: string;
  catalog: Catalog;
  projectId?: string;
  projectName?: string;
  userId?: string;
  userName?: string;
  roles: string[];
}

/** keystoneauth: {auth_url}/auth/tokens when auth_url ends in v3, else {auth_url}/v3/auth/tokens */
export function tokenUrl(authUrl: string): string {
  const base = authUrl.replace(/\/+$/, '');
  return base.endsWith('v3') ? `${base}/auth/tokens` : `${base}/v3/auth/tokens`;
}

function domainRef(id: string | undefined, name: string | undefined): Record<string, string> | undefined {
  if (id) return { id };
  if (name) return { name };
  return undefined;
}

function userRef(a: CloudAuth): Record<string, unknown> {
  if (a.userId) return { id: a.userId };
  const domain = domainRef(a.userDomainId, a.userDomainName);
  return { name: a.username, ...(domain ? { domain } : {}) };
}

/** keystoneauth's BaseAuth.get_auth_ref scope: domain > project ID > project name > trust > system */
export function scopeOf(a: CloudAuth): Record<string, unknown> | undefined {
  if (a.domainId) return { domain: { id: a.domainId } };
  if (a.domainName) return { domain: { name: a.domainName } };
  if (a.projectId) return { project: { id: a.projectId } };
  if (a.projectName) {
    const domain = domainRef(a.projectDomainId, a.projectDomainName);
    return { project: { name: a.projectName, ...(domain ? { domain } : {}) } };
  }
  if (a.trustId) return { 'OS-TRUST:trust': { id: a.trustId } };
  if (a.systemScope) return { system: { [a.systemScope]: true } };
  return undefined;
}

/** The request body; throws a credentials error when a required part is missing. */
export function authBody(cloud: Pick<ResolvedCloud, 'authType' | 'auth'>): Record<string, unknown> {
  const a = cloud.auth;
  switch (cloud.authType) {
    case 'password': {
      if (!a.userId && !a.username) {
        throw credentialsError('MISSING_CREDENTIALS', 'no user for password authentication', {
          hint: "set username (OS_USERNAME, --os-username) or user_id in the cloud's auth section",
        });
      }
      const scope = scopeOf(a);
      return {
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { ...userRef(a), password: a.password ?? '' } },
          },
          ...(scope ? { scope } : {}),
        },
      };
    }
    case 'v3applicationcredential': {
      if (!a.applicationCredentialSecret) {
        throw credentialsError('MISSING_CREDENTIALS', 'no application credential secret', {
          hint: 'set OS_APPLICATION_CREDENTIAL_SECRET or application_credential_secret in secure.yaml',
        });
      }
      let credential: Record<string, unknown>;
      if (a.applicationCredentialId) {
        credential = { id: a.applicationCredentialId, secret: a.applicationCredentialSecret };
      } else if (a.applicationCredentialName && (a.userId || a.username)) {
        credential = {
          name: a.applicationCredentialName,
          secret: a.applicationCredentialSecret,
          user: userRef(a),
        };
      } else {
        throw credentialsError('MISSING_CREDENTIALS', 'no application credential ID (or name and user)', {
          hint: 'set OS_APPLICATION_CREDENTIAL_ID, or OS_APPLICATION_CREDENTIAL_NAME with OS_USERNAME',
        });
      }
      // the credential carries its own scope: keystone refuses one in the request
      return {
        auth: { identity: { methods: ['application_credential'], application_credential: credential } },
      };
    }
    case 'v3token': {
      if (!a.token) {
        throw credentialsError('MISSING_CREDENTIALS', 'no token for token authentication', {
          hint: 'set OS_TOKEN (osmeta takes no token on the command line)',
        });
      }
      const scope = scopeOf(a);
      return {
        auth: { identity: { methods: ['token'], token: { id: a.token } }, ...(scope ? { scope } : {}) },
      };
    }
  }
}

/** Who is authenticating, for messages (never a secret). */
export function describeIdentity(cloud: Pick<ResolvedCloud, 'authType' | 'auth'>): string {
  const a = cloud.auth;
  switch (cloud.authType) {
    case 'password':
      return (a.username ?? a.userId) ? `user '${a.username ?? a.userId}'` : 'a user with no name or ID';
    case 'v3applicationcredential':
      return `application credential '${a.applicationCredentialId ?? a.applicationCredentialName}'`;
    case 'v3token':
      return 'the given token';
  }
}

/** The message of an OpenStack error body: {"error":{message}}, {"<fault>":{message}}, {"NeutronError":{message}}. */
export function apiErrorMessage(res: Pick<HttpResponse, 'body' | 'headers'>): string | undefined {
  const text = res.body.toString('utf8');
  try {
    const doc = JSON.parse(text) as unknown;
    if (doc && typeof doc === 'object') {
      for (const v of Object.values(doc as Record<string, unknown>)) {
        if (v && typeof v === 'object' && typeof (v as { message?: unknown }).message === 'string') {
          return (v as { message: string }).message.trim();
        }
      }
      const m = (doc as { message?: unknown }).message;
      if (typeof m === 'string') return m.trim();
    }
  } catch {
    // not JSON
  }
  const line = text
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return line === '' ? undefined : line.slice(0, 200);
}

const rid = (res: HttpResponse) => (res.requestId === undefined ? {} : { requestId: res.requestId });

/** Keystone needs an auth_url before anything else is asked for (a password prompt included). */
export function requireAuthUrl(cloud: ResolvedCloud): string {
  const authUrl = cloud.auth.authUrl;
  if (authUrl) return authUrl;
  if (cloud.name === '' && cloud.available.length > 1) {
    throw credentialsError('NO_CLOUD_CHOSEN', `no cloud chosen among ${cloud.available.join(', ')}`, {
      hint: 'choose one with --os-cloud or OS_CLOUD',
    });
  }
  if (cloud.profile !== undefined) {
    throw credentialsError(
      'MISSING_CREDENTIALS',
      `cloud '${cloud.name}' has no auth_url: it names the vendor profile '${cloud.profile}', and vendor profiles are not read`,
      { hint: "copy the profile's auth_url (and region) into the cloud's entry in clouds.yaml" },
    );
  }
  throw credentialsError(
    'MISSING_CREDENTIALS',
    cloud.configured
      ? `cloud '${cloud.name}' has no auth_url`
      : 'no OpenStack credentials: no clouds.yaml found and no OS_* variables set',
    {
      hint: 'choose a cloud of clouds.yaml with --os-cloud / OS_CLOUD, set OS_AUTH_URL and the rest, or skip Keystone with --project-id',
    },
  );
}

/** The v3 entry's self link in an identity version document (one version, or a list of them). */
export function v3FromVersionDocument(text: string, base: string): string | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!doc || typeof doc !== 'object') return undefined;
  const d = doc as { version?: unknown; versions?: unknown };
  const list: unknown[] = d.version
    ? [d.version]
    : Array.isArray(d.versions)
      ? d.versions
      : Array.isArray((d.versions as { values?: unknown } | undefined)?.values)
        ? ((d.versions as { values: unknown[] }).values ?? [])
        : [];
  let best: { minor: number; href: string } | undefined;
  for (const v of list) {
    if (!v || typeof v !== 'object') continue;
    const e = v as { id?: unknown; links?: unknown };
    const m = typeof e.id === 'string' ? /^v3(?:\.(\d+))?$/.exec(e.id) : null;
    if (!m || !Array.isArray(e.links)) continue;
    const self = e.links.find((l) => (l as { rel?: unknown })?.rel === 'self') as
      | { href?: unknown }
      | undefined;
    if (typeof self?.href !== 'string') continue;
    let href: string;
    try {
      href = new URL(self.href, base).toString();
    } catch {
      continue;
    }
    if (!/^https?:$/.test(new URL(href).protocol)) continue;
    const minor = Number(m[1] ?? 0);
    if (!best || minor > best.minor) best = { minor, href };
  }
  return best?.href;
}

/** The v3 token URL the identity endpoint's version document names, or undefined without one. */
async function discoverTokenUrl(http: HttpClient, cloud: ResolvedCloud, authUrl: string) {
  const res = await http.request({
    method: 'GET',
    url: authUrl,
    headers: { Accept: 'application/json' },
    tls: cloud.tls,
    service: 'Keystone',
  });
  const v3 = res.status < 400 ? v3FromVersionDocument(res.body.toString('utf8'), authUrl) : undefined;
  return { url: v3 === undefined ? undefined : `${v3.replace(/\/+$/, '')}/auth/tokens`, res };
}

function noVersionDocument(authUrl: string, res: HttpResponse): OsmetaError {
  return operationalError(
    'KEYSTONE_NOT_FOUND',
    `no Keystone v3 at ${authUrl}: ${res.status < 400 ? 'no v3 in its version document' : `HTTP ${res.status}`}`,
    {
      hint: 'check auth_url (OS_AUTH_URL): it is the identity endpoint, with or without /v3',
      ...rid(res),
    },
  );
}

/** An auth_url that names v3 is used as it is; the generic plugins otherwise read the version document. */
function needsDiscovery(cloud: Pick<ResolvedCloud, 'discover'>, authUrl: string): boolean {
  return cloud.discover === true && !/\/v3\/?$/.test(new URL(authUrl).pathname);
}

/**
 * Where to POST. The generic plugins (password, token) find v3 as keystoneauth's discovery does
 * (generic/base.py _do_create_plugin): the version document at auth_url and its v3 link, so a
 * Keystone behind a path prefix is found; an auth_url ending in /v3 is v3 itself. The v3 plugins
 * use auth_url as it is.
 */
export async function resolveTokenUrl(
  http: HttpClient,
  cloud: ResolvedCloud,
  authUrl: string,
): Promise<string> {
  if (!needsDiscovery(cloud, authUrl)) return tokenUrl(authUrl);
  const found = await discoverTokenUrl(http, cloud, authUrl);
  if (found.url === undefined) throw noVersionDocument(authUrl, found.res);
  return found.url;
}

export async function authenticate(http: HttpClient, cloud: ResolvedCloud): Promise<KeystoneToken> {
  const authUrl = requireAuthUrl(cloud);
  const body = authBody(cloud);
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    Accept: 'application/json',
  };
  if (cloud.authType === 'v3token' && cloud.auth.token) headers[HEADER_AUTH_TOKEN] = cloud.auth.token;
  const post = (u: string) =>
    http.request({
      method: 'POST',
      url: u,
      headers,
      body: JSON.stringify(body),
      tls: cloud.tls,
      service: 'Keystone',
    });
  let url = tokenUrl(authUrl);
  let res: HttpResponse;
  if (!needsDiscovery(cloud, authUrl)) {
    res = await post(url);
  } else {
    // The version document and the usual place ({auth_url}/v3/auth/tokens, where osmeta has always
    // posted) are asked at once, so a cold run pays no extra round trip when they agree; when the
    // document points elsewhere, that answer is dropped and the POST goes where it points.
    const speculative = post(url);
    speculative.catch(() => undefined);
    let found: Awaited<ReturnType<typeof discoverTokenUrl>>;
    try {
      found = await discoverTokenUrl(http, cloud, authUrl);
    } catch (err) {
      await speculative.catch(() => undefined);
      throw err;
    }
    if (found.url === undefined || found.url === url) {
      res = await speculative;
      if (found.url === undefined && res.status !== 201 && res.status !== 200)
        throw noVersionDocument(authUrl, found.res);
    } else {
      await speculative.catch(() => undefined);
      url = found.url;
      res = await post(url);
    }
  }
  const why = apiErrorMessage(res) ?? `HTTP ${res.status}`;
  if (res.status === 401) {
    throw credentialsError('KEYSTONE_UNAUTHORIZED', `Keystone rejected ${describeIdentity(cloud)}: ${why}`, {
      hint: authHint(cloud),
      ...rid(res),
    });
  }
  if (res.status === 403) {
    throw credentialsError(
      'KEYSTONE_FORBIDDEN',
      `Keystone refused ${describeIdentity(cloud)} the scope asked for: ${why}`,
      {
        hint: 'check the project (OS_PROJECT_NAME / OS_PROJECT_ID) and that the user has a role in it',
        ...rid(res),
      },
    );
  }
  if (res.status === 404 && !/application\/json/.test(res.headers['content-type'] ?? '')) {
    throw operationalError('KEYSTONE_NOT_FOUND', `no Keystone v3 at ${url} (HTTP 404)`, {
      hint: 'check auth_url (OS_AUTH_URL): it is the identity endpoint, with or without /v3',
      ...rid(res),
    });
  }
  if (res.status !== 201 && res.status !== 200) {
    throw operationalError('KEYSTONE_ERROR', `Keystone answered ${res.status} at ${url}: ${why}`, rid(res));
  }
  return parseTokenResponse(res, authUrl);
}

function authHint(cloud: ResolvedCloud): string {
  switch (cloud.authType) {
    case 'password':
      return 'check the password (OS_PASSWORD, or password in clouds.yaml / secure.yaml) and the user and project domains';
    case 'v3applicationcredential':
      return 'check the application credential ID and secret (OS_APPLICATION_CREDENTIAL_*), and that it has not expired';
    case 'v3token':
      return 'the token (OS_TOKEN) has expired or was revoked: get a new one';
  }
}

export function parseTokenResponse(res: HttpResponse, authUrl: string): KeystoneToken {
  const token = res.headers['x-subject-token'];
  let doc: unknown;
  try {
    doc = JSON.parse(res.body.toString('utf8'));
  } catch {
    doc = undefined;
  }
  const t = (doc as { token?: Record<string, unknown> } | undefined)?.token;
  const expiresAt = typeof t?.expires_at === 'string' ? Date.parse(t.expires_at) : Number.NaN;
  if (!token || !t || Number.isNaN(expiresAt)) {
    throw new OsmetaError('KEYSTONE_ERROR', 1, `Keystone's answer at ${authUrl} is not a v3 token`, {
      hint: 'check auth_url (OS_AUTH_URL): it must be Keystone',
      ...rid(res),
    });
  }
  const project = t.project as { id?: unknown; name?: unknown } | undefined;
  const user = t.user as { id?: unknown; name?: unknown } | undefined;
  const roles = Array.isArray(t.roles)
    ? t.roles.map((r) => (r as { name?: unknown }).name).filter((n): n is string => typeof n === 'string')
    : [];
  return {
    token,
    expiresAt,
    authUrl,
    catalog: parseCatalog(t.catalog),
    roles,
    ...(typeof project?.id === 'string' ? { projectId: project.id } : {}),
    ...(typeof project?.name === 'string' ? { projectName: project.name } : {}),
    ...(typeof user?.id === 'string' ? { userId: user.id } : {}),
    ...(typeof user?.name === 'string' ? { userName: user.name } : {}),
  };
}
