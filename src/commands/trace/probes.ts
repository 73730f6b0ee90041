import type { Context } from '../../context.js';
import { describeRateLimit } from '../../host/haproxy-config.js';
import { type HttpProbeResult, httpProbe, isHttpProbeResult } from '../../host/http-probe.js';
import { METADATA_V4 } from '../../host/iptables.js';
import type { MetadataNamespace } from '../../host/netns.js';
import { where } from '../../host/service-config.js';
import { errorExplanation, withForm } from '../../metadata/error-page.js';
import { classifyHaproxyPage, type HaproxyPageKind } from '../../metadata/haproxy-page.js';
import {
  HEADER_FORWARDED_FOR,
  HEADER_NEUTRON_NETWORK_ID as HEADER_NETWORK_ID,
  HEADER_OVN_NETWORK_ID,
  HEADER_NEUTRON_ROUTER_ID as HEADER_ROUTER_ID,
  NOVA_INTERNAL_ERROR,
  PROBE_DOCUMENT,
  signedHeaders,
} from '../../metadata/protocol.js';
import { signInstanceId } from '../../signature.js';
import type { AgentFacts } from './facts.js';
import { run } from './facts.js';
import type { HaproxyFacts } from './haproxy-hop.js';
import { fail, firstLine, hop, skip } from './hop.js';
import { novaUrl } from './service-hops.js';
import type { Guest, Hop } from './types.js';

// The live probes: each one request, bounded by --probe-timeout, with its latency.

export { PROBE_DOCUMENT };

function answered(r: HttpProbeResult): string {
  if (r.outcome !== 'response') return r.outcome === 'hang' ? 'no answer' : (r.error ?? r.outcome);
  const who = r.form === 'haproxy' ? "haproxy's own page" : r.form === 'webob' ? 'a webob page' : '';
  const expl = r.status !== undefined && r.status >= 400 ? errorExplanation(r.body ?? '') : undefined;
  return `${r.status}${who ? ` (${who}${expl ? `: ${expl}` : ''})` : expl ? ` (${expl})` : ''}`;
}

function probeEvidence(r: HttpProbeResult, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    outcome: r.outcome,
    status: r.status ?? null,
    answeredBy: r.form ?? null,
    contentType: r.headers?.['content-type'] ?? null,
    explanation: r.status !== undefined && r.status >= 400 ? (errorExplanation(r.body ?? '') ?? null) : null,
    latencyMs: r.latencyMs,
    ...(r.error ? { error: r.error } : {}),
    ...extra,
  };
}

// ---- probe-haproxy ------------------------------------------------------------------------------

/** GET through haproxy from inside the namespace: osmeta itself runs there (`ip netns exec`). */
export async function probeHaproxy(
  ctx: Context,
  ns: MetadataNamespace,
  nsExists: boolean,
  hf: HaproxyFacts,
  timeoutS: number,
): Promise<Hop> {
  const t0 = ctx.clock();
  const h = hop('probe-haproxy', ns.name, t0, t0);
  if (!nsExists) return skip(h, 'no namespace');
  if (ns.kind === 'qrouter') {
    // neutron-l3-agent-INPUT drops tcp/9697 unless marked by the qr- PREROUTING rule: a probe
    // from inside the namespace would be dropped, so the listener and the REDIRECT are what we check.
    h.target = `${ns.name} :9697`;
    return skip(
      h,
      'not probed: the L3 agent drops 9697 unless it arrives on a qr- port (listener and REDIRECT checked)',
    );
  }
  const bind = hf.config?.binds.find((b) => !b.host.includes(':')) ?? { host: METADATA_V4, port: 80 };
  const host = bind.host === '' || bind.host === '0.0.0.0' ? METADATA_V4 : bind.host;
  const url = `http://${host}:${bind.port}/openstack`;
  h.target = `${ns.name} ${host}:${bind.port}`;
  const r = await run(
    ctx,
    'ip',
    ['netns', 'exec', ns.name, ...ctx.selfArgv, '__probe-http', url, '--wait', String(timeoutS)],
    timeoutS * 1000 + 5000,
  );
  let res: HttpProbeResult | undefined;
  try {
    const parsed = JSON.parse(r.stdout) as unknown;
    if (isHttpProbeResult(parsed)) res = parsed;
  } catch {
    res = undefined;
  }
  if (!res) {
    h.durationMs = ctx.clock() - t0;
    h.evidence = { exitCode: r.code, stderr: firstLine(r.stderr) };
    return skip(h, `could not run the probe inside ${ns.name}: ${firstLine(r.stderr) || `exit ${r.code}`}`);
  }
  h.durationMs = res.latencyMs;
  h.evidence = probeEvidence(res, { url });
  const at = `${host}:${bind.port}`;
  if (res.outcome === 'response' && res.form !== 'haproxy' && (res.status === 404 || res.status === 200)) {
    h.detail = `${res.status} from the agent (healthy: the namespace's own address owns no port)`;
    if (res.status === 200) h.detail = '200 through haproxy';
    return h;
  }
  if (res.outcome === 'response' && res.form === 'haproxy') {
    const page = classifyHaproxyPage(res.status ?? 0);
    const behind: Partial<Record<HaproxyPageKind, Hop['consequenceOf']>> = {
      'no-server': 'socket',
      'server-timeout': 'probe-socket',
      'bad-gateway': 'agent',
    };
    let cause = page.meaning;
    let fix =
      page.kind === 'no-server'
        ? 'see the socket and agent hops: start the agent or make the socket path and permissions match'
        : "read the agent's log around this time";
    if (page.kind === 'rate-limited') {
      const limits = hf.config?.rateLimit ?? [];
      cause = limits.length
        ? `haproxy answered its own 429: it rate-limits metadata requests per source address (${limits.map(describeRateLimit).join(' or ')} is answered ${limits[0]!.status}, ${hf.confPath}) and this address went over it`
        : `${page.meaning}; ${hf.confPath} shows no rate limit now: it changed since haproxy started`;
      fix =
        'wait for the window to pass; if guests legitimately need more, raise base_query_rate_limit/burst_query_rate_limit in [metadata_rate_limiting] of the DHCP/L3 agent config (or find the guest that floods 169.254.169.254) and restart the agent';
    }
    fail(h, answered(res), cause, fix);
    const b = behind[page.kind];
    if (b) h.consequenceOf = b;
    return h;
  }
  if (res.outcome === 'response') {
    fail(
      h,
      answered(res),
      `the agent answered ${res.status} through haproxy to a request from inside the namespace (healthy is 404)`,
      "see probe-socket and the agent's log",
    );
    h.consequenceOf = 'probe-socket';
    return h;
  }
  const outcomes: Record<string, [string, string, Hop['consequenceOf']]> = {
    refused: [
      `connection refused on ${at}`,
      `nothing listens on ${at} in ${ns.name}: haproxy is not running there (guests get connection refused)`,
      'haproxy',
    ],
    hang: [
      `no answer within ${timeoutS} s`,
      `haproxy in ${ns.name} accepted the connection but no answer came within ${timeoutS} s: the agent behind it hangs`,
      'probe-socket',
    ],
    'connect-timeout': [
      `no connection within ${timeoutS} s`,
      `${at} does not accept connections inside ${ns.name} within ${timeoutS} s`,
      'namespace',
    ],
    unreachable: [
      `${at} unreachable`,
      `${at} is not reachable inside ${ns.name} (${res.error})`,
      'namespace',
    ],
  };
  const [detail, cause, behind] = outcomes[res.outcome] ?? [
    `${res.outcome}: ${res.error ?? ''}`,
    `the request to ${at} in ${ns.name} failed: ${res.error ?? res.outcome}`,
    undefined,
  ];
  fail(
    h,
    detail,
    cause,
    res.outcome === 'refused' ? 'see the haproxy hop' : "read haproxy's and the agent's logs",
  );
  if (behind) h.consequenceOf = behind;
  return h;
}

// ---- probe-socket -------------------------------------------------------------------------------

export function resourceHeader(ns: MetadataNamespace, hf: HaproxyFacts): { name: string; value: string } {
  if (hf.config?.resource) return { name: hf.config.resource.header, value: hf.config.resource.id };
  const name =
    ns.kind === 'qrouter'
      ? HEADER_ROUTER_ID
      : ns.kind === 'ovnmeta'
        ? HEADER_OVN_NETWORK_ID
        : HEADER_NETWORK_ID;
  return { name, value: ns.id };
}

export interface NeutronView {
  portsForIp: number;
  portId?: string;
  deviceId?: string;
  projectId?: string;
}

export interface SocketProbeContext {
  path: string;
  header: { name: string; value: string };
  agentRunning: boolean;
  /** what Neutron says about the guest's address, asked on a 404 when it can be */
  neutron?: () => Promise<NeutronView | undefined>;
}

export interface SocketProbeOutcome {
  hop: Hop;
  /** from a 200 meta_data.json: the instance and project nova served */
  served?: { instanceId: string; projectId?: string; name?: string };
}

interface AgentAnswer {
  guest: Guest;
  c: SocketProbeContext;
  /** "<ip> on network <id>" */
  on: string;
  status: number;
  /** Neutron's view of the address, asked on a 404 when credentials allow */
  neutron: NeutronView | undefined;
  /** the error page's explanation, '' when none */
  expl: string;
}

type AgentVerdict = { cause: string; fix: string; behind?: Hop['consequenceOf'] };

/**
 * What the agent's answer on its socket means (neutron agent/metadata/agent.py). `behind` names the
 * hop that explains this one when it fails too (diagnose follows it).
 */
const AGENT_ANSWERS: Record<number, (a: AgentAnswer) => AgentVerdict> = {
  403: ({ guest }) => ({
    cause: `the agent relays nova's 403 for ${guest.ip}: nova rejects the agent's signature, so the agent's metadata_proxy_shared_secret differs from nova's`,
    fix: 'set the same metadata_proxy_shared_secret in the agent config [DEFAULT] and nova.conf [neutron], then restart both',
    behind: 'probe-nova',
  }),
  404: ({ guest, c, on, neutron: n }) => {
    if (n && n.portsForIp === 0) {
      return {
        cause: `no Neutron port has the fixed IP ${guest.ip}${c.header.name === HEADER_NETWORK_ID ? ` on network ${c.header.value}` : ''}: the agent finds no port and answers 404 without asking nova (a static or secondary address, an allowed-address-pair or VIP?)`,
        fix: `give the guest its port's fixed IP, or add ${guest.ip} to the port's fixed IPs (openstack port set --fixed-ip ip-address=${guest.ip} <port>)`,
      };
    }
    if (n && n.portsForIp > 1) {
      return {
        cause: `${n.portsForIp} Neutron ports have the fixed IP ${guest.ip}: the agent needs exactly one and answers 404`,
        fix: `openstack port list --fixed-ip ip-address=${guest.ip}: remove the duplicate`,
      };
    }
    return {
      cause: n
        ? `the agent found port ${n.portId} (device ${n.deviceId}, project ${n.projectId}) for ${guest.ip}, but nova answered 404 for it`
        : `the agent answered 404 for ${on}: either no port on it has that fixed IP (nova is never asked), or nova does not serve the port's device to the port's project (deleted instance, port in another project)`,
      fix: n
        ? `openstack server show ${n.deviceId} -c project_id: it must equal the port's project ${n.projectId}`
        : `openstack port list --fixed-ip ip-address=${guest.ip} -c device_id -c project_id, then openstack server show <device_id> -c project_id (they must match); with OpenStack credentials trace tells the two apart`,
      behind: 'probe-nova',
    };
  },
  500: ({ guest, expl }) =>
    NOVA_INTERNAL_ERROR.test(expl)
      ? {
          cause: `nova answered 500 for ${guest.ip}'s instance: nova's own lookup fails ([neutron] or keystone auth in nova.conf, the database, a missing vendordata_jsonfile_path file)`,
          fix: "read nova-api-metadata's log for 'Failed to get metadata for instance id'",
          behind: 'probe-nova',
        }
      : {
          cause: `the agent failed with 500 (${expl || 'An unknown error has occurred'}): it cannot reach nova at its nova_metadata_host/port, or nova answered an unexpected code`,
          fix: "see the nova hop and the agent's log ('Unexpected error.')",
          behind: 'nova',
        },
};

const agentOther = ({ on, status, expl }: AgentAnswer): AgentVerdict => ({
  cause: `the agent answered ${status} for ${on}${expl ? `: ${expl}` : ''}`,
  fix: "read the agent's log",
});

export async function probeSocket(
  ctx: Context,
  guest: Guest,
  c: SocketProbeContext,
  timeoutS: number,
): Promise<SocketProbeOutcome> {
  const t0 = ctx.clock();
  const h = hop('probe-socket', `${c.path} as ${guest.ip}`, t0, t0);
  const res = withForm(
    await httpProbe(
      {
        url: `http://${METADATA_V4}${PROBE_DOCUMENT}`,
        socketPath: c.path,
        headers: { [HEADER_FORWARDED_FOR]: guest.ip, [c.header.name]: c.header.value, Accept: '*/*' },
        timeoutMs: timeoutS * 1000,
      },
      ctx,
    ),
  );
  h.durationMs = res.latencyMs;
  h.evidence = probeEvidence(res, {
    socket: c.path,
    forwardedFor: guest.ip,
    header: `${c.header.name}: ${c.header.value}`,
    guestSource: guest.source,
  });
  if (res.outcome === 'response' && res.status === 200) {
    let doc: Record<string, unknown> | undefined;
    try {
      doc = JSON.parse(res.body ?? '') as Record<string, unknown>;
    } catch {
      doc = undefined;
    }
    const uuid = typeof doc?.uuid === 'string' ? doc.uuid : undefined;
    if (!uuid) {
      fail(
        h,
        '200 but no meta_data.json',
        `the socket answered 200 for ${guest.ip} with something that is not nova's meta_data.json`,
        'check what listens on the socket',
      );
      return { hop: h };
    }
    const served: SocketProbeOutcome['served'] = { instanceId: uuid };
    if (typeof doc?.project_id === 'string') served.projectId = doc.project_id;
    if (typeof doc?.name === 'string') served.name = doc.name;
    Object.assign(h.evidence, {
      instanceId: uuid,
      name: served.name ?? null,
      projectId: served.projectId ?? null,
    });
    if (guest.instanceId && guest.instanceId !== uuid) {
      fail(
        h,
        `200 with another instance's metadata (${uuid})`,
        `the agent served instance ${uuid} for ${guest.ip}, but that address belongs to ${guest.instanceId}: duplicate fixed IPs or a stale port`,
        `openstack port list --fixed-ip ip-address=${guest.ip}`,
      );
      return { hop: h, served };
    }
    h.detail = `200 meta_data.json of ${served.name ?? uuid} (${uuid})`;
    return { hop: h, served };
  }
  const on = `${guest.ip} on ${c.header.name.replace(/^X-/, '').replace(/-ID$/, '').toLowerCase()} ${c.header.value}`;
  if (res.outcome === 'response') {
    const status = res.status ?? 0;
    // asked only when the agent answers 404: does Neutron know a port with this address?
    const neutron = status === 404 ? await c.neutron?.() : undefined;
    if (neutron) h.evidence.neutronPortsForIp = neutron.portsForIp;
    const a: AgentAnswer = { guest, c, on, status, neutron, expl: errorExplanation(res.body ?? '') ?? '' };
    const verdict = (AGENT_ANSWERS[status] ?? agentOther)(a);
    fail(h, answered(res), verdict.cause, verdict.fix);
    if (verdict.behind) h.consequenceOf = verdict.behind;
    return { hop: h };
  }
  const outcomes: Record<string, [string, string, string, Hop['consequenceOf']]> = {
    hang: [
      `no answer within ${timeoutS} s`,
      `the agent accepted the request for ${guest.ip} but did not answer within ${timeoutS} s: its port lookup (RPC get_ports over the message bus to neutron-server) or nova hangs; guests get haproxy's 504 after 32 s`,
      'check that neutron-server and RabbitMQ are up (openstack network agent list shows the metadata agent alive), then restart the metadata agent: after an RPC timeout it keeps a doubled one',
      undefined,
    ],
    refused: [
      'connection refused',
      `nothing accepts connections on ${c.path}: the socket is stale`,
      'start the metadata agent',
      c.agentRunning ? 'socket' : 'agent',
    ],
    'no-socket': [`no socket at ${c.path}`, `${c.path} does not exist`, 'see the socket hop', 'socket'],
    denied: [
      `permission denied on ${c.path}`,
      `connecting to ${c.path} was denied`,
      'run trace as root',
      'socket',
    ],
  };
  const [detail, cause, fix, behind] = outcomes[res.outcome] ?? [
    `${res.outcome}: ${res.error ?? ''}`,
    `the request on ${c.path} failed: ${res.error ?? res.outcome}`,
    "read the agent's log",
    undefined,
  ];
  fail(h, detail, cause, fix);
  if (behind) h.consequenceOf = behind;
  return { hop: h };
}

// ---- probe-nova ---------------------------------------------------------------------------------

export interface NovaProbeTarget {
  instanceId: string;
  projectId: string;
  forwardedFor?: string;
  /** the instance's own project per nova's API, when known: tells a tenant mismatch apart */
  serverProjectId?: string | null;
}

interface NovaAnswer {
  t: NovaProbeTarget;
  agent: AgentFacts;
  status: number;
  /** where the agent's secret is set */
  secretAt: string;
  /** the error page's explanation, '' when none */
  expl: string;
}

type Verdict = { cause: string; fix: string };

/** What nova's answer to a request signed as the agent signs it means (nova api/metadata/handler.py). */
const NOVA_ANSWERS: Record<number, (a: NovaAnswer) => Verdict> = {
  403: ({ agent, secretAt }) => ({
    cause: `nova rejects a request signed with the agent's metadata_proxy_shared_secret (${secretAt}): it differs from nova's [neutron] metadata_proxy_shared_secret`,
    fix: `set the same secret in ${secretAt.replace(/:\d+$/, '')} [DEFAULT] and nova.conf [neutron], then restart ${agent.program} and nova-api-metadata`,
  }),
  404: ({ t }) => {
    if (t.serverProjectId === null) {
      return {
        cause: `nova has no instance ${t.instanceId} (deleted, or the port's device_id is not an instance): 404`,
        fix: `openstack port show <port> -c device_id; clear or fix the device_id of a port whose instance is gone`,
      };
    }
    if (t.serverProjectId !== undefined && t.serverProjectId !== t.projectId) {
      return {
        cause: `the port's project ${t.projectId} is not instance ${t.instanceId}'s project ${t.serverProjectId}: nova answers 404 (Tenant_id does not match)`,
        fix: `recreate the port in project ${t.serverProjectId} (a port's project cannot be changed) and attach it to the instance`,
      };
    }
    return {
      cause: `nova answers 404 for instance ${t.instanceId} with project ${t.projectId}: the instance is unknown to nova or belongs to another project (compare openstack server show ${t.instanceId} -c project_id)`,
      fix: `if the projects differ, recreate the port in the instance's project; if the instance is gone, fix the port's device_id`,
    };
  },
  500: ({ t, expl }) => ({
    cause: `nova fails for instance ${t.instanceId} (500${expl ? `: ${expl}` : ''}): its own lookup breaks ([neutron]/keystone auth in nova.conf, database, vendordata file)`,
    fix: "read nova-api-metadata's log for 'Failed to get metadata for instance id'",
  }),
};

const novaOther = ({ status, expl }: NovaAnswer): Verdict => ({
  cause: `nova answered ${status} to a signed request${expl ? `: ${expl}` : ''}`,
  fix: "read nova-api-metadata's log",
});

/** A request signed exactly as the agent signs it, with the agent's own secret (never printed). */
export async function probeNova(
  ctx: Context,
  agent: AgentFacts,
  t: NovaProbeTarget,
  timeoutS: number,
): Promise<Hop> {
  const t0 = ctx.clock();
  const url = novaUrl(agent);
  const h = hop('probe-nova', `${url} as ${t.instanceId}`, t0, t0);
  const secret = agent.settings.secret?.value ?? '';
  const signature = signInstanceId(secret, t.instanceId);
  ctx.io.secret(signature, 'signature');
  const res = withForm(
    await httpProbe(
      {
        url: `${url}${PROBE_DOCUMENT}`,
        headers: signedHeaders({
          instanceId: t.instanceId,
          projectId: t.projectId,
          signature,
          ...(t.forwardedFor ? { forwardedFor: t.forwardedFor } : {}),
        }),
        timeoutMs: timeoutS * 1000,
        insecure: agent.settings.novaInsecure,
      },
      ctx,
    ),
  );
  h.durationMs = res.latencyMs;
  h.evidence = probeEvidence(res, {
    url: `${url}${PROBE_DOCUMENT}`,
    instanceId: t.instanceId,
    projectId: t.projectId,
    signedWith: where(agent.settings.secret) ?? 'an empty secret (none set)',
  });
  if (res.outcome === 'response' && res.status === 200) {
    h.detail = `200: nova accepts the agent's signature for ${t.instanceId}`;
    return h;
  }
  if (res.outcome === 'response') {
    const status = res.status ?? 0;
    const verdict = (NOVA_ANSWERS[status] ?? novaOther)({
      t,
      agent,
      status,
      secretAt: where(agent.settings.secret) ?? 'the agent config (unset: empty)',
      expl: errorExplanation(res.body ?? '') ?? '',
    });
    return fail(h, answered(res), verdict.cause, verdict.fix);
  }
  fail(
    h,
    res.outcome === 'hang' ? `no answer within ${timeoutS} s` : (res.error ?? res.outcome),
    `the signed request to ${url} failed: ${res.outcome === 'hang' ? `no answer within ${timeoutS} s` : (res.error ?? res.outcome)}`,
    'see the nova hop',
  );
  h.consequenceOf = 'nova';
  return h;
}
