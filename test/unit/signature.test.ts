import { spawnSync } from 'node:child_process';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isUuid, signaturesEqual, signInstanceId } from '../../src/signature.js';

const ID = 'd2bbe7f9-5d6b-4c68-8bbe-0d1f2a3b4c5d';

function randomText(): string {
  const pools = ['abcdefghijklmnopqrstuvwxyz0123456789', ' \t"\'#;=$%\\', 'päßéøλжЖ中文🙂', 'ABCDEF-'];
  const len = randomInt(0, 40);
  let s = '';
  for (let i = 0; i < len; i++) {
    const pool = [...pools[randomInt(0, pools.length)]!];
    s += pool[randomInt(0, pool.length)];
  }
  return s;
}

describe('signInstanceId', () => {
  it.each([
    ['s3cr3t', '2b3891120bc0b966a58c5c2521cd931b36c9c020ba7471c072129274c4fe4a14'],
    ['', '086b326fcb6e9112d6838c8bcdf3c44e61476fd3c8dd39e1fc0dd9b5d95a5a38'],
    ['päss', '58b10d09ff64c16c31f06c0203f74626958169bba511719ba9dd0a66a662e063'],
  ])('matches the reference vector for secret %j', (secret, expected) => {
    expect(signInstanceId(secret, ID)).toBe(expected);
  });

  it("is byte-identical to Python's hmac over 300 random secrets and IDs", () => {
    const cases: Array<[string, string]> = [
      ['', ''],
      ['', ID],
      ['"quoted"', ID],
      ['with space ', ` ${ID}`],
      ['#hash ; semi', ID.toUpperCase()],
    ];
    for (let i = 0; i < 300; i++) {
      const secret = i % 3 === 0 ? randomBytes(randomInt(0, 48)).toString('base64') : randomText();
      const id = i % 2 === 0 ? randomUUID() : randomText();
      cases.push([secret, id]);
    }
    const py = spawnSync(
      'python3',
      [
        '-c',
        'import sys,json,hmac,hashlib\n' +
          'for s,i in json.load(sys.stdin): print(hmac.new(s.encode("utf-8"), i.encode("utf-8"), hashlib.sha256).hexdigest())',
      ],
      { input: JSON.stringify(cases), encoding: 'utf8' },
    );
    expect(py.status, py.stderr).toBe(0);
    const expected = py.stdout.trim().split('\n');
    expect(expected).toHaveLength(cases.length);
    cases.forEach(([s, id], n) => {
      expect(signInstanceId(s, id), `case ${n}: ${JSON.stringify([s, id])}`).toBe(expected[n]);
    });
  });
});

describe('signaturesEqual', () => {
  const sig = signInstanceId('s3cr3t', ID);
  it('accepts the identical signature', () => expect(signaturesEqual(sig, sig)).toBe(true));
  it('rejects upper-case hex, as nova does', () =>
    expect(signaturesEqual(sig, sig.toUpperCase())).toBe(false));
  it('rejects a different length', () => expect(signaturesEqual(sig, sig.slice(1))).toBe(false));
  it('rejects one changed character', () =>
    expect(signaturesEqual(sig, `${sig.slice(0, -1)}${sig.endsWith('0') ? '1' : '0'}`)).toBe(false));
});

describe('isUuid', () => {
  it.each([ID, ID.toUpperCase()])('accepts %s', (s) => expect(isUuid(s)).toBe(true));
  it.each([
    '',
    'd2bbe7f95d6b4c688bbe0d1f2a3b4c5d',
    `${ID} `,
    `${ID}0`,
    'g2bbe7f9-5d6b-4c68-8bbe-0d1f2a3b4c5d',
  ])('rejects %j', (s) => expect(isUuid(s)).toBe(false));
});
