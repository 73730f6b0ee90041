import type { Context } from '../../context.js';
import { httpProbe } from '../../host/http-probe.js';
import { OVN_AGENT } from '../../host/ovn.js';
import { where } from '../../host/service-config.js';
import { errorExplanation, withForm } from '../../metadata/error-page.js';
import { signaturesEqual } from '../../signature.js';
import { type AgentFacts, type NovaFacts, servesMetadata } from './facts.js';
import { fail, hop } from './hop.js';
import type { Hop } from './types.js';

// The hops every namespace on the node shares: the metadata agent and nova's metadata API.

export function novaUrl(agent: AgentFacts): string {
  const s = agent.settings;
  const host = s.novaHost.includes(':') && !s.novaHost.startsWith('[') ? `[${s.novaHost}]` : s.novaHost;
  return `${s.novaProtocol}://${host}:${s.novaPort}`;
}

/** nova.conf as a nova on this node reads it (or --nova-config), not a guess at /etc/nova/nova.conf. */
export const novaConfigTrusted = (nova: NovaFacts) =>
  nova.location.source !== 'default' || nova.location.pid !== undefined;

const unquote = (v: string) => v.trim().replace(/^(["'])(.*)\1$/, '$2');

export function agentHop(ctx: Context, agent: AgentFacts, nova: NovaFacts): Hop {
  const t0 = ctx.clock();
  const svc = agent.svc;
  const h = hop('agent', svc ? `pid ${svc.parent.pid}` : agent.program, t0, t0);
  const s = agent.settings;
  const agentFile = agent.config.paths[agent.config.paths.length - 1] ?? agent.program;
  h.evidence = {
    program: agent.program,
    running: svc !== undefined,
    pid: svc?.parent.pid ?? null,
    commandLine: svc ? svc.parent.argv.join(' ') : null,
    workers: svc?.workers.length ?? 0,
    workerPids: svc?.workers.map((w) => w.pid) ?? [],
    configFiles: agent.config.paths,
    configSource: agent.config.source,
    novaMetadata: { host: s.novaHost, port: s.novaPort, protocol: s.novaProtocol, insecure: s.novaInsecure },
    socket: s.socket.value,
    secretSet: s.secret !== undefined && s.secret.value !== '',
    secretFrom: where(s.secret) ?? null,
    secretMatchesNova: null,
    novaConfigFiles: nova.settings ? nova.config.paths : [],
  };
  if (agent.ovn) {
    h.evidence.ovn = {
      sbConnection: agent.ovn.sb.value,
      sbConnectionFrom: where(agent.ovn.sb.from) ?? null,
      ovsdbConnection: agent.ovn.ovs.value,
      ...(agent.program === OVN_AGENT ? { extensions: agent.ovn.extensions } : {}),
    };
  }
  const done = () => {
    h.durationMs = ctx.clock() - t0;
    return h;
  };
  if (!svc) {
    fail(
      h,
      `${agent.program} is not running`,
      `${agent.program} is not running on this node: nothing answers on its socket and haproxy answers 503`,
      `start it (Debian: service ${agent.program} start) and read /var/log/neutron/${agent.program}.log for why it stopped`,
      'agent_down',
    );
    return done();
  }
  if (!servesMetadata(agent)) {
    fail(
      h,
      `${OVN_AGENT} runs without its metadata extension`,
      `${OVN_AGENT} runs without its metadata extension ([agent] extensions = ${agent.ovn?.extensions.join(',') || '(empty)'}): nothing listens on the metadata socket and no ovnmeta- namespace is provisioned`,
      `add metadata to [agent] extensions in ${agentFile} and restart ${OVN_AGENT}`,
      'ovn_agent_metadata_off',
    );
    return done();
  }
  // a file the agent read at start-up may have gone since: report it, and compare nothing on half the config
  const unreadable = agent.config.unreadable;
  if (unreadable.length > 0) h.evidence.unreadableConfig = unreadable.map((u) => u.reason);
  if (svc.others.length > 0) h.evidence.otherInstances = svc.others.map((p) => p.pid);

  let secretNote = 'secret not compared (no nova.conf on this node)';
  if (unreadable.length > 0) {
    secretNote = `secret not compared (${unreadable[0]!.reason})`;
  } else if (nova.settings) {
    const agentSecret = s.secret?.value ?? '';
    const n = nova.settings;
    const novaFile = nova.config.paths.find((p) => p === n.secret?.path) ?? nova.config.paths.join(', ');
    if (!n.secret && n.secretInDefault && agentSecret !== '') {
      h.evidence.secretMatchesNova = false;
      fail(
        h,
        'nova reads no secret: it sits in [DEFAULT] of nova.conf',
        `nova.conf sets metadata_proxy_shared_secret in [DEFAULT] (${where(n.secretInDefault)}), where nova never reads it: nova signs with an empty secret and rejects the agent's requests (403)`,
        'move metadata_proxy_shared_secret to the [neutron] section of nova.conf and restart nova-api-metadata',
        'nova_secret_in_default',
      );
      return done();
    }
    const novaSecret = n.secret?.value ?? '';
    const same = signaturesEqual(agentSecret, novaSecret);
    h.evidence.secretMatchesNova = same;
    if (!same && !novaConfigTrusted(nova)) {
      // no nova runs here: /etc/nova/nova.conf may belong to nothing; probe-nova has the last word
      secretNote = `secret differs from ${novaFile}, which no nova on this node reads (see probe-nova)`;
    } else if (!same) {
      const onlyQuotes = unquote(agentSecret) === unquote(novaSecret);
      fail(
        h,
        `metadata_proxy_shared_secret differs from nova.conf [neutron]`,
        `metadata_proxy_shared_secret in ${where(s.secret) ?? `${agentFile} (unset)`} differs from nova.conf [neutron] (${where(n.secret) ?? `${novaFile}: unset`}): nova rejects every signature with 403${onlyQuotes ? '; they differ only in quotes or surrounding spaces, which oslo.config keeps' : ''}`,
        `set the same metadata_proxy_shared_secret in ${agentFile} [DEFAULT] and nova.conf [neutron], then restart ${agent.program} and nova-api-metadata`,
        'secret_mismatch',
      );
      return done();
    } else {
      secretNote =
        agentSecret === '' ? 'no shared secret on either side (nova accepts it)' : 'secret matches nova.conf';
    }
  } else if (!(s.secret && s.secret.value !== '')) {
    secretNote = 'no shared secret set';
  }
  const workers = svc.workers.length;
  h.detail = `${workers} worker${workers === 1 ? '' : 's'}, ${secretNote}`;
  return done();
}

export async function novaHop(
  ctx: Context,
  agent: AgentFacts,
  nova: NovaFacts,
  timeoutMs: number,
): Promise<Hop> {
  const t0 = ctx.clock();
  const url = novaUrl(agent);
  const h = hop('nova', url, t0, t0);
  const agentFile = agent.config.paths[agent.config.paths.length - 1] ?? 'the agent config';
  const r = withForm(
    await httpProbe({ url: `${url}/`, timeoutMs, insecure: agent.settings.novaInsecure }, ctx),
  );
  h.durationMs = r.latencyMs;
  h.evidence = {
    url,
    outcome: r.outcome,
    status: r.status ?? null,
    latencyMs: r.latencyMs,
    novaConfig: {
      files: nova.config.paths,
      readable: nova.settings !== undefined,
      source: nova.location.source,
      pid: nova.location.pid ?? null,
      trusted: novaConfigTrusted(nova),
    },
    serviceMetadataProxy: nova.settings?.serviceMetadataProxy.value ?? null,
  };
  const setting = `nova_metadata_host/port/protocol in ${agentFile}`;
  if (r.outcome !== 'response') {
    const why: Record<string, [string, string]> = {
      refused: [
        `nothing listens on ${url}`,
        `nothing listens on ${url}: nova's metadata API (nova-api-metadata) is down, or ${setting} point elsewhere; the agent answers 500`,
      ],
      hang: [
        `no answer to GET / within ${timeoutMs / 1000} s`,
        `nova at ${url} accepted the connection but did not answer GET / within ${timeoutMs / 1000} s: nova-api-metadata is hung or overloaded; guests get 504 after 32 s`,
      ],
      'connect-timeout': [
        `no connection within ${timeoutMs / 1000} s`,
        `${url} does not accept connections within ${timeoutMs / 1000} s (filtered or unreachable): check ${setting}`,
      ],
      reset: [
        `connection reset`,
        `${url} reset the connection${agent.settings.novaProtocol === 'http' ? ': nova may speak HTTPS there (Debian switches 8775 to --https-socket when /etc/nova/ssl has a key)' : ''}`,
      ],
    };
    const [detail, cause] = why[r.outcome] ?? [
      `${r.outcome}: ${r.error ?? ''}`,
      `GET ${url}/ failed: ${r.error ?? r.outcome}`,
    ];
    fail(
      h,
      detail,
      cause,
      r.outcome === 'refused'
        ? `start nova-api-metadata (uwsgi nova-metadata-wsgi) on ${url}, or correct ${setting}; check with curl ${url}/`
        : `check nova-api-metadata's log; curl ${url}/ must answer the version list at once`,
    );
    return h;
  }
  if (r.status !== 200 || !/^1\.0$/m.test(r.body ?? '')) {
    const explanation = errorExplanation(r.body ?? '');
    fail(
      h,
      `GET / answered ${r.status}`,
      `${url}/ answered ${r.status}${explanation ? ` (${explanation})` : ''} instead of nova's version list: something else listens there (a proxy in between?) or ${setting} are wrong`,
      `point ${setting} at nova's metadata API`,
      'nova_wrong_answer',
    );
    return h;
  }
  if (nova.settings && novaConfigTrusted(nova)) {
    const smp = nova.settings.serviceMetadataProxy;
    if (smp.value !== true) {
      const how = smp.from
        ? `[neutron] service_metadata_proxy = ${smp.from.value} (${where(smp.from)})`
        : '[neutron] service_metadata_proxy is unset (default false)';
      fail(
        h,
        `service_metadata_proxy is not true`,
        `${how} in nova.conf: nova ignores the agent's X-Instance-ID headers, looks up the agent's own address and answers 404 to every guest`,
        'set [neutron] service_metadata_proxy = true in nova.conf and restart nova-api-metadata',
        'nova_service_metadata_proxy_off',
      );
      return h;
    }
  }
  h.detail = `GET / 200${
    !nova.settings
      ? ' (nova.conf not on this node)'
      : novaConfigTrusted(nova)
        ? ', service_metadata_proxy = true'
        : ` (${nova.config.paths.join(', ')} not checked: no nova on this node reads it)`
  }`;
  return h;
}
