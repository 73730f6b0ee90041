import { afterEach, describe, expect, it } from 'vitest';
import {
  hostileCloud,
  keystoneAccepting,
  leaked,
  PASSWORD,
  RAW_CONTROL,
  SHARED_SECRET,
} from '../helpers/hostile/cloud.js';
import { ESCAPES, type FakeServer, json, startServer } from '../helpers/hostile/servers.js';
import { httpFixture } from '../helpers/openstack-fixtures.js';

// smoke against a cloud whose tenant named a server with escape sequences, and a metadata URL
// with user info.

const URL_PASSWORD = 'smoke-url-pa55word';
let servers: FakeServer[] = [];
let cleanups: Array<() => void> = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  for (const c of cleanups) c();
  servers = [];
  cleanups = [];
});

async function cloud() {
  const list = JSON.parse(
    httpFixture('api/nova-servers-detail-all_tenants.name-lab-vm.200.http').body.toString('utf8'),
  ) as { servers: Array<{ name: string }> };
  for (const s of list.servers) s.name = `evil${ESCAPES}`;
  const nova = await startServer((req, res) =>
    req.path.includes('/servers/detail') ? json(res, 200, { servers: list.servers }) : json(res, 404, {}),
  );
  const metadata = await startServer((req, res) => {
    res.writeHead(req.path === '/' ? 200 : 404, { 'content-type': 'text/plain' });
    res.end(req.path === '/' ? 'latest\n' : `not found ${ESCAPES}`);
  });
  const keystone = await startServer(keystoneAccepting({ nova: nova.url }));
  servers.push(nova, metadata, keystone);
  const c = hostileCloud(keystone);
  cleanups.push(c.cleanup);
  return {
    c,
    url: metadata.url,
    secretUrl: metadata.url.replace('http://', `http://admin:${URL_PASSWORD}@`),
    count: list.servers.length,
    metadata,
  };
}

describe('osmeta smoke in a hostile cloud', () => {
  it('shows a tenant-controlled server name visibly in the table', async () => {
    const { c, url } = await cloud();
    const r = await c.run(['smoke', '--metadata-url', url, '--no-token-cache', '--retries', '0'], {
      stdoutIsTTY: true,
      stderrIsTTY: true,
      env: { CI: '1' },
    });
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('evil^[]0;pwned^G^[[2J^[[H<U+009B>31m');
    expect(r.stdout).not.toMatch(RAW_CONTROL);
    expect(r.stderr).not.toMatch(RAW_CONTROL);
    expect(r.stdout).toMatch(/against http:\/\/127\.0\.0\.1:\d+/);
    expect(leaked(r, [PASSWORD, SHARED_SECRET])).toEqual([]);
  });

  it('refuses a metadata URL with user info, in every mode, without printing the password (exit 2)', async () => {
    const { c, secretUrl, metadata } = await cloud();
    for (const extra of [[], ['--json'], ['--debug']]) {
      const r = await c.run(['smoke', '--metadata-url', secretUrl, '--no-token-cache', ...extra]);
      expect(r.code).toBe(2);
      expect(r.stderr.split('\n')[0]).toMatch(
        /^error: --metadata-url 'http:\/\/\*\*\*@127\.0\.0\.1:\d+' has user info/,
      );
      expect(leaked(r, [URL_PASSWORD, PASSWORD, SHARED_SECRET])).toEqual([]);
    }
    expect(metadata.requests).toEqual([]);
  });

  it('keeps the JSON report JSON-escaped', async () => {
    const { c, url, count } = await cloud();
    const r = await c.run(
      ['smoke', '--metadata-url', url, '--no-token-cache', '--retries', '0', '--json', '--debug'],
      {
        stdoutIsTTY: true,
      },
    );
    expect(r.code).toBe(3);
    expect(r.stdout).not.toMatch(RAW_CONTROL);
    const doc = JSON.parse(r.stdout) as { metadataUrl: string; servers: Array<{ name: string }> };
    expect(doc.metadataUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(doc.servers).toHaveLength(count);
    expect(doc.servers[0]!.name).toBe(`evil${ESCAPES}`);
    expect(leaked(r, [PASSWORD, SHARED_SECRET])).toEqual([]);
    expect(r.stderr).not.toMatch(RAW_CONTROL);
  });
});
