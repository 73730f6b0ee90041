import type { Context } from '../../context.js';
import { OsmetaError, operationalError } from '../../errors.js';
import { fetchMetadata, type MetadataResponse, type MetadataTarget } from '../../metadata/api.js';
import { loadCloud } from '../../openstack/config.js';
import { HttpClient, type TlsOptions } from '../../openstack/http.js';
import { listPorts, type MetadataServing, metadataServing, type Port } from '../../openstack/neutron.js';
import { findServer, firstFixedIPv4, listServers, type Server } from '../../openstack/nova.js';
import type { OpenStackFlags } from '../../openstack/options.js';
import { createSession, registerCloudSecrets, type Session } from '../../openstack/session.js';
import { resolveSecret, type SecretOptions } from '../../secrets.js';
import { signInstanceId } from '../../signature.js';
import { isIPv4Address } from '../../util/ip.js';
import { runPool } from '../../util/pool.js';
import type { Invocation } from '../definition.js';
import { metadataBaseUrl, metadataTls } from '../metadata-api.js';
import {
  type CheckName,
  type CheckOutcome,
  checkMetaData,
  checkNetworkData,
  checkSocket,
  checkUserData,
  checkVendorData,
  checkVersions,
} from './checks.js';
import type { SMOKE } from './definition.js';
import { inShard } from './shard.js';

/** smoke's own options as declared in ./definition.ts, the report file (--junit) aside. */
export type SmokeOptions = SecretOptions &
  Omit<Invocation<typeof SMOKE>['opts'], 'junit' | 'prometheus'> & {
    servers: string[];
    os: OpenStackFlags;
    /** seconds */
    timeout: number;
    /** the largest response body read (--max-response-size) */
    maxResponseBytes?: number;
  };

export interface CheckResult {
  name: CheckName;
  ok: boolean;
  detail: string;
  durationMs: number;
  /** 5xx answers retried before this outcome */
  retries: number;
}

export interface ServerResult {
  id: string;
  name: string;
  projectId: string;
  ok: boolean;
  checks: CheckResult[];
}

export interface SmokeResult {
  ok: boolean;
  metadataUrl: string;
  summary: { total: number; passed: number; failed: number };
  servers: ServerResult[];
  durationMs: number;
  warnings: string[];
  /** --fail-fast stopped before every server was checked */
  stoppedEarly: boolean;
}

export interface SmokeHooks {
  /** called as each server is done (progress) */
  onServer?: (r: ServerResult, done: number, total: number) => void;
}

const BACKOFF_MS = 250;

/**
 * The largest metadata document smoke reads unless --max-response-size says otherwise: nova caps
 * user_data at 64 KiB and builds meta_data.json and network_data.json far smaller.
 */
export const SMOKE_MAX_DOCUMENT_BYTES = 1024 * 1024;

/** One request with bounded retries on 5xx; transport errors end the check. */
async function ask(
  ctx: Context,
  http: HttpClient,
  target: MetadataTarget,
  path: string,
  retries: number,
): Promise<{ res?: MetadataResponse; error?: string; retries: number; durationMs: number }> {
  let durationMs = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetchMetadata(http, target, path);
      durationMs += res.durationMs;
      if (res.status >= 500 && attempt < retries) {
        await ctx.sleep(BACKOFF_MS * 2 ** attempt);
        continue;
      }
      return { res, retries: attempt, durationMs };
    } catch (err) {
      if (err instanceof OsmetaError && !ctx.signal.aborted) {
        return { error: err.message, retries: attempt, durationMs };
      }
      throw err;
    }
  }
}

async function targetsOf(o: SmokeOptions, session: Session): Promise<Server[]> {
  if (o.servers.length > 0) {
    const out: Server[] = [];
    for (const s of o.servers)
      out.push(await findServer(session, s, { allProjects: o.allProjects === true }));
    return o.limit === undefined ? out : out.slice(0, o.limit);
  }
  const limit = o.limit === undefined ? {} : { limit: o.limit };
  if (o.project !== undefined) {
    const projectId = await projectIdOf(session, o.project);
    if (projectId === session.projectId) return listServers(session, limit);
    return listServers(session, { allProjects: true, projectId, ...limit });
  }
  return listServers(session, { ...(o.allProjects ? { allProjects: true } : {}), ...limit });
}

/** A project ID as given, or a name looked up in Keystone. */
async function projectIdOf(session: Session, project: string): Promise<string> {
  if (/^[0-9a-f]{32}$/.test(project) || project === session.projectId) return project;
  if (project === session.token.projectName && session.projectId) return session.projectId;
  const doc = (await session.getJson(
    'identity',
    { path: '/v3/projects', query: { name: project } },
    `looking up project '${project}'`,
  )) as { projects?: Array<{ id?: string }> };
  const ids = (doc.projects ?? []).map((p) => p.id).filter((x): x is string => typeof x === 'string');
  if (ids.length === 1) return ids[0]!;
  if (ids.length === 0)
    throw operationalError('PROJECT_NOT_FOUND', `no project with a name or ID of '${project}' exists`);
  throw operationalError(
    'AMBIGUOUS_PROJECT',
    `more than one project is named '${project}': ${ids.join(', ')}`,
    {
      hint: 'give the project ID',
    },
  );
}

export async function runSmoke(o: SmokeOptions, ctx: Context, hooks: SmokeHooks = {}): Promise<SmokeResult> {
  const started = ctx.clock();
  const http = new HttpClient(ctx, {
    timeout: o.timeout,
    ...(o.maxResponseBytes === undefined ? {} : { maxResponseBytes: o.maxResponseBytes }),
  });
  // smoke reads only what it checks: a metadata document larger than this fails its check
  const metaHttp = new HttpClient(ctx, {
    timeout: o.timeout,
    maxResponseBytes: o.maxResponseBytes ?? SMOKE_MAX_DOCUMENT_BYTES,
  });
  try {
    const secret = await resolveSecret(o, ctx);
    const warnings = [...secret.warnings];
    const cloud = await loadCloud(ctx, o.os);
    registerCloudSecrets(ctx, cloud);
    const session = await createSession(ctx, { timeout: o.timeout, flags: o.os, http, cloud });
    warnings.push(...session.cloud.warnings);
    const base = metadataBaseUrl(o, ctx, session.cloud, session);
    const tls: TlsOptions = metadataTls(o, session.cloud);
    ctx.debug(`metadata API: ${base.url} (from ${base.source})`);

    // GET / needs no headers: if nothing answers, the check cannot run at all (exit 1)
    const probe = await ask(
      ctx,
      metaHttp,
      { via: 'nova', baseUrl: base.url, tls, instanceId: '', projectId: '', signature: '' },
      '/',
      0,
    );
    if (probe.error !== undefined) {
      throw operationalError(
        'METADATA_UNREACHABLE',
        `nova's metadata API at ${base.url} does not answer: ${probe.error}`,
        {
          hint: 'check --metadata-url (or OSMETA_METADATA_URL) and that nova-api-metadata runs',
        },
      );
    }

    const servers = inShard(await targetsOf(o, session), o.shard);
    const results: ServerResult[] = [];
    let failed = 0;
    let done = 0;

    await runPool(
      servers,
      o.concurrency,
      async (server) => {
        const r = await checkServer(ctx, metaHttp, session, o, server, base.url, tls, secret.value);
        results.push(r);
        if (!r.ok) failed++;
        hooks.onServer?.(r, ++done, servers.length);
      },
      () => o.failFast === true && failed > 0,
    );

    // the order servers were listed in, not the order they finished in
    const order = new Map(servers.map((s, i) => [s.id, i]));
    results.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
    return {
      ok: failed === 0,
      metadataUrl: base.url,
      summary: { total: results.length, passed: results.length - failed, failed },
      servers: results,
      durationMs: ctx.clock() - started,
      warnings,
      stoppedEarly: results.length < servers.length,
    };
  } finally {
    await Promise.all([http.close(), metaHttp.close()]);
  }
}

async function checkServer(
  ctx: Context,
  http: HttpClient,
  session: Session,
  o: SmokeOptions,
  server: Server,
  baseUrl: string,
  tls: TlsOptions,
  secret: string,
): Promise<ServerResult> {
  const forwardedFor = firstFixedIPv4(server);
  const signature = signInstanceId(secret, server.id);
  ctx.io.secret(signature, 'signature');
  const target: MetadataTarget = {
    via: 'nova',
    baseUrl,
    tls,
    instanceId: server.id,
    projectId: server.projectId,
    signature,
    ...(forwardedFor === undefined ? {} : { forwardedFor }),
  };
  const plan: Array<{ name: CheckName; path: string; judge: (a: MetadataResponse) => CheckOutcome }> = [
    { name: 'versions', path: '/openstack', judge: checkVersions },
    {
      name: 'meta_data.json',
      path: '/openstack/latest/meta_data.json',
      judge: (a) => checkMetaData(a, server),
    },
    {
      name: 'network_data.json',
      path: '/openstack/latest/network_data.json',
      judge: (a) => checkNetworkData(a, server),
    },
    {
      name: 'vendor_data.json',
      path: '/openstack/latest/vendor_data.json',
      judge: (a) => checkVendorData(a, 'vendor_data.json'),
    },
    {
      name: 'vendor_data2.json',
      path: '/openstack/latest/vendor_data2.json',
      judge: (a) => checkVendorData(a, 'vendor_data2.json'),
    },
  ];
  if (o.expectUserData)
    plan.push({ name: 'user_data', path: '/openstack/latest/user_data', judge: checkUserData });

  const checks: CheckResult[] = await Promise.all(
    plan.map(async (p) => {
      const a = await ask(ctx, http, target, p.path, o.retries);
      const outcome = a.res ? p.judge(a.res) : { ok: false, detail: a.error ?? 'no answer' };
      return {
        name: p.name,
        ...withRetries(outcome, a.retries),
        durationMs: Math.round(a.durationMs),
        retries: a.retries,
      };
    }),
  );
  if (o.viaSocket !== undefined) checks.push(await socketCheck(ctx, http, session, o, server, o.viaSocket));
  return {
    id: server.id,
    name: server.name,
    projectId: server.projectId,
    ok: checks.every((c) => c.ok),
    checks,
  };
}

function withRetries(c: CheckOutcome, retries: number): CheckOutcome {
  return retries > 0
    ? { ok: c.ok, detail: `${c.detail} (after ${retries} retr${retries === 1 ? 'y' : 'ies'} on 5xx)` }
    : c;
}

/** Who serves each network's metadata, asked once per session (smoke --all-projects checks many servers per network). */
const servingCache = new WeakMap<Session, Map<string, Promise<MetadataServing>>>();
function servingOf(session: Session, networkId: string): Promise<MetadataServing> {
  let m = servingCache.get(session);
  if (!m) {
    m = new Map();
    servingCache.set(session, m);
  }
  let p = m.get(networkId);
  if (!p) {
    p = metadataServing(session, networkId);
    m.set(networkId, p);
  }
  return p;
}

async function socketCheck(
  ctx: Context,
  http: HttpClient,
  session: Session,
  o: SmokeOptions,
  server: Server,
  socketPath: string,
): Promise<CheckResult> {
  const started = ctx.clock();
  const result = (c: CheckOutcome, retries = 0, durationMs = ctx.clock() - started): CheckResult => ({
    name: 'socket',
    ...c,
    durationMs: Math.round(durationMs),
    retries,
  });
  let ports: Port[];
  try {
    ports = await listPorts(session, { deviceId: server.id });
  } catch (err) {
    if (err instanceof OsmetaError)
      return result({ ok: false, detail: `cannot list the server's ports: ${err.message}` });
    throw err;
  }
  const port = ports.find((p) => p.fixedIps.some((f) => isIPv4Address(f.ipAddress))) ?? ports[0];
  const ip =
    port?.fixedIps.find((f) => isIPv4Address(f.ipAddress))?.ipAddress ?? port?.fixedIps[0]?.ipAddress;
  if (!port || !ip)
    return result({ ok: false, detail: 'neutron has no port with a fixed IP for this server' });
  const portNote =
    port.projectId !== server.projectId
      ? `port ${port.id} belongs to project ${port.projectId}, the instance to ${server.projectId}: the agent sends the port's project and nova refuses it (404)`
      : undefined;
  // ML2/OVN: the ovnmeta- namespace's haproxy sends X-OVN-Network-ID; ML2/OVS: a routed network is
  // served by its router's proxy (qrouter-) with X-Neutron-Router-ID, as it does
  let serving: MetadataServing;
  try {
    serving = await servingOf(session, port.networkId);
  } catch (err) {
    if (err instanceof OsmetaError)
      return result({
        ok: false,
        detail: `cannot list the routers of network ${port.networkId}: ${err.message}`,
      });
    throw err;
  }
  const routerId = serving.ovn ? undefined : serving.routers[0];
  const a = await ask(
    ctx,
    http,
    serving.ovn
      ? { via: 'socket', socketPath, forwardedFor: ip, ovnNetworkId: port.networkId }
      : routerId !== undefined
        ? { via: 'socket', socketPath, forwardedFor: ip, routerId }
        : { via: 'socket', socketPath, forwardedFor: ip, networkId: port.networkId },
    '/openstack/latest/meta_data.json',
    o.retries,
  );
  const checked = a.res
    ? checkSocket(a.res, server, portNote)
    : { ok: false, detail: a.error ?? 'no answer' };
  const outcome = serving.ovn
    ? { ...checked, detail: `${checked.detail} (as OVN network ${port.networkId})` }
    : routerId !== undefined
      ? { ...checked, detail: `${checked.detail} (as router ${routerId})` }
      : checked;
  return result(withRetries(outcome, a.retries), a.retries, a.durationMs);
}
