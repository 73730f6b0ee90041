import type { Context } from '../context.js';
import { credentialsError, operationalError } from '../errors.js';
import { promptSecret } from '../secrets.js';
import { checkConfigUrl } from '../util/validate.js';
import {
  apiErrorMessage,
  authenticate,
  describeIdentity,
  HEADER_AUTH_TOKEN,
  type KeystoneToken,
  requireAuthUrl,
} from './auth.js';
import { requireEndpoint } from './catalog.js';
import { loadCloud, normaliseInterfaces, type ResolvedCloud, serviceSetting } from './config.js';
import { HttpClient, type HttpResponse } from './http.js';
import type { OpenStackFlags } from './options.js';
import { cacheKey, dropCachedToken, readCachedToken, writeCachedToken } from './token-cache.js';

// A Keystone session: the cloud, a token (cached or fresh), the catalog, and request() for the
// services. A 401 on a cached token re-authenticates once and retries (keystoneauth's reauth).

export interface SessionOptions {
  /** seconds */
  timeout: number;
  flags: OpenStackFlags;
  /** reuse an already loaded cloud / HTTP client */
  cloud?: ResolvedCloud;
  http?: HttpClient;
}

export interface ServiceRequest {
  method?: string;
  /** appended to the endpoint: "/servers/…" */
  path: string;
  query?: Record<string, string | string[] | undefined>;
  headers?: Record<string, string>;
  body?: unknown;
}

export const SERVICE_NAMES: Record<string, string> = {
  compute: 'nova',
  network: 'neutron',
  identity: 'Keystone',
};

export class Session {
  readonly cloud: ResolvedCloud;
  readonly http: HttpClient;
  token: KeystoneToken;
  fromCache: boolean;
  private readonly ctx: Context;
  private readonly key: string | undefined;

  constructor(
    ctx: Context,
    cloud: ResolvedCloud,
    http: HttpClient,
    token: KeystoneToken,
    fromCache: boolean,
    key?: string,
  ) {
    this.ctx = ctx;
    this.cloud = cloud;
    this.http = http;
    this.token = token;
    ctx.io.secret(token.token, 'token');
    this.fromCache = fromCache;
    this.key = key;
  }

  get projectId(): string | undefined {
    return this.token.projectId;
  }

  /** The service's endpoint: <type>_endpoint_override, else the catalog by interface and region. */
  endpoint(serviceType: string): string {
    return serviceEndpoint(this.cloud, this.token, serviceType);
  }

  async request(serviceType: string, r: ServiceRequest): Promise<HttpResponse> {
    const url = joinUrl(this.endpoint(serviceType), r.path, r.query);
    const send = () =>
      this.http.request({
        method: r.method ?? 'GET',
        url,
        headers: {
          Accept: 'application/json',
          ...(r.body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...r.headers,
          [HEADER_AUTH_TOKEN]: this.token.token,
        },
        ...(r.body === undefined ? {} : { body: JSON.stringify(r.body) }),
        tls: this.cloud.tls,
        service: SERVICE_NAMES[serviceType] ?? serviceType,
      });
    const res = await send();
    if (res.status === 401 && this.fromCache) {
      this.ctx.debug('token cache: the cached token was refused; authenticating again');
      await this.reauthenticate();
      return send();
    }
    return res;
  }

  /** GET and parse JSON; non-2xx become typed errors ("while …" says what was being done). */
  async getJson(serviceType: string, r: ServiceRequest, doing: string): Promise<unknown> {
    const res = await this.request(serviceType, r);
    if (res.status < 200 || res.status > 299) throw serviceError(serviceType, res, doing);
    try {
      return JSON.parse(res.body.toString('utf8'));
    } catch {
      throw operationalError(
        'BAD_RESPONSE',
        `${SERVICE_NAMES[serviceType] ?? serviceType} answered ${doing} with something that is not JSON`,
        rid(res),
      );
    }
  }

  private async reauthenticate(): Promise<void> {
    if (this.key) await dropCachedToken(this.ctx, this.key);
    this.token = await authenticate(this.http, await withSecret(this.ctx, this.cloud));
    this.ctx.io.secret(this.token.token, 'token');
    this.fromCache = false;
    if (this.key) await writeCachedToken(this.ctx, this.key, this.token);
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}

/** keystoneauth session.py: %(project_id)s and %(user_id)s in an endpoint override are the token's. */
export function expandEndpointOverride(
  url: string,
  token: Pick<KeystoneToken, 'projectId' | 'userId'>,
): string {
  return url.replace(/%\((project_id|user_id)\)s/g, (_m, k: string) => {
    const v = k === 'project_id' ? token.projectId : token.userId;
    if (v === undefined) {
      throw operationalError(
        'ENDPOINT_NOT_FOUND',
        `the endpoint override ${url} needs the token's ${k}, and the token has none`,
        {
          hint:
            k === 'project_id'
              ? 'scope the token to a project (--os-project-name / --os-project-id)'
              : undefined,
        },
      );
    }
    return encodeURIComponent(v);
  });
}

export function serviceEndpoint(
  cloud: ResolvedCloud,
  token: Pick<KeystoneToken, 'catalog' | 'projectId' | 'userId'>,
  serviceType: string,
): string {
  const override = serviceSetting(cloud, serviceType, 'endpoint_override');
  if (typeof override === 'string' && override !== '') return expandEndpointOverride(override, token);
  const iface = serviceSetting(cloud, serviceType, 'interface');
  const region = serviceSetting(cloud, serviceType, 'region_name');
  return requireEndpoint(token.catalog, {
    serviceType,
    interfaces:
      Array.isArray(iface) || (typeof iface === 'string' && iface !== '')
        ? normaliseInterfaces(iface)
        : cloud.interface,
    ...(typeof region === 'string' && region !== ''
      ? { region }
      : cloud.regionName
        ? { region: cloud.regionName }
        : {}),
  });
}

const rid = (res: HttpResponse) => (res.requestId === undefined ? {} : { requestId: res.requestId });

export function serviceError(serviceType: string, res: HttpResponse, doing: string) {
  const name = SERVICE_NAMES[serviceType] ?? serviceType;
  const why = apiErrorMessage(res) ?? `HTTP ${res.status}`;
  if (res.status === 401) {
    return credentialsError('TOKEN_REJECTED', `${name} rejected the token ${doing}: ${why}`, {
      hint: 'the token was revoked or Keystone and the service disagree: run again with --no-token-cache',
      ...rid(res),
    });
  }
  if (res.status === 403) {
    return credentialsError('FORBIDDEN', `${name} refused ${doing}: ${why}`, {
      hint: 'the user lacks the role the policy asks for (--all-projects needs admin)',
      ...rid(res),
    });
  }
  return operationalError('API_ERROR', `${name} answered ${res.status} ${doing}: ${why}`, rid(res));
}

export function joinUrl(base: string, path: string, query?: ServiceRequest['query']): string {
  const url = `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
  if (!query) return url;
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    for (const item of Array.isArray(v) ? v : [v]) qs.append(k, item);
  }
  const s = qs.toString();
  return s === '' ? url : `${url}?${s}`;
}

/** The password or secret, asked for on a terminal (no echo) when the configuration has none. */
export async function withSecret(ctx: Context, cloud: ResolvedCloud): Promise<ResolvedCloud> {
  const a = cloud.auth;
  const missing =
    cloud.authType === 'password'
      ? a.password === undefined
      : cloud.authType === 'v3applicationcredential'
        ? a.applicationCredentialSecret === undefined
        : false;
  if (!missing) return cloud;
  const what = cloud.authType === 'password' ? 'password' : 'application credential secret';
  if (!ctx.io.stdinIsTTY) {
    throw credentialsError('MISSING_CREDENTIALS', `no ${what} for ${describeIdentity(cloud)}`, {
      hint:
        cloud.authType === 'password'
          ? 'set OS_PASSWORD or password in secure.yaml (osmeta takes no password on the command line)'
          : 'set OS_APPLICATION_CREDENTIAL_SECRET or application_credential_secret in secure.yaml',
    });
  }
  const value = await promptSecret(ctx, `${what} for ${describeIdentity(cloud)} (cloud '${cloud.name}'): `);
  ctx.io.secret(value, cloud.authType === 'password' ? 'password' : 'application-credential-secret');
  const auth =
    cloud.authType === 'password' ? { ...a, password: value } : { ...a, applicationCredentialSecret: value };
  return { ...cloud, auth };
}

/** A malformed auth_url is a configuration error naming the file (or variable) and the key, never the value. */
export function checkAuthUrl(cloud: ResolvedCloud): void {
  const url = cloud.auth.authUrl;
  if (url === undefined || url === '') return;
  const where = cloud.configFile !== undefined && cloud.name !== 'envvars' ? cloud.configFile : 'OS_AUTH_URL';
  checkConfigUrl(url, where, `auth_url of cloud '${cloud.name}'`);
}

/** Registers every secret a cloud's configuration holds, so that no output shows it. */
export function registerCloudSecrets(ctx: Context, cloud: ResolvedCloud): void {
  const a = cloud.auth;
  ctx.io.secret(a.password, 'password');
  ctx.io.secret(a.applicationCredentialSecret, 'application-credential-secret');
  ctx.io.secret(a.token, 'token');
  ctx.io.secretUrl(a.authUrl);
  const m = cloud.config.metadata_url;
  if (typeof m === 'string') ctx.io.secretUrl(m);
}

/** Loads the cloud, then a cached token or a fresh one. */
export async function createSession(ctx: Context, o: SessionOptions): Promise<Session> {
  const cloud = o.cloud ?? (await loadCloud(ctx, o.flags));
  registerCloudSecrets(ctx, cloud);
  const http = o.http ?? new HttpClient(ctx, { timeout: o.timeout });
  const useCache = o.flags.tokenCache !== false;
  requireAuthUrl(cloud);
  checkAuthUrl(cloud);
  // the credential is part of the cache key (keystoneauth's get_cache_id_elements): a password to
  // be prompted for is asked before the cache is consulted, so a wrong one is never masked
  const withCredential = await withSecret(ctx, cloud);
  const key = useCache ? await cacheKey(ctx, withCredential) : undefined;
  if (!useCache) ctx.debug('token cache: off (--no-token-cache)');
  if (key) {
    const cached = await readCachedToken(ctx, key);
    if (cached) return new Session(ctx, withCredential, http, cached, true, key);
  }
  const token = await authenticate(http, withCredential);
  if (key) await writeCachedToken(ctx, key, token);
  return new Session(ctx, withCredential, http, token, false, key);
}
