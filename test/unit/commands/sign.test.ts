import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/context.js';

const ID = 'd2bbe7f9-5d6b-4c68-8bbe-0d1f2a3b4c5d';

describe('osmeta sign', () => {
  it.each([
    ['s3cr3t', '2b3891120bc0b966a58c5c2521cd931b36c9c020ba7471c072129274c4fe4a14'],
    ['päss', '58b10d09ff64c16c31f06c0203f74626958169bba511719ba9dd0a66a662e063'],
  ])('prints the reference vector for secret %j as bare hex', async (secret, sig) => {
    const r = await runCli(['sign', ID], { env: { OSMETA_SHARED_SECRET: secret } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${sig}\n`);
    expect(r.stderr).toBe('');
  });

  it('exits 2 with a one-line error for a malformed UUID', async () => {
    const r = await runCli(['sign', 'not-a-uuid'], { env: { OSMETA_SHARED_SECRET: 'x' } });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe("error: 'not-a-uuid' is not an instance UUID");
  });
});
