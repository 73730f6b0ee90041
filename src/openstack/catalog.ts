import { operationalError } from '../errors.js';

// keystoneauth1/access/service_catalog.py: services by type (with the os-service-types aliases
// osmeta needs), then the first interface of the list that has a match, then region; empty URLs
// are skipped; the first endpoint of the winning group is returned.

export interface CatalogEndpoint {
  id?: string;
  interface: string;
  region?: string;
  region_id?: string;
  url: string;
}

export interface CatalogService {
  type: string;
  name?: string;
  id?: string;
  endpoints: CatalogEndpoint[];
}

export type Catalog = CatalogService[];

const ALIASES: Record<string, string[]> = {
  compute: ['compute'],
  network: ['network'],
  identity: ['identity'],
};

export interface EndpointQuery {
  serviceType: string;
  interfaces: string[];
  region?: string;
}

export function findEndpoint(catalog: Catalog, q: EndpointQuery): string | undefined {
  const types = ALIASES[q.serviceType] ?? [q.serviceType];
  const candidates = catalog
    .filter((s) => types.includes(s.type))
    .flatMap((s) => s.endpoints ?? [])
    .filter((e) => typeof e.url === 'string' && e.url !== '')
    .filter((e) => !q.region || (e.region_id ?? e.region) === q.region);
  for (const iface of q.interfaces) {
    const hit = candidates.find((e) => e.interface === iface);
    if (hit) return hit.url;
  }
  return undefined;
}

export function requireEndpoint(catalog: Catalog, q: EndpointQuery): string {
  const url = findEndpoint(catalog, q);
  if (url !== undefined) return url;
  const region = q.region ? ` in region ${q.region}` : '';
  const known = catalog.find((s) => (ALIASES[q.serviceType] ?? [q.serviceType]).includes(s.type));
  const have = known
    ? known.endpoints.map(
        (e) => `${e.interface}${(e.region_id ?? e.region) ? `@${e.region_id ?? e.region}` : ''}`,
      )
    : [];
  throw operationalError(
    'ENDPOINT_NOT_FOUND',
    `${q.interfaces.join('/')} endpoint for the ${q.serviceType} service${region} not found in the catalog`,
    {
      hint: known
        ? `the catalog has ${have.join(', ')}: choose with --os-interface / --os-region-name`
        : `the catalog has no ${q.serviceType} service: ask for a project-scoped token of a cloud that runs it`,
    },
  );
}

/** Parses token.catalog from a Keystone v3 token body, dropping malformed entries. */
export function parseCatalog(v: unknown): Catalog {
  if (!Array.isArray(v)) return [];
  const out: Catalog = [];
  for (const s of v) {
    if (!s || typeof s !== 'object') continue;
    const svc = s as Record<string, unknown>;
    if (typeof svc.type !== 'string' || !Array.isArray(svc.endpoints)) continue;
    const endpoints: CatalogEndpoint[] = [];
    for (const e of svc.endpoints) {
      if (!e || typeof e !== 'object') continue;
      const ep = e as Record<string, unknown>;
      if (typeof ep.url !== 'string' || typeof ep.interface !== 'string') continue;
      endpoints.push({
        interface: ep.interface,
        url: ep.url,
        ...(typeof ep.id === 'string' ? { id: ep.id } : {}),
        ...(typeof ep.region === 'string' ? { region: ep.region } : {}),
        ...(typeof ep.region_id === 'string' ? { region_id: ep.region_id } : {}),
      });
    }
    out.push({
      type: svc.type,
      endpoints,
      ...(typeof svc.name === 'string' ? { name: svc.name } : {}),
      ...(typeof svc.id === 'string' ? { id: svc.id } : {}),
    });
  }
  return out;
}
