import { describe, expect, it } from 'vitest';
import { CLEAR_LINE } from '../../src/io.js';
import { createTestIO } from '../helpers/context.js';

const SECRET = 'shared-s3cret-value';

describe('IO: the one place text reaches stdout and stderr', () => {
  it('scrubs a secret from the environment on stdout and stderr, piped or not', () => {
    for (const tty of [false, true]) {
      const t = createTestIO({ env: { OSMETA_SHARED_SECRET: SECRET }, stdoutIsTTY: tty, stderrIsTTY: tty });
      t.io.out(`answer ${SECRET}\n`);
      t.io.err(`error: ${encodeURIComponent(SECRET)}\n`);
      expect(t.stdout()).toBe('answer ***\n');
      expect(t.stderr()).toBe('error: ***\n');
    }
  });

  it('scrubs a secret registered after start-up, and the user info of any URL', () => {
    const t = createTestIO();
    t.io.secret('gAAAAB-late-token', 'token');
    t.io.err('debug: http GET http://u:pw@h/ (req-gAAAAB-late-token)\n');
    expect(t.stderr()).toBe('debug: http GET http://***@h/ (req-***)\n');
  });

  it('makes control characters visible on a terminal stdout, keeping newline and tab', () => {
    const t = createTestIO({ stdoutIsTTY: true });
    t.io.out('name\t\u001b]0;pwned\u0007\nnext\u009b2J\n');
    expect(t.stdout()).toBe('name\t^[]0;pwned^G\nnext<U+009B>2J\n');
  });

  it('writes piped stdout as it is (the answer stays byte-exact)', () => {
    const t = createTestIO({ stdoutIsTTY: false });
    t.io.out('raw\u001b[31m\r\n');
    expect(t.stdout()).toBe('raw\u001b[31m\r\n');
  });

  it('writes raw() bytes exactly, secrets included: the user asked for the body', () => {
    const t = createTestIO({ env: { OSMETA_SHARED_SECRET: SECRET }, stdoutIsTTY: true });
    t.io.raw(Buffer.from(`\u001b[2J${SECRET}`));
    expect(t.stdout()).toBe(`\u001b[2J${SECRET}`);
  });

  it('makes control characters visible on stderr even when piped', () => {
    const t = createTestIO({ stderrIsTTY: false });
    t.io.err('debug: body \u001b[2J\u001b[H\n');
    expect(t.stderr()).toBe('debug: body ^[[2J^[[H\n');
  });

  it("keeps osmeta's own colours on a coloured terminal, and no other escape sequence", () => {
    const t = createTestIO({ stdoutIsTTY: true, env: { FORCE_COLOR: '1' } });
    t.io.out('\u001b[32m✔\u001b[39m \u001b[5mblink\n');
    expect(t.stdout()).toBe('\u001b[32m✔\u001b[39m ^[[5mblink\n');
  });

  it('draws and erases a progress line with its own CR and erase sequence only', () => {
    const t = createTestIO({ stderrIsTTY: true });
    t.io.progress('[###] 1/2 \r\u001b[2Jevil');
    t.io.clearProgress();
    expect(t.stderr()).toBe(`\r[###] 1/2 ^M^[[2Jevil${CLEAR_LINE}`);
  });

  it('allows the leading CR of a progress line only on a terminal', () => {
    const piped = createTestIO({ stderrIsTTY: false });
    piped.io.err('\rspoofed line\n');
    expect(piped.stderr()).toBe('^Mspoofed line\n');
  });

  it('escapes external text fully on a terminal, colours included, and leaves it for a pipe', () => {
    const tty = createTestIO({ stdoutIsTTY: true, env: { FORCE_COLOR: '1' } });
    expect(tty.io.external('\u001b[32mok\nx')).toBe('^[[32mok^Jx');
    expect(tty.io.external('a\nb', { multiline: true })).toBe('a\nb');
    const piped = createTestIO({ stdoutIsTTY: false, stderrIsTTY: true });
    expect(piped.io.external('\u001b[32mok')).toBe('\u001b[32mok');
    expect(piped.io.external('\u001b[32mok', { stream: 'stderr' })).toBe('^[[32mok');
  });
});
