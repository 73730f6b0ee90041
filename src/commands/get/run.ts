import { isIP } from 'node:net';
import type { Context } from '../../context.js';
import { OsmetaError, operationalError, usageError } from '../../errors.js';
import { DEFAULT_MAX_RESPONSE_BYTES } from '../../limits.js';
import {
  type DocumentRef,
  describeTarget,
  explainFailure,
  fetchMetadata,
  headersFor,
  type MetadataResponse,
  type MetadataTarget,
  OPENSTACK_DOCUMENTS,
  resolveDocument,
  transportHint,
  urlFor,
  validateVersion,
} from '../../metadata/api.js';
import { loadCloud, type ResolvedCloud } from '../../openstack/config.js';
import { HttpClient, type HttpStreamResponse, TransportError } from '../../openstack/http.js';
import { listPorts, metadataServing } from '../../openstack/neutron.js';
import { findServer, firstFixedIPv4, type Server } from '../../openstack/nova.js';
import type { OpenStackFlags } from '../../openstack/options.js';
import { createSession, registerCloudSecrets, type Session } from '../../openstack/session.js';
import { checkDestination, writeStreamAtomic } from '../../safe-file.js';
import { resolveSecret, type SecretOptions } from '../../secrets.js';
import { isUuid, signInstanceId } from '../../signature.js';
import { errorMessage } from '../../util/errors.js';
import { isIPv4Address } from '../../util/ip.js';
import { requireValid } from '../../util/validate.js';
import type { Invocation } from '../definition.js';
import { checkUrl, metadataBaseUrl, metadataTls } from '../metadata-api.js';
import { checkDocument, nameProblem } from '../values.js';
import type { GET } from './definition.js';

// osmeta get: find the server (or take --project-id), sign its ID, ask nova's metadata API (or the
// agent's socket) for one document or all of them, and explain any failure.

/** get's own options as declared in ./definition.ts, the view's (--raw, -o) aside. */
export type GetOptions = SecretOptions &
  Omit<Invocation<typeof GET>['opts'], 'raw' | 'output'> & {
    server: string;
    document?: string;
    os: OpenStackFlags;
    /** seconds */
    timeout: number;
    /** the largest response body read (--max-response-size) */
    maxResponseBytes?: number;
  };

/** Where a single document goes instead of memory: -o FILE, streamed. */
export interface GetSink {
  output?: string;
}

export interface ServerSummary {
  id: string;
  name: string | null;
  projectId: string | null;
  status: string | null;
}

export interface FetchedDocument {
  name: string;
  url: string;
  status: number;
  durationMs: number;
  requestId?: string;
  contentType: string;
  /** absent when nova said 404 (--all), or when streamed to a file (-o) */
  body?: Buffer;
  /** bytes streamed to the -o file */
  written?: number;
}

export interface GetResult {
  server: ServerSummary;
  via: 'nova' | 'socket';
  /** the metadata API's base URL, or the socket path */
  endpoint: string;
  /** one document (or a listing) */
  document?: FetchedDocument & { listing: boolean; kind: DocumentRef['kind'] };
  /** --all */
  documents?: FetchedDocument[];
  warnings: string[];
}

export function validateGetOptions(o: GetOptions): void {
  requireValid('the server', o.server, nameProblem);
  const conflict = (a: string, b: string) =>
    usageError('CONFLICTING_OPTIONS', `${a} and ${b} cannot be used together`);
  if (o.all && o.document !== undefined) {
    throw usageError('CONFLICTING_OPTIONS', '--all fetches every document: give no document with it');
  }
  if (o.all && o.ec2) throw conflict('--all', '--ec2');
  if (o.projectId !== undefined && o.viaSocket !== undefined) {
    throw usageError('CONFLICTING_OPTIONS', '--project-id and --via-socket cannot be used together', {
      hint: 'through the socket the agent finds the project itself',
    });
  }
  if (o.projectId !== undefined && o.allProjects) throw conflict('--project-id', '--all-projects');
  const resources = [
    o.networkId !== undefined && '--network-id',
    o.routerId !== undefined && '--router-id',
    o.ovnNetworkId !== undefined && '--ovn-network-id',
  ].filter((x): x is string => x !== false);
  if (resources.length > 1) throw conflict(resources[0]!, resources[1]!);
  if (resources.length === 1 && o.viaSocket === undefined) {
    throw usageError('CONFLICTING_OPTIONS', `${resources[0]} needs --via-socket`);
  }
  if (o.projectId !== undefined && !isUuid(o.server)) {
    throw usageError('INVALID_UUID', `'${o.server}' is not an instance UUID`, {
      hint: 'with --project-id, give the server by ID: osmeta does not ask nova for names then',
    });
  }
  if (o.projectId !== undefined && !/^[0-9A-Za-z_-]{1,64}$/.test(o.projectId)) {
    throw usageError('INVALID_PROJECT_ID', `'${o.projectId}' is not a project ID`);
  }
  if (o.forwardedFor !== undefined && isIP(o.forwardedFor) === 0) {
    throw usageError('INVALID_IP', `--forwarded-for takes an IP address, not '${o.forwardedFor}'`);
  }
  if (o.metadataUrl !== undefined) checkUrl(o.metadataUrl, '--metadata-url', true);
  if (o.metadataKey !== undefined && o.metadataCert === undefined) {
    throw usageError('CONFLICTING_OPTIONS', '--metadata-key needs --metadata-cert');
  }
  validateVersion(o.metadataVersion);
}

async function cloudForProjectIdMode(
  ctx: Context,
  o: GetOptions,
  warnings: string[],
): Promise<ResolvedCloud | undefined> {
  try {
    const cloud = await loadCloud(ctx, o.os);
    registerCloudSecrets(ctx, cloud);
    warnings.push(...cloud.warnings);
    return cloud.configured ? cloud : undefined;
  } catch (err) {
    if (!(err instanceof OsmetaError)) throw err;
    warnings.push(`ignoring the cloud configuration (--project-id needs none): ${err.message}`);
    return undefined;
  }
}

interface Resolved {
  target: MetadataTarget;
  server: ServerSummary;
  endpoint: string;
}

/** Lazily opened Keystone session, shared by the lookups of one run. */
function sessionOnce(ctx: Context, o: GetOptions, http: HttpClient, warnings: string[]) {
  let session: Session | undefined;
  return {
    get current() {
      return session;
    },
    async open(): Promise<Session> {
      if (session) return session;
      session = await createSession(ctx, { timeout: o.timeout, flags: o.os, http });
      warnings.push(...session.cloud.warnings);
      return session;
    },
  };
}

type Sessions = ReturnType<typeof sessionOnce>;

const summary = (s: Server): ServerSummary => ({
  id: s.id,
  name: s.name,
  projectId: s.projectId,
  status: s.status,
});

/** Through the agent's socket: the guest's address and network (looked up unless all are given). */
async function socketTarget(o: GetOptions & { viaSocket: string }, sessions: Sessions): Promise<Resolved> {
  let forwardedFor = o.forwardedFor;
  let networkId = o.networkId;
  let routerId = o.routerId;
  let ovnNetworkId = o.ovnNetworkId;
  let diagnosis: { portProjectId?: string; serverProjectId?: string } = {};
  let server: ServerSummary;
  const given = networkId !== undefined || routerId !== undefined || ovnNetworkId !== undefined;
  if (forwardedFor !== undefined && given && isUuid(o.server)) {
    server = { id: o.server.toLowerCase(), name: null, projectId: null, status: null };
  } else {
    const s = await sessions.open();
    const found = await findServer(s, o.server, { allProjects: o.allProjects === true });
    server = summary(found);
    forwardedFor ??= firstFixedIPv4(found);
    if (!given) {
      const ports = await listPorts(s, { deviceId: found.id });
      // nova's addresses can be empty (a port of another project): the port's address is the guest's
      const wanted = forwardedFor;
      const port = wanted
        ? ports.find((p) => p.fixedIps.some((f) => f.ipAddress === wanted))
        : ports.find((p) => p.fixedIps.some((f) => isIPv4Address(f.ipAddress)));
      if (!port) {
        throw operationalError(
          'PORT_NOT_FOUND',
          wanted
            ? `no port of server ${found.id} has the fixed IP ${wanted}`
            : `server ${found.id} has no port with a fixed IPv4 address`,
          {
            hint: `ports: ${ports.map((p) => `${p.id} (${p.fixedIps.map((f) => f.ipAddress).join(', ')})`).join('; ') || 'none'}; give --forwarded-for and --network-id`,
          },
        );
      }
      forwardedFor ??= port.fixedIps.find((f) => isIP(f.ipAddress) === 4)?.ipAddress;
      // ML2/OVN serves every network from its ovnmeta- namespace (X-OVN-Network-ID); under ML2/OVS a
      // routed network is served by its router's proxy: ask as qrouter-'s haproxy does
      const serving = await metadataServing(s, port.networkId);
      if (serving.ovn) ovnNetworkId = port.networkId;
      else if (serving.routers[0] !== undefined) routerId = serving.routers[0];
      else networkId = port.networkId;
      diagnosis = { portProjectId: port.projectId, serverProjectId: found.projectId };
    }
    if (forwardedFor === undefined) {
      throw operationalError('NO_FIXED_IP', `server ${found.id} has no fixed IPv4 address to ask as`, {
        hint: 'give the address with --forwarded-for',
      });
    }
  }
  return {
    target: {
      via: 'socket',
      socketPath: o.viaSocket,
      forwardedFor,
      ...(ovnNetworkId !== undefined
        ? { ovnNetworkId }
        : routerId !== undefined
          ? { routerId }
          : { networkId: networkId ?? '' }),
      ...diagnosis,
    },
    server,
    endpoint: o.viaSocket,
  };
}

/** Straight to nova's metadata API: the server's project and address, and the signature. */
async function novaTarget(
  o: GetOptions,
  ctx: Context,
  sessions: Sessions,
  warnings: string[],
): Promise<Resolved> {
  const secret = await resolveSecret(o, ctx);
  warnings.push(...secret.warnings);
  let cloud: ResolvedCloud | undefined;
  let forwardedFor = o.forwardedFor;
  let server: ServerSummary;
  if (o.projectId !== undefined) {
    // the agent sends nova's lower-case form of the ID
    server = { id: o.server.toLowerCase(), name: null, projectId: o.projectId, status: null };
    cloud = await cloudForProjectIdMode(ctx, o, warnings);
  } else {
    const s = await sessions.open();
    cloud = s.cloud;
    const found = await findServer(s, o.server, { allProjects: o.allProjects === true });
    server = summary(found);
    forwardedFor ??= firstFixedIPv4(found) ?? (await portIPv4(s, found.id, ctx));
  }
  const base = metadataBaseUrl(o, ctx, cloud, sessions.current);
  ctx.debug(`metadata API: ${base.url} (from ${base.source})`);
  // nova's or a proxy's error page may repeat it: a valid signature reads this instance's metadata
  const signature = signInstanceId(secret.value, server.id);
  ctx.io.secret(signature, 'signature');
  return {
    target: {
      via: 'nova',
      baseUrl: base.url,
      tls: metadataTls(o, cloud),
      instanceId: server.id,
      projectId: server.projectId!,
      signature,
      ...(forwardedFor === undefined ? {} : { forwardedFor }),
    },
    server,
    endpoint: base.url,
  };
}

export async function getMetadata(o: GetOptions, ctx: Context, sink: GetSink = {}): Promise<GetResult> {
  validateGetOptions(o);
  const doc = o.all
    ? undefined
    : resolveDocument(o.document, { ec2: o.ec2 === true, version: o.metadataVersion });
  if (o.document !== undefined) checkDocument(o.document);
  const http = new HttpClient(ctx, {
    timeout: o.timeout,
    ...(o.maxResponseBytes === undefined ? {} : { maxResponseBytes: o.maxResponseBytes }),
  });
  try {
    const warnings: string[] = [];
    const sessions = sessionOnce(ctx, o, http, warnings);
    const { target, server, endpoint } =
      o.viaSocket !== undefined
        ? await socketTarget({ ...o, viaSocket: o.viaSocket }, sessions)
        : await novaTarget(o, ctx, sessions, warnings);

    const explainCtx = (d: DocumentRef) => ({ http, target, doc: d, now: () => ctx.now() });
    if (doc && sink.output !== undefined) {
      const d = await streamToFile(ctx, http, target, doc, sink.output, o.maxResponseBytes);
      if (d.failure) throw await explainFailure(explainCtx(doc), d.failure);
      return {
        server,
        via: target.via,
        endpoint,
        document: { ...d.fetched, listing: doc.listing, kind: doc.kind },
        warnings,
      };
    }
    if (doc) {
      const res = await fetchMetadata(http, target, doc.path);
      if (res.status !== 200) throw await explainFailure(explainCtx(doc), res);
      if (target.via === 'socket' && doc.name === 'meta_data.json')
        checkAnsweringInstance(res, server, target.forwardedFor, warnings);
      return {
        server,
        via: target.via,
        endpoint,
        document: { ...fetched(doc.name, res, true), listing: doc.listing, kind: doc.kind },
        warnings,
      };
    }
    const refs = OPENSTACK_DOCUMENTS.map((name) => resolveDocument(name, { version: o.metadataVersion }));
    const answers = await Promise.all(refs.map((r) => fetchMetadata(http, target, r.path)));
    const documents: FetchedDocument[] = [];
    for (const [i, res] of answers.entries()) {
      const ref = refs[i]!;
      const absentOk = res.status === 404 && ref.name !== 'meta_data.json';
      if (res.status !== 200 && !absentOk) throw await explainFailure(explainCtx(ref), res);
      documents.push(fetched(ref.name, res, res.status === 200));
    }
    return { server, via: target.via, endpoint, documents, warnings };
  } finally {
    await http.close();
  }
}

/**
 * -o FILE: the body streamed into the file (writeStreamAtomic: 0600, temporary file and rename,
 * never through a symlink), never held in memory; at most maxBytes. A non-200 answer is read
 * (bounded) and handed back to be explained; the file is then left as it was.
 */
async function streamToFile(
  ctx: Context,
  http: HttpClient,
  target: MetadataTarget,
  doc: DocumentRef,
  path: string,
  maxBytes = DEFAULT_MAX_RESPONSE_BYTES,
): Promise<{ fetched: FetchedDocument; failure?: MetadataResponse }> {
  // refused before asking: a symlink at path is never followed, and nothing is fetched for it
  await checkDestination(ctx.fs, path);
  const url = urlFor(target, doc.path);
  let res: HttpStreamResponse;
  try {
    res = await http.requestStream({
      url,
      headers: headersFor(target),
      service: describeTarget(target),
      maxResponseBytes: maxBytes,
      ...(target.via === 'nova' ? { tls: target.tls } : { socketPath: target.socketPath }),
    });
  } catch (err) {
    throw err instanceof TransportError ? transportHint(err, target) : err;
  }
  const shownUrl = target.via === 'nova' ? url : `unix:${target.socketPath}:${doc.path}`;
  const base = {
    name: doc.name,
    url: shownUrl,
    status: res.status,
    durationMs: res.durationMs,
    contentType: res.headers['content-type'] ?? '',
    ...(res.requestId === undefined ? {} : { requestId: res.requestId }),
  };
  if (res.status !== 200) {
    const chunks: Buffer[] = [];
    for await (const c of res.body) chunks.push(c);
    const body = Buffer.concat(chunks);
    return {
      fetched: base,
      failure: {
        path: doc.path,
        url: shownUrl,
        status: res.status,
        contentType: base.contentType,
        body,
        durationMs: res.durationMs,
        ...(res.requestId === undefined ? {} : { requestId: res.requestId }),
      },
    };
  }
  const written = await writeStreamAtomic(ctx.fs, path, res.body, { maxBytes });
  return { fetched: { ...base, written } };
}

/** The first fixed IPv4 of the server's ports, when nova lists none (the agent would send it). */
async function portIPv4(s: Session, serverId: string, ctx: Context): Promise<string | undefined> {
  try {
    const ports = await listPorts(s, { deviceId: serverId });
    for (const p of ports) {
      const ip = p.fixedIps.find((f) => isIP(f.ipAddress) === 4)?.ipAddress;
      if (ip) return ip;
    }
  } catch (err) {
    ctx.debug(`no X-Forwarded-For: cannot list the server's ports (${errorMessage(err)})`);
  }
  return undefined;
}

function fetched(name: string, res: MetadataResponse, withBody: boolean): FetchedDocument {
  return {
    name,
    url: res.url,
    status: res.status,
    durationMs: res.durationMs,
    contentType: res.contentType,
    ...(res.requestId === undefined ? {} : { requestId: res.requestId }),
    ...(withBody ? { body: res.body } : {}),
  };
}

/** Through the agent, the port decides the instance: say so when it is another one. */
function checkAnsweringInstance(
  res: MetadataResponse,
  server: ServerSummary,
  ip: string,
  warnings: string[],
): void {
  try {
    const uuid = (JSON.parse(res.body.toString('utf8')) as { uuid?: unknown }).uuid;
    if (typeof uuid === 'string' && uuid !== server.id) {
      warnings.push(
        `the agent answered for instance ${uuid}, not ${server.id}: ${ip} is another instance's fixed IP on that network`,
      );
    }
  } catch {
    // not JSON: nothing to compare
  }
}
