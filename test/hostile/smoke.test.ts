import { chmodSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  hostileCloud,
  keystoneAccepting,
  leaked,
  PASSWORD,
  RAW_CONTROL,
  SHARED_SECRET,
} from '../helpers/hostile/cloud.js';
import {
  ESCAPES,
  huge,
  json,
  loopingServerList,
  peakRssGrowth,
  startServer,
  useTeardown,
} from '../helpers/hostile/servers.js';
import { httpFixture } from '../helpers/openstack-fixtures.js';

// smoke against a cloud whose tenant named a server with escape sequences, and a metadata URL
// with user info.

const URL_PASSWORD = 'smoke-url-pa55word';
const { servers, cleanups } = useTeardown();

async function cloud(name = `evil${ESCAPES}`) {
  const list = JSON.parse(
    httpFixture('api/nova-servers-detail-all_tenants.name-lab-vm.200.http').body.toString('utf8'),
  ) as { servers: Array<{ name: string }> };
  for (const s of list.servers) s.name = name;
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

/** A cloud whose metadata API answers every document with `answer` (the version probe with 200). */
async function cloudWith(
  answer: Parameters<typeof startServer>[0],
  novaHandler?: Parameters<typeof startServer>[0],
) {
  const list = JSON.parse(
    httpFixture('api/nova-servers-detail-all_tenants.name-lab-vm.200.http').body.toString('utf8'),
  ) as { servers: unknown[] };
  const nova = await startServer(
    novaHandler ??
      ((req, res) =>
        req.path.includes('/servers/detail')
          ? json(res, 200, { servers: list.servers })
          : json(res, 404, {})),
  );
  const metadata = await startServer((req, res) => {
    if (req.path === '/') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('latest\n');
      return;
    }
    return answer(req, res);
  });
  const keystone = await startServer(keystoneAccepting({ nova: nova.url }));
  servers.push(nova, metadata, keystone);
  const c = hostileCloud(keystone);
  cleanups.push(c.cleanup);
  return { c, url: metadata.url, metadata, count: list.servers.length };
}

describe('smoke against huge documents', () => {
  it('reads no more of a document than it checks: each check fails at the limit, memory bounded (exit 3)', async () => {
    const { c, url, count } = await cloudWith(huge(100 * 1024 * 1024));
    const { result: r, growth } = await peakRssGrowth(() =>
      c.run(['smoke', '--metadata-url', url, '--no-token-cache', '--retries', '0', '--json']),
    );
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout) as {
      servers: Array<{ ok: boolean; checks: Array<{ detail: string }> }>;
    };
    expect(doc.servers).toHaveLength(count);
    expect(doc.servers[0]!.checks[0]!.detail).toMatch(/the response is larger than 1 MiB/);
    expect(growth).toBeLessThan(100 * 1024 * 1024);
  }, 60_000);
});

describe('a Nova whose server list pages forever', () => {
  it('stops with a clear error instead of following the loop (exit 1)', async () => {
    const list = JSON.parse(
      httpFixture('api/nova-servers-detail-all_tenants.name-lab-vm.200.http').body.toString('utf8'),
    ) as { servers: unknown[] };
    const { c, url } = await cloudWith((_req, res) => json(res, 404, {}), loopingServerList(list.servers));
    const r = await c.run(['smoke', '--metadata-url', url, '--no-token-cache', '--all-projects']);
    expect([r.code, r.stdout]).toEqual([1, '']);
    expect(r.stderr.split('\n')[0]).toBe(
      "error: nova's server list does not end: page 2 brought no server that was not already listed",
    );
  });
});

describe('a metadata API that echoes the signature to smoke', () => {
  it("keeps each server's signature out of the table, the JSON and --debug", async () => {
    const { c, url, metadata } = await cloudWith((req, res) => {
      res.writeHead(500, {
        'content-type': 'text/plain',
        'x-openstack-request-id': `req-${req.headers['x-instance-id-signature']}`,
      });
      res.end(`bad signature ${req.headers['x-instance-id-signature']}`);
    });
    for (const extra of [[], ['--json'], ['--debug']]) {
      const r = await c.run(['smoke', '--metadata-url', url, '--no-token-cache', '--retries', '0', ...extra]);
      expect(r.code).toBe(3);
      const sigs = [
        ...new Set(
          metadata.requests
            .map((q) => q.headers['x-instance-id-signature'])
            .filter((x) => x !== undefined && x !== ''),
        ),
      ] as string[];
      expect(sigs.length).toBeGreaterThan(0);
      expect(leaked(r, [...sigs, SHARED_SECRET, PASSWORD])).toEqual([]);
    }
  });
});

describe('smoke --junit FILE', () => {
  it('never writes through a symlink, and writes a new report 0600 (exit 1 for the link)', async () => {
    const { c, url } = await cloudWith((_req, res) => json(res, 404, {}));
    const target = join(c.dir, 'victim');
    writeFileSync(target, 'precious\n');
    const link = join(c.dir, 'report.xml');
    symlinkSync(target, link);
    const r = await c.run([
      'smoke',
      '--metadata-url',
      url,
      '--no-token-cache',
      '--retries',
      '0',
      '--junit',
      link,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: refusing to write ${link}: it is a symbolic link`);
    expect(readFileSync(target, 'utf8')).toBe('precious\n');
    const file = join(c.dir, 'ok.xml');
    writeFileSync(file, 'old', { mode: 0o644 });
    chmodSync(file, 0o644);
    const ok = await c.run([
      'smoke',
      '--metadata-url',
      url,
      '--no-token-cache',
      '--retries',
      '0',
      '--junit',
      file,
    ]);
    expect(ok.code).toBe(3);
    expect(readFileSync(file, 'utf8')).toMatch(/^<\?xml/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});

describe("a tenant's colour sequence in a server name", () => {
  it('is escaped in the table even when osmeta colours its own output', async () => {
    const { c, url } = await cloud('evil\u001b[31mred\u001b[0m');
    const r = await c.run(['smoke', '--metadata-url', url, '--no-token-cache', '--retries', '0'], {
      stdoutIsTTY: true,
      env: { CI: '1', NO_COLOR: '', FORCE_COLOR: '1' },
    });
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('evil^[[31mred^[[0m');
    expect(r.stdout).not.toContain('evil\u001b');
    // osmeta's own red is there, the tenant's sequences are not
    expect(r.stdout).toContain('\u001b[31m');
    expect(r.stdout).not.toContain('\u001b[2J');
    expect(r.stdout).not.toContain('\u001b]0;');
  });
});
