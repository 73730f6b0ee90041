import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OsmetaError } from '../../../src/errors.js';
import { lookupOslo, parseOsloIni, substituteOslo } from '../../../src/host/oslo-config.js';
import { hostileText, onlyOsmetaErrors, RUNS } from '../../helpers/hostile-input.js';

// Properties of the oslo.config reader over random and adversarial input: it returns or throws an
// OsmetaError, in bounded time, and never puts the secret's value in an error.

const INI_CHARS = ['[', ']', '=', ':', '#', ';', '$', '{', '}', '\\', '"', "'", '\t', '\r', '-', '_', '.'];
const name = fc.stringMatching(/^[a-z_][a-z0-9_]{0,6}$/);
const valueText = fc.string({
  unit: fc.constantFrom('$', '{', '}', '\\', '.', 'a', 'b', 'x', '_', ' ', '\x1b', '\x00', '\u2028'),
  maxLength: 30,
});

describe('parseOsloIni on hostile input', () => {
  it('returns a file or throws a one-line OsmetaError, quickly', () => {
    fc.assert(
      fc.property(hostileText(INI_CHARS), (text) => {
        const r = onlyOsmetaErrors(() => parseOsloIni(text, '/etc/x.conf'));
        if (r instanceof OsmetaError)
          expect(r.message).toMatch(/^cannot parse \/etc\/x\.conf: line \d+: [^\n]+$/);
      }),
      RUNS,
    );
  });
});

describe('substituteOslo on hostile configurations', () => {
  // random options referring to each other: chains, loops, self-references, repeated references
  const config = fc.array(
    fc.tuple(
      name,
      fc.array(
        fc.oneof(
          name.map((n) => `$${n}`),
          name.map((n) => `\${${n}}`),
          valueText,
        ),
        { maxLength: 6 },
      ),
    ),
    {
      maxLength: 25,
    },
  );

  it('ends with a value or an OsmetaError, never hangs, for loops, chains and doubling references', () => {
    fc.assert(
      fc.property(config, fc.boolean(), (opts, strict) => {
        const text = `[DEFAULT]\n${opts.map(([k, parts]) => `${k} = ${parts.join('')}`).join('\n')}\n`;
        const files = [parseOsloIni(text, '/etc/x.conf')];
        for (const [k] of opts.slice(0, 5)) {
          const v = lookupOslo(files, 'DEFAULT', k);
          if (!v) continue;
          const r = onlyOsmetaErrors(
            () => substituteOslo(v.value, files, 'DEFAULT', {}, { strict, what: `${k} in x` }),
            1000,
          );
          if (typeof r === 'string') expect(r.length).toBeLessThanOrEqual(64 * 1024);
          else expect(r.message.startsWith(`${k} in x cannot be read: `)).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('never puts the secret, or any part of it after a $, in an error', () => {
    const secretPart = fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{5,12}$/);
    fc.assert(
      fc.property(
        secretPart,
        secretPart,
        fc.constantFrom('$', '${', '$$', '\\$'),
        config,
        (head, tail, dollar, others) => {
          const secret = `${head}${dollar}${tail}${dollar === '${' ? '}' : ''}`;
          const text = `[DEFAULT]\n${others.map(([k, p]) => `${k} = ${p.join('')}`).join('\n')}\nmetadata_proxy_shared_secret = ${secret}\n`;
          const files = [parseOsloIni(text, '/etc/neutron/neutron.conf')];
          const r = onlyOsmetaErrors(() =>
            substituteOslo(
              secret,
              files,
              'DEFAULT',
              {},
              { strict: true, what: 'metadata_proxy_shared_secret in /etc/neutron/neutron.conf:9' },
            ),
          );
          if (r instanceof OsmetaError) {
            const shown = `${r.message}\n${r.hint ?? ''}`;
            expect(shown).not.toContain(head);
            expect(shown).not.toContain(tail);
          }
        },
      ),
      RUNS,
    );
  });
});
