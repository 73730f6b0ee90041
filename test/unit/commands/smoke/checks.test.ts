import { describe, expect, it } from 'vitest';
import {
  checkMetaData,
  checkNetworkData,
  checkSocket,
  checkUserData,
  checkVendorData,
  checkVersions,
} from '../../../../src/commands/smoke/checks.js';
import type { MetadataResponse } from '../../../../src/metadata/api.js';
import { parseServer, type Server } from '../../../../src/openstack/nova.js';
import { httpFixture } from '../../../helpers/openstack-fixtures.js';

// The validation rules on real documents captured from the lab, each with a broken variant.

type Answer = Pick<MetadataResponse, 'status' | 'body' | 'contentType'>;
const answer = (name: string): Answer => {
  const f = httpFixture(name);
  return { status: f.status, body: f.body, contentType: f.headers['content-type'] ?? '' };
};
const edited = (a: Answer, edit: (doc: Record<string, unknown>) => void): Answer => {
  const doc = JSON.parse(a.body.toString('utf8')) as Record<string, unknown>;
  edit(doc);
  return { ...a, body: Buffer.from(JSON.stringify(doc)) };
};

const server: Server = parseServer(
  (JSON.parse(httpFixture('api/nova-server-show.200.http').body.toString('utf8')) as { server: unknown })
    .server,
)!;
const metaData = answer('nova-metadata/openstack-latest-meta_data.json.200.http');
const networkData = answer('nova-metadata/openstack-latest-network_data.json.200.http');

describe('the captured server matches its captured documents', () => {
  it('is lab-vm1 with one port MAC', () => {
    expect(server).toMatchObject({ id: 'cc44da1b-aa6c-4ab2-926d-31aa6e134fb0', name: 'lab-vm1' });
    expect(server.addresses.map((a) => a.mac)).toEqual(['fa:16:3e:fe:cc:24']);
  });
});

describe('versions', () => {
  it('passes the real version list', () => {
    expect(checkVersions(answer('nova-metadata/openstack.200.http'))).toEqual({
      ok: true,
      detail: '10 versions, latest included',
    });
  });
  it('fails a list without latest', () => {
    const a = answer('nova-metadata/openstack.200.http');
    const r = checkVersions({ ...a, body: Buffer.from(a.body.toString().replace('latest', '')) });
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/^the version list has no 'latest'/);
  });
  it('names a rejected signature', () => {
    const r = checkVersions(answer('nova-metadata/err-bad-signature.403.accept-json.http'));
    expect(r).toEqual({
      ok: false,
      detail:
        "nova rejected the signature (403): the shared secret differs from nova's [neutron] metadata_proxy_shared_secret",
    });
  });
});

describe('meta_data.json', () => {
  it('passes the real document', () => {
    expect(checkMetaData(metaData, server)).toEqual({
      ok: true,
      detail: 'uuid, project_id, name and hostname (lab-vm1.novalocal) as nova has them',
    });
  });
  it.each([
    [
      'another uuid',
      (d: Record<string, unknown>) => (d.uuid = '00000000-0000-4000-8000-000000000000'),
      /is for instance 0000/,
    ],
    [
      'another project',
      (d: Record<string, unknown>) => (d.project_id = 'x'),
      /says project x, nova's server says 1bdf/,
    ],
    [
      'another name',
      (d: Record<string, unknown>) => (d.name = 'web-9'),
      /names the server 'web-9', nova 'lab-vm1'/,
    ],
    ['no hostname', (d: Record<string, unknown>) => delete d.hostname, /has no hostname/],
    ['an empty hostname', (d: Record<string, unknown>) => (d.hostname = ''), /has no hostname/],
  ])('fails %s', (_n, edit, re) => {
    const r = checkMetaData(edited(metaData, edit), server);
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(re);
  });
  it('fails a body that is not JSON', () => {
    const r = checkMetaData({ ...metaData, body: Buffer.from('{"uuid":') }, server);
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/^meta_data.json is not valid JSON/);
  });
  it('explains a 404 (tenant mismatch, unknown instance or proxy off)', () => {
    const r = checkMetaData(answer('nova-metadata/err-tenant-mismatch.404.accept-json.http'), server);
    expect(r.ok).toBe(false);
    expect(r.detail).toContain('its project differs from X-Tenant-ID');
    expect(r.detail).toContain('service_metadata_proxy = false');
  });
  it('explains a 400', () => {
    const r = checkMetaData(answer('nova-metadata/err-missing-instance-id.400.accept-json.http'), server);
    expect(r.detail).toBe("nova answered 400 for meta_data.json: a header of the agent's is missing");
  });
});

describe('network_data.json', () => {
  it("passes the real document: its link's MAC is the server's port", () => {
    expect(checkNetworkData(networkData, server)).toEqual({
      ok: true,
      detail: "1 link, MACs match the server's ports",
    });
  });
  it('compares MACs without regard to case', () => {
    const upper = edited(networkData, (d) => {
      for (const l of d.links as Array<Record<string, string>>)
        l.ethernet_mac_address = l.ethernet_mac_address!.toUpperCase();
    });
    expect(checkNetworkData(upper, server).ok).toBe(true);
  });
  it("fails a link whose MAC is not one of the server's", () => {
    const r = checkNetworkData(
      edited(
        networkData,
        (d) => ((d.links as Array<Record<string, string>>)[0]!.ethernet_mac_address = 'fa:16:3e:00:00:01'),
      ),
      server,
    );
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(
      /has MAC fa:16:3e:00:00:01, not one of the server's ports \(fa:16:3e:fe:cc:24\)/,
    );
  });
  it('fails a document without links (the port is in another project)', () => {
    const r = checkNetworkData({ ...networkData, body: Buffer.from('{}') }, { ...server, addresses: [] });
    expect(r.ok).toBe(false);
    expect(r.detail).toContain('no links');
  });
  it('fails a body that is not JSON', () => {
    expect(checkNetworkData({ ...networkData, body: Buffer.from('links') }, server).ok).toBe(false);
  });
});

describe('vendor data, user data', () => {
  it.each([
    ['nova-metadata/openstack-latest-vendor_data.json.200.http', 'vendor_data.json'],
    ['nova-metadata/openstack-latest-vendor_data2.json.200.http', 'vendor_data2.json'],
  ])('passes the real %s', (file, name) => {
    expect(checkVendorData(answer(file), name)).toEqual({ ok: true, detail: 'valid JSON' });
  });
  it('passes an absent vendor document (404)', () => {
    expect(
      checkVendorData(answer('nova-metadata/err-unknown-document.404.accept-json.http'), 'vendor_data.json'),
    ).toEqual({
      ok: true,
      detail: 'absent',
    });
  });
  it('fails vendor data that is not JSON', () => {
    const a = answer('nova-metadata/openstack-latest-vendor_data2.json.200.http');
    expect(checkVendorData({ ...a, body: Buffer.from('{static') }, 'vendor_data2.json').ok).toBe(false);
  });
  it('passes the real user_data and fails an absent one', () => {
    expect(checkUserData(answer('nova-metadata/openstack-latest-user_data.200.http')).ok).toBe(true);
    const r = checkUserData(answer('nova-metadata/err-unknown-document.404.accept-json.http'));
    expect(r).toEqual({
      ok: false,
      detail: 'no user_data: nova has none for this server (--expect-user-data)',
    });
  });
});

describe('through the agent', () => {
  it("passes the agent's real answer for lab-vm1", () => {
    expect(checkSocket(answer('agent-socket/vm1.200.http'), server, undefined).ok).toBe(true);
  });
  it("fails the agent's 404 for a port in another project, and says why when the port is known", () => {
    const note = 'port p belongs to project alt, the instance to demo';
    const r = checkSocket(answer('agent-socket/vm3-port-in-other-project.404.http'), server, note);
    expect(r).toEqual({ ok: false, detail: `the agent answered 404: ${note}` });
  });
  it("fails the agent's answer for another instance", () => {
    const r = checkSocket(answer('agent-socket/vm1.200.http'), { ...server, id: 'other' }, undefined);
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/answered for instance cc44da1b-.*, not other/);
  });
});
