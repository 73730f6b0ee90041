import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInstanceId } from '../../src/signature.js';
import { type CliResult, osmetaCommand } from '../e2e/lab.js';

// The OS keychain against a real gnome-keyring in a private D-Bus session (dbus-run-session).
// CI sets OSMETA_REQUIRE_KEYRING=1 so a machine without them fails instead of skipping.

const available = existsSync('/usr/bin/dbus-run-session') && existsSync('/usr/bin/gnome-keyring-daemon');
if (!available && process.env.OSMETA_REQUIRE_KEYRING === '1') {
  throw new Error(
    'dbus-run-session and gnome-keyring-daemon are required (apt-get install dbus gnome-keyring)',
  );
}

const ID = 'cc44da1b-aa6c-4ab2-926d-31aa6e134fb0';
let session: ChildProcess | undefined;
let busAddress = '';
let home = '';

function run(args: string[], env: Record<string, string | undefined>, stdin = ''): Promise<CliResult> {
  const [cmd, ...pre] = osmetaCommand();
  const started = performance.now();
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries({ PATH: process.env.PATH, HOME: home, NO_COLOR: '1', ...env })) {
    if (v !== undefined) clean[k] = v;
  }
  return new Promise((resolve, reject) => {
    const child = spawn(cmd!, [...pre, ...args], { env: clean });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, durationMs: performance.now() - started });
    });
    child.stdin.end(stdin);
  });
}

describe.skipIf(!available)('the OS keychain (gnome-keyring over D-Bus)', () => {
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'osmeta-keyring-'));
    // one session for the whole file: it lives until its stdin closes
    session = spawn(
      'dbus-run-session',
      [
        '--',
        'bash',
        '-c',
        'printf osmeta-test | gnome-keyring-daemon --daemonize --unlock --components=secrets >/dev/null 2>&1; ' +
          'echo "BUS=$DBUS_SESSION_BUS_ADDRESS"; read -r _',
      ],
      {
        env: { PATH: process.env.PATH, HOME: home, XDG_RUNTIME_DIR: home },
        stdio: ['pipe', 'pipe', 'ignore'],
      },
    );
    busAddress = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('no D-Bus session within 15 s')), 15_000);
      session!.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const m = /BUS=(\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    });
  }, 30_000);

  afterAll(async () => {
    session?.stdin?.end();
    await new Promise((r) => setTimeout(r, 200));
    if (session && session.exitCode === null) session.kill('SIGTERM');
    if (home) await rm(home, { recursive: true, force: true });
  });

  const withBus = () => ({ DBUS_SESSION_BUS_ADDRESS: busAddress });

  it('stores, uses and deletes the secret: set → sign → status → delete', async () => {
    const set = await run(['secret', 'set'], withBus(), 'kc-s3cret\n');
    expect(set).toMatchObject({
      code: 0,
      stdout: "stored the shared secret in keychain entry 'default'\n",
      stderr: '',
    });

    const status = await run(['--json', 'secret', 'status'], withBus());
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toEqual({ action: 'status', name: 'default', stored: true });
    expect(status.stdout).not.toContain('kc-s3cret');

    const sign = await run(['--json', 'sign', ID], withBus());
    expect(sign.code).toBe(0);
    expect(JSON.parse(sign.stdout)).toEqual({
      instanceId: ID,
      signature: signInstanceId('kc-s3cret', ID),
      secretSource: { kind: 'keychain', name: 'default' },
    });

    const del = await run(['secret', 'delete'], withBus());
    expect(del).toMatchObject({ code: 0, stdout: "deleted keychain entry 'default'\n" });
    const after = await run(['secret', 'status'], withBus());
    expect(after).toMatchObject({ code: 1, stdout: "keychain entry 'default': not stored\n" });
    const signAfter = await run(['sign', ID], withBus());
    expect(signAfter.code).toBe(4);
  });

  it('keeps named entries apart (--name / --secret-name)', async () => {
    expect((await run(['secret', 'set', '--name', 'prod'], withBus(), 'prod-secret')).code).toBe(0);
    expect((await run(['secret', 'set', '--name', 'lab'], withBus(), 'lab-secret')).code).toBe(0);
    const prod = await run(['sign', '--secret-name', 'prod', ID], withBus());
    const lab = await run(['sign', '--secret-name', 'lab', ID], withBus());
    expect(prod.stdout).toBe(`${signInstanceId('prod-secret', ID)}\n`);
    expect(lab.stdout).toBe(`${signInstanceId('lab-secret', ID)}\n`);
    expect((await run(['secret', 'delete', '--name', 'prod'], withBus())).code).toBe(0);
    expect((await run(['secret', 'delete', '--name', 'lab'], withBus())).code).toBe(0);
    const gone = await run(['sign', '--secret-name', 'prod', ID], withBus());
    expect(gone.code).toBe(4);
    expect(gone.stderr.split('\n')[0]).toBe("error: no keychain entry 'prod'");
  });

  it('fails at once and clearly without a session bus, naming the other sources', async () => {
    const r = await run(['secret', 'status'], { DBUS_SESSION_BUS_ADDRESS: undefined });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'error: keychain unavailable: no Secret Service on the session bus\n' +
        'hint: use --secret-file, --secret-stdin, --secret-from-config or OSMETA_SHARED_SECRET instead\n',
    );
    expect(r.durationMs).toBeLessThan(3000);
    const sign = await run(['--json', 'sign', '--secret-name', 'prod', ID], {
      DBUS_SESSION_BUS_ADDRESS: undefined,
    });
    expect(sign.code).toBe(4);
    expect(JSON.parse(sign.stdout).error).toMatchObject({
      code: 'KEYCHAIN_UNAVAILABLE',
      exitCode: 4,
      message: 'keychain unavailable: no Secret Service on the session bus',
    });
  });

  it('fails clearly when the bus address leads nowhere', async () => {
    const r = await run(['secret', 'status'], { DBUS_SESSION_BUS_ADDRESS: `unix:path=${home}/no-bus` });
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe('error: keychain unavailable: no Secret Service on the session bus');
  });
});
