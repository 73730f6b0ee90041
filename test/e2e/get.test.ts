import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { signInstanceId } from '../../src/signature.js';
import { lab, labFlavour, osmeta } from './lab.js';

// osmeta get against the lab's real Keystone, nova, neutron and metadata agent.

const cache = mkdtempSync(join(tmpdir(), 'osmeta-e2e-get-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));

const env = () => ({ OSMETA_SHARED_SECRET: lab('LAB_SECRET'), XDG_CACHE_HOME: cache });
const get = (args: string[], extra: Record<string, string | undefined> = {}) =>
  osmeta(['get', ...args], { env: { ...env(), ...extra } });

const VMS = [
  ['lab-vm1', 'LAB_VM1'],
  ['lab-vm2', 'LAB_VM2'],
] as const;
const DOCUMENTS = [
  'meta_data.json',
  'user_data',
  'password',
  'vendor_data.json',
  'network_data.json',
  'vendor_data2.json',
];

/** What nova answers a direct signed request (the reference osmeta must reproduce). */
async function novaSays(vm: string, path: string) {
  const id = lab(`${vm}_ID`);
  const res = await fetch(`${lab('LAB_METADATA_URL')}${path}`, {
    headers: {
      'X-Instance-ID': id,
      'X-Tenant-ID': lab(`${vm}_PROJECT_ID`),
      'X-Instance-ID-Signature': signInstanceId(lab('LAB_SECRET'), id),
      'X-Forwarded-For': lab(`${vm}_IP`),
    },
  });
  return { status: res.status, body: await res.text() };
}

/** meta_data.json without random_seed (new random bytes on every request) */
const stable = (text: string) => {
  const { random_seed: _seed, ...rest } = JSON.parse(text) as Record<string, unknown>;
  return rest;
};

function adminPassword(): string {
  const text = readFileSync(lab('OS_CLIENT_CONFIG_FILE'), 'utf8');
  return /password:\s*"?([^"\n]+)"?/.exec(text)?.[1] ?? 'no-password-found';
}

describe('osmeta get: every document of both lab servers', () => {
  it.each(VMS)('lists the documents of %s as nova does', async (_name, vm) => {
    const r = await get([lab(`${vm}_ID`)]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const nova = await novaSays(vm, '/openstack/latest/');
    expect(r.stdout).toBe(`${nova.body}\n`);
    expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual([...DOCUMENTS].sort());
  });

  for (const [name, vm] of VMS) {
    it.each(DOCUMENTS)(`prints ${name}'s %s exactly as nova serves it`, async (doc) => {
      const r = await get([lab(`${vm}_ID`), doc]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const nova = await novaSays(vm, `/openstack/latest/${doc}`);
      expect(nova.status).toBe(200);
      if (doc === 'meta_data.json') {
        expect(stable(r.stdout)).toEqual(stable(nova.body));
        expect(JSON.parse(r.stdout).uuid).toBe(lab(`${vm}_ID`));
      } else {
        expect(r.stdout).toBe(nova.body);
      }
    });
  }

  it('finds a server of another project by name with --all-projects (admin)', async () => {
    const r = await get(['lab-vm2', 'meta_data.json', '--all-projects', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.server).toEqual({
      id: lab('LAB_VM2_ID'),
      name: 'lab-vm2',
      projectId: lab('LAB_VM2_PROJECT_ID'),
      status: 'ACTIVE',
    });
    expect(doc.request).toMatchObject({
      url: `${lab('LAB_METADATA_URL')}/openstack/latest/meta_data.json`,
      status: 200,
    });
    expect(doc.document.uuid).toBe(lab('LAB_VM2_ID'));
  });
});

describe('osmeta get --all and --ec2', () => {
  it('fetches every document in one go (--json)', async () => {
    const r = await get([lab('LAB_VM1_ID'), '--all', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc.documents)).toEqual(DOCUMENTS);
    for (const d of DOCUMENTS)
      expect(doc.documents[d]).toMatchObject({ status: 200, durationMs: expect.any(Number) });
    expect(doc.documents['meta_data.json'].document.uuid).toBe(lab('LAB_VM1_ID'));
    expect(doc.documents.user_data.document).toMatch(/^#cloud-config/);
    expect(doc.documents.password.document).toBe('');
  });

  it('prints one JSON object keyed by document when piped', async () => {
    const r = await get([lab('LAB_VM2_ID'), '--all']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc['network_data.json'].networks[0].network_id).toBe(lab('LAB_VM2_NETWORK_ID'));
  });

  it("reads the EC2 tree: the guest's local-ipv4 and the meta-data listing", async () => {
    const ip = await get([lab('LAB_VM1_ID'), '--ec2', 'meta-data/local-ipv4']);
    expect([ip.code, ip.stdout, ip.stderr]).toEqual([0, lab('LAB_VM1_IP'), '']);
    const listing = await get([lab('LAB_VM1_ID'), '--ec2']);
    expect(listing.code).toBe(0);
    expect(listing.stdout.split('\n')).toContain('local-ipv4');
  });

  it("sends the port's address when nova lists none (lab-vm3, port in another project)", async () => {
    const r = await get([lab('LAB_VM3_ID'), '--ec2', 'meta-data/local-ipv4']);
    expect([r.code, r.stdout]).toEqual([0, lab('LAB_VM3_IP')]);
  });
});

describe('osmeta get --project-id (no Keystone, no nova)', () => {
  it('asks 127.0.0.1:8775 directly with no cloud configured at all', async () => {
    const r = await osmeta(
      ['get', '--project-id', lab('LAB_VM1_PROJECT_ID'), lab('LAB_VM1_ID'), 'meta_data.json', '--debug'],
      {
        cleanEnv: true,
        env: { OSMETA_SHARED_SECRET: lab('LAB_SECRET'), XDG_CACHE_HOME: cache },
      },
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).uuid).toBe(lab('LAB_VM1_ID'));
    const http = r.stderr.split('\n').filter((l) => l.startsWith('debug: http '));
    expect(http).toHaveLength(1);
    expect(http[0]).toMatch(
      /^debug: http GET http:\/\/127\.0\.0\.1:8775\/openstack\/latest\/meta_data\.json → 200 in \d+ ms \[X-Instance-ID: /,
    );
  });

  it('is refused by nova for the wrong project (cross-project): exit 1, the three causes named', async () => {
    const r = await get(['--project-id', lab('LAB_ALT_PROJECT_ID'), lab('LAB_VM1_ID')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe(
      `error: nova's metadata API does not know instance ${lab('LAB_VM1_ID')} in project ${lab('LAB_ALT_PROJECT_ID')} (404, even for the version list)`,
    );
    expect(r.stderr).toMatch(/hint: .*service_metadata_proxy = false/);
  });
});

describe('osmeta get as a member user', () => {
  it("reads its own project's server by name", async () => {
    const r = await get(['--os-cloud', 'osmeta-lab-demo', 'lab-vm1', 'meta_data.json', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).server).toMatchObject({
      id: lab('LAB_VM1_ID'),
      projectId: lab('LAB_DEMO_PROJECT_ID'),
    });
  });

  it("cannot see another project's server", async () => {
    const r = await get(['--os-cloud', 'osmeta-lab-demo', lab('LAB_VM2_ID')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `error: no server with a name or ID of '${lab('LAB_VM2_ID')}' exists\nhint: looked in project 'demo' only: an admin can look in every project with --all-projects\n`,
    );
  });

  it('is refused listing every project (policy): exit 4', async () => {
    const r = await get(['--os-cloud', 'osmeta-lab-alt', 'lab-vm1', '--all-projects']);
    expect(r.code).toBe(4);
    expect(r.stderr.split('\n')[0]).toMatch(/^error: nova refused listing servers: /);
  });
});

// The agent's socket, asked as the namespace's haproxy asks. ML2/OVS: X-Neutron-Network-ID, or
// X-Neutron-Router-ID for a network behind a router (its qrouter- proxy); ML2/OVN: X-OVN-Network-ID
// for every network, routed or not (its ovnmeta- proxy).
describe('osmeta get --via-socket (the agent, as the guest)', () => {
  const OVN = labFlavour() === 'ovn';
  const on = (network: string) => `on ${OVN ? 'OVN network' : 'network'} ${network}`;
  const viaSocket = (server: string) =>
    get([server, 'meta_data.json', '--via-socket', lab('LAB_SOCKET'), '--json', '--debug']);

  it('gets what lab-vm1 gets through the agent, asking for its network', async () => {
    const r = await viaSocket(lab('LAB_VM1_ID'));
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.via).toBe('socket');
    expect(doc.request.url).toBe(`unix:${lab('LAB_SOCKET')}:/openstack/latest/meta_data.json`);
    expect(doc.document.uuid).toBe(lab('LAB_VM1_ID'));
    const header = OVN ? 'X-OVN-Network-ID' : 'X-Neutron-Network-ID';
    expect(r.stderr).toContain(`X-Forwarded-For: ${lab('LAB_VM1_IP')}, ${header}: ${lab('LAB_NETWORK_ID')}`);
  });

  it('gets what lab-vm4 gets, asking as its proxy does: its router (ML2/OVS) or its network (ML2/OVN)', async () => {
    const r = await viaSocket(lab('LAB_VM4_ID'));
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).document.uuid).toBe(lab('LAB_VM4_ID'));
    expect(r.stderr).toContain(
      OVN
        ? `X-Forwarded-For: ${lab('LAB_VM4_IP')}, X-OVN-Network-ID: ${lab('LAB_ROUTED_NETWORK_ID')}`
        : `X-Forwarded-For: ${lab('LAB_VM4_IP')}, X-Neutron-Router-ID: ${lab('LAB_ROUTER_ID')}`,
    );
    if (OVN) expect(r.stderr).not.toContain('X-Neutron-Router-ID');
  });

  it.runIf(!OVN)('--router-id: the agent finds lab-vm4 through the router, asking no API', async () => {
    const r = await get([
      lab('LAB_VM4_ID'),
      'meta_data.json',
      '--via-socket',
      lab('LAB_SOCKET'),
      '--forwarded-for',
      lab('LAB_VM4_IP'),
      '--router-id',
      lab('LAB_ROUTER_ID'),
      '--json',
      '--debug',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).document.uuid).toBe(lab('LAB_VM4_ID'));
    expect(r.stderr).not.toMatch(/auth\/tokens|:8774|:9696/);
  });

  it("names the project mismatch behind lab-vm3's 404", async () => {
    const r = await get([lab('LAB_VM3_ID'), 'meta_data.json', '--via-socket', lab('LAB_SOCKET')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: the metadata agent answered 404 for ${lab('LAB_VM3_IP')} ${on(lab('LAB_NETWORK_ID'))}\n` +
        `hint: the port of ${lab('LAB_VM3_IP')} is in project ${lab('LAB_VM3_PORT_PROJECT_ID')}, the server in ${lab('LAB_VM3_PROJECT_ID')}: the agent sends the port's project as X-Tenant-ID and nova refuses it\n`,
    );
  });

  it('gets 404 for an address no port has, asking no API (--network-id, --ovn-network-id)', async () => {
    const r = await get([
      lab('LAB_VM1_ID'),
      '--via-socket',
      lab('LAB_SOCKET'),
      '--forwarded-for',
      lab('LAB_STRAY_IP'),
      OVN ? '--ovn-network-id' : '--network-id',
      lab('LAB_NETWORK_ID'),
      '--debug',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `error: the metadata agent answered 404 for ${lab('LAB_STRAY_IP')} ${on(lab('LAB_NETWORK_ID'))}\n`,
    );
    expect(r.stderr).not.toMatch(/auth\/tokens|:8774|:9696/);
  });
});

describe('osmeta get: failures against the lab', () => {
  it('exits 4 with a wrong shared secret', async () => {
    const r = await get([lab('LAB_VM1_ID'), 'meta_data.json', '--json'], {
      OSMETA_SHARED_SECRET: 'not-the-secret',
    });
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'SIGNATURE_REJECTED', exitCode: 4 });
    expect(r.stderr.split('\n')[0]).toBe(
      `error: nova rejected the signature for instance ${lab('LAB_VM1_ID')} (403): Invalid proxy request signature.`,
    );
  });

  it('exits 1 for an unknown server', async () => {
    const r = await get(['no-such-server']);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe("error: no server with a name or ID of 'no-such-server' exists");
  });

  it('exits 1 for a document nova does not have, listing those it has', async () => {
    const r = await get([lab('LAB_VM1_ID'), 'vendor_data3.json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "error: nova has no document 'vendor_data3.json' under openstack/latest/ (404)\n" +
        'hint: documents that exist: meta_data.json, user_data, password, vendor_data.json, network_data.json, vendor_data2.json\n',
    );
  });

  it('exits 1 when nothing answers at the metadata URL', async () => {
    const r = await get([lab('LAB_VM1_ID'), '--metadata-url', 'http://127.0.0.1:9']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "error: nova's metadata API at 127.0.0.1:9: connection refused\n" +
        'hint: nothing answers at http://127.0.0.1:9: check --metadata-url and that nova-api-metadata runs\n',
    );
  });

  it("exits 4 with Keystone's message for a wrong password", async () => {
    const r = await get([lab('LAB_VM1_ID'), '--no-token-cache'], { OS_PASSWORD: 'wrong-password' });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      /^error: Keystone rejected user 'admin': The request you have made requires authentication\.\nhint: .*\nrequest id: req-[0-9a-f-]+\n$/,
    );
  });
});

describe('the token cache across runs', () => {
  it('authenticates once, then reuses the token from a 0600 file in a 0700 dir', async () => {
    const own = mkdtempSync(join(tmpdir(), 'osmeta-e2e-cache-'));
    try {
      const first = await get([lab('LAB_VM1_ID'), '--debug'], { XDG_CACHE_HOME: own });
      expect(first.code).toBe(0);
      expect(first.stderr).toMatch(/debug: http POST \S+\/v3\/auth\/tokens → 201/);
      expect(first.stderr).toContain('debug: token cache: stored');
      const second = await get([lab('LAB_VM1_ID'), '--debug'], { XDG_CACHE_HOME: own });
      expect(second.code).toBe(0);
      expect(second.stderr).toMatch(/debug: token cache: hit \(\d+ s left\)/);
      expect(second.stderr).not.toContain('auth/tokens');
      const dir = join(own, 'osmeta');
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      // the token file, and the key that hashes the credential into its name (cache-key, 0600)
      const files = readdirSync(dir).sort();
      expect(files).toHaveLength(2);
      expect(statSync(join(dir, 'cache-key')).mode & 0o777).toBe(0o600);
      const file = files.find((f) => f !== 'cache-key');
      expect(file).toMatch(/^token-[0-9a-f]{64}\.json$/);
      expect(statSync(join(dir, file!)).mode & 0o777).toBe(0o600);
      const token = JSON.parse(readFileSync(join(dir, file!), 'utf8')).token as string;
      // nothing secret in any output: password, token, shared secret, signature
      const all = first.stdout + first.stderr + second.stdout + second.stderr;
      for (const s of [
        adminPassword(),
        token,
        lab('LAB_SECRET'),
        signInstanceId(lab('LAB_SECRET'), lab('LAB_VM1_ID')),
      ]) {
        expect(all).not.toContain(s);
      }
      expect(readFileSync(join(dir, file!), 'utf8')).not.toContain(adminPassword());
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });
});
