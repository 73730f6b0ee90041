import { describe, expect, it } from 'vitest';
import { bypassProxy, proxyFor } from '../../../src/openstack/proxy.js';

// The proxy variables as python-requests reads them: the cases StrykerJS found untested
// (docs/mutation.md).

const u = (s: string) => new URL(s);

describe('proxyFor', () => {
  it('takes the upper-case variable when the lower-case one is unset or empty', () => {
    expect(proxyFor(u('https://k:5000/v3'), { HTTPS_PROXY: 'http://up:3128' })).toBe('http://up:3128');
    expect(proxyFor(u('https://k/v3'), { https_proxy: '', HTTPS_PROXY: 'http://up:3128' })).toBe(
      'http://up:3128',
    );
    expect(proxyFor(u('https://k/v3'), { https_proxy: 'http://low:1', HTTPS_PROXY: 'http://up:2' })).toBe(
      'http://low:1',
    );
    expect(proxyFor(u('https://k/v3'), { HTTPS_PROXY: '' })).toBeUndefined();
  });

  it('ignores HTTP_PROXY under CGI (REQUEST_METHOD set), not http_proxy nor HTTPS_PROXY', () => {
    expect(proxyFor(u('http://k/v3'), { HTTP_PROXY: 'http://p:1', REQUEST_METHOD: 'GET' })).toBeUndefined();
    expect(proxyFor(u('http://k/v3'), { http_proxy: 'http://p:1', REQUEST_METHOD: 'GET' })).toBe(
      'http://p:1',
    );
    expect(proxyFor(u('https://k/v3'), { HTTPS_PROXY: 'http://p:2', REQUEST_METHOD: 'GET' })).toBe(
      'http://p:2',
    );
    expect(proxyFor(u('http://k/v3'), { HTTP_PROXY: 'http://p:1' })).toBe('http://p:1');
  });

  it('falls back to all_proxy, and gives a proxy without a scheme http://', () => {
    expect(proxyFor(u('https://k/v3'), { ALL_PROXY: 'p:3128' })).toBe('http://p:3128');
    expect(proxyFor(u('https://k/v3'), { all_proxy: 'socks5h://p:1080' })).toBe('socks5h://p:1080');
    expect(proxyFor(u('https://k/v3'), { https_proxy: 'HTTPS://P:3128' })).toBe('HTTPS://P:3128');
  });
});

describe('bypassProxy', () => {
  it('matches an IPv6 host without its brackets', () => {
    expect(bypassProxy(u('http://[fd00::1]:5000/'), 'fd00::1')).toBe(true);
  });

  it("uses the scheme's default port for host:port entries", () => {
    expect(bypassProxy(u('https://k.example/'), 'k.example:443')).toBe(true);
    expect(bypassProxy(u('https://k.example/'), 'k.example:80')).toBe(false);
    expect(bypassProxy(u('http://k.example/'), 'k.example:80')).toBe(true);
    expect(bypassProxy(u('http://k.example:8080/'), 'example:8080')).toBe(true);
  });

  it('skips empty entries and spaces, and matches only whole name labels', () => {
    expect(bypassProxy(u('http://k.example/'), ' , ,other.org')).toBe(false);
    expect(bypassProxy(u('http://notexample.org/'), 'example.org')).toBe(false);
    expect(bypassProxy(u('http://k.example.org/'), 'example.org , x')).toBe(true);
  });

  it('reads IPv4 CIDR ranges, and refuses malformed ones', () => {
    expect(bypassProxy(u('http://10.1.2.3/'), '10.0.0.0/8')).toBe(true);
    expect(bypassProxy(u('http://11.1.2.3/'), '10.0.0.0/8')).toBe(false);
    expect(bypassProxy(u('http://10.1.2.3/'), '0.0.0.0/0')).toBe(true);
    expect(bypassProxy(u('http://10.1.2.3/'), '10.1.2.3/32')).toBe(true);
    expect(bypassProxy(u('http://10.1.2.4/'), '10.1.2.3/32')).toBe(false);
    for (const bad of ['10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/x', 'k.example/8', '/8', '10.0.0.0/8.5']) {
      expect(bypassProxy(u('http://10.1.2.3/'), bad), bad).toBe(false);
    }
    expect(bypassProxy(u('http://10.1.2.3/'), '10.1.2.3')).toBe(true);
  });
});
