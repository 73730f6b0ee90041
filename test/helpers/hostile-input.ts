import fc from 'fast-check';
import { OsmetaError } from '../../src/errors.js';

// Random and adversarial text for parser properties: control characters (C0, C1, DEL, ESC, NUL),
// line and paragraph separators, invalid UTF-8 (decoded as Node decodes it: U+FFFD), lone
// surrogates, huge lines, and the punctuation parsers split on.

const CONTROL = [
  ...Array.from({ length: 32 }, (_v, i) => String.fromCharCode(i)),
  '\x7f',
  '\x85',
  '\x9b',
  '\u2028',
  '\u2029',
  '\ufeff',
  '\ud800',
  '\udfff',
];

/** text made of the characters a line-based parser cares about, control characters and a few letters */
export const punctuated = (chars: readonly string[], maxLength = 400) =>
  fc.string({ unit: fc.constantFrom(...chars, ...CONTROL, 'a', 'Z', '0', '9', 'é', ' ', '\n'), maxLength });

/** bytes that are not valid UTF-8, decoded the way fs.readFile(…, 'utf8') decodes them */
export const invalidUtf8 = fc
  .uint8Array({ maxLength: 300 })
  .map((b) =>
    Buffer.concat([Buffer.from(b), Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0xed, 0xa0, 0x80])]).toString('utf8'),
  );

/** one very long line, or very many short ones */
export const huge = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('x', ' ', '#', '$', '\\', '[', '=', ':', '\t'),
      fc.integer({ min: 10_000, max: 300_000 }),
    )
    .map(([c, n]) => c.repeat(n)),
  fc.integer({ min: 1_000, max: 50_000 }).map((n) => 'k = v\n'.repeat(n)),
  fc.integer({ min: 1_000, max: 50_000 }).map((n) => ' '.repeat(n) + 'x'),
  // a long run of one character, then a control character: what makes a backtracking regex slow
  fc
    .tuple(
      fc.constantFrom('#', ' ', '$', '\\', '=', '\t', 'x', ':'),
      fc.integer({ min: 20_000, max: 40_000 }),
      // what `.` does not match, and so what `#.*$` backtracks on
      fc.constantFrom('\u2028', '\u2029', '\r', '\x85'),
    )
    .map(([c, n, t]) => `a${c.repeat(n)}${t}`),
);

/** any of the above, or plain arbitrary strings (all code points) */
export const hostileText = (chars: readonly string[] = []) =>
  fc.oneof(
    { weight: 4, arbitrary: punctuated(chars) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
    { weight: 1, arbitrary: invalidUtf8 },
    { weight: 1, arbitrary: huge },
  );

/** Runs f; anything thrown must be an OsmetaError; f must end within ms. */
export function onlyOsmetaErrors<T>(f: () => T, ms = 2000): T | OsmetaError {
  const started = performance.now();
  let result: T | OsmetaError;
  try {
    result = f();
  } catch (err) {
    if (!(err instanceof OsmetaError)) throw err;
    result = err;
  }
  const took = performance.now() - started;
  if (took > ms) throw new Error(`took ${Math.round(took)} ms (limit ${ms} ms)`);
  return result;
}

/** bounded runs: every property ends in seconds */
export const RUNS = { numRuns: 150, endOnFailure: true } as const;
