// Text from outside osmeta (server names, user data, error bodies and headers) reaches a terminal
// with its control characters made visible, the way `git` and `less` show them:
//   C0 and DEL      caret notation: ESC → ^[, NUL → ^@, CR → ^M, DEL → ^?
//   C1 (U+0080–9F)  <U+009B>, as less shows a non-printable code point
//   bidi overrides  <U+202E> (U+202A–U+202E, U+2066–U+2069: they reorder what follows on the line)
//   lone surrogates <U+D800> (a terminal would print U+FFFD and hide what was sent)
//   invalid UTF-8   <9B>, one byte at a time, as less shows a byte that is not text
// Multi-line text keeps newline and tab, and CR before LF is dropped (less does the same); a lone
// CR (which rewrites the line) is ^M. Single-line text (a table cell, an error message) shows them.

export interface EscapeOptions {
  /** keep newline and tab (and CRLF as LF); default false: a single line */
  multiline?: boolean;
  /** keep these exact SGR sequences (osmeta's own colours); everything else is escaped */
  keepSgr?: boolean;
}

/** The SGR codes osmeta's own styles emit (chalk level 1: bold, dim, red, green, yellow, cyan, resets). */
export const OWN_SGR_CODES = [0, 1, 2, 22, 31, 32, 33, 36, 39] as const;
const OWN_SGR = new Set(OWN_SGR_CODES.map((c) => `\u001b[${c}m`));

// one pass: a candidate SGR sequence, CRLF, or one character that needs escaping
const UNSAFE =
  /\u001b\[\d{1,2}m|\r\n|[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
// the same without newline and tab, which multi-line text keeps (no call per line)
const UNSAFE_MULTILINE =
  /\u001b\[\d{1,2}m|\r\n|[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** The visible form of one unsafe character. */
export function visibleChar(ch: string): string {
  const c = ch.charCodeAt(0);
  if (c < 0x20) return `^${String.fromCharCode(c + 0x40)}`;
  if (c === 0x7f) return '^?';
  return `<U+${c.toString(16).toUpperCase().padStart(4, '0')}>`;
}

/** Makes control characters visible; see the module comment for the forms. */
export function escapeTerminal(text: string, o: EscapeOptions = {}): string {
  const multiline = o.multiline === true;
  const keepSgr = o.keepSgr === true;
  return text.replace(multiline ? UNSAFE_MULTILINE : UNSAFE, (m) => {
    if (m.length > 2 && m.charCodeAt(0) === 0x1b) {
      // an SGR sequence: ours is kept, anything else has its ESC made visible
      return keepSgr && OWN_SGR.has(m) ? m : `^[${m.slice(1)}`;
    }
    if (m === '\r\n') return multiline ? '\n' : '^M^J';
    return visibleChar(m);
  });
}

/** True when text has nothing escapeTerminal would change (multi-line rules; CRLF allowed). */
export function isTerminalSafe(text: string, o: { multiline?: boolean } = {}): boolean {
  const multiline = o.multiline === true;
  for (const m of text.matchAll(multiline ? UNSAFE_MULTILINE : UNSAFE)) {
    if (m[0] !== '\r\n' || !multiline) return false;
  }
  return true;
}

/** Decodes UTF-8, showing each byte of an invalid sequence as <XX>, then escapes as escapeTerminal. */
export function escapeTerminalBytes(bytes: Uint8Array, o: EscapeOptions = {}): string {
  const parts: string[] = [];
  let start = 0;
  let i = 0;
  const n = bytes.length;
  const flush = (end: number) => {
    if (end > start)
      parts.push(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8'));
  };
  while (i < n) {
    const len = utf8SequenceLength(bytes, i);
    if (len > 0) {
      i += len;
      continue;
    }
    flush(i);
    parts.push(`<${bytes[i]!.toString(16).toUpperCase().padStart(2, '0')}>`);
    i += 1;
    start = i;
  }
  flush(n);
  return escapeTerminal(parts.join(''), o);
}

/** Length of the well-formed UTF-8 sequence at i (RFC 3629: no overlongs, surrogates or > U+10FFFF), else 0. */
export function utf8SequenceLength(b: Uint8Array, i: number): number {
  const b0 = b[i]!;
  if (b0 < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => {
    const v = b[i + k];
    return v !== undefined && v >= lo && v <= hi;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((b0 >= 0xe1 && b0 <= 0xec) || b0 === 0xee || b0 === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (b0 === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (b0 === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (b0 >= 0xf1 && b0 <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b0 === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

/** Well-formed UTF-8 throughout. */
export function isValidUtf8(b: Uint8Array): boolean {
  let i = 0;
  while (i < b.length) {
    const len = utf8SequenceLength(b, i);
    if (len === 0) return false;
    i += len;
  }
  return true;
}

/**
 * Printable text, the rule for user_data (and any document) on a terminal: well-formed UTF-8 with
 * no control character but newline, tab and CRLF line ends — anything else is shown as binary is.
 */
export function isPrintableText(b: Uint8Array): boolean {
  return (
    isValidUtf8(b) &&
    isTerminalSafe(Buffer.from(b.buffer, b.byteOffset, b.length).toString('utf8'), { multiline: true })
  );
}

/**
 * JSON text with the characters JSON.stringify leaves raw but a terminal acts on (DEL, C1, bidi
 * overrides, U+2028/9) written as \u escapes. They can only occur inside strings, so the
 * document stays the same JSON value.
 */
export function escapeJsonText(json: string): string {
  return json.replace(
    /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
