import { describe, expect, it } from 'vitest';
import { guestAction } from '../../../../src/commands/guest/action.js';
import { dispatch } from '../../../../src/dispatch.js';
import { createTestContext } from '../../../helpers/context.js';
import {
  answer,
  type FakeTransport,
  fakeTransport,
  guestFs,
  HEALTHY_ANSWERS,
  ipExec,
  vm1Files,
} from '../../../helpers/guest-fixtures.js';

async function run(argv: string[], t: FakeTransport, tty = false) {
  const c = createTestContext({
    fs: guestFs(vm1Files()),
    exec: ipExec().exec,
    stdoutIsTTY: tty,
    stderrIsTTY: tty,
  });
  const code = await dispatch(['guest', ...argv], c.ctx, {
    actions: { guest: (inv, ctx) => guestAction(inv, ctx, t) },
  });
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

const broken503 = () =>
  fakeTransport({
    answers: Object.fromEntries(
      Object.keys(HEALTHY_ANSWERS).map((p) => [p, 'haproxy-chain/vm1-meta_data.json.agent-stopped.503.http']),
    ),
  });

describe('osmeta guest', () => {
  it('exits 0 and prints a bare ok when piped', async () => {
    const r = await run([], fakeTransport());
    expect(r).toEqual({ code: 0, stdout: 'ok\n', stderr: '' });
  });

  it('exits 3 with the verdict on stdout and cause/fix on stderr when piped', async () => {
    const r = await run([], broken503());
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('fail openstack HAPROXY_NO_BACKEND\n');
    expect(r.stderr).toMatch(/^cause: haproxy answered 503 itself/);
    expect(r.stderr).toMatch(/\nfix: on the network node, run: sudo osmeta trace/);
  });

  it('draws the chain on a terminal, with cause and fix', async () => {
    const r = await run(['--no-color'], broken503(), true);
    expect(r.code).toBe(3);
    const names = r.stdout
      .split('\n')
      .map((l) => /^ [✔✖!–] (\S+)/.exec(l)?.[1])
      .filter(Boolean);
    expect(names).toEqual([
      'route',
      'neighbour',
      'tcp',
      'tcp6',
      'versions',
      'openstack',
      'meta-data',
      'ec2',
      'identity',
    ]);
    expect(r.stdout).toContain('✖ openstack failed (HAPROXY_NO_BACKEND)');
    expect(r.stdout).toMatch(/cause: haproxy answered 503/);
    expect(r.stdout).toMatch(/fix: {3}on the network node/);
    expect(r.stderr).toBe('');
  });

  it('--json: one document with steps and diagnosis, the same keys healthy or not', async () => {
    const ok = await run(['--json'], fakeTransport());
    const bad = await run(['--json'], broken503());
    expect([ok.code, bad.code]).toEqual([0, 3]);
    const a = JSON.parse(ok.stdout);
    const b = JSON.parse(bad.stdout);
    expect(Object.keys(a)).toEqual(['ok', 'target', 'steps', 'diagnosis']);
    expect(a).toMatchObject({ ok: true, target: '169.254.169.254', diagnosis: null });
    expect(b.diagnosis).toEqual({
      step: 'openstack',
      code: 'HAPROXY_NO_BACKEND',
      cause: expect.stringContaining('503'),
      fix: expect.stringContaining('osmeta trace'),
    });
    for (const s of [...a.steps, ...b.steps]) {
      expect(Object.keys(s)).toEqual(
        expect.arrayContaining(['name', 'target', 'status', 'detail', 'durationMs', 'evidence']),
      );
    }
    expect(b.steps.find((s: { name: string }) => s.name === 'openstack')).toMatchObject({
      status: 'fail',
      answeredBy: 'haproxy',
      code: 'HAPROXY_NO_BACKEND',
    });
    expect(bad.stderr).toBe('');
  });

  it('--quiet prints nothing and keeps the exit code', async () => {
    expect(await run(['--quiet'], broken503())).toEqual({ code: 3, stdout: '', stderr: '' });
  });

  it("escapes the instance's name on a terminal (tenant data)", async () => {
    const doc = answer('haproxy-chain/vm1-meta_data.json.200.http');
    doc.body = doc.body!.replace('"name": "lab-vm1"', '"name": "evil\\u001b]0;pwned\\u0007"');
    const t = fakeTransport({ answers: { ...HEALTHY_ANSWERS, '/openstack/latest/meta_data.json': doc } });
    const r = await run(['--no-color'], t, true);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('evil^[]0;pwned^G');
    expect(r.stdout).not.toContain('\u001b]0;');
  });

  it('takes --timeout as the bound of each step', async () => {
    const t = fakeTransport();
    const seen: number[] = [];
    const connect = t.connect.bind(t);
    t.connect = async (f, o) => {
      seen.push(o.timeoutMs);
      return connect(f, o);
    };
    await run(['--timeout', '2'], t);
    expect(seen).toEqual([2000, 2000]);
  });

  it('rejects an argument with a usage error', async () => {
    const r = await run(['extra'], fakeTransport());
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: too many arguments/);
  });
});
