import { describe, expect, it } from 'vitest';
import type { Catalog } from '../../../src/openstack/catalog.js';
import { expandEndpointOverride, serviceEndpoint } from '../../../src/openstack/session.js';
import { cloudOf } from '../../helpers/openstack-fixtures.js';

const CATALOG: Catalog = [
  {
    type: 'compute',
    endpoints: ['public', 'internal', 'admin'].flatMap((i) =>
      ['R1', 'R2'].map((r) => ({ interface: i, region_id: r, url: `http://nova/${r}/${i}/v2.1` })),
    ),
  },
];
const TOKEN = { catalog: CATALOG, projectId: 'p-42', userId: 'u-7' };

describe('the endpoint of a service', () => {
  it("puts the token's project and user IDs into an endpoint override, as keystoneauth does", () => {
    const cloud = {
      ...cloudOf({}),
      config: { compute_endpoint_override: 'http://n/v2.1/%(project_id)s/%(user_id)s' },
    };
    expect(serviceEndpoint(cloud, TOKEN, 'compute')).toBe('http://n/v2.1/p-42/u-7');
    expect(() => expandEndpointOverride('http://n/%(project_id)s', { userId: 'u' })).toThrow(
      "the endpoint override http://n/%(project_id)s needs the token's project_id, and the token has none",
    );
  });

  it.each([
    ['internalURL', 'http://nova/R1/internal/v2.1'],
    ['adminURL', 'http://nova/R1/admin/v2.1'],
    ['publicURL', 'http://nova/R1/public/v2.1'],
  ])('reads compute_interface: %s as keystoneauth does', (iface, url) => {
    const cloud = { ...cloudOf({}), regionName: 'R1', config: { compute_interface: iface } };
    expect(serviceEndpoint(cloud, TOKEN, 'compute')).toBe(url);
  });

  it('takes compute_region_name over the region', () => {
    const cloud = { ...cloudOf({}), regionName: 'R1', config: { compute_region_name: 'R2' } };
    expect(serviceEndpoint(cloud, TOKEN, 'compute')).toBe('http://nova/R2/public/v2.1');
  });
});
