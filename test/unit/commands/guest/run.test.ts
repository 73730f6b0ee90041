import { describe, expect, it } from 'vitest';
import { runGuest } from '../../../../src/commands/guest/run.js';
import { STEP_NAMES } from '../../../../src/commands/guest/types.js';
import type { HttpProbeResult } from '../../../../src/host/http-probe.js';
import { createTestContext } from '../../../helpers/context.js';
import {
  fakeTransport,
  guestFs,
  HEALTHY_ANSWERS,
  ipExec,
  VM1_PROC_ROUTE_NO_HOST_ROUTE,
  vm1Files,
} from '../../../helpers/guest-fixtures.js';

function guest(files = vm1Files(), routeGet?: Parameters<typeof ipExec>[0]) {
  const ip = ipExec(routeGet);
  const { ctx } = createTestContext({ fs: guestFs(files), exec: ip.exec });
  return { ctx, ip };
}

const status = (r: Awaited<ReturnType<typeof runGuest>>) =>
  Object.fromEntries(r.steps.map((s) => [s.name, s.status]));
const T = { timeoutMs: 1000 };

describe('runGuest', () => {
  it('walks every step of a healthy guest in order and asks only what it needs', async () => {
    const { ctx } = guest();
    const t = fakeTransport();
    const r = await runGuest(ctx, t, T);
    expect(r.steps.map((s) => s.name)).toEqual([...STEP_NAMES]);
    expect(r.ok).toBe(true);
    expect(r.diagnosis).toBeNull();
    expect(status(r)).toEqual({
      route: 'ok',
      neighbour: 'ok',
      tcp: 'ok',
      tcp6: 'ok',
      versions: 'skip',
      openstack: 'ok',
      'meta-data': 'ok',
      ec2: 'ok',
      identity: 'ok',
    });
    expect(t.gets.sort()).toEqual([
      '/latest/meta-data/instance-id',
      '/openstack',
      '/openstack/latest/meta_data.json',
      '/openstack/latest/network_data.json',
    ]);
    expect(t.connects).toEqual([{ family: 4 }, { family: 6, scope: 'eth0' }]);
    const route = r.steps[0]!;
    expect(route.evidence).toMatchObject({
      dev: 'eth0',
      src: '10.90.0.10',
      gateway: '10.90.0.2',
      viaDefault: false,
    });
    expect(r.steps.find((s) => s.name === 'neighbour')!.detail).toContain('fa:16:3e:e2:6f:88');
    expect(r.steps.find((s) => s.name === 'identity')!.evidence).toMatchObject({
      uuid: 'cc44da1b-aa6c-4ab2-926d-31aa6e134fb0',
      name: 'lab-vm1',
      hostname: 'lab-vm1.novalocal',
      macMatch: true,
      hostnameMatch: true,
    });
  });

  it('has no route: fails at route, the rest skipped', async () => {
    const { ctx } = guest(vm1Files(), { code: 2, stderr: 'RTNETLINK answers: Network is unreachable\n' });
    const t = fakeTransport();
    const r = await runGuest(ctx, t, T);
    expect(r.diagnosis).toMatchObject({ step: 'route', code: 'NO_ROUTE' });
    expect(r.steps.slice(1).map((s) => s.status)).toEqual(Array(8).fill('skip'));
    expect(t.connects).toEqual([{ family: 4 }]);
    expect(t.gets).not.toContain('/');
  });

  it('reads the route from /proc/net/route where ip has no -j (busybox)', async () => {
    const { ctx } = guest(vm1Files(), { code: 1, stderr: 'ip: invalid option -- j\n' });
    const r = await runGuest(ctx, fakeTransport(), T);
    expect(r.ok).toBe(true);
    expect(r.steps[0]!.evidence).toMatchObject({ source: 'proc', gateway: '10.90.0.2', dev: 'eth0' });
  });

  it('names the missing host route when 169.254.169.254 goes via a silent default gateway', async () => {
    const files = vm1Files({
      '/proc/net/route': VM1_PROC_ROUTE_NO_HOST_ROUTE,
      '/proc/net/arp':
        'IP address       HW type     Flags       HW address            Mask     Device\n10.90.0.1        0x1         0x0         00:00:00:00:00:00     *        eth0\n',
    });
    const { ctx } = guest(
      files,
      '[{"dst":"169.254.169.254","gateway":"10.90.0.1","dev":"eth0","prefsrc":"10.90.0.10"}]',
    );
    const r = await runGuest(
      ctx,
      fakeTransport({ v4: { outcome: 'unreachable', latencyMs: 3000, error: 'EHOSTUNREACH' } }),
      T,
    );
    expect(r.diagnosis).toMatchObject({ step: 'neighbour', code: 'NO_METADATA_ROUTE' });
    expect(r.diagnosis!.cause).toContain('default gateway 10.90.0.1');
    expect(r.diagnosis!.fix).toContain('ip route add 169.254.169.254/32');
    expect(status(r).tcp).toBe('fail');
    expect(status(r).versions).toBe('skip');
  });

  it.each([
    ['refused', 'NOTHING_LISTENS'],
    ['timeout', 'CONNECT_TIMEOUT'],
  ] as const)('a %s connect is %s at tcp', async (outcome, code) => {
    const { ctx } = guest();
    const r = await runGuest(ctx, fakeTransport({ v4: { outcome, latencyMs: 2 } }), T);
    expect(r.diagnosis).toMatchObject({ step: 'tcp', code });
    expect(status(r).neighbour).toBe('ok');
  });

  const every = (file: string) =>
    Object.fromEntries(
      [
        '/openstack',
        '/openstack/latest/meta_data.json',
        '/latest/meta-data/instance-id',
        '/openstack/latest/network_data.json',
      ].map((p) => [p, file]),
    );

  it.each([
    ['haproxy-chain/vm1-meta_data.json.agent-stopped.503.http', undefined, 'openstack', 'HAPROXY_NO_BACKEND'],
    ['agent-socket/unknown-ip.404.http', 'agent-socket/unknown-ip.404.http', 'versions', 'AGENT_NO_PORT'],
    [
      'haproxy-chain/vm3-meta_data.json.404.http',
      'nova-metadata/root.200.http',
      'openstack',
      'NOVA_NOT_FOUND',
    ],
    ['nova-metadata/err-bad-signature.403.accept-any.http', undefined, 'openstack', 'SECRET_MISMATCH'],
    ['agent-socket/no-x-forwarded-for.500.http', undefined, 'openstack', 'AGENT_ERROR'],
  ])('every answer %s (GET / → %s) is diagnosed at %s as %s', async (file, root, step, code) => {
    const { ctx } = guest();
    const answers: Record<string, string> = { ...every(file), ...(root ? { '/': root } : {}) };
    const t = fakeTransport({ answers });
    const r = await runGuest(ctx, t, T);
    expect(r.diagnosis).toMatchObject({ step, code });
    expect(t.gets.includes('/')).toBe(root !== undefined);
    expect(status(r).identity).toBe('skip');
  });

  it('a hang after connecting names where it hung', async () => {
    const hang: HttpProbeResult = {
      outcome: 'hang',
      connected: true,
      latencyMs: 1000,
      error: 'no answer within 1000 ms',
    };
    const { ctx } = guest();
    const answers = { ...HEALTHY_ANSWERS, '/openstack': hang };
    const r = await runGuest(ctx, fakeTransport({ answers }), T);
    expect(r.diagnosis).toMatchObject({ step: 'openstack', code: 'HTTP_HANG' });
    expect(r.diagnosis!.cause).toMatch(/haproxy took the request/);
  });

  it("fails identity loudly when the document belongs to another instance's port", async () => {
    const { ctx } = guest(vm1Files({ '/sys/class/net/eth0/address': 'fa:16:3e:00:00:99\n' }));
    const r = await runGuest(ctx, fakeTransport(), T);
    expect(r.ok).toBe(false);
    expect(r.diagnosis).toMatchObject({ step: 'identity', code: 'IDENTITY_MISMATCH' });
    expect(r.diagnosis!.cause).toContain('another instance');
    expect(r.diagnosis!.cause).toContain('cc44da1b-aa6c-4ab2-926d-31aa6e134fb0');
  });

  it('compares the uuid with the system UUID where it is readable', async () => {
    const { ctx } = guest(
      vm1Files({ '/sys/class/dmi/id/product_uuid': '11111111-2222-3333-4444-555555555555\n' }),
    );
    const r = await runGuest(ctx, fakeTransport(), T);
    expect(r.diagnosis).toMatchObject({ step: 'identity', code: 'IDENTITY_MISMATCH' });
    const { ctx: same } = guest(
      vm1Files({ '/sys/class/dmi/id/product_uuid': 'CC44DA1B-AA6C-4AB2-926D-31AA6E134FB0\n' }),
    );
    const ok = await runGuest(same, fakeTransport(), T);
    expect(ok.ok).toBe(true);
    expect(ok.steps.find((s) => s.name === 'identity')!.evidence).toMatchObject({ uuidMatch: true });
  });

  it('a hostname cloud-init has not set yet is a warning, not a failure', async () => {
    const { ctx } = guest(vm1Files({ '/etc/hostname': 'debian\n' }));
    const r = await runGuest(ctx, fakeTransport(), T);
    expect(r.ok).toBe(true);
    expect(status(r).identity).toBe('warn');
  });

  it('skips tcp6 without an IPv6 link-local address and does not connect', async () => {
    const { ctx } = guest(vm1Files({ '/proc/net/if_inet6': '' }));
    const t = fakeTransport();
    const r = await runGuest(ctx, t, T);
    expect(status(r).tcp6).toBe('skip');
    expect(t.connects).toEqual([{ family: 4 }]);
  });

  it('an IPv6 connect that fails is a warning only', async () => {
    const { ctx } = guest();
    const r = await runGuest(ctx, fakeTransport({ v6: { outcome: 'unreachable', latencyMs: 3 } }), T);
    expect(r.ok).toBe(true);
    expect(status(r).tcp6).toBe('warn');
  });

  it('a 200 that is not JSON is not nova', async () => {
    const { ctx } = guest();
    const answers = { ...HEALTHY_ANSWERS, '/openstack/latest/meta_data.json': 'nova-metadata/root.200.http' };
    const r = await runGuest(ctx, fakeTransport({ answers }), T);
    expect(r.diagnosis).toMatchObject({ step: 'meta-data', code: 'NOT_JSON' });
  });

  it('an interrupt ends a waiting step at once', async () => {
    const { ctx } = guest();
    const ac = new AbortController();
    ctx.signal = ac.signal;
    const t = fakeTransport();
    t.connect = () => new Promise(() => {});
    const run = runGuest(ctx, t, { timeoutMs: 60_000 });
    setTimeout(() => ac.abort(), 20);
    await expect(run).rejects.toMatchObject({ code: 'INTERRUPTED', exitCode: 130 });
  });
});
