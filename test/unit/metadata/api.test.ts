import { describe, expect, it } from 'vitest';
import {
  errorMessage,
  explainFailure,
  fetchMetadata,
  headersFor,
  type NovaTarget,
  resolveDocument,
} from '../../../src/metadata/api.js';
import { HttpClient } from '../../../src/openstack/http.js';
import { signInstanceId } from '../../../src/signature.js';
import { createTestContext } from '../../helpers/context.js';
import { FX, httpFixture, mockAgent, replyWith } from '../../helpers/openstack-fixtures.js';

const SECRET = 's3cr3t';
const SIG = signInstanceId(SECRET, FX.vm1);
const target: NovaTarget = {
  via: 'nova',
  baseUrl: FX.metadata,
  tls: {},
  instanceId: FX.vm1,
  projectId: FX.demo,
  signature: SIG,
  forwardedFor: FX.vm1Ip,
};

describe('error bodies (webob, internals §1.6)', () => {
  it.each([
    ['err-bad-signature.403', 'Invalid proxy request signature.'],
    ['err-missing-instance-id.400', 'X-Instance-ID header is missing from request.'],
    ['err-tenant-mismatch.404', 'The resource could not be found.'],
    ['err-unknown-document.404', 'The resource could not be found.'],
  ])('reads %s in every Accept form', (name, message) => {
    for (const accept of ['accept-none', 'accept-any', 'accept-json']) {
      const f = httpFixture(`nova-metadata/${name}.${accept}.http`);
      expect(errorMessage({ body: f.body, contentType: f.headers['content-type'] ?? '' })).toBe(message);
    }
  });

  it("reads the agent's own pages", () => {
    const f = httpFixture('agent-socket/no-x-forwarded-for.500.http');
    expect(errorMessage({ body: f.body, contentType: f.headers['content-type'] ?? '' })).toBe(
      'An unknown error has occurred. Please try your request again.',
    );
  });
});

describe('document paths', () => {
  it.each<[string | undefined, { ec2?: boolean; version?: string }, string, boolean]>([
    [undefined, {}, '/openstack/latest/', true],
    ['meta_data.json', {}, '/openstack/latest/meta_data.json', false],
    ['user_data', { version: '2018-08-27' }, '/openstack/2018-08-27/user_data', false],
    ['no_such.json', {}, '/openstack/latest/no_such.json', false],
    [undefined, { ec2: true }, '/latest/meta-data/', true],
    ['meta-data/local-ipv4', { ec2: true }, '/latest/meta-data/local-ipv4', false],
    ['user-data', { ec2: true, version: '2009-04-04' }, '/2009-04-04/user-data', false],
    ['/openstack', {}, '/openstack', false],
    ['/openstack/content/0000', {}, '/openstack/content/0000', false],
    ['a b?c#d%2e', {}, '/openstack/latest/a%20b%3Fc%23d%252e', false],
  ])('%s %j → %s', (doc, o, path, listing) => {
    const d = resolveDocument(doc, { version: 'latest', ...o });
    expect(d.path).toBe(path);
    expect(d.listing).toBe(listing);
  });

  it.each([
    ['../../etc/passwd', "leaves the metadata tree ('..')"],
    ['openstack/../x', "leaves the metadata tree ('..')"],
    ['http://169.254.169.254/openstack', 'is a URL'],
    ['file:meta', 'is a URL'],
    ['meta\ndata', 'control characters'],
    ['meta\u0000', 'control characters'],
  ])('refuses %j with exit 2', (doc, why) => {
    try {
      resolveDocument(doc, { version: 'latest' });
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toContain(why);
      expect((e as { exitCode: number }).exitCode).toBe(2);
    }
  });

  it.each(['lastest', '2018-8-27', '../x', ''])('refuses the version %j', (v) => {
    expect(() => resolveDocument(undefined, { version: v })).toThrow(/is not a metadata version/);
  });
});

describe('signed requests', () => {
  it('sends the four headers the agent sends, and Accept: application/json', () => {
    expect(headersFor(target)).toEqual({
      'X-Instance-ID': FX.vm1,
      'X-Tenant-ID': FX.demo,
      'X-Instance-ID-Signature': SIG,
      'X-Forwarded-For': FX.vm1Ip,
      Accept: 'application/json',
    });
  });

  it('gets a document with the exact signature on the wire', async () => {
    const agent = mockAgent();
    agent
      .get(FX.metadata)
      .intercept({
        path: '/openstack/latest/meta_data.json',
        headers: { 'x-instance-id-signature': SIG, 'x-instance-id': FX.vm1, 'x-tenant-id': FX.demo },
      })
      .reply(replyWith('nova-metadata/openstack-latest-meta_data.json.200.http'));
    const { ctx } = createTestContext({ dispatcher: agent });
    const http = new HttpClient(ctx, { timeout: 5 });
    const res = await fetchMetadata(http, target, '/openstack/latest/meta_data.json');
    expect(res.status).toBe(200);
    expect(res.contentType).toBe('application/json');
    expect(JSON.parse(res.body.toString()).uuid).toBe(FX.vm1);
    agent.assertNoPendingInterceptors();
  });

  async function explain(
    doc: string | undefined,
    replies: Array<[string, number, string]>,
    version = 'latest',
  ) {
    const agent = mockAgent();
    for (const [path, status, fixture] of replies) {
      agent
        .get(FX.metadata)
        .intercept({ path, headers: { 'x-instance-id-signature': SIG } })
        .reply(fixture === '' ? () => ({ statusCode: status, data: '' }) : replyWith(fixture));
    }
    const { ctx } = createTestContext({ dispatcher: agent });
    const http = new HttpClient(ctx, { timeout: 5 });
    const d = resolveDocument(doc, { version });
    const first = await fetchMetadata(http, target, d.path);
    const err = await explainFailure({ http, target, doc: d, now: () => Date.UTC(2026, 10, 26, 12) }, first);
    agent.assertNoPendingInterceptors();
    return err;
  }

  it('calls a 403 a signature problem, exit 4, never a missing server', async () => {
    const e = await explain('meta_data.json', [
      ['/openstack/latest/meta_data.json', 403, 'nova-metadata/err-bad-signature.403.accept-json.http'],
    ]);
    expect(e.exitCode).toBe(4);
    expect(e.code).toBe('SIGNATURE_REJECTED');
    expect(e.message).toBe(
      `nova rejected the signature for instance ${FX.vm1} (403): Invalid proxy request signature.`,
    );
    expect(e.hint).toMatch(/metadata_proxy_shared_secret/);
  });

  it('tells a missing document from the listing, naming those that exist', async () => {
    const e = await explain('vendor_data3.json', [
      ['/openstack/latest/vendor_data3.json', 404, 'nova-metadata/err-unknown-document.404.accept-json.http'],
      ['/openstack/latest/', 200, 'nova-metadata/openstack-latest.200.http'],
    ]);
    expect(e.exitCode).toBe(1);
    expect(e.code).toBe('DOCUMENT_NOT_FOUND');
    expect(e.message).toBe("nova has no document 'vendor_data3.json' under openstack/latest/ (404)");
    expect(e.hint).toBe(
      'documents that exist: meta_data.json, user_data, password, vendor_data.json, network_data.json, vendor_data2.json',
    );
  });

  it('says the instance is unknown (or another project, or proxy mode off) when even the version list is 404', async () => {
    const e = await explain('meta_data.json', [
      ['/openstack/latest/meta_data.json', 404, 'nova-metadata/err-tenant-mismatch.404.accept-json.http'],
      ['/openstack/latest/', 404, 'nova-metadata/err-tenant-mismatch.404.accept-json.http'],
      ['/openstack', 404, 'nova-metadata/err-tenant-mismatch.404.accept-json.http'],
    ]);
    expect(e.code).toBe('INSTANCE_NOT_FOUND');
    expect(e.exitCode).toBe(1);
    expect(e.message).toBe(
      `nova's metadata API does not know instance ${FX.vm1} in project ${FX.demo} (404, even for the version list)`,
    );
    expect(e.hint).toMatch(/service_metadata_proxy = false/);
  });

  it('names an unknown version with the list of those that exist', async () => {
    const e = await explain(
      'meta_data.json',
      [
        [
          '/openstack/2099-01-01/meta_data.json',
          404,
          'nova-metadata/err-unknown-document.404.accept-json.http',
        ],
        ['/openstack/2099-01-01/', 404, 'nova-metadata/err-unknown-document.404.accept-json.http'],
        ['/openstack', 200, 'nova-metadata/openstack.200.http'],
      ],
      '2099-01-01',
    );
    expect(e.code).toBe('VERSION_NOT_FOUND');
    expect(e.message).toBe("nova has no metadata version '2099-01-01' (404)");
    expect(e.hint).toMatch(/^versions: 2012-08-10, .*latest$/);
  });

  it("explains a 400 as missing headers and a 500 as nova's own failure", async () => {
    const bad = await explain('meta_data.json', [
      ['/openstack/latest/meta_data.json', 400, 'nova-metadata/err-missing-instance-id.400.accept-json.http'],
    ]);
    expect(bad.message).toBe(
      "nova's metadata API refused the request (400): X-Instance-ID header is missing from request.",
    );
    const failed = await explain('meta_data.json', [['/openstack/latest/meta_data.json', 500, '']]);
    expect(failed.code).toBe('METADATA_SERVER_ERROR');
    expect(failed.hint).toBe(
      `look in nova-api-metadata's log for 'Failed to get metadata for instance id: ${FX.vm1}' at 2026-11-26T12:00:00.000Z`,
    );
  });
});
