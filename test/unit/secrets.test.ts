import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { signInstanceId } from '../../src/signature.js';
import { memoryKeychain, runCli } from '../helpers/context.js';

const ID = 'd2bbe7f9-5d6b-4c68-8bbe-0d1f2a3b4c5d';
const sig = (secret: string) => `${signInstanceId(secret, ID)}\n`;
let dir: string;

async function file(name: string, body: string, mode = 0o600): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, body);
  await chmod(p, mode);
  return p;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'osmeta-secrets-'));
});

describe('--secret-file', () => {
  it('strips exactly one trailing newline', async () => {
    const p = await file('two-newlines', 'abc\n\n');
    const r = await runCli(['sign', '--secret-file', p, ID]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(sig('abc\n'));
    expect(r.stderr).toBe('');
  });

  it('refuses a secret file larger than 64 KiB (exit 4) without reading it whole', async () => {
    const p = await file('huge-secret', 'x'.repeat(64 * 1024 + 1));
    const r = await runCli(['sign', '--secret-file', p, ID]);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^error: secret file ${p} is larger than 64 KiB\\n`));
  });

  it('refuses more than 64 KiB on standard input (exit 2)', async () => {
    const r = await runCli(['sign', '--secret-stdin', ID], { stdin: 'x'.repeat(64 * 1024 + 1) });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: standard input holds more than 65536 bytes: not a shared secret\n/);
  });

  it('keeps surrounding spaces', async () => {
    const p = await file('spaces', ' abc \n');
    const r = await runCli(['sign', '--secret-file', p, ID]);
    expect(r.stdout).toBe(sig(' abc '));
  });

  it.each([0o644, 0o640, 0o604])('refuses a file with mode %o (exit 4, hint chmod 600)', async (mode) => {
    const p = await file(`open-${mode.toString(8)}`, 'abc', mode);
    const r = await runCli(['sign', '--secret-file', p, ID]);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`error: secret file ${p} is readable by others (mode 0${mode.toString(8)})`);
    expect(r.stderr).toContain(`hint: chmod 600 ${p}`);
    expect(r.stderr).not.toContain('abc');
  });

  it('says a missing file is missing (exit 4)', async () => {
    const r = await runCli(['sign', '--secret-file', join(dir, 'nope'), ID]);
    expect(r.code).toBe(4);
    expect(r.stderr).toBe(`error: cannot read secret file ${join(dir, 'nope')}: no such file\n`);
  });
});

describe('--secret-stdin', () => {
  it('reads all of stdin with one trailing newline stripped', async () => {
    const r = await runCli(['sign', '--secret-stdin', ID], { stdin: 'line1\nline2\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(sig('line1\nline2'));
  });

  it('strips a CRLF as one newline', async () => {
    const r = await runCli(['sign', '--secret-stdin', ID], { stdin: 'abc\r\n' });
    expect(r.stdout).toBe(sig('abc'));
  });
});

describe('--secret-from-config', () => {
  it("reads nova.conf's [neutron] metadata_proxy_shared_secret", async () => {
    const p = await file(
      'nova.conf',
      '[DEFAULT]\ndebug = true\n[neutron]\nmetadata_proxy_shared_secret = n0va\n',
    );
    const r = await runCli(['sign', '--secret-from-config', p, ID]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(sig('n0va'));
  });

  it("reads the agent's [DEFAULT] metadata_proxy_shared_secret, literal # text included", async () => {
    const p = await file('metadata_agent.ini', '[DEFAULT]\nmetadata_proxy_shared_secret = abc # rotated\n');
    const r = await runCli(['sign', '--secret-from-config', p, ID]);
    expect(r.stdout).toBe(sig('abc # rotated'));
  });

  it('drops one pair of matching quotes, as oslo.config does', async () => {
    const p = await file('quoted.ini', '[DEFAULT]\nmetadata_proxy_shared_secret = "abc"\n');
    const r = await runCli(['sign', '--secret-from-config', p, ID]);
    expect(r.stdout).toBe(sig('abc'));
  });

  it('reads $$ as one dollar sign', async () => {
    const p = await file('dollar.ini', '[DEFAULT]\nmetadata_proxy_shared_secret = a$$b\n');
    const r = await runCli(['sign', '--secret-from-config', p, ID]);
    expect(r.stdout).toBe(sig('a$b'));
  });

  it('refuses a $reference oslo.config cannot resolve (exit 4), naming the option and the file, never the value', async () => {
    const p = await file('badref.ini', '[DEFAULT]\nmetadata_proxy_shared_secret = Kx9$SharedXYZ\n');
    for (const json of [false, true]) {
      const r = await runCli(['sign', '--secret-from-config', p, ...(json ? ['--json'] : []), ID]);
      expect(r.code).toBe(4);
      const all = r.stdout + r.stderr;
      expect(all).not.toMatch(/Kx9|SharedXYZ|Shared|XYZ/);
      const message = `metadata_proxy_shared_secret in ${p}:2 cannot be read: it refers to an option oslo.config cannot substitute (the service fails to read it)`;
      if (json)
        expect(JSON.parse(r.stdout).error).toMatchObject({
          code: 'CONFIG_SUBSTITUTION',
          exitCode: 4,
          message,
        });
      else
        expect(r.stderr).toBe(
          `error: ${message}\nhint: a $ in an oslo.config value starts a reference: write a literal $ as $$\n`,
        );
    }
  });

  it.each([
    ['a loop', 'metadata_proxy_shared_secret = x$a\na = $b\nb = $a\n'],
    ['a self-reference', 'metadata_proxy_shared_secret = x$metadata_proxy_shared_secret\n'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: oslo.config's own ${name} syntax
    ['a braced self-reference', 'metadata_proxy_shared_secret = ${metadata_proxy_shared_secret}y\n'],
  ])('refuses %s as oslo.config does, never signing the literal text (exit 4)', async (_n, body) => {
    const p = await file('loop.ini', `[DEFAULT]\n${body}`);
    const r = await runCli(['sign', '--secret-from-config', p, ID]);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(
        `^error: metadata_proxy_shared_secret in ${p}:2 cannot be read: its \\$-substitution refers back to itself`,
      ),
    );
  });

  it('refuses an expansion that doubles at every level instead of growing without bound', async () => {
    const levels = Array.from({ length: 30 }, (_v, i) => `l${i} = $l${i + 1}$l${i + 1}`).join('\n');
    const p = await file(
      'bomb.ini',
      `[DEFAULT]\nmetadata_proxy_shared_secret = $l0\n${levels}\nl30 = xxxxxxxxxxxxxxxx\n`,
    );
    const started = performance.now();
    const r = await runCli(['sign', '--secret-from-config', p, ID]);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/cannot be read: its \$-substitution grows beyond 65536 characters/);
  });

  it('refuses a config file larger than 4 MiB (exit 4) without parsing it', async () => {
    const p = await file(
      'huge.conf',
      `[DEFAULT]\nmetadata_proxy_shared_secret = s\n${'#'.repeat(4 * 1024 * 1024)}\n`,
    );
    const r = await runCli(['sign', '--secret-from-config', p, ID]);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^error: config file ${p} is larger than 4 MiB\\n`));
  });

  it('is repeatable, not variadic, and the later file wins; disagreement names files, never values', async () => {
    const a = await file('a.ini', '[DEFAULT]\nmetadata_proxy_shared_secret = first-secret\n');
    const b = await file('b.conf', '[neutron]\nmetadata_proxy_shared_secret = second-secret\n');
    const r = await runCli(['sign', '--secret-from-config', a, '--secret-from-config', b, ID]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(sig('second-secret'));
    expect(r.stderr).toBe(
      `warning: metadata_proxy_shared_secret differs between the files (${a}:2, ${b}:2); using ${b}, the later file\n`,
    );
    const reversed = await runCli(['sign', '--secret-from-config', b, '--secret-from-config', a, ID]);
    expect(reversed.stdout).toBe(sig('first-secret'));
    for (const out of [r.stdout + r.stderr, reversed.stdout + reversed.stderr]) {
      expect(out).not.toContain('first-secret');
      expect(out).not.toContain('second-secret');
    }
  });

  it('keeps an earlier file when the later one does not set the key', async () => {
    const a = await file('only-a.ini', '[DEFAULT]\nmetadata_proxy_shared_secret = from-a\n');
    const b = await file('neutron.conf', '[DEFAULT]\ncore_plugin = ml2\n');
    const r = await runCli(['sign', '--secret-from-config', a, '--secret-from-config', b, ID]);
    expect(r.stdout).toBe(sig('from-a'));
    expect(r.stderr).toBe('');
  });

  it('exits 4 when no file sets the key', async () => {
    const p = await file('empty.ini', '[DEFAULT]\ndebug = true\n');
    const r = await runCli(['sign', '--secret-from-config', p, ID]);
    expect(r.code).toBe(4);
    expect(r.stderr.split('\n')[0]).toBe(
      `error: no metadata_proxy_shared_secret in ${p} ([neutron] for nova.conf, [DEFAULT] for the neutron agents)`,
    );
  });

  it('ignores the key in a section the services do not read', async () => {
    const p = await file('wrong-section.conf', '[api]\nmetadata_proxy_shared_secret = x\n');
    const r = await runCli(['sign', '--secret-from-config', p, ID]);
    expect(r.code).toBe(4);
  });

  it('exits 4 for an unreadable file and 4 for a file oslo.config cannot parse', async () => {
    const missing = await runCli(['sign', '--secret-from-config', join(dir, 'missing.ini'), ID]);
    expect(missing.code).toBe(4);
    expect(missing.stderr.split('\n')[0]).toBe(
      `error: cannot read ${join(dir, 'missing.ini')}: no such file`,
    );
    const broken = await file('broken.ini', '[DEFAULT]\nthis line is broken\n');
    const r = await runCli(['sign', '--secret-from-config', broken, ID]);
    expect(r.code).toBe(4);
    expect(r.stderr.split('\n')[0]).toBe(
      `error: cannot parse ${broken}: line 2: no ':' or '=' in assignment`,
    );
  });

  it("reads the deployment's real files (fixtures captured from the lab)", async () => {
    const agent = new URL('../fixtures/captured/config/metadata_agent.ini', import.meta.url).pathname;
    const nova = new URL('../fixtures/captured/config/nova.conf.api-neutron-sections.ini', import.meta.url)
      .pathname;
    const r = await runCli(['sign', '--secret-from-config', agent, '--secret-from-config', nova, ID]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(sig('<shared-secret>'));
    expect(r.stderr).toBe('');
  });
});

describe('precedence', () => {
  it('uses OSMETA_SHARED_SECRET when no explicit source is given', async () => {
    const r = await runCli(['sign', ID], {
      env: { OSMETA_SHARED_SECRET: 'from-env' },
      keychain: memoryKeychain({ default: 'from-keychain' }),
    });
    expect(r.stdout).toBe(sig('from-env'));
  });

  it("falls back to the keychain's default entry", async () => {
    const r = await runCli(['--json', 'sign', ID], {
      keychain: memoryKeychain({ default: 'from-keychain' }),
    });
    expect(JSON.parse(r.stdout)).toEqual({
      instanceId: ID,
      signature: signInstanceId('from-keychain', ID),
      secretSource: { kind: 'keychain', name: 'default' },
    });
  });

  it('prefers an explicit source to the environment', async () => {
    const p = await file('explicit', 'from-file');
    const r = await runCli(['sign', '--secret-file', p, ID], { env: { OSMETA_SHARED_SECRET: 'from-env' } });
    expect(r.stdout).toBe(sig('from-file'));
  });

  it('reads a named keychain entry with --secret-name', async () => {
    const r = await runCli(['sign', '--secret-name', 'prod', ID], {
      env: { OSMETA_SHARED_SECRET: 'from-env' },
      keychain: memoryKeychain({ prod: 'from-prod' }),
    });
    expect(r.stdout).toBe(sig('from-prod'));
  });

  it('exits 4 when the named entry does not exist', async () => {
    const r = await runCli(['sign', '--secret-name', 'prod', ID], { keychain: memoryKeychain() });
    expect(r.code).toBe(4);
    expect(r.stderr).toBe(
      "error: no keychain entry 'prod'\nhint: store it with: osmeta secret set --name prod\n",
    );
  });

  it.each([
    [['--secret-file', '/x', '--secret-stdin'], '--secret-file and --secret-stdin'],
    [['--secret-stdin', '--secret-name', 'n'], '--secret-stdin and --secret-name'],
    [['--secret-from-config', '/a', '--secret-file', '/b'], '--secret-file and --secret-from-config'],
  ])('refuses two explicit sources %j (exit 2)', async (flags, named) => {
    const r = await runCli(['sign', ...flags, ID]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe(`error: choose one secret source, not ${named}`);
  });

  it('exits 4 naming every source when there is no secret anywhere', async () => {
    const r = await runCli(['sign', ID], { keychain: memoryKeychain() });
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('error: no shared secret: none given, OSMETA_SHARED_SECRET unset');
    for (const src of [
      '--secret-file',
      '--secret-stdin',
      '--secret-from-config',
      '--secret-name',
      'keychain',
    ]) {
      expect(r.stderr).toContain(src);
    }
  });

  it('says why the keychain could not help when it is unavailable', async () => {
    const broken = {
      get: async () => {
        throw Object.assign(new Error('keychain unavailable: no Secret Service on the session bus'));
      },
      set: async () => {},
      delete: async () => false,
    };
    const r = await runCli(['--json', 'sign', ID], { keychain: broken });
    expect(r.code).toBe(4);
    const doc = JSON.parse(r.stdout);
    expect(doc.error.code).toBe('NO_SHARED_SECRET');
    expect(doc.error.exitCode).toBe(4);
    expect(doc.error.message).toContain('keychain unavailable: no Secret Service on the session bus');
  });

  it('accepts an empty secret with a warning', async () => {
    const r = await runCli(['sign', ID], { env: { OSMETA_SHARED_SECRET: '' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('086b326fcb6e9112d6838c8bcdf3c44e61476fd3c8dd39e1fc0dd9b5d95a5a38\n');
    expect(r.stderr).toMatch(
      /^warning: the shared secret from environment variable OSMETA_SHARED_SECRET is empty/,
    );
  });
});
