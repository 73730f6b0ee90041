// The baseline for bench/smoke.mjs: a bare loop that makes the same requests as `osmeta smoke`
// per server (Keystone token, the server list, then per server: the version list, meta_data.json,
// network_data.json, vendor_data.json, vendor_data2.json, signed), with the same concurrency, and
// nothing else: no validation beyond reading the bodies, no report.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { parse } from 'yaml';

const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
const cloud = parse(readFileSync(process.env.OS_CLIENT_CONFIG_FILE, 'utf8')).clouds[process.env.OS_CLOUD];
const secret = process.env.OSMETA_SHARED_SECRET;
const metadata = process.env.LAB_METADATA_URL;

const a = cloud.auth;
const auth = await request(`${a.auth_url.replace(/\/$/, '')}/auth/tokens`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    auth: {
      identity: {
        methods: ['password'],
        password: { user: { name: a.username, domain: { name: a.user_domain_name }, password: a.password } },
      },
      scope: { project: { name: a.project_name, domain: { name: a.project_domain_name } } },
    },
  }),
});
const token = auth.headers['x-subject-token'];
const catalog = (await auth.body.json()).token.catalog;
const compute = catalog
  .find((s) => s.type === 'compute')
  .endpoints.find((e) => e.interface === 'public')
  .url.replace(/\/$/, '');

const servers = [];
let marker;
for (;;) {
  const q = new URLSearchParams({ all_tenants: '1', limit: '1000', ...(marker ? { marker } : {}) });
  const res = await request(`${compute}/servers/detail?${q}`, { headers: { 'x-auth-token': token } });
  const doc = await res.body.json();
  servers.push(...doc.servers);
  if (!doc.servers_links?.some((l) => l.rel === 'next') || doc.servers.length === 0) break;
  marker = doc.servers.at(-1).id;
}

const paths = [
  '/openstack',
  ...['meta_data.json', 'network_data.json', 'vendor_data.json', 'vendor_data2.json'].map(
    (d) => `/openstack/latest/${d}`,
  ),
];
let next = 0;
let requests = 0;
async function worker() {
  while (next < servers.length) {
    const s = servers[next++];
    const headers = {
      'x-instance-id': s.id,
      'x-tenant-id': s.tenant_id,
      'x-instance-id-signature': createHmac('sha256', secret).update(s.id).digest('hex'),
      accept: 'application/json',
    };
    await Promise.all(
      paths.map(async (p) => {
        const res = await request(`${metadata}${p}`, { headers });
        await res.body.arrayBuffer();
        requests++;
      }),
    );
  }
}
await Promise.all(Array.from({ length: concurrency }, worker));
console.log(JSON.stringify({ servers: servers.length, requests }));
