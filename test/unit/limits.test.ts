import { describe, expect, it } from 'vitest';
import { MAX_TIMEOUT_SECONDS, parseByteSize, parseSeconds } from '../../src/limits.js';

describe('parseSeconds (--timeout)', () => {
  const p = parseSeconds('--timeout');
  it.each([
    ['10', 10],
    ['0.5', 0.5],
    ['86400', 86_400],
  ])('accepts %s', (v, n) => expect(p(v)).toBe(n));

  it('documents one day as the maximum, below Node timers’ 2147483 s', () => {
    expect(MAX_TIMEOUT_SECONDS).toBe(86_400);
    expect(MAX_TIMEOUT_SECONDS * 1000).toBeLessThan(2 ** 31 - 1);
  });

  it.each(['4294967', '86401', '2147484', '1e9', 'Infinity'])(
    'refuses %s above the maximum (exit 2)',
    (v) => {
      expect(() => p(v)).toThrow(
        expect.objectContaining({
          exitCode: 2,
          code: 'INVALID_OPTION',
          message:
            v === 'Infinity'
              ? `--timeout takes a positive number of seconds, not '${v}'`
              : `--timeout takes at most 86400 seconds, not '${v}'`,
        }),
      );
    },
  );

  it.each(['', ' ', '0', '-1', 'abc', 'NaN', '0.0001'])('refuses %j (exit 2)', (v) => {
    expect(() => p(v)).toThrow(expect.objectContaining({ exitCode: 2, code: 'INVALID_OPTION' }));
  });
});

describe('parseByteSize (--max-response-size)', () => {
  const p = parseByteSize('--max-response-size');
  it.each([
    ['1048576', 1_048_576],
    ['512k', 512 * 1024],
    ['64M', 64 * 1024 ** 2],
    ['64MiB', 64 * 1024 ** 2],
    ['1GB', 1e9],
    ['2 GiB', 2 * 1024 ** 3],
    ['1.5MiB', 1.5 * 1024 ** 2],
  ])('reads %s', (v, n) => expect(p(v)).toBe(n));

  it.each(['', '0', '-1', 'abc', '12XB', '1e3', '5GiB'])('refuses %j (exit 2)', (v) => {
    expect(() => p(v)).toThrow(expect.objectContaining({ exitCode: 2, code: 'INVALID_OPTION' }));
  });
});
