// osmeta get against the scripts it replaces (issue 4), on the running lab (lab/up).
// Paired, interleaved rounds of: osmeta get with a cold and a warm token cache, --all, the article's
// get_metadata.sh (nova show | awk + python signer + curl) and osc_get.sh (openstack server show +
// openssl + curl); plus, in the same rounds, bare requests to Keystone, nova and the metadata API, so
// that osmeta's own overhead (its wall time minus the servers' time) can be told apart.
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { median, timeCommand } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const anchors = `${root}../shared/anchors`;
const rounds = Math.min(Number(process.env.BENCH_ROUNDS ?? 15), 100);
const maxSeconds = Number(process.env.BENCH_MAX_SECONDS ?? 420);

const envDump = spawnSync('bash', ['-c', `. "${root}lab/env" && env -0`], { encoding: 'utf8' });
if (envDump.status !== 0) {
  console.log('get: the lab is not up (lab/env failed); skipped');
  process.exit(0);
}
const labEnv = Object.fromEntries(
  envDump.stdout
    .split('\0')
    .filter((kv) => kv.includes('='))
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);
const L = (k) => {
  if (!labEnv[k]) throw new Error(`lab/env does not export ${k}`);
  return labEnv[k];
};
const ID = L('LAB_VM1_ID');
const SECRET = L('LAB_SECRET');
const MD = L('LAB_METADATA_URL');

// the admin cloud, as OS_* variables for the scripts (nova(1) reads no clouds.yaml)
const cloud = parse(readFileSync(L('OS_CLIENT_CONFIG_FILE'), 'utf8')).clouds[L('OS_CLOUD')];
const a = cloud.auth;
const osVars = {
  OS_AUTH_URL: a.auth_url,
  OS_USERNAME: a.username,
  OS_PASSWORD: a.password,
  OS_PROJECT_NAME: a.project_name,
  OS_USER_DOMAIN_NAME: a.user_domain_name,
  OS_PROJECT_DOMAIN_NAME: a.project_domain_name,
  OS_REGION_NAME: cloud.region_name ?? '',
  OS_IDENTITY_API_VERSION: '3',
};
const base = { ...process.env, ...labEnv, NO_COLOR: '1' };
const scriptEnv = { ...base, ...osVars, OS_CLOUD: '', SECRET, METADATA_SERVER: MD };
delete scriptEnv.OS_CLOUD;
delete scriptEnv.OS_CLIENT_CONFIG_FILE;

const osmeta = process.env.OSMETA_BIN ? [process.env.OSMETA_BIN] : [process.execPath, `${root}bin/osmeta.js`];
if (!process.env.OSMETA_BIN && !existsSync(`${root}dist/osmeta.js`))
  throw new Error('run npm run build first');
const coldCache = mkdtempSync(join(tmpdir(), 'osmeta-bench-cold-'));
const warmCache = mkdtempSync(join(tmpdir(), 'osmeta-bench-warm-'));
const osmetaEnv = (cache) => ({ ...base, OSMETA_SHARED_SECRET: SECRET, XDG_CACHE_HOME: cache });

const variants = [
  { name: 'node -e 0', cmd: process.execPath, args: ['-e', '0'], env: base },
  {
    name: 'osmeta get (cold token cache)',
    cmd: osmeta[0],
    args: [...osmeta.slice(1), 'get', ID, 'meta_data.json'],
    env: osmetaEnv(coldCache),
    before: () => rmSync(join(coldCache, 'osmeta'), { recursive: true, force: true }),
  },
  {
    name: 'osmeta get (warm token cache)',
    cmd: osmeta[0],
    args: [...osmeta.slice(1), 'get', ID, 'meta_data.json'],
    env: osmetaEnv(warmCache),
  },
  {
    name: 'osmeta get --all (warm)',
    cmd: osmeta[0],
    args: [...osmeta.slice(1), 'get', ID, '--all'],
    env: osmetaEnv(warmCache),
  },
];
if (existsSync(`${anchors}/get_metadata.sh`) && spawnSync('sh', ['-c', 'command -v nova']).status === 0) {
  variants.push({
    name: 'get_metadata.sh',
    cmd: 'bash',
    args: [`${anchors}/get_metadata.sh`, ID, 'meta_data.json'],
    env: scriptEnv,
    check: (out) => out.includes(ID),
  });
}
if (existsSync(`${anchors}/osc_get.sh`) && spawnSync('sh', ['-c', 'command -v openstack']).status === 0) {
  variants.push({
    name: 'osc_get.sh',
    cmd: 'bash',
    args: [`${anchors}/osc_get.sh`, ID, 'meta_data.json'],
    env: scriptEnv,
    check: (out) => out.includes(ID),
  });
}

// ---- bare requests: one fresh connection each, as a new process has -----------------------
function bare(url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(
      url,
      { method, headers: { ...headers, Connection: 'close' }, agent: false },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolve({
            ms: performance.now() - t0,
            status: res.statusCode,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const authBody = JSON.stringify({
  auth: {
    identity: {
      methods: ['password'],
      password: { user: { name: a.username, domain: { name: a.user_domain_name }, password: a.password } },
    },
    scope: { project: { name: a.project_name, domain: { name: a.project_domain_name } } },
  },
});
const tokenUrl = `${a.auth_url.replace(/\/+$/, '').replace(/\/v3$/, '')}/v3/auth/tokens`;
const signed = {
  'X-Instance-ID': ID,
  'X-Tenant-ID': L('LAB_VM1_PROJECT_ID'),
  'X-Instance-ID-Signature': createHmac('sha256', SECRET).update(ID).digest('hex'),
  'X-Forwarded-For': L('LAB_VM1_IP'),
};
const DOCS = [
  'meta_data.json',
  'user_data',
  'password',
  'vendor_data.json',
  'network_data.json',
  'vendor_data2.json',
];
let computeUrl = '';

async function bareRound() {
  const ks = await bare(tokenUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: authBody,
  });
  if (ks.status !== 201) throw new Error(`Keystone answered ${ks.status}`);
  if (!computeUrl) {
    const svc = JSON.parse(ks.body).token.catalog.find((s) => s.type === 'compute');
    computeUrl = svc.endpoints.find((e) => e.interface === 'public').url;
  }
  const token = { 'X-Auth-Token': ks.headers['x-subject-token'] };
  // a new token costs nova a validation round trip to Keystone; a known one is cached by keystonemiddleware
  const nova = await bare(`${computeUrl}/servers/${ID}`, { headers: token });
  const novaKnown = await bare(`${computeUrl}/servers/${ID}`, { headers: token });
  const md = await bare(`${MD}/openstack/latest/meta_data.json`, { headers: signed });
  const t0 = performance.now();
  const all = await Promise.all(DOCS.map((d) => bare(`${MD}/openstack/latest/${d}`, { headers: signed })));
  const allMs = performance.now() - t0;
  if (
    nova.status !== 200 ||
    novaKnown.status !== 200 ||
    md.status !== 200 ||
    all.some((r) => r.status !== 200 && r.status !== 404)
  ) {
    throw new Error(`bare requests failed: nova ${nova.status}, metadata ${md.status}`);
  }
  return { keystone: ks.ms, nova: nova.ms, novaKnown: novaKnown.ms, metadata: md.ms, all: allMs };
}

// ---- the rounds -------------------------------------------------------------------------------
const run = (v) => {
  v.before?.();
  const r = timeCommand(v.cmd, v.args, { env: v.env });
  if (r.status !== 0 || (v.check && !v.check(r.stdout))) {
    throw new Error(`${v.name}: exit ${r.status}: ${(r.stderr || r.stdout).slice(0, 300)}`);
  }
  return r.ms;
};

run(variants.find((v) => v.name === 'osmeta get (warm token cache)')); // fills the warm cache
const times = Object.fromEntries(variants.map((v) => [v.name, []]));
const server = { keystone: [], nova: [], novaKnown: [], metadata: [], all: [] };
const deadline = performance.now() + maxSeconds * 1000;
const warmup = 2;
let done = 0;
try {
  for (let r = 0; r < warmup + rounds && performance.now() < deadline; r++) {
    const order = variants.map((_, i) => variants[(i + r) % variants.length]);
    for (const v of order) {
      const ms = run(v);
      if (r >= warmup) times[v.name].push(ms);
    }
    const b = await bareRound();
    if (r >= warmup) for (const k of Object.keys(server)) server[k].push(b[k]);
    if (r >= warmup) done++;
  }
} finally {
  rmSync(coldCache, { recursive: true, force: true });
  rmSync(warmCache, { recursive: true, force: true });
}

// ---- report -----------------------------------------------------------------------------------
const med = Object.fromEntries(Object.entries(times).map(([k, xs]) => [k, median(xs)]));
const srv = Object.fromEntries(Object.entries(server).map(([k, xs]) => [k, median(xs)]));
const old = med['get_metadata.sh'];
const pad = (s, n) => String(s).padEnd(n);
const num = (x, n = 9) => (x === undefined ? '–' : x.toFixed(1)).padStart(n);
console.log(`\nget: ${done} paired rounds on the lab (lab-vm1, meta_data.json); medians in ms`);
console.log(
  `${pad('command', 34)}${'median'.padStart(9)}${'min'.padStart(9)}${'÷ get_metadata.sh'.padStart(19)}`,
);
for (const [name, xs] of Object.entries(times)) {
  console.log(
    `${pad(name, 34)}${num(med[name])}${num(Math.min(...xs))}${(old ? (med[name] / old).toFixed(3) : '–').padStart(19)}`,
  );
}
console.log(
  `\nservers (bare requests, same rounds): Keystone token ${srv.keystone.toFixed(1)}, GET /servers/{id} ${srv.nova.toFixed(1)} ` +
    `with a new token, ${srv.novaKnown.toFixed(1)} with a known one, ` +
    `metadata GET ${srv.metadata.toFixed(1)}, six metadata GETs at once ${srv.all.toFixed(1)}`,
);
const node = med['node -e 0'];
const cold = med['osmeta get (cold token cache)'];
const warm = med['osmeta get (warm token cache)'];
const all = med['osmeta get --all (warm)'];
const coldServers = srv.keystone + srv.nova + srv.metadata;
const warmServers = srv.novaKnown + srv.metadata;
const allServers = srv.novaKnown + srv.all;
console.log(
  `osmeta's own time (wall − servers): cold ${(cold - coldServers).toFixed(1)}, warm ${(warm - warmServers).toFixed(1)}, ` +
    `--all ${(all - allServers).toFixed(1)}; of which Node's start (node -e 0) ${node.toFixed(1)}`,
);
const goals = [];
if (old) {
  goals.push(['cold ÷ get_metadata.sh', cold / old, 0.4]);
  goals.push(['warm ÷ get_metadata.sh', warm / old, 0.12]);
}
goals.push(['--all ÷ single (warm)', all / warm, 1.5]);
for (const [what, ratio, goal] of goals) {
  console.log(`${pad(what, 26)} ${ratio.toFixed(3)}  goal ≤ ${goal}  ${ratio <= goal ? 'met' : 'MISSED'}`);
}
