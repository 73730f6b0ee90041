// A cold `osmeta get` (no token cache) against a fake Keystone, nova and metadata API on loopback:
// this checkout against another build (BASE_ROOT, e.g. main), in paired interleaved rounds, with
// DELAY_MS of server latency per request (0 = loopback; 20 ≈ a remote Keystone). It shows what the
// identity version discovery (one GET beside the token POST) costs; AUTH_PATH='' for an unversioned auth_url.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, paired } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const fixture = (name) => {
  const raw = readFileSync(`${root}test/fixtures/captured/${name}`);
  return raw.subarray(raw.indexOf('\r\n\r\n') + 4);
};

if (process.argv[2] === '--serve') {
  const delay = Number(process.env.DELAY_MS ?? 0);
  const server = JSON.parse(fixture('api/nova-server-show.200.http').toString('utf8')).server;
  const meta = fixture('nova-metadata/openstack-latest-meta_data.json.200.http');
  const listen = (handler) =>
    new Promise((ok) => {
      const s = http.createServer((req, res) => {
        req.resume();
        req.on('end', () => setTimeout(() => handler(req, res), delay));
      });
      s.listen(0, '127.0.0.1', () => ok(s.address().port));
    });
  const json = (res, status, doc, headers = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(doc));
  };
  let novaPort = 0;
  const keystonePort = await listen((req, res) => {
    const base = `http://127.0.0.1:${keystonePort}`;
    if (req.method === 'GET' && /^\/(v3\/?)?$/.test(req.url)) {
      return json(res, 200, {
        version: { id: 'v3.14', status: 'stable', links: [{ rel: 'self', href: `${base}/v3/` }] },
      });
    }
    if (req.method === 'POST' && req.url === '/v3/auth/tokens') {
      const catalog = [
        {
          type: 'compute',
          endpoints: [
            { interface: 'public', region_id: 'RegionOne', url: `http://127.0.0.1:${novaPort}/v2.1` },
          ],
        },
      ];
      const token = {
        expires_at: new Date(Date.now() + 3600_000).toISOString(),
        project: { id: server.tenant_id, name: 'admin' },
        user: { id: 'u', name: 'admin' },
        roles: [{ name: 'admin' }],
        catalog,
      };
      return json(res, 201, { token }, { 'x-subject-token': 'tok-bench' });
    }
    json(res, 404, { error: { message: 'not found' } });
  });
  novaPort = await listen((req, res) =>
    req.url.startsWith('/v2.1/servers/') ? json(res, 200, { server }) : json(res, 404, {}),
  );
  const metadataPort = await listen((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(meta);
  });
  process.stdout.write(`${JSON.stringify({ keystonePort, metadataPort, id: server.id })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
} else {
  const rounds = Math.min(Number(process.env.BENCH_ROUNDS ?? 20), 100);
  const baseRoot = process.env.BASE_ROOT;
  // AUTH_PATH=/v3 (default) or '' (an unversioned auth_url: the version document is read)
  const authPath = process.env.AUTH_PATH ?? '/v3';
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const info = await new Promise((ok) => child.stdout.once('data', (d) => ok(JSON.parse(d.toString()))));
  const dir = mkdtempSync(join(tmpdir(), 'osmeta-bench-cold-'));
  writeFileSync(
    join(dir, 'clouds.yaml'),
    `clouds:\n  b:\n    auth:\n      auth_url: http://127.0.0.1:${info.keystonePort}${authPath}\n      username: admin\n      password: pw\n      project_name: admin\n      user_domain_name: Default\n      project_domain_name: Default\n    region_name: RegionOne\n`,
  );
  const env = {
    PATH: process.env.PATH,
    HOME: dir,
    OS_CLIENT_CONFIG_FILE: join(dir, 'clouds.yaml'),
    OS_CLOUD: 'b',
    OSMETA_SHARED_SECRET: 'bench-secret',
    NO_COLOR: '1',
  };
  const args = (r) => [
    `${r}bin/osmeta.js`,
    'get',
    info.id,
    'meta_data.json',
    '--no-token-cache',
    '--metadata-url',
    `http://127.0.0.1:${info.metadataPort}`,
  ];
  const variants = [{ name: 'this checkout', cmd: process.execPath, args: args(root), env }];
  if (baseRoot)
    variants.push({ name: `base (${baseRoot})`, cmd: process.execPath, args: args(baseRoot), env });
  try {
    const times = paired(variants, { rounds, warmup: 3, maxSeconds: 300 });
    console.log(
      `cold get, ${rounds} paired rounds, DELAY_MS=${process.env.DELAY_MS ?? 0}, auth_url …${authPath || '/'}`,
    );
    for (const [name, xs] of Object.entries(times))
      console.log(`  ${name}: median ${median(xs).toFixed(1)} ms`);
    if (baseRoot) {
      const [a, b] = Object.values(times);
      const diffs = a.map((x, i) => x - b[i]);
      console.log(`  paired difference (this - base): median ${median(diffs).toFixed(1)} ms`);
    }
  } finally {
    child.stdin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}
