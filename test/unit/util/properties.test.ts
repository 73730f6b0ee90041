import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExitCode, OsmetaError } from '../../../src/errors.js';
import { renderError } from '../../../src/output.js';
import {
  echoForms,
  MIN_SECRET_LENGTH,
  REDACTION,
  redactUserInfo,
  SecretRegistry,
} from '../../../src/util/scrub.js';
import {
  escapeJsonText,
  escapeTerminal,
  escapeTerminalBytes,
  isPrintableText,
  isValidUtf8,
} from '../../../src/util/terminal.js';
import {
  checkConfigUrl,
  parseBaseUrl,
  parseDocumentPath,
  parseHeaderValue,
  parseIpAddress,
  parseNetworkId,
  parseProjectId,
} from '../../../src/util/validate.js';
import { createTestContext } from '../../helpers/context.js';

// Adversarial strings: any UTF-16 code unit (lone surrogates too), control characters and escape
// sequences made likely, and now and then a huge one.
const CONTROL = fc.constantFrom(
  '\u0000',
  '\u0007',
  '\u001b',
  '\r',
  '\n',
  '\t',
  '\u007f',
  '\u0085',
  '\u009b',
  '\u202e',
  '\ud800',
  '\udc00',
  '\u001b[2J',
  '\u001b]0;x\u0007',
  '\u001b[31m',
  '%0d%0a',
  '../',
  '@',
  '://',
);
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const piece = fc.oneof(fc.string(), fc.string({ unit: codeUnit }), CONTROL);
const hostile = fc.oneof(
  { weight: 10, arbitrary: fc.array(piece, { maxLength: 20 }).map((a) => a.join('')) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(piece, fc.integer({ min: 10_000, max: 200_000 }))
      .map(([p, n]) => (p || 'a').repeat(Math.ceil(n / Math.max(1, p.length)))),
  },
);
const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  hostile.map((s) => Buffer.from(s)),
);

const FORBIDDEN_SINGLE =
  /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const FORBIDDEN_MULTI =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Runs f; only an OsmetaError may come out, and within the time limit. */
function bounded(f: () => unknown, ms = 200): void {
  const start = performance.now();
  try {
    f();
  } catch (e) {
    if (!(e instanceof OsmetaError)) throw e;
    expect(e.message).not.toMatch(FORBIDDEN_SINGLE);
    expect(e.message.length).toBeLessThan(400);
  }
  expect(performance.now() - start).toBeLessThan(ms);
}

const RUNS = { numRuns: 300 };

describe('the validators (property)', () => {
  const parsers = {
    '--network-id': parseNetworkId(),
    '--project-id': parseProjectId(),
    '--forwarded-for': parseIpAddress(),
    '--path': parseHeaderValue('--path'),
    '--metadata-url': parseBaseUrl('--metadata-url'),
    document: parseDocumentPath('document', { absolute: true }),
  };

  it('throw nothing but OsmetaErrors (exit 2, one visible line), quickly', () => {
    fc.assert(
      fc.property(hostile, (value) => {
        for (const parse of Object.values(parsers)) {
          bounded(() => {
            try {
              parse(value);
            } catch (e) {
              expect((e as OsmetaError).exitCode).toBe(ExitCode.USAGE);
              throw e;
            }
          });
        }
        bounded(() => checkConfigUrl(value, 'clouds.yaml', 'auth_url'));
      }),
      RUNS,
    );
  });

  it('let no control character through into anything that becomes a header or a URL', () => {
    fc.assert(
      fc.property(hostile, (value) => {
        for (const parse of Object.values(parsers)) {
          let accepted: unknown;
          try {
            accepted = parse(value);
          } catch {
            continue;
          }
          expect(accepted).toBe(value);
          expect(value).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
        }
      }),
      RUNS,
    );
  });

  it('never accept a document path with a . or .. segment', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', '.', '..', '%2e', '', 'meta_data.json'), { maxLength: 6 }),
        (segs) => {
          const path = segs.join('/');
          let ok = true;
          try {
            parsers.document(path);
          } catch {
            ok = false;
          }
          if (ok) expect(path.split('/').some((s) => s === '.' || s === '..')).toBe(false);
        },
      ),
      RUNS,
    );
  });
});

describe('the terminal escaper (property)', () => {
  it('leaves no control character in escaped text (single line: not even newline)', () => {
    fc.assert(
      fc.property(hostile, (s) => {
        expect(escapeTerminal(s)).not.toMatch(FORBIDDEN_SINGLE);
        expect(escapeTerminal(s, { multiline: true })).not.toMatch(FORBIDDEN_MULTI);
      }),
      RUNS,
    );
  });

  it('makes any bytes, invalid UTF-8 included, visible without a control character', () => {
    fc.assert(
      fc.property(bytes, (b) => {
        const out = escapeTerminalBytes(b, { multiline: true });
        expect(out).not.toMatch(FORBIDDEN_MULTI);
        if (!isValidUtf8(b)) expect(out).toMatch(/<[0-9A-F]{2}>/);
      }),
      RUNS,
    );
  });

  it('changes nothing in printable text (what isPrintableText lets through)', () => {
    fc.assert(
      fc.property(bytes, (b) => {
        if (isPrintableText(b)) {
          expect(escapeTerminal(Buffer.from(b).toString('utf8'), { multiline: true })).toBe(
            Buffer.from(b).toString('utf8').replace(/\r\n/g, '\n'),
          );
        }
      }),
      RUNS,
    );
  });

  it('keeps JSON the same value with nothing a terminal acts on', () => {
    fc.assert(
      fc.property(fc.jsonValue(), hostile, (v, s) => {
        const value = { v, s };
        const text = escapeJsonText(JSON.stringify(value));
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
        expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
      }),
      RUNS,
    );
  });
});

describe('the scrubber (property)', () => {
  const secret = fc.string({
    unit: fc.oneof(codeUnit, fc.constantFrom('*', '%', '"', '\\', '@', ':', 'a')),
    minLength: MIN_SECRET_LENGTH,
    maxLength: 40,
  });

  it('leaves no form of a registered secret in text built around its echoes', () => {
    fc.assert(
      fc.property(
        secret,
        fc.array(fc.oneof(piece, fc.constant('FORM')), { maxLength: 12 }),
        fc.nat(),
        (sec, parts, k) => {
          const r = new SecretRegistry();
          r.add(sec);
          const forms = echoForms(sec);
          const text = parts.map((p, i) => (p === 'FORM' ? forms[(k + i) % forms.length]! : p)).join('');
          const start = performance.now();
          const out = r.scrub(text);
          expect(performance.now() - start).toBeLessThan(500);
          for (const f of forms) expect(out).not.toContain(f);
        },
      ),
      RUNS,
    );
  });

  it('leaves no URL password behind, whatever surrounds the URL', () => {
    const pass = fc.stringMatching(/^[A-Za-z0-9$!~*'();,=+-]{6,20}$/);
    fc.assert(
      fc.property(piece, pass, piece, (before, pw, after) => {
        const url = `http://admin:${pw}@127.0.0.1:8775/openstack`;
        const text = `${before} ${url} ${after}`;
        expect(redactUserInfo(text)).not.toContain(`:${pw}@`);
        const r = new SecretRegistry();
        r.addUrl(url);
        expect(r.scrub(text)).not.toContain(pw);
      }),
      RUNS,
    );
  });

  it('lets no secret out of an error, in human or JSON form, whatever the server put around it', async () => {
    await fc.assert(
      fc.asyncProperty(secret, piece, piece, fc.boolean(), async (sec, before, after, json) => {
        const t = createTestContext({ stderrIsTTY: json, stdoutIsTTY: !json });
        t.ctx.io.secret(sec, 'password');
        const err = new OsmetaError('API_ERROR', 1, `Keystone said ${before}${sec}${after}`, {
          hint: `${echoForms(sec).at(-3)}`,
          requestId: `req-${JSON.stringify(sec)}`,
        });
        await renderError(t.ctx, json, err);
        const all = t.stdout() + t.stderr();
        expect(all).not.toContain(sec);
        expect(all).toContain(REDACTION);
        if (json) expect(JSON.parse(t.stdout()).error.message).not.toContain(sec);
      }),
      { numRuns: 200 },
    );
  });
});

describe('IO: every text write (property)', () => {
  const secret = fc.string({
    unit: fc.oneof(codeUnit, fc.constantFrom('^', '[', '*', '%')),
    minLength: MIN_SECRET_LENGTH,
    maxLength: 30,
  });

  it('writes no known secret and, to a terminal or stderr, no control character', () => {
    fc.assert(
      fc.property(
        secret,
        fc.array(fc.oneof(piece, fc.constant('SECRET')), { maxLength: 10 }),
        fc.boolean(),
        (sec, parts, tty) => {
          const t = createTestContext({ stdoutIsTTY: tty, stderrIsTTY: tty });
          t.ctx.io.secret(sec);
          const forms = echoForms(sec);
          const text = parts.map((p, i) => (p === 'SECRET' ? forms[i % forms.length]! : p)).join('');
          const start = performance.now();
          t.ctx.io.out(text);
          t.ctx.io.err(text);
          expect(performance.now() - start).toBeLessThan(1_000);
          for (const out of [t.stdout(), t.stderr()]) expect(out).not.toContain(sec);
          // with colour on, osmeta's own SGR sequences (and only those) pass
          const own = (s: string) => s.replace(/\u001b\[(?:0|1|2|22|31|32|33|36|39)m/g, '');
          // …and on a terminal the leading CR of a progress line
          expect(own(t.stderr()).replace(tty ? /^\r/ : /^$/, '')).not.toMatch(FORBIDDEN_MULTI);
          if (tty) expect(own(t.stdout())).not.toMatch(FORBIDDEN_MULTI);
        },
      ),
      RUNS,
    );
  });
});
