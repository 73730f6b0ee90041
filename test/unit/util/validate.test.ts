import { describe, expect, it } from 'vitest';
import { OsmetaError } from '../../../src/errors.js';
import {
  checkConfigUrl,
  checkConfigUtf8,
  documentProblem,
  parseBaseUrl,
  parseDocumentPath,
  parseHeaderValue,
  parseIpAddress,
  parseNetworkId,
  parseProjectId,
  parseRouterId,
  requireValid,
  uuidProblem,
} from '../../../src/util/validate.js';

const UUID = 'cc44da1b-aa6c-4ab2-926d-31aa6e134fb0';
const PROJECT = '1bdf2554e6544b96a1d84276bf1cdb37';

function failure(f: () => unknown): OsmetaError {
  try {
    f();
  } catch (e) {
    if (e instanceof OsmetaError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('option parsers: usage errors (exit 2) naming the option', () => {
  it.each([
    ['--network-id', parseNetworkId(), `${UUID}\r\nX-Injected: 1`],
    ['--router-id', parseRouterId(), 'router-1'],
    ['--project-id', parseProjectId(), `${PROJECT}\nX-Evil: 1`],
    ['--forwarded-for', parseIpAddress(), '10.0.0.1\r\nX-Evil: 1'],
    ['--path', parseHeaderValue('--path'), 'a\u0000b'],
  ])('%s refuses %j', (flag, parse, value) => {
    const e = failure(() => parse(value));
    expect(e.exitCode).toBe(2);
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.message.startsWith(`${flag} '`)).toBe(true);
    expect(e.message).not.toMatch(/[\r\n\u0000]/);
  });

  it('accepts what OpenStack makes', () => {
    expect(parseNetworkId()(UUID)).toBe(UUID);
    expect(parseRouterId()(UUID.toUpperCase())).toBe(UUID.toUpperCase());
    expect(parseProjectId()(PROJECT)).toBe(PROJECT);
    expect(parseProjectId()(UUID)).toBe(UUID);
    expect(parseIpAddress()('fd00::1')).toBe('fd00::1');
    expect(parseIpAddress()('10.90.0.10')).toBe('10.90.0.10');
  });

  it('redacts user info before cutting a long URL', () => {
    const e = failure(() => parseBaseUrl('--metadata-url')(`http://u:${'p'.repeat(100)}@h/`));
    expect(e.message).toMatch(/^--metadata-url 'http:\/\/\*\*\*@h\/' has user info/);
  });

  it('cuts a huge value in the message', () => {
    const e = failure(() => parseNetworkId()('x'.repeat(100_000)));
    expect(e.message.length).toBeLessThan(200);
  });

  it.each([
    ['http://h/?a=b#c', /has a query/],
    ['http://h/#c', /has a fragment/],
    ['http://user:pw@h:8775', /has user info/],
    ['ftp://h/', /not an http or https URL/],
    ['127.0.0.1:5000', /not a URL|not an http/],
    ['http://h:abc/', /not a valid URL/],
    ['file:///etc/passwd', /not an http or https URL/],
    ['http://h/\r\nX: 1', /control character/],
  ])('--metadata-url refuses %j', (url, why) => {
    const e = failure(() => parseBaseUrl('--metadata-url')(url));
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(why);
    expect(e.message).not.toContain('pw');
  });

  it('accepts http and https base URLs', () => {
    expect(parseBaseUrl('--metadata-url')('http://127.0.0.1:8775')).toBe('http://127.0.0.1:8775');
    expect(parseBaseUrl('--metadata-url')('https://[fd00::1]:8775/prefix/')).toBe(
      'https://[fd00::1]:8775/prefix/',
    );
  });
});

describe('document paths', () => {
  it.each([
    ['meta_data.json', undefined],
    ['openstack/latest/', undefined],
    ['meta-data/public-keys/0/openssh-key', undefined],
    ['../secret', /\.\. segment/],
    ['a/./b', /\.\. segment/],
    ['a/%2e%2e/b', /encoded/],
    ['a//b', /empty segment/],
    ['a?b=1', /\?/],
    ['a\\..\\b', /\\/],
    ['a b', /space/],
    ['a\r\nb', /control/],
    ['/openstack/latest/', /not a relative path/],
    ['', /empty/],
  ])('%j: %s', (path, why) => {
    const p = documentProblem(path);
    if (why === undefined) expect(p).toBeUndefined();
    else expect(p).toMatch(why);
  });

  it('allows a leading / where the path is sent as is', () => {
    expect(parseDocumentPath('document', { absolute: true })('/openstack/latest/')).toBe(
      '/openstack/latest/',
    );
    expect(() => parseDocumentPath('document', { absolute: true })('/../x')).toThrow(/\.\. segment/);
  });
});

describe('configuration values: errors name the file and the key, never the value', () => {
  it('refuses an auth_url without a scheme or with a bad port', () => {
    for (const url of ['127.0.0.1:5000', 'http://127.0.0.1:abc/v3']) {
      const e = failure(() => checkConfigUrl(url, '/etc/openstack/clouds.yaml', 'clouds.lab.auth.auth_url'));
      expect(e.exitCode).toBe(1);
      expect(e.code).toBe('INVALID_CONFIG');
      expect(e.message).toMatch(/^\/etc\/openstack\/clouds\.yaml: clouds\.lab\.auth\.auth_url is not/);
      expect(e.message).not.toContain('5000');
    }
  });

  it('refuses a file that is not UTF-8, as PyYAML does', () => {
    const e = failure(() => checkConfigUtf8(Buffer.from([0x61, 0x3a, 0x20, 0xff, 0x0a]), 'clouds.yaml'));
    expect(e.message).toBe('clouds.yaml: (file) is not UTF-8 text');
    expect(checkConfigUtf8(Buffer.from('a: é\n'), 'clouds.yaml')).toBe('a: é\n');
  });
});

describe('requireValid', () => {
  it('checks a positional argument with any rule', () => {
    expect(requireValid('instance ID', UUID, uuidProblem)).toBe(UUID);
    expect(failure(() => requireValid('instance ID', 'web-1', uuidProblem)).message).toBe(
      "instance ID 'web-1' is not a UUID",
    );
  });
});
