import { describe, expect, it } from 'vitest';
import { bypassProxy, proxyFor } from '../../../src/openstack/proxy.js';

describe('proxy selection (python-requests rules)', () => {
  it.each<[string, string, Record<string, string>, string | undefined]>([
    ['no variables: direct', 'http://nova:8775/', {}, undefined],
    ['http_proxy for http', 'http://nova:8775/', { http_proxy: 'http://p:3128' }, 'http://p:3128'],
    ['HTTPS_PROXY for https', 'https://k:5000/', { HTTPS_PROXY: 'http://p:3128' }, 'http://p:3128'],
    ['not https_proxy for http', 'http://k:5000/', { https_proxy: 'http://p:3128' }, undefined],
    ['lower case wins', 'http://k/', { http_proxy: 'http://low', HTTP_PROXY: 'http://up' }, 'http://low'],
    [
      'HTTP_PROXY ignored under CGI',
      'http://k/',
      { HTTP_PROXY: 'http://up', REQUEST_METHOD: 'GET' },
      undefined,
    ],
    ['all_proxy as the fallback', 'https://k/', { ALL_PROXY: 'http://all' }, 'http://all'],
    ['a scheme-less proxy is http', 'http://k/', { http_proxy: 'p:3128' }, 'http://p:3128'],
    [
      'no_proxy host suffix',
      'http://nova.internal:8775/',
      { http_proxy: 'http://p', no_proxy: 'internal' },
      undefined,
    ],
    [
      'no_proxy leading dot',
      'http://a.example.org/',
      { http_proxy: 'http://p', no_proxy: '.example.org' },
      undefined,
    ],
    [
      'no_proxy does not match a longer name',
      'http://notexample.org/',
      { http_proxy: 'http://p', no_proxy: 'example.org' },
      'http://p',
    ],
    ['no_proxy host:port', 'http://k:5000/', { http_proxy: 'http://p', NO_PROXY: 'k:5000' }, undefined],
    ['no_proxy other port', 'http://k:5001/', { http_proxy: 'http://p', NO_PROXY: 'k:5000' }, 'http://p'],
    ['no_proxy IPv4', 'http://10.0.0.5/', { http_proxy: 'http://p', no_proxy: '10.0.0.5' }, undefined],
    ['no_proxy CIDR', 'http://10.0.3.5/', { http_proxy: 'http://p', no_proxy: 'x, 10.0.0.0/16' }, undefined],
    [
      'no_proxy CIDR miss',
      'http://10.1.3.5/',
      { http_proxy: 'http://p', no_proxy: '10.0.0.0/16' },
      'http://p',
    ],
    ['no_proxy *', 'http://any/', { http_proxy: 'http://p', no_proxy: '*' }, undefined],
  ])('%s', (_what, url, env, expected) => {
    expect(proxyFor(new URL(url), env)).toBe(expected);
  });

  it('bypasses nothing without no_proxy', () => {
    expect(bypassProxy(new URL('http://127.0.0.1/'), undefined)).toBe(false);
  });
});
