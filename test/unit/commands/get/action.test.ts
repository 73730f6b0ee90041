import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signInstanceId } from '../../../../src/signature.js';
import { type RunResult, runCli } from '../../../helpers/context.js';
import { mockCloud } from '../../../helpers/mock-cloud.js';
import { FX, httpFixture, keystoneToken, replyWith } from '../../../helpers/openstack-fixtures.js';

const SECRET = 'lab-shared-s3cr3t';
const PASSWORD = 'admin-pa55word';
const TOKEN = 'gAAAAB-keystone-token';
const SIG = signInstanceId(SECRET, FX.vm1);
const META = httpFixture('nova-metadata/openstack-latest-meta_data.json.200.http');
const LISTING =
  'meta_data.json\nuser_data\npassword\nvendor_data.json\nnetwork_data.json\nvendor_data2.json\n';

let dir = '';
let agent: MockAgent;
let env: Record<string, string>;

beforeEach(() => {
  ({ dir, agent, env } = mockCloud('osmeta-get-', { secret: SECRET, password: PASSWORD }));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const signed = { 'x-instance-id': FX.vm1, 'x-tenant-id': FX.demo, 'x-instance-id-signature': SIG };

function keystone(times = 1) {
  agent
    .get(FX.keystone)
    .intercept({
      path: '/v3/auth/tokens',
      method: 'POST',
      body: (b: string) => JSON.parse(b).auth.identity.password.user.password === PASSWORD,
    })
    .reply(keystoneToken(TOKEN, new Date(Date.now() + 3600_000)))
    .times(times);
}

function novaServer() {
  agent
    .get(FX.nova)
    .intercept({ path: `/v2.1/servers/${FX.vm1}`, headers: { 'x-auth-token': TOKEN } })
    .reply(replyWith('api/nova-server-show.200.http'));
}

function metadata(
  path: string,
  reply: ReturnType<typeof replyWith> | [number, string | Buffer],
  headers: Record<string, string> = signed,
) {
  const i = agent
    .get(FX.metadata)
    .intercept({ path, headers: { ...headers, 'x-forwarded-for': FX.vm1Ip, accept: 'application/json' } });
  if (Array.isArray(reply))
    i.reply(reply[0], reply[1], { headers: { 'content-type': 'text/plain; charset=UTF-8' } });
  else i.reply(reply);
}

const get = (args: string[], o: { stdoutIsTTY?: boolean; env?: Record<string, string> } = {}) =>
  runCli(['get', ...args], {
    env: { ...env, ...o.env },
    dispatcher: agent,
    stdoutIsTTY: o.stdoutIsTTY ?? false,
  });

function noSecrets(r: RunResult) {
  const all = r.stdout + r.stderr;
  for (const s of [SECRET, PASSWORD, TOKEN, SIG]) expect(all).not.toContain(s);
}

describe('osmeta get: the lookup and the signed request', () => {
  it('prints meta_data.json byte for byte when piped', async () => {
    keystone();
    novaServer();
    metadata(
      '/openstack/latest/meta_data.json',
      replyWith('nova-metadata/openstack-latest-meta_data.json.200.http'),
    );
    const r = await get([FX.vm1, 'meta_data.json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(META.body.toString('utf8'));
    expect(r.stderr).toBe('');
    agent.assertNoPendingInterceptors();
  });

  it('lists the documents one per line without a document', async () => {
    keystone();
    novaServer();
    metadata('/openstack/latest/', replyWith('nova-metadata/openstack-latest.200.http'));
    const r = await get([FX.vm1]);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, LISTING, '']);
  });

  it('keeps the JSON contract with --json', async () => {
    keystone();
    novaServer();
    metadata(
      '/openstack/latest/meta_data.json',
      replyWith('nova-metadata/openstack-latest-meta_data.json.200.http'),
    );
    const r = await get([FX.vm1, 'meta_data.json', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout);
    expect(doc).toEqual({
      server: { id: FX.vm1, name: 'lab-vm1', projectId: FX.demo, status: 'ACTIVE' },
      via: 'nova',
      request: {
        url: `${FX.metadata}/openstack/latest/meta_data.json`,
        status: 200,
        durationMs: expect.any(Number),
        requestId: null,
        contentType: 'application/json',
      },
      document: JSON.parse(META.body.toString('utf8')),
    });
    expect(Number.isInteger(doc.request.durationMs)).toBe(true);
  });

  it('reads an EC2 path with --ec2', async () => {
    keystone();
    novaServer();
    metadata(
      '/latest/meta-data/local-ipv4',
      replyWith('nova-metadata/ec2-latest-meta-data-local-ipv4.200.http'),
    );
    const r = await get([FX.vm1, '--ec2', 'meta-data/local-ipv4']);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, '10.90.0.10', '']);
  });

  it('pretty-prints JSON on a terminal, and colours it unless NO_COLOR', async () => {
    keystone();
    novaServer();
    metadata(
      '/openstack/latest/network_data.json',
      replyWith('nova-metadata/openstack-latest-network_data.json.200.http'),
    );
    const plain = await get([FX.vm1, 'network_data.json'], { stdoutIsTTY: true });
    const net = httpFixture('nova-metadata/openstack-latest-network_data.json.200.http').body.toString();
    expect(plain.stdout).toBe(`${JSON.stringify(JSON.parse(net), null, 2)}\n`);
    novaServer();
    metadata(
      '/openstack/latest/network_data.json',
      replyWith('nova-metadata/openstack-latest-network_data.json.200.http'),
    );
    const coloured = await get([FX.vm1, 'network_data.json'], { stdoutIsTTY: true, env: { NO_COLOR: '' } });
    expect(coloured.stdout).toContain('\u001b[');
    expect(coloured.stdout.replace(/\u001b\[\d+m/g, '')).toBe(plain.stdout);
  });

  it('prints the body untouched on a terminal with --raw', async () => {
    keystone();
    novaServer();
    metadata(
      '/openstack/latest/meta_data.json',
      replyWith('nova-metadata/openstack-latest-meta_data.json.200.http'),
    );
    const r = await get([FX.vm1, 'meta_data.json', '--raw'], { stdoutIsTTY: true });
    expect(r.stdout).toBe(META.body.toString('utf8'));
  });

  it('sends --forwarded-for instead of the fixed IP', async () => {
    keystone();
    novaServer();
    agent
      .get(FX.metadata)
      .intercept({
        path: '/latest/meta-data/local-ipv4',
        headers: { ...signed, 'x-forwarded-for': '192.0.2.1' },
      })
      .reply(200, '10.90.0.10');
    const r = await get([FX.vm1, '--ec2', 'meta-data/local-ipv4', '--forwarded-for', '192.0.2.1']);
    expect(r.code).toBe(0);
    agent.assertNoPendingInterceptors();
  });

  it('prints nothing with --quiet', async () => {
    keystone();
    novaServer();
    metadata('/openstack/latest/', replyWith('nova-metadata/openstack-latest.200.http'));
    const r = await get([FX.vm1, '--quiet']);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, '', '']);
  });

  it('reuses the cached token on the next run (one Keystone request for two runs)', async () => {
    keystone(1);
    novaServer();
    novaServer();
    metadata('/openstack/latest/', replyWith('nova-metadata/openstack-latest.200.http'));
    metadata('/openstack/latest/', replyWith('nova-metadata/openstack-latest.200.http'));
    expect((await get([FX.vm1])).code).toBe(0);
    expect((await get([FX.vm1])).code).toBe(0);
    agent.assertNoPendingInterceptors();
    const names = readdirSync(join(dir, 'cache', 'osmeta')).filter((n) => n !== 'cache-key');
    expect(names).toEqual([expect.stringMatching(/^token-[0-9a-f]{64}\.json$/)]);
    const cached = readFileSync(join(dir, 'cache', 'osmeta', names[0]!), 'utf8');
    expect(cached).toContain(TOKEN);
    expect(cached).not.toContain(PASSWORD);
  });
});

describe('osmeta get: a server whose addresses nova does not list', () => {
  const bare = () => {
    const doc = JSON.parse(httpFixture('api/nova-server-show.200.http').body.toString());
    doc.server.addresses = {};
    return JSON.stringify(doc);
  };
  const ports = (projectId: string) => {
    const doc = JSON.parse(httpFixture('api/neutron-ports-by-device_id.200.http').body.toString());
    doc.ports[0].tenant_id = projectId;
    doc.ports[0].project_id = projectId;
    return JSON.stringify(doc);
  };

  it("asks as the port's fixed IP, as the agent would", async () => {
    keystone();
    agent
      .get(FX.nova)
      .intercept({ path: `/v2.1/servers/${FX.vm1}` })
      .reply(200, bare());
    agent
      .get(FX.neutron)
      .intercept({ path: (p: string) => p.includes(`device_id=${FX.vm1}`) })
      .reply(200, ports(FX.alt));
    metadata('/latest/meta-data/local-ipv4', [200, FX.vm1Ip]);
    const r = await get([FX.vm1, '--ec2', 'meta-data/local-ipv4']);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, FX.vm1Ip, '']);
    agent.assertNoPendingInterceptors();
  });
});

describe('osmeta get --all', () => {
  function all(userData: boolean) {
    keystone();
    novaServer();
    metadata(
      '/openstack/latest/meta_data.json',
      replyWith('nova-metadata/openstack-latest-meta_data.json.200.http'),
    );
    metadata(
      '/openstack/latest/user_data',
      userData
        ? replyWith('nova-metadata/openstack-latest-user_data.200.http')
        : replyWith('nova-metadata/err-unknown-document.404.accept-json.http'),
    );
    metadata('/openstack/latest/password', replyWith('nova-metadata/openstack-latest-password.200.http'));
    metadata(
      '/openstack/latest/vendor_data.json',
      replyWith('nova-metadata/openstack-latest-vendor_data.json.200.http'),
    );
    metadata(
      '/openstack/latest/network_data.json',
      replyWith('nova-metadata/openstack-latest-network_data.json.200.http'),
    );
    metadata(
      '/openstack/latest/vendor_data2.json',
      replyWith('nova-metadata/openstack-latest-vendor_data2.json.200.http'),
    );
  }

  it('prints one JSON object keyed by document when piped, absent documents as null', async () => {
    all(false);
    const r = await get([FX.vm1, '--all']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc)).toEqual([
      'meta_data.json',
      'user_data',
      'password',
      'vendor_data.json',
      'network_data.json',
      'vendor_data2.json',
    ]);
    expect(doc['meta_data.json'].uuid).toBe(FX.vm1);
    expect(doc.user_data).toBeNull();
    expect(doc.password).toBe('');
    expect(doc['vendor_data2.json']).toEqual({ static: {} });
    agent.assertNoPendingInterceptors();
  });

  it('reports status, duration and absence per document with --json', async () => {
    all(false);
    const r = await get([FX.vm1, '--all', '--json']);
    const doc = JSON.parse(r.stdout);
    expect(doc.server.id).toBe(FX.vm1);
    expect(doc.request).toBeUndefined();
    expect(doc.documents.user_data).toEqual({ status: 404, durationMs: expect.any(Number), absent: true });
    expect(doc.documents['network_data.json']).toMatchObject({
      status: 200,
      document: { links: expect.any(Array) },
    });
  });

  it('puts each document under a heading on a terminal', async () => {
    all(true);
    const r = await get([FX.vm1, '--all'], { stdoutIsTTY: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^== meta_data.json \(200, \d+ ms\)\n\{\n {2}"uuid"/);
    expect(r.stdout).toMatch(/== user_data \(200, \d+ ms\)\n#cloud-config\n/);
    expect(r.stdout).toMatch(/== password \(200, \d+ ms\)\nempty\n/);
  });

  it('refuses --all with a document or with --ec2', async () => {
    for (const args of [
      [FX.vm1, 'meta_data.json', '--all'],
      [FX.vm1, '--all', '--ec2'],
    ]) {
      const r = await get(args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^error: --all /);
    }
  });
});

describe('osmeta get: failures', () => {
  it('says there are no credentials at all before asking for anything (exit 4)', async () => {
    const r = await runCli(['get', 'web-1'], {
      env: { OSMETA_SHARED_SECRET: SECRET },
      cwd: mkdtempSync(join(tmpdir(), 'osmeta-nocloud-')),
      homedir: mkdtempSync(join(tmpdir(), 'osmeta-nohome-')),
      dispatcher: agent,
    });
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe(
      'error: no OpenStack credentials: no clouds.yaml found and no OS_* variables set',
    );
    expect(r.stderr).toContain('--project-id');
  });

  it('exits 4 when nova rejects the signature, saying it is the secret', async () => {
    keystone();
    novaServer();
    metadata(
      '/openstack/latest/meta_data.json',
      replyWith('nova-metadata/err-bad-signature.403.accept-json.http'),
    );
    const r = await get([FX.vm1, 'meta_data.json']);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `error: nova rejected the signature for instance ${FX.vm1} (403): Invalid proxy request signature.\n` +
        "hint: the shared secret differs from nova's [neutron] metadata_proxy_shared_secret (a 403 comes before any instance lookup: the server is not the problem)\n",
    );
  });

  it('puts the error in the JSON document with --json', async () => {
    keystone();
    novaServer();
    metadata(
      '/openstack/latest/meta_data.json',
      replyWith('nova-metadata/err-bad-signature.403.accept-json.http'),
    );
    const r = await get([FX.vm1, 'meta_data.json', '--json']);
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stdout)).toEqual({
      error: {
        code: 'SIGNATURE_REJECTED',
        exitCode: 4,
        message: `nova rejected the signature for instance ${FX.vm1} (403): Invalid proxy request signature.`,
        hint: expect.stringContaining('metadata_proxy_shared_secret'),
      },
    });
    expect(r.stderr.split('\n')[0]).toMatch(/^error: nova rejected the signature/);
  });

  it('exits 1 for a missing document, listing those that exist', async () => {
    keystone();
    novaServer();
    metadata(
      '/openstack/latest/user_data',
      replyWith('nova-metadata/err-unknown-document.404.accept-json.http'),
    );
    metadata('/openstack/latest/', [
      200,
      'meta_data.json\npassword\nvendor_data.json\nnetwork_data.json\nvendor_data2.json',
    ]);
    const r = await get([FX.vm1, 'user_data']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      "error: nova has no document 'user_data' under openstack/latest/ (the server was created without user data) (404)\n" +
        'hint: documents that exist: meta_data.json, password, vendor_data.json, network_data.json, vendor_data2.json\n',
    );
  });

  it('exits 1 when nova does not know the instance in that project', async () => {
    metadata(
      '/openstack/latest/meta_data.json',
      replyWith('nova-metadata/err-tenant-mismatch.404.accept-json.http'),
      { ...signed, 'x-tenant-id': FX.alt },
    );
    metadata('/openstack/latest/', replyWith('nova-metadata/err-tenant-mismatch.404.accept-json.http'), {
      ...signed,
      'x-tenant-id': FX.alt,
    });
    metadata('/openstack', replyWith('nova-metadata/err-tenant-mismatch.404.accept-json.http'), {
      ...signed,
      'x-tenant-id': FX.alt,
    });
    const r = await get(['--project-id', FX.alt, '--forwarded-for', FX.vm1Ip, FX.vm1, 'meta_data.json']);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe(
      `error: nova's metadata API does not know instance ${FX.vm1} in project ${FX.alt} (404, even for the version list)`,
    );
    agent.assertNoPendingInterceptors();
  });

  it('explains a 500 with where to look', async () => {
    keystone();
    novaServer();
    metadata('/openstack/latest/meta_data.json', [
      500,
      'An unknown error has occurred. Please try your request again.',
    ]);
    const r = await get([FX.vm1, 'meta_data.json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `^error: nova failed building the metadata of instance ${FX.vm1} \\(500\\): An unknown error has occurred. Please try your request again.\nhint: look in nova-api-metadata's log for 'Failed to get metadata for instance id: ${FX.vm1}' at \\d{4}-`,
      ),
    );
  });

  it("exits 4 with Keystone's message when the password is refused", async () => {
    agent
      .get(FX.keystone)
      .intercept({ path: '/v3/auth/tokens', method: 'POST' })
      .reply(replyWith('api/keystone-auth-tokens-bad-password.401.http'));
    const r = await get([FX.vm1, '--debug']);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      "error: Keystone rejected user 'admin': The request you have made requires authentication.\n",
    );
    expect(r.stderr).toContain('request id: req-2bebd4de-39e8-4914-ac5f-2878db413274\n');
    noSecrets(r);
  });

  it('exits 1 for an unknown server', async () => {
    keystone();
    agent
      .get(FX.nova)
      .intercept({ path: /^\/v2\.1\/servers\/detail/ })
      .reply(200, '{"servers": []}');
    const r = await get(['web-9']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe("error: no server with a name or ID of 'web-9' exists");
  });

  it('exits 4 with no shared secret, before any request', async () => {
    const r = await get([FX.vm1], { env: { OSMETA_SHARED_SECRET: undefined as unknown as string } });
    expect(r.code).toBe(4);
    expect(r.stderr.split('\n')[0]).toMatch(/^error: no shared secret/);
  });

  it('says nothing answers when the metadata API is down (exit 1)', async () => {
    const s: Server = createServer();
    await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
    const port = (s.address() as AddressInfo).port;
    await new Promise((ok) => s.close(ok));
    const r = await runCli(
      ['get', '--project-id', FX.demo, '--metadata-url', `http://127.0.0.1:${port}`, FX.vm1],
      {
        env: { OSMETA_SHARED_SECRET: SECRET },
      },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: nova's metadata API at 127.0.0.1:${port}: connection refused\n` +
        `hint: nothing answers at http://127.0.0.1:${port}: check --metadata-url and that nova-api-metadata runs\n`,
    );
  });

  it('keeps binary user data off a terminal, writes it raw when piped, and to a 0600 file with -o', async () => {
    const gz = gzipSync('#cloud-config\n');
    keystone();
    novaServer();
    novaServer();
    novaServer();
    for (let i = 0; i < 3; i++) metadata('/openstack/latest/user_data', [200, gz]);
    const tty = await get([FX.vm1, 'user_data'], { stdoutIsTTY: true });
    expect(tty.code).toBe(1);
    expect(tty.stdout).toBe('');
    expect(tty.stderr).toBe(
      `error: user_data is binary (gzip, ${gz.length} bytes): not written to the terminal\nhint: write it with -o FILE, or pipe it\n`,
    );
    const piped = await get([FX.vm1, 'user_data']);
    expect([piped.code, piped.stderr, piped.stdout]).toEqual([0, '', gz.toString()]);
    const out = join(dir, 'ud.gz');
    const file = await get([FX.vm1, 'user_data', '-o', out], { stdoutIsTTY: true });
    expect([file.code, file.stdout]).toEqual([0, '']);
    expect(file.stderr).toBe(`wrote ${gz.length} bytes of user_data to ${out}\n`);
    expect(readFileSync(out).equals(gz)).toBe(true);
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });

  it('never shows the password, token, shared secret or signature, even with --debug --json', async () => {
    keystone();
    novaServer();
    metadata(
      '/openstack/latest/meta_data.json',
      replyWith('nova-metadata/openstack-latest-meta_data.json.200.http'),
    );
    const r = await get([FX.vm1, 'meta_data.json', '--debug', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/X-Instance-ID-Signature: <redacted>/);
    expect(r.stderr).toMatch(/X-Auth-Token: <redacted>/);
    noSecrets(r);
  });
});

describe('osmeta get --project-id (no Keystone, no nova)', () => {
  const withTenant = (url: string, tenant: string) => {
    agent
      .get(url)
      .intercept({ path: '/openstack/latest/', headers: { ...signed, 'x-tenant-id': tenant } })
      .reply(replyWith('nova-metadata/openstack-latest.200.http'));
  };

  it('asks 127.0.0.1:8775 when there is no cloud at all', async () => {
    withTenant(FX.metadata, FX.demo);
    const r = await get(['--project-id', FX.demo, FX.vm1], {
      env: { OS_CLOUD: '', OS_CLIENT_CONFIG_FILE: '/nonexistent/clouds.yaml' },
    });
    expect([r.code, r.stdout, r.stderr]).toEqual([0, LISTING, '']);
    agent.assertNoPendingInterceptors();
  });

  it.each<[string, string[], Record<string, string>, string]>([
    [
      '--metadata-url',
      ['--metadata-url', 'http://flag.example:8775/'],
      { OSMETA_METADATA_URL: 'http://env.example:8775' },
      'http://flag.example:8775',
    ],
    [
      'OSMETA_METADATA_URL',
      [],
      { OSMETA_METADATA_URL: 'http://env.example:8775' },
      'http://env.example:8775',
    ],
  ])('takes the metadata URL from %s first', async (_w, args, extraEnv, url) => {
    withTenant(url, FX.demo);
    const r = await get(['--project-id', FX.demo, ...args, FX.vm1], { env: extraEnv });
    expect(r.code).toBe(0);
    agent.assertNoPendingInterceptors();
  });

  it("takes metadata_url from the cloud's clouds.yaml entry", async () => {
    writeFileSync(join(dir, 'clouds.yaml'), 'clouds:\n  lab:\n    metadata_url: http://cloud.example:8775\n');
    withTenant('http://cloud.example:8775', FX.demo);
    const r = await get(['--project-id', FX.demo, FX.vm1]);
    expect(r.code).toBe(0);
    agent.assertNoPendingInterceptors();
  });

  it("sends nova's lower-case form of the ID", async () => {
    withTenant(FX.metadata, FX.demo);
    const r = await get(['--project-id', FX.demo, FX.vm1.toUpperCase()], {
      env: { OS_CLOUD: '', OS_CLIENT_CONFIG_FILE: '/none' },
    });
    expect(r.code).toBe(0);
  });
});

describe('osmeta get: bad input (exit 2, one line, no request)', () => {
  it.each<[string, string[], string]>([
    [
      'a server that is not a UUID with --project-id',
      ['--project-id', FX.demo, 'web-1'],
      "error: 'web-1' is not an instance UUID",
    ],
    [
      'a path leaving the tree',
      [FX.vm1, '../../etc/passwd'],
      "error: '../../etc/passwd' leaves the metadata tree ('..')",
    ],
    [
      'a URL as document',
      [FX.vm1, 'http://169.254.169.254/latest'],
      "error: 'http://169.254.169.254/latest' is a URL: give a document path",
    ],
    ['control characters', [FX.vm1, 'meta\u0007data'], 'error: the document path has control characters'],
    [
      'a bad --forwarded-for',
      [FX.vm1, '--forwarded-for', '10.0.0'],
      "error: --forwarded-for '10.0.0' is not an IP address",
    ],
    ['a bad version', [FX.vm1, '--metadata-version', 'newest'], "error: 'newest' is not a metadata version"],
    [
      'a bad --metadata-url',
      [FX.vm1, '--metadata-url', 'ftp://x'],
      "error: --metadata-url 'ftp://x' is not an http or https URL",
    ],
    [
      '--network-id without --via-socket',
      [FX.vm1, '--network-id', FX.network],
      'error: --network-id needs --via-socket',
    ],
    [
      '--network-id with --router-id',
      [FX.vm1, '--via-socket', '/s', '--network-id', FX.network, '--router-id', FX.network],
      'error: --network-id and --router-id cannot be used together',
    ],
    [
      '--ovn-network-id without --via-socket',
      [FX.vm1, '--ovn-network-id', FX.network],
      'error: --ovn-network-id needs --via-socket',
    ],
    [
      '--ovn-network-id with --network-id',
      [FX.vm1, '--via-socket', '/s', '--network-id', FX.network, '--ovn-network-id', FX.network],
      'error: --network-id and --ovn-network-id cannot be used together',
    ],
    [
      'a bad --ovn-network-id',
      [FX.vm1, '--via-socket', '/s', '--ovn-network-id', 'lab-net'],
      "error: --ovn-network-id 'lab-net' is not a UUID",
    ],
    [
      '--project-id with --via-socket',
      [FX.vm1, '--via-socket', '/s', '--project-id', FX.demo],
      'error: --project-id and --via-socket cannot be used together',
    ],
    [
      '--metadata-key without --metadata-cert',
      [FX.vm1, '--metadata-key', '/m/k.pem'],
      'error: --metadata-key needs --metadata-cert',
    ],
    ['a password flag', [FX.vm1, '--os-password', 'x'], "error: unknown option '--os-password'"],
    ['no server', [], "error: missing required argument 'server'"],
  ])('%s', async (_w, args, first) => {
    const r = await get(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe(first);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    agent.assertNoPendingInterceptors();
  });
});

/** Neutron's answer to ports?network_id=<the server's network> (a router's interface routes it). */
function networkPorts(ports: Record<string, string>[]) {
  agent
    .get(FX.neutron)
    .intercept({
      path: (p: string) => p.startsWith('/v2.0/ports?') && p.includes(`network_id=${FX.network}`),
    })
    .reply(200, JSON.stringify({ ports }));
}

describe('osmeta get --via-socket (a real HTTP server on a temp UNIX socket)', () => {
  let server: Server;
  let socket = '';
  let seen: IncomingHttpHeaders[] = [];
  let answer: { status: number; body: string; type: string } = {
    status: 200,
    body: '',
    type: 'application/json',
  };

  beforeEach(async () => {
    socket = join(dir, 'metadata_proxy');
    seen = [];
    server = createServer((req, res) => {
      seen.push({ ...req.headers, path: req.url });
      res.writeHead(answer.status, { 'content-type': answer.type });
      res.end(answer.body);
    });
    await new Promise<void>((ok) => server.listen(socket, ok));
  });
  afterEach(() => new Promise((ok) => server.close(ok)));

  it("asks as the guest: the server's fixed IP and its port's network, found through nova and neutron", async () => {
    answer = { status: 200, body: META.body.toString(), type: 'application/json' };
    keystone();
    novaServer();
    agent
      .get(FX.neutron)
      .intercept({ path: (p: string) => p.startsWith('/v2.0/ports?') && p.includes(`device_id=${FX.vm1}`) })
      .reply(replyWith('api/neutron-ports-by-device_id.200.http'));
    networkPorts([]);
    const r = await get([FX.vm1, 'meta_data.json', '--via-socket', socket, '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      path: '/openstack/latest/meta_data.json',
      'x-forwarded-for': FX.vm1Ip,
      'x-neutron-network-id': FX.network,
      host: '169.254.169.254',
    });
    expect(seen[0]!['x-instance-id-signature']).toBeUndefined();
    const doc = JSON.parse(r.stdout);
    expect(doc.via).toBe('socket');
    expect(doc.request.url).toBe(`unix:${socket}:/openstack/latest/meta_data.json`);
    expect(doc.document.uuid).toBe(FX.vm1);
    agent.assertNoPendingInterceptors();
  });

  it("asks as the router's proxy does when the server's network has a router (X-Neutron-Router-ID)", async () => {
    answer = { status: 200, body: META.body.toString(), type: 'application/json' };
    keystone();
    novaServer();
    agent
      .get(FX.neutron)
      .intercept({ path: (p: string) => p.startsWith('/v2.0/ports?') && p.includes(`device_id=${FX.vm1}`) })
      .reply(replyWith('api/neutron-ports-by-device_id.200.http'));
    const router = 'dcafa0ce-d4f4-45ca-bbfd-723484e27401';
    networkPorts([
      { id: 'p-r', network_id: FX.network, device_id: router, device_owner: 'network:router_interface' },
    ]);
    const r = await get([FX.vm1, 'meta_data.json', '--via-socket', socket]);
    expect(r.code).toBe(0);
    expect(seen[0]).toMatchObject({ 'x-forwarded-for': FX.vm1Ip, 'x-neutron-router-id': router });
    expect(seen[0]!['x-neutron-network-id']).toBeUndefined();
    agent.assertNoPendingInterceptors();
  });

  it("asks as OVN's haproxy does (X-OVN-Network-ID) when the network has an ML2/OVN metadata port, router or not", async () => {
    answer = { status: 200, body: META.body.toString(), type: 'application/json' };
    keystone();
    novaServer();
    agent
      .get(FX.neutron)
      .intercept({ path: (p: string) => p.startsWith('/v2.0/ports?') && p.includes(`device_id=${FX.vm1}`) })
      .reply(replyWith('api/neutron-ports-by-device_id.200.http'));
    networkPorts([
      {
        id: 'p-r',
        network_id: FX.network,
        device_id: 'dcafa0ce-d4f4-45ca-bbfd-723484e27401',
        device_owner: 'network:router_interface',
      },
      {
        id: 'p-md',
        network_id: FX.network,
        device_id: `ovnmeta-${FX.network}`,
        device_owner: 'network:distributed',
      },
    ]);
    const r = await get([FX.vm1, 'meta_data.json', '--via-socket', socket, '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ 'x-forwarded-for': FX.vm1Ip, 'x-ovn-network-id': FX.network });
    expect(seen[0]!['x-neutron-network-id']).toBeUndefined();
    expect(seen[0]!['x-neutron-router-id']).toBeUndefined();
    expect(JSON.parse(r.stdout).document.uuid).toBe(FX.vm1);
    agent.assertNoPendingInterceptors();
  });

  it("--ovn-network-id: no API at all; an OVN 404 is explained as the OVN agent's", async () => {
    answer = {
      status: 404,
      body: httpFixture('agent-socket/unknown-ip.404.http').body.toString(),
      type: 'text/html; charset=UTF-8',
    };
    const r = await get([
      FX.vm1,
      'meta_data.json',
      '--via-socket',
      socket,
      '--forwarded-for',
      '10.90.0.99',
      '--ovn-network-id',
      FX.network,
    ]);
    expect(r.code).toBe(1);
    expect(seen[0]).toMatchObject({ 'x-forwarded-for': '10.90.0.99', 'x-ovn-network-id': FX.network });
    expect(seen[0]!['x-neutron-network-id']).toBeUndefined();
    expect(r.stderr).toBe(
      `error: the metadata agent answered 404 for 10.90.0.99 on OVN network ${FX.network}\n` +
        "hint: no single port of the network bound to a chassis has 10.90.0.99 in OVN's southbound database (the agent's lookup), or nova refused the port's instance in the port's project; osmeta trace --ip 10.90.0.99 on the chassis tells which\n",
    );
  });

  it('says which OVN agent should hold a missing socket', async () => {
    const r = await get([
      FX.vm1,
      '--via-socket',
      join(dir, 'nope'),
      '--forwarded-for',
      '10.0.0.1',
      '--ovn-network-id',
      FX.network,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[1]).toBe(
      'hint: is neutron-ovn-metadata-agent (or neutron-ovn-agent with its metadata extension) running on this node? compare metadata_proxy_socket in its config',
    );
  });

  it('needs no API at all with --forwarded-for and --router-id, and warns when another instance answers', async () => {
    answer = { status: 200, body: JSON.stringify({ uuid: 'someone-else' }), type: 'application/json' };
    const id = '00000000-1111-4222-8333-444444444444';
    const r = await get([
      id,
      'meta_data.json',
      '--via-socket',
      socket,
      '--forwarded-for',
      '10.90.0.11',
      '--router-id',
      FX.network,
    ]);
    expect(r.code).toBe(0);
    expect(seen[0]).toMatchObject({ 'x-forwarded-for': '10.90.0.11', 'x-neutron-router-id': FX.network });
    expect(seen[0]!['x-neutron-network-id']).toBeUndefined();
    expect(r.stderr).toBe(
      `warning: the agent answered for instance someone-else, not ${id}: 10.90.0.11 is another instance's fixed IP on that network\n`,
    );
  });

  it("explains the agent's 404", async () => {
    answer = {
      status: 404,
      body: httpFixture('agent-socket/unknown-ip.404.http').body.toString(),
      type: 'text/html; charset=UTF-8',
    };
    const r = await get([
      FX.vm1,
      'meta_data.json',
      '--via-socket',
      socket,
      '--forwarded-for',
      '10.90.0.99',
      '--network-id',
      FX.network,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe(
      `error: the metadata agent answered 404 for 10.90.0.99 on network ${FX.network}`,
    );
    expect(seen.map((h) => h.path)).toEqual(['/openstack/latest/meta_data.json', '/openstack/latest/']);
  });

  it("names a port in another project than the server's as the cause of the agent's 404", async () => {
    answer = {
      status: 404,
      body: '{"message": "The resource could not be found.", "title": "Not Found"}',
      type: 'application/json',
    };
    keystone();
    const doc = JSON.parse(httpFixture('api/nova-server-show.200.http').body.toString());
    doc.server.addresses = {};
    agent
      .get(FX.nova)
      .intercept({ path: `/v2.1/servers/${FX.vm1}` })
      .reply(200, JSON.stringify(doc));
    const ports = JSON.parse(httpFixture('api/neutron-ports-by-device_id.200.http').body.toString());
    ports.ports[0].tenant_id = FX.alt;
    ports.ports[0].project_id = FX.alt;
    agent
      .get(FX.neutron)
      .intercept({ path: (p: string) => p.includes(`device_id=${FX.vm1}`) })
      .reply(200, JSON.stringify(ports));
    networkPorts([]);
    const r = await get([FX.vm1, 'meta_data.json', '--via-socket', socket]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: the metadata agent answered 404 for ${FX.vm1Ip} on network ${FX.network}\n` +
        `hint: the port of ${FX.vm1Ip} is in project ${FX.alt}, the server in ${FX.demo}: the agent sends the port's project as X-Tenant-ID and nova refuses it\n`,
    );
    expect(seen[0]).toMatchObject({ 'x-forwarded-for': FX.vm1Ip, 'x-neutron-network-id': FX.network });
  });

  it('says when there is no socket', async () => {
    const r = await get([
      FX.vm1,
      '--via-socket',
      join(dir, 'nope'),
      '--forwarded-for',
      '10.0.0.1',
      '--network-id',
      FX.network,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: the neutron metadata agent at ${join(dir, 'nope')}: no such socket\n` +
        'hint: is neutron-metadata-agent running on this node? compare metadata_proxy_socket in metadata_agent.ini\n',
    );
  });
});

describe('osmeta get: interrupted', () => {
  it('exits 130 when interrupted during a request', async () => {
    const hang = createServer(() => {});
    await new Promise<void>((ok) => hang.listen(0, '127.0.0.1', ok));
    const port = (hang.address() as AddressInfo).port;
    const { createTestContext } = await import('../../../helpers/context.js');
    const { dispatch } = await import('../../../../src/dispatch.js');
    const t = createTestContext({ env: { OSMETA_SHARED_SECRET: SECRET } });
    const controller = new AbortController();
    t.ctx.signal = controller.signal;
    setTimeout(() => controller.abort(new Error('interrupted')), 200);
    const code = await dispatch(
      ['get', '--project-id', FX.demo, '--metadata-url', `http://127.0.0.1:${port}`, FX.vm1],
      t.ctx,
    );
    hang.closeAllConnections();
    hang.close();
    expect(code).toBe(130);
    expect(t.stdout()).toBe('');
    expect(t.stderr()).toBe('error: interrupted\n');
  });
});
