import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OsmetaError } from '../../../src/errors.js';
import { findAddress, inSubnet, parseIpAddrJson, parseNamespaceName } from '../../../src/host/netns.js';
import { ipv4ToInt } from '../../../src/util/ip.js';
import { hostileText, onlyOsmetaErrors, RUNS } from '../../helpers/hostile-input.js';

// `ip -j addr` output, netns names and addresses: parsed without throwing anything but an
// OsmetaError, whatever the JSON holds.

const anyJson = fc.oneof(
  fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v)),
  fc
    .array(
      fc.record(
        {
          ifname: fc.oneof(fc.string(), fc.constant(null), fc.integer()),
          flags: fc.oneof(fc.array(fc.constantFrom('UP', 'LOWER_UP', 'x')), fc.string(), fc.constant(null)),
          addr_info: fc.oneof(
            fc.array(
              fc.oneof(
                fc.record(
                  {
                    family: fc.constantFrom('inet', 'inet6', 'link', 7),
                    local: fc.oneof(fc.ipV4(), fc.ipV6(), fc.string(), fc.constant(null)),
                    prefixlen: fc.oneof(fc.integer({ min: -5, max: 200 }), fc.string()),
                    scope: fc.oneof(fc.string(), fc.integer()),
                  },
                  { requiredKeys: [] },
                ),
                fc.constant(null),
                fc.integer(),
              ),
            ),
            fc.constant(null),
            fc.string(),
          ),
        },
        { requiredKeys: [] },
      ),
    )
    .map((v) => JSON.stringify(v)),
  fc.array(fc.oneof(fc.constant(null), fc.integer(), fc.string())).map((v) => JSON.stringify(v)),
  hostileText(['{', '}', '[', ']', '"', ':', ',']),
);

describe('`ip` output parsers on hostile input', () => {
  it('parseIpAddrJson returns interfaces or throws an OsmetaError', () => {
    fc.assert(
      fc.property(anyJson, (text) => {
        const r = onlyOsmetaErrors(() => parseIpAddrJson(text));
        if (r instanceof OsmetaError) {
          expect(r.message).not.toContain('\n');
          return;
        }
        for (const i of r) {
          expect(typeof i.ifname).toBe('string');
          for (const a of i.addresses) expect(typeof a.local).toBe('string');
        }
        onlyOsmetaErrors(() => findAddress(r, '10.0.0.1'));
      }),
      RUNS,
    );
  });

  it('parseNamespaceName, ipv4ToInt and inSubnet never throw', () => {
    fc.assert(
      fc.property(
        hostileText(['-', '.', 'q', 'd', 'h', 'c', 'p']),
        fc.integer({ min: -10, max: 40 }),
        (s, n) => {
          const calls: Array<() => unknown> = [
            () => parseNamespaceName(s),
            () => ipv4ToInt(s),
            () => inSubnet(s, '10.0.0.1', n),
          ];
          for (const f of calls) {
            const r = onlyOsmetaErrors(f);
            if (r instanceof Error) throw r;
          }
        },
      ),
      RUNS,
    );
  });
});
