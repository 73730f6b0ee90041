import { describe, expect, it } from 'vitest';
import { memoryKeychain, runCli } from '../../../helpers/context.js';

describe('osmeta secret with an in-memory keychain', () => {
  it('status exits 0 and says stored when the entry exists, never printing the value', async () => {
    const keychain = memoryKeychain({ default: 'kept-s3cret' });
    const r = await runCli(['secret', 'status'], { keychain });
    expect([r.code, r.stdout, r.stderr]).toEqual([0, "keychain entry 'default': stored\n", '']);
  });

  it('status exits 1 when no entry is stored (for scripts)', async () => {
    const r = await runCli(['secret', 'status', '--name', 'prod'], { keychain: memoryKeychain() });
    expect([r.code, r.stdout, r.stderr]).toEqual([1, "keychain entry 'prod': not stored\n", '']);
  });

  it('status --json: one document, and still exit 1 when not stored', async () => {
    const r = await runCli(['--json', 'secret', 'status', '--name', 'prod'], { keychain: memoryKeychain() });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ action: 'status', name: 'prod', stored: false });
    expect(r.stderr).toBe('');
  });

  it('set reads the secret from standard input, without its one trailing newline', async () => {
    const keychain = memoryKeychain();
    const r = await runCli(['secret', 'set', '--name', 'prod'], { keychain, stdin: 'new-s3cret\n' });
    expect([r.code, r.stdout, r.stderr]).toEqual([
      0,
      "stored the shared secret in keychain entry 'prod'\n",
      '',
    ]);
    expect(keychain.entries.get('prod')).toBe('new-s3cret');
  });

  it('set warns when the secret is empty, and stores it', async () => {
    const keychain = memoryKeychain();
    const r = await runCli(['secret', 'set'], { keychain, stdin: '' });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('storing an empty shared secret');
    expect(keychain.entries.get('default')).toBe('');
  });

  it('delete removes the entry, and says so when there was none', async () => {
    const keychain = memoryKeychain({ prod: 'x' });
    const first = await runCli(['secret', 'delete', '--name', 'prod'], { keychain });
    expect([first.code, first.stdout]).toEqual([0, "deleted keychain entry 'prod'\n"]);
    expect(keychain.entries.has('prod')).toBe(false);
    const again = await runCli(['secret', 'delete', '--name', 'prod'], { keychain });
    expect([again.code, again.stdout]).toEqual([0, "no keychain entry 'prod' to delete\n"]);
  });

  it('rejects a name that is not a keychain entry name with exit 2', async () => {
    const r = await runCli(['secret', 'status', '--name', 'a b'], { keychain: memoryKeychain() });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe("error: 'a b' is not a keychain entry name");
  });
});
