import { describe, expect, it } from 'vitest';
import { echoForms, REDACTION, redactUserInfo, SecretRegistry } from '../../../src/util/scrub.js';

describe('SecretRegistry.scrub', () => {
  const reg = new SecretRegistry();
  const PASSWORD = 'p@ss w/rd"é';
  reg.add(PASSWORD, 'password');
  reg.add('gAAAAB-token-value', 'token');

  it.each([
    ['as sent', `password ${PASSWORD} refused`],
    ['JSON-escaped', JSON.stringify({ password: PASSWORD })],
    ['in Python ensure_ascii form', '{"password": "p@ss w/rd\\"\\u00e9"}'],
    ['percent-encoded', `?password=${encodeURIComponent(PASSWORD)}`],
    ['percent-encoded, lower-case hex', `?pw=${encodeURIComponent(PASSWORD).toLowerCase()}`],
    ['form-encoded', `pw=${encodeURIComponent(PASSWORD).replace(/%20/g, '+')}`],
    ['HTML-escaped', '<p>p@ss w/rd&quot;é</p>'],
  ])('removes a secret %s', (_how, text) => {
    const out = reg.scrub(text);
    expect(out).toContain(REDACTION);
    expect(out).not.toContain('w/rd');
    expect(out).not.toContain('rd%22');
  });

  it('removes a token from a request-id header value', () => {
    expect(reg.scrub('request id: req-gAAAAB-token-value')).toBe(`request id: req-${REDACTION}`);
  });

  it('ignores empty and short values, which would garble every line', () => {
    const r = new SecretRegistry();
    r.add('');
    r.add('admin');
    r.add(undefined);
    expect(r.size).toBe(0);
    expect(r.scrub('admin')).toBe('admin');
  });

  it('replaces the longer of two overlapping secrets whole', () => {
    const r = new SecretRegistry();
    r.add('abcdef');
    r.add('abcdefghij');
    expect(r.scrub('xabcdefghijx')).toBe(`x${REDACTION}x`);
  });

  it('scrubs every string and key of a JSON value, leaving the rest', () => {
    const value = { a: ['gAAAAB-token-value', 1, null, true], ['k-gAAAAB-token-value']: { b: 'ok' } };
    expect(reg.scrubValue(value)).toEqual({ a: [REDACTION, 1, null, true], [`k-${REDACTION}`]: { b: 'ok' } });
  });
});

describe('URL user info', () => {
  it.each([
    ['http://admin:s3cret@127.0.0.1:8775/', 'http://***@127.0.0.1:8775/'],
    ['against https://u:p@ss@host/x and http://ok/', 'against https://***@host/x and http://ok/'],
    ['"metadataUrl": "http://user:pw@h:1"', '"metadataUrl": "http://***@h:1"'],
    ['mail me@example.org, see http://host/a@b', 'mail me@example.org, see http://host/a@b'],
  ])('redacts %j', (text, expected) => {
    expect(redactUserInfo(text)).toBe(expected);
  });

  it('registers the password of a URL in its decoded, encoded and Basic-auth forms', () => {
    const r = new SecretRegistry();
    r.addUrl('http://svc:pa%24%24word@proxy:3128');
    expect(r.scrub('pa$$word pa%24%24word')).toBe(`${REDACTION} ${REDACTION}`);
    expect(r.scrub(`Basic ${Buffer.from('svc:pa$$word').toString('base64')}`)).toBe(`Basic ${REDACTION}`);
  });

  it('registers a proxy given without a scheme', () => {
    const r = new SecretRegistry();
    r.addUrl('svc:hunter2hunter2@proxy:3128');
    expect(r.scrub('echo hunter2hunter2')).toBe(`echo ${REDACTION}`);
  });
});

describe('the environment', () => {
  it("registers osmeta's and keystoneauth's secret variables and the user info of URL variables", () => {
    const r = new SecretRegistry();
    r.addFromEnv({
      OS_PASSWORD: 'env-password',
      OS_TOKEN: 'env-token-1',
      OS_APPLICATION_CREDENTIAL_SECRET: 'env-app-secret',
      OSMETA_SHARED_SECRET: 'env-shared-secret',
      OSMETA_METADATA_URL: 'http://meta:url-pass@h/',
      OS_USERNAME: 'not-a-secret',
    });
    const out = r.scrub('env-password env-token-1 env-app-secret env-shared-secret url-pass not-a-secret');
    expect(out).toBe('*** *** *** *** *** not-a-secret');
  });

  it('lists the JSON, percent-encoded and terminal forms of a value', () => {
    expect(echoForms('a"b\u001bc/é')).toEqual(
      expect.arrayContaining([
        'a"b\u001bc/é',
        'a\\"b\\u001bc/é',
        'a\\"b\\u001bc/\\u00e9',
        'a%22b%1Bc%2F%C3%A9',
        'a"b^[c/é',
      ]),
    );
  });
});

describe('a secret of many kilobytes', () => {
  it('is scrubbed whole, with a shorter secret inside it, without a pattern V8 refuses', () => {
    const r = new SecretRegistry();
    const big = `${'x'.repeat(64 * 1024 - 8)}inner-pw`;
    r.add(big, 'shared-secret');
    r.add('inner-pw', 'password');
    expect(r.scrub(`a ${big} b inner-pw c`)).toBe('a *** b *** c');
    expect(r.leaks(`..${big}..`)).toBe(true);
  });
});
