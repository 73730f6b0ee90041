import { describe, expect, it } from 'vitest';
import { findEndpoint, parseCatalog, requireEndpoint } from '../../../src/openstack/catalog.js';

// What a Keystone catalog becomes, malformed entries included, and what osmeta says when the
// endpoint it needs is not there (gaps StrykerJS found: docs/mutation.md).

describe('parseCatalog', () => {
  it('keeps exactly the well-formed services and endpoints, with their optional fields', () => {
    expect(
      parseCatalog([
        null,
        'compute',
        { type: 7, endpoints: [] },
        { type: 'image' },
        {
          type: 'compute',
          name: 'nova',
          id: 'svc1',
          endpoints: [
            null,
            'x',
            { url: 'http://n/v2.1' },
            { interface: 'public' },
            { interface: 'public', url: 'http://n/v2.1', id: 'e1', region: 'R1', region_id: 'R1' },
            { interface: 'internal', url: 'http://i/v2.1', id: 5, region: 6, region_id: null },
          ],
        },
        { type: 'network', name: 3, id: 4, endpoints: [] },
      ]),
    ).toEqual([
      {
        type: 'compute',
        name: 'nova',
        id: 'svc1',
        endpoints: [
          { interface: 'public', url: 'http://n/v2.1', id: 'e1', region: 'R1', region_id: 'R1' },
          { interface: 'internal', url: 'http://i/v2.1' },
        ],
      },
      { type: 'network', endpoints: [] },
    ]);
    expect(parseCatalog({ compute: [] })).toEqual([]);
  });
});

const catalog = parseCatalog([
  {
    type: 'compute',
    endpoints: [
      { interface: 'public', url: '', region_id: 'R1' },
      { interface: 'public', url: 'http://r2/v2.1', region_id: 'R2' },
      { interface: 'internal', url: 'http://r1-int/v2.1', region: 'R1' },
    ],
  },
]);

describe('findEndpoint', () => {
  it('skips empty URLs, filters by region (region_id or region), and takes the first interface that has one', () => {
    expect(findEndpoint(catalog, { serviceType: 'compute', interfaces: ['public'] })).toBe('http://r2/v2.1');
    expect(
      findEndpoint(catalog, { serviceType: 'compute', interfaces: ['public'], region: 'R1' }),
    ).toBeUndefined();
    expect(
      findEndpoint(catalog, { serviceType: 'compute', interfaces: ['public', 'internal'], region: 'R1' }),
    ).toBe('http://r1-int/v2.1');
    expect(findEndpoint(catalog, { serviceType: 'dns', interfaces: ['public'] })).toBeUndefined();
  });
});

describe('requireEndpoint', () => {
  it('names the interfaces, service and region asked for, and lists what the catalog has', () => {
    expect(() =>
      requireEndpoint(catalog, { serviceType: 'compute', interfaces: ['admin', 'public'], region: 'R3' }),
    ).toThrow(
      expect.objectContaining({
        code: 'ENDPOINT_NOT_FOUND',
        exitCode: 1,
        message: 'admin/public endpoint for the compute service in region R3 not found in the catalog',
        hint: 'the catalog has public@R1, public@R2, internal@R1: choose with --os-interface / --os-region-name',
      }),
    );
  });

  it('says when the catalog has no such service at all', () => {
    expect(() => requireEndpoint(catalog, { serviceType: 'network', interfaces: ['public'] })).toThrow(
      expect.objectContaining({
        message: 'public endpoint for the network service not found in the catalog',
        hint: 'the catalog has no network service: ask for a project-scoped token of a cloud that runs it',
      }),
    );
  });

  it('lists an endpoint without a region by its interface alone', () => {
    const c = parseCatalog([{ type: 'network', endpoints: [{ interface: 'internal', url: 'http://n' }] }]);
    expect(() => requireEndpoint(c, { serviceType: 'network', interfaces: ['public'] })).toThrow(
      expect.objectContaining({
        hint: 'the catalog has internal: choose with --os-interface / --os-region-name',
      }),
    );
    expect(requireEndpoint(c, { serviceType: 'network', interfaces: ['internal'] })).toBe('http://n');
  });
});
