import { describe, expect, it } from 'vitest';
import { OsmetaError } from '../../src/errors.js';
import { TransportError } from '../../src/openstack/http.js';

describe('OsmetaError', () => {
  it('is recognised across bundles by its brand, not its prototype', () => {
    const foreign = Object.assign(new Error('x'), {
      [Symbol.for('osmeta.error')]: true,
      code: 'X',
      exitCode: 1,
    });
    expect(foreign instanceof OsmetaError).toBe(true);
    expect(new Error('plain') instanceof OsmetaError).toBe(false);
    expect(new OsmetaError('X', 1, 'm') instanceof OsmetaError).toBe(true);
  });

  it('keeps subclass checks exact', () => {
    const plain = new OsmetaError('X', 1, 'm');
    const transport = new TransportError('refused', 'http://h', 'm', undefined, undefined);
    expect(plain instanceof TransportError).toBe(false);
    expect(transport instanceof TransportError).toBe(true);
    expect(transport instanceof OsmetaError).toBe(true);
  });
});
