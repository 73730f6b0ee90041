import { describe, expect, it } from 'vitest';
import type { GetOptions } from '../../../src/commands/get/run.js';
import { metadataBaseUrl, metadataTls } from '../../../src/commands/metadata-api.js';
import type { ResolvedCloud } from '../../../src/openstack/config.js';
import type { Session } from '../../../src/openstack/session.js';
import { cloudOf } from '../../helpers/openstack-fixtures.js';

const withConfig = (
  config: Record<string, unknown>,
  tls: ResolvedCloud['tls'] = { insecure: false },
): ResolvedCloud => ({
  ...cloudOf({}),
  config,
  tls,
});
const session = (compute: string) => ({ endpoint: () => compute }) as unknown as Session;

describe("the metadata API's URL", () => {
  it.each<
    [
      string,
      { metadataUrl?: string },
      Record<string, string>,
      ResolvedCloud | undefined,
      Session | undefined,
      string,
      string,
    ]
  >([
    [
      '--metadata-url first',
      { metadataUrl: 'https://flag:8775/' },
      { OSMETA_METADATA_URL: 'http://env:1' },
      withConfig({ metadata_url: 'http://cfg:1' }),
      session('http://nova:8774/v2.1'),
      'https://flag:8775',
      '--metadata-url',
    ],
    [
      'then OSMETA_METADATA_URL',
      {},
      { OSMETA_METADATA_URL: 'http://env:1' },
      withConfig({ metadata_url: 'http://cfg:1' }),
      session('http://nova:8774/v2.1'),
      'http://env:1',
      'OSMETA_METADATA_URL',
    ],
    [
      "then the cloud's metadata_url",
      {},
      {},
      withConfig({ metadata_url: 'http://cfg:1' }),
      session('http://nova:8774/v2.1'),
      'http://cfg:1',
      'clouds.yaml metadata_url',
    ],
    [
      "then the compute endpoint's host, port 8775",
      {},
      {},
      withConfig({}),
      session('https://nova.example:8774/v2.1'),
      'http://nova.example:8775',
      'the compute endpoint',
    ],
    [
      'an IPv6 compute host stays bracketed',
      {},
      {},
      withConfig({}),
      session('http://[fd00::5]:8774/v2.1'),
      'http://[fd00::5]:8775',
      'the compute endpoint',
    ],
    [
      'compute_endpoint_override without a session (--project-id)',
      {},
      {},
      withConfig({ compute_endpoint_override: 'http://ovr:8774/' }),
      undefined,
      'http://ovr:8775',
      'compute_endpoint_override',
    ],
    ['else 127.0.0.1:8775', {}, {}, undefined, undefined, 'http://127.0.0.1:8775', 'the default'],
  ])('%s', (_w, o, env, cloud, s, url, source) => {
    expect(metadataBaseUrl(o, { env }, cloud, s)).toEqual({ url, source });
  });

  it('refuses a bad OSMETA_METADATA_URL as a configuration error (exit 1)', () => {
    expect(() =>
      metadataBaseUrl({}, { env: { OSMETA_METADATA_URL: 'nova:8775' } }, undefined, undefined),
    ).toThrow(
      expect.objectContaining({
        exitCode: 1,
        message: 'OSMETA_METADATA_URL is not an http or https URL',
      }),
    );
  });
});

describe("the metadata API's TLS", () => {
  const o = (x: Partial<GetOptions>) =>
    ({ server: 's', metadataVersion: 'latest', os: {}, timeout: 1, ...x }) as GetOptions;
  const cloud = withConfig(
    {},
    { insecure: false, cacert: '/cloud/ca.pem', cert: '/cloud/c.pem', key: '/cloud/k.pem' },
  );

  it("uses the cloud's settings by default", () => {
    expect(metadataTls(o({}), cloud)).toEqual({
      insecure: false,
      cacert: '/cloud/ca.pem',
      cert: '/cloud/c.pem',
      key: '/cloud/k.pem',
    });
  });

  it('lets --metadata-* override them', () => {
    expect(metadataTls(o({ metadataCacert: '/m/ca.pem', metadataCert: '/m/both.pem' }), cloud)).toEqual({
      insecure: false,
      cacert: '/m/ca.pem',
      cert: '/m/both.pem',
    });
    expect(metadataTls(o({ metadataInsecure: true }), cloud).insecure).toBe(true);
    expect(metadataTls(o({ metadataCert: '/m/c.pem', metadataKey: '/m/k.pem' }), undefined)).toEqual({
      cert: '/m/c.pem',
      key: '/m/k.pem',
    });
  });
});
