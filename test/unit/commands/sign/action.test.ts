import { describe, expect, it } from 'vitest';
import { signInstanceId } from '../../../../src/signature.js';
import { runCli } from '../../../helpers/context.js';

const ID = 'd2bbe7f9-5d6b-4c68-8bbe-0d1f2a3b4c5d';
const SECRET = 's3cr3t';
const SIG = '2b3891120bc0b966a58c5c2521cd931b36c9c020ba7471c072129274c4fe4a14';
const env = { OSMETA_SHARED_SECRET: SECRET };

describe('osmeta sign', () => {
  it.each([
    ['s3cr3t', SIG],
    ['päss', '58b10d09ff64c16c31f06c0203f74626958169bba511719ba9dd0a66a662e063'],
  ])('prints the reference vector for secret %j as bare hex', async (secret, expected) => {
    const r = await runCli(['sign', ID], { env: { OSMETA_SHARED_SECRET: secret } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${expected}\n`);
    expect(r.stderr).toBe('');
  });

  it.each(['not-a-uuid', `${ID}x`, 'd2bbe7f95d6b4c688bbe0d1f2a3b4c5d'])(
    'exits 2 with a one-line error for the malformed UUID %j',
    async (bad) => {
      const r = await runCli(['sign', bad], { env });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.split('\n')[0]).toBe(`error: '${bad}' is not an instance UUID`);
      expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
    },
  );

  it('signs an upper-case UUID as given, with a warning on stderr', async () => {
    const upper = ID.toUpperCase();
    const r = await runCli(['sign', upper], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${signInstanceId(SECRET, upper)}\n`);
    expect(r.stdout).not.toBe(`${SIG}\n`);
    expect(r.stderr).toBe(
      `warning: '${upper}' is not all lower case: signed as given, but the agent always sends nova's lower-case form\n`,
    );
  });

  it('prints the JSON contract with --json, never the secret', async () => {
    const r = await runCli(['--json', 'sign', ID], { env });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      instanceId: ID,
      signature: SIG,
      secretSource: { kind: 'env', name: 'OSMETA_SHARED_SECRET' },
    });
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });

  it('accepts global options after the subcommand', async () => {
    const r = await runCli(['sign', ID, '--json'], { env });
    expect(JSON.parse(r.stdout).signature).toBe(SIG);
  });

  it('prints nothing with --quiet but keeps the exit code', async () => {
    const r = await runCli(['--quiet', 'sign', ID], { env });
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  describe('--verify', () => {
    it('exits 0 with a verdict on a match', async () => {
      const r = await runCli(['sign', '--verify', SIG, ID], { env });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`✔ match: the signature is nova's for ${ID} with this secret\n`);
    });

    it.each([SIG.toUpperCase(), SIG.slice(2), 'x'])('exits 4 on the mismatch %j', async (other) => {
      const r = await runCli(['sign', '--verify', other, ID], { env });
      expect(r.code).toBe(4);
      expect(r.stdout).toBe(`✖ mismatch: nova would answer 403 for ${ID} with this signature and secret\n`);
    });

    it('reports match in JSON', async () => {
      const r = await runCli(['--json', 'sign', '--verify', 'deadbeef', ID], { env });
      expect(r.code).toBe(4);
      expect(JSON.parse(r.stdout)).toMatchObject({ instanceId: ID, match: false });
    });
  });

  describe('--curl', () => {
    it('prints a ready-to-run command with the three headers, shell-quoted', async () => {
      const r = await runCli(['sign', '--curl', '--project-id', 'p1', ID], { env });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(
        `curl -sS -H 'X-Instance-ID: ${ID}' -H 'X-Tenant-ID: p1' -H 'X-Instance-ID-Signature: ${SIG}' http://127.0.0.1:8775/openstack/latest/meta_data.json\n`,
      );
    });

    it('adds X-Forwarded-For, another URL and path, and quotes the headers', async () => {
      const r = await runCli(
        [
          'sign',
          '--curl',
          '--project-id',
          'ldap_project-1',
          '--forwarded-for',
          '10.0.0.5',
          '--metadata-url',
          'https://nova.example:8775/',
          '--path',
          '/openstack/2018-08-27/user_data',
          ID,
        ],
        { env },
      );
      expect(r.stdout).toBe(
        `curl -sS -H 'X-Instance-ID: ${ID}' -H 'X-Tenant-ID: ldap_project-1' -H 'X-Instance-ID-Signature: ${SIG}' -H 'X-Forwarded-For: 10.0.0.5' https://nova.example:8775/openstack/2018-08-27/user_data\n`,
      );
    });

    it('needs --project-id (exit 2)', async () => {
      const r = await runCli(['sign', '--curl', ID], { env });
      expect(r.code).toBe(2);
      expect(r.stderr.split('\n')[0]).toBe(
        'error: --curl needs --project-id: nova answers 400 without X-Tenant-ID',
      );
    });
  });

  it('says where the secret came from with --debug, never the value', async () => {
    const r = await runCli(['--debug', 'sign', ID], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('debug: shared secret: from environment variable OSMETA_SHARED_SECRET\n');
    expect(r.stderr).not.toContain(SECRET);
  });
});

describe('the CLI frame', () => {
  it('prints the version and exits 0', async () => {
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('prints help with examples and exits 0', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: osmeta');
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('Exit codes:');
  });

  it('exits 2 on an unknown option, with the JSON error shape under --json', async () => {
    const r = await runCli(['--json', 'sign', '--frobnicate', ID], { env });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({
      error: {
        code: 'USAGE',
        exitCode: 2,
        message: "unknown option '--frobnicate'",
        hint: "see 'osmeta --help'",
      },
    });
    expect(r.stderr).toBe("error: unknown option '--frobnicate'\n");
  });

  it('exits 2 on an unknown command', async () => {
    const r = await runCli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe("error: unknown command 'frobnicate'");
  });

  it('exits 2 on a bad --timeout', async () => {
    const r = await runCli(['--timeout', 'soon', 'sign', ID], { env });
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe("error: --timeout takes a positive number of seconds, not 'soon'");
  });

  it('colours errors on a terminal, and not with NO_COLOR, --no-color or in a pipe', async () => {
    const tty = await runCli(['sign', 'bad'], { stderrIsTTY: true, env });
    expect(tty.stderr).toContain('\u001b[31merror:\u001b[39m');
    for (const [argv, o] of [
      [['sign', 'bad'], { stderrIsTTY: true, env: { ...env, NO_COLOR: '1' } }],
      [['--no-color', 'sign', 'bad'], { stderrIsTTY: true, env }],
      [['sign', 'bad'], { stderrIsTTY: false, env }],
    ] as const) {
      const r = await runCli([...argv], o);
      expect(r.stderr).not.toContain('\u001b[');
      expect(r.stderr.startsWith("error: 'bad'")).toBe(true);
    }
  });
});
