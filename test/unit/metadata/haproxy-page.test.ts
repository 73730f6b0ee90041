import { describe, expect, it } from 'vitest';
import { classifyHaproxyPage, isHaproxyPage } from '../../../src/metadata/haproxy-page.js';
import { httpFixture } from '../../helpers/host-fixtures.js';

describe("haproxy's own pages", () => {
  it('the captured 429 is haproxy’s, and means rate limiting', () => {
    const f = httpFixture('haproxy-chain/rate-limited.429.http');
    expect(f.status).toBe(429);
    expect(isHaproxyPage(f.headers, f.body)).toBe(true);
    expect(classifyHaproxyPage(429)).toMatchObject({ kind: 'rate-limited' });
    expect(classifyHaproxyPage(429).meaning).toContain('[metadata_rate_limiting]');
  });

  it('503, 504 and others', () => {
    const f = httpFixture('haproxy-chain/vm1-meta_data.json.agent-stopped.503.http');
    expect(isHaproxyPage(f.headers, f.body)).toBe(true);
    expect(classifyHaproxyPage(503).kind).toBe('no-server');
    expect(classifyHaproxyPage(504).kind).toBe('server-timeout');
    expect(classifyHaproxyPage(418)).toEqual({
      kind: 'other',
      status: 418,
      meaning: 'haproxy answered its own 418 page',
    });
  });

  it('an agent’s webob page is not haproxy’s', () => {
    const f = httpFixture('agent-socket/unknown-ip.404.http');
    expect(isHaproxyPage(f.headers, f.body)).toBe(false);
  });
});
