import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lab, labFlavour, osmeta } from './lab.js';

// get and smoke --via-socket against the ML2/OVN flavour's neutron-ovn-metadata-agent: asked as the
// ovnmeta- namespace's haproxy asks, with X-OVN-Network-ID (never a router, routed network or not).

const OVN = labFlavour() === 'ovn';
const cache = mkdtempSync(join(tmpdir(), 'osmeta-e2e-socket-ovn-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));
const env = () => ({ OSMETA_SHARED_SECRET: lab('LAB_SECRET'), XDG_CACHE_HOME: cache });
const get = (args: string[]) => osmeta(['get', ...args], { env: env() });

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

describe.runIf(OVN)('osmeta get --via-socket on ML2/OVN', () => {
  it('gets what lab-vm1 gets, asking with X-OVN-Network-ID', async () => {
    const r = await get([
      lab('LAB_VM1_ID'),
      'meta_data.json',
      '--via-socket',
      lab('LAB_SOCKET'),
      '--json',
      '--debug',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.via).toBe('socket');
    expect(doc.document.uuid).toBe(lab('LAB_VM1_ID'));
    expect(r.stderr).toContain(
      `X-Forwarded-For: ${lab('LAB_VM1_IP')}, X-OVN-Network-ID: ${lab('LAB_NETWORK_ID')}`,
    );
    expect(r.stderr).not.toContain('X-Neutron-');
  });

  it('lab-vm4 on the routed network: its network, not its router', async () => {
    const r = await get([
      lab('LAB_VM4_ID'),
      'meta_data.json',
      '--via-socket',
      lab('LAB_SOCKET'),
      '--json',
      '--debug',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).document.uuid).toBe(lab('LAB_VM4_ID'));
    expect(r.stderr).toContain(`X-OVN-Network-ID: ${lab('LAB_ROUTED_NETWORK_ID')}`);
    expect(r.stderr).not.toContain('X-Neutron-Router-ID');
  });

  it("--ovn-network-id: no API asked; an address no port has is the OVN agent's 404", async () => {
    const r = await get([
      lab('LAB_VM1_ID'),
      '--via-socket',
      lab('LAB_SOCKET'),
      '--forwarded-for',
      lab('LAB_STRAY_IP'),
      '--ovn-network-id',
      lab('LAB_NETWORK_ID'),
      '--debug',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `error: the metadata agent answered 404 for ${lab('LAB_STRAY_IP')} on OVN network ${lab('LAB_NETWORK_ID')}\n`,
    );
    expect(r.stderr).not.toMatch(/auth\/tokens|:8774|:9696/);
  });

  it("names the project mismatch behind lab-vm3's 404", async () => {
    const r = await get([lab('LAB_VM3_ID'), 'meta_data.json', '--via-socket', lab('LAB_SOCKET')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: the metadata agent answered 404 for ${lab('LAB_VM3_IP')} on OVN network ${lab('LAB_NETWORK_ID')}\n` +
        `hint: the port of ${lab('LAB_VM3_IP')} is in project ${lab('LAB_VM3_PORT_PROJECT_ID')}, the server in ${lab('LAB_VM3_PROJECT_ID')}: the agent sends the port's project as X-Tenant-ID and nova refuses it\n`,
    );
  });
});

describe.runIf(OVN)('osmeta smoke --via-socket on ML2/OVN', () => {
  it('checks lab-vm1 and lab-vm4 through the OVN agent; names the port in the wrong project for lab-vm3', async () => {
    const r = await osmeta(
      [
        '--json',
        'smoke',
        '--all-projects',
        '--via-socket',
        lab('LAB_SOCKET'),
        lab('LAB_VM1_ID'),
        lab('LAB_VM4_ID'),
        lab('LAB_VM3_ID'),
      ],
      { env: env() },
    );
    expect(r.code).toBe(3);
    const servers = JSON.parse(r.stdout).servers as { name: string; checks: Check[] }[];
    const socket = (name: string) =>
      servers.find((s) => s.name === name)!.checks.find((c) => c.name === 'socket')!;
    expect(socket(lab('LAB_VM1_NAME'))).toMatchObject({
      ok: true,
      detail: `the agent found the port and nova accepted its signature (as OVN network ${lab('LAB_NETWORK_ID')})`,
    });
    expect(socket(lab('LAB_VM4_NAME'))).toMatchObject({
      ok: true,
      detail: `the agent found the port and nova accepted its signature (as OVN network ${lab('LAB_ROUTED_NETWORK_ID')})`,
    });
    const vm3 = socket(lab('LAB_VM3_NAME'));
    expect(vm3.ok).toBe(false);
    expect(vm3.detail).toContain(
      `belongs to project ${lab('LAB_VM3_PORT_PROJECT_ID')}, the instance to ${lab('LAB_VM3_PROJECT_ID')}`,
    );
  });
});
