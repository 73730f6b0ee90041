import type { Context } from '../context.js';
import { operationalError, usageError } from '../errors.js';
import { METADATA_PORT } from '../metadata/api.js';
import type { ResolvedCloud } from '../openstack/config.js';
import type { TlsOptions } from '../openstack/http.js';
import type { Session } from '../openstack/session.js';
import { shown, urlProblem } from '../util/validate.js';
import type { OptionsOf } from './definition.js';
import type { METADATA_TLS_OPTIONS } from './get/definition.js';

// Where get and smoke find nova's metadata API, and how they speak TLS to it.

export type MetadataTlsFlags = OptionsOf<typeof METADATA_TLS_OPTIONS>;

export const METADATA_URL_ENV = 'OSMETA_METADATA_URL';
export const LOCAL_METADATA_URL = `http://127.0.0.1:${METADATA_PORT}`;

/**
 * A metadata base URL (osmeta appends paths): http(s), no user info, query or fragment. From a flag
 * a usage error; from the environment or clouds.yaml an error naming where, never the value.
 */
export function checkUrl(value: string, where: string, usage: boolean): string {
  const why = urlProblem(value, { base: true });
  if (why !== undefined) {
    if (usage) throw usageError('INVALID_URL', `${where} ${shown(value)} ${why}`);
    throw operationalError('INVALID_URL', `${where} ${why}`, {
      hint: "nova's metadata API is reached at http(s)://host:port; put credentials nowhere in the URL",
    });
  }
  return value.replace(/\/+$/, '');
}

function hostPort(endpoint: string): string | undefined {
  try {
    return `http://${new URL(endpoint).hostname}:${METADATA_PORT}`;
  } catch {
    return undefined;
  }
}

/** --metadata-url > OSMETA_METADATA_URL > metadata_url in clouds.yaml > compute endpoint's host:8775 > 127.0.0.1:8775 */
export function metadataBaseUrl(
  o: { metadataUrl?: string | undefined },
  ctx: Pick<Context, 'env'>,
  cloud: ResolvedCloud | undefined,
  session: Session | undefined,
): { url: string; source: string } {
  if (o.metadataUrl !== undefined)
    return { url: checkUrl(o.metadataUrl, '--metadata-url', true), source: '--metadata-url' };
  const env = ctx.env[METADATA_URL_ENV];
  if (env !== undefined && env !== '')
    return { url: checkUrl(env, METADATA_URL_ENV, false), source: METADATA_URL_ENV };
  const fromCloud = cloud?.config.metadata_url;
  if (typeof fromCloud === 'string' && fromCloud !== '') {
    return {
      url: checkUrl(fromCloud, `metadata_url of cloud '${cloud?.name}'`, false),
      source: 'clouds.yaml metadata_url',
    };
  }
  if (session) {
    const url = hostPort(session.endpoint('compute'));
    if (url) return { url, source: 'the compute endpoint' };
  }
  const override = cloud?.config.compute_endpoint_override;
  if (typeof override === 'string' && hostPort(override)) {
    return { url: hostPort(override)!, source: 'compute_endpoint_override' };
  }
  return { url: LOCAL_METADATA_URL, source: 'the default' };
}

export function metadataTls(o: MetadataTlsFlags, cloud: ResolvedCloud | undefined): TlsOptions {
  const tls: TlsOptions = { ...(cloud?.tls ?? {}) };
  if (o.metadataCacert !== undefined) {
    tls.cacert = o.metadataCacert;
    tls.insecure = false;
  }
  if (o.metadataCert !== undefined) {
    tls.cert = o.metadataCert;
    if (o.metadataKey !== undefined) tls.key = o.metadataKey;
    else delete tls.key;
  }
  if (o.metadataInsecure) tls.insecure = true;
  return tls;
}
