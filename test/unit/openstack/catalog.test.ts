import { describe, expect, it } from 'vitest';
import { type Catalog, findEndpoint, parseCatalog, requireEndpoint } from '../../../src/openstack/catalog.js';
import { httpFixture } from '../../helpers/openstack-fixtures.js';

const LAB = parseCatalog(
  (
    JSON.parse(httpFixture('api/keystone-auth-tokens-password-project.201.http').body.toString()) as {
      token: { catalog: unknown };
    }
  ).token.catalog,
);

const CAT: Catalog = [
  {
    type: 'compute',
    endpoints: [
      { interface: 'public', region_id: 'R1', url: 'https://pub-r1/v2.1' },
      { interface: 'internal', region_id: 'R1', url: 'http://int-r1/v2.1' },
      { interface: 'public', region_id: 'R2', url: 'https://pub-r2/v2.1' },
      { interface: 'admin', region: 'R2', url: '' },
    ],
  },
  { type: 'network', endpoints: [{ interface: 'public', region_id: 'R1', url: 'https://neutron' }] },
];

describe('catalog endpoint selection', () => {
  it('reads the lab catalog', () => {
    expect(findEndpoint(LAB, { serviceType: 'compute', interfaces: ['public'], region: 'RegionOne' })).toBe(
      'http://127.0.0.1:8774/v2.1',
    );
    expect(findEndpoint(LAB, { serviceType: 'network', interfaces: ['public'] })).toBe(
      'http://127.0.0.1:9696',
    );
  });

  it.each<[string, string[], string | undefined, string | undefined]>([
    ['public by region', ['public'], 'R2', 'https://pub-r2/v2.1'],
    ['internal', ['internal'], 'R1', 'http://int-r1/v2.1'],
    [
      'the first interface of the list that matches',
      ['admin', 'internal', 'public'],
      'R1',
      'http://int-r1/v2.1',
    ],
    ['skipping an empty URL', ['admin', 'public'], 'R2', 'https://pub-r2/v2.1'],
    ['any region when none is asked', ['public'], undefined, 'https://pub-r1/v2.1'],
    ['nothing in an unknown region', ['public'], 'R3', undefined],
  ])('picks %s', (_w, interfaces, region, expected) => {
    expect(findEndpoint(CAT, { serviceType: 'compute', interfaces, ...(region ? { region } : {}) })).toBe(
      expected,
    );
  });

  it('names what is missing and what the catalog has', () => {
    expect(() =>
      requireEndpoint(CAT, { serviceType: 'compute', interfaces: ['admin'], region: 'R1' }),
    ).toThrow('admin endpoint for the compute service in region R1 not found in the catalog');
    try {
      requireEndpoint(CAT, { serviceType: 'image', interfaces: ['public'] });
    } catch (e) {
      expect((e as { hint: string }).hint).toMatch(/no image service/);
      expect((e as { exitCode: number }).exitCode).toBe(1);
    }
  });

  it('drops malformed entries', () => {
    expect(
      parseCatalog([{ type: 'x', endpoints: [{ url: 1 }, { interface: 'public', url: 'u' }] }, 'junk']),
    ).toEqual([{ type: 'x', endpoints: [{ interface: 'public', url: 'u' }] }]);
    expect(parseCatalog(undefined)).toEqual([]);
  });
});
