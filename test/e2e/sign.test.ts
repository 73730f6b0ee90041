import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { lab, osmeta } from './lab.js';

// osmeta sign against the lab's real nova metadata API: nova itself is the judge of the signature.

async function askNova(
  signature: string,
  instanceId = lab('LAB_VM1_ID'),
  project = lab('LAB_VM1_PROJECT_ID'),
) {
  const res = await fetch(`${lab('LAB_METADATA_URL')}/openstack/latest/meta_data.json`, {
    headers: {
      'X-Instance-ID': instanceId,
      'X-Tenant-ID': project,
      'X-Instance-ID-Signature': signature,
      Accept: 'application/json',
    },
  });
  return { status: res.status, body: await res.text() };
}

describe('osmeta sign against the lab', () => {
  it.each([
    ["the agent's metadata_agent.ini", () => ['--secret-from-config', lab('LAB_AGENT_CONFIG')]],
    ["nova's nova.conf", () => ['--secret-from-config', lab('LAB_NOVA_CONF')]],
    [
      'neutron.conf then metadata_agent.ini, as the agent reads them',
      () => [
        '--secret-from-config',
        lab('LAB_NEUTRON_CONF'),
        '--secret-from-config',
        lab('LAB_AGENT_CONFIG'),
      ],
    ],
  ])('signs with the secret from %s, and nova accepts it', async (_name, flags) => {
    const r = await osmeta(['sign', ...flags(), lab('LAB_VM1_ID')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    const nova = await askNova(r.stdout.trim());
    expect(nova.status).toBe(200);
    expect(JSON.parse(nova.body).uuid).toBe(lab('LAB_VM1_ID'));
  });

  it('signs with OSMETA_SHARED_SECRET, and a wrong secret gets 403 from nova', async () => {
    const good = await osmeta(['sign', lab('LAB_VM2_ID')], {
      env: { OSMETA_SHARED_SECRET: lab('LAB_SECRET') },
    });
    expect((await askNova(good.stdout.trim(), lab('LAB_VM2_ID'), lab('LAB_VM2_PROJECT_ID'))).status).toBe(
      200,
    );
    const bad = await osmeta(['sign', lab('LAB_VM2_ID')], {
      env: { OSMETA_SHARED_SECRET: 'not-the-secret' },
    });
    expect(bad.code).toBe(0);
    const nova = await askNova(bad.stdout.trim(), lab('LAB_VM2_ID'), lab('LAB_VM2_PROJECT_ID'));
    expect(nova.status).toBe(403);
    expect(nova.body).toContain('Invalid proxy request signature.');
  });

  it('prints a curl command that fetches the document from nova as it is', async () => {
    const r = await osmeta(
      [
        'sign',
        '--curl',
        '--project-id',
        lab('LAB_VM1_PROJECT_ID'),
        '--metadata-url',
        lab('LAB_METADATA_URL'),
        lab('LAB_VM1_ID'),
      ],
      { env: { OSMETA_SHARED_SECRET: lab('LAB_SECRET') } },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(lab('LAB_SECRET'));
    const curl = spawnSync('sh', ['-c', r.stdout], { encoding: 'utf8', timeout: 20_000 });
    expect(curl.status).toBe(0);
    expect(JSON.parse(curl.stdout)).toMatchObject({ uuid: lab('LAB_VM1_ID'), name: lab('LAB_VM1_NAME') });
  });

  it('verifies a signature against the secret in the agent config', async () => {
    const sig = (
      await osmeta(['sign', '--secret-from-config', lab('LAB_AGENT_CONFIG'), lab('LAB_VM1_ID')])
    ).stdout.trim();
    const ok = await osmeta([
      'sign',
      '--secret-from-config',
      lab('LAB_NOVA_CONF'),
      '--verify',
      sig,
      lab('LAB_VM1_ID'),
    ]);
    expect(ok.code).toBe(0);
    const mismatch = await osmeta([
      'sign',
      '--secret-from-config',
      lab('LAB_NOVA_CONF'),
      '--verify',
      sig,
      lab('LAB_VM2_ID'),
    ]);
    expect(mismatch.code).toBe(4);
    expect(mismatch.stdout).toContain('✖ mismatch');
  });
});
