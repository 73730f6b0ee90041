import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBindAddress, parseHaproxyConfig, serverSocketPath } from '../../../src/host/haproxy-config.js';
import { hostileText, onlyOsmetaErrors, RUNS } from '../../helpers/hostile-input.js';

const HAPROXY_CHARS = [
  '#',
  ':',
  '[',
  ']',
  '@',
  '/',
  '\t',
  '\r',
  'bind ',
  'server ',
  'http-request ',
  'set-header ',
  'X-Neutron-Network-ID ',
  'unix@',
  'interface ',
];

describe('parseHaproxyConfig on hostile input', () => {
  it('never throws and ends quickly; what it reports comes from the text', () => {
    fc.assert(
      fc.property(hostileText(HAPROXY_CHARS), (text) => {
        const cfg = onlyOsmetaErrors(() => parseHaproxyConfig(text, '/x.conf'));
        if (cfg instanceof Error) throw cfg;
        for (const b of cfg.binds) {
          expect(b.port).toBeGreaterThan(0);
          expect(b.port).toBeLessThanOrEqual(65535);
        }
        for (const s of cfg.servers) expect(text).toContain(s.address);
        if (cfg.resource) expect(text.toLowerCase()).toContain(cfg.resource.header.toLowerCase());
        const sock = serverSocketPath(cfg);
        if (sock !== undefined) expect(text).toContain(sock);
      }),
      RUNS,
    );
  });

  it('strips comments in linear time, whatever ends the line', () => {
    const line = `bind 169.254.169.254:80 ${'#'.repeat(40_000)}\u2028`;
    const started = performance.now();
    expect(parseHaproxyConfig(line).binds).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('parses any bind address without throwing', () => {
    fc.assert(
      fc.property(hostileText([':', '[', ']', '0', '1', '6', '5', '9']), (spec) => {
        const r = onlyOsmetaErrors(() => parseBindAddress(spec));
        if (r instanceof Error) throw r;
        if (r) expect(Number.isInteger(r.port) && r.port > 0 && r.port <= 65535).toBe(true);
      }),
      RUNS,
    );
  });
});
