import { describe, expect, it } from 'vitest';
import {
  escapeJsonText,
  escapeTerminal,
  escapeTerminalBytes,
  isPrintableText,
  isTerminalSafe,
  isValidUtf8,
} from '../../../src/util/terminal.js';

describe('escapeTerminal', () => {
  it.each([
    ['\u001b]0;pwned\u0007', '^[]0;pwned^G'],
    ['\u001b[2J\u001b[H', '^[[2J^[[H'],
    ['a\u0000b', 'a^@b'],
    ['del\u007f', 'del^?'],
    ['csi\u009b31m', 'csi<U+009B>31m'],
    ['bidi\u202egnp.exe', 'bidi<U+202E>gnp.exe'],
    ['lone\ud800', 'lone<U+D800>'],
    ['tab\tnl\ncr\r', 'tab^Inl^Jcr^M'],
    ['\u001b[31mred', '^[[31mred'],
  ])('shows %j as %j on one line', (input, expected) => {
    expect(escapeTerminal(input)).toBe(expected);
  });

  it('keeps newline and tab in multi-line text, drops CR before LF, shows a lone CR', () => {
    expect(escapeTerminal('a\tb\r\nc\rd\n', { multiline: true })).toBe('a\tb\nc^Md\n');
  });

  it("keeps osmeta's own colours only when asked, and escapes any other SGR", () => {
    const text = '\u001b[32m✔ ok\u001b[39m \u001b[8mhidden\u001b[0m';
    expect(escapeTerminal(text, { keepSgr: true })).toBe('\u001b[32m✔ ok\u001b[39m ^[[8mhidden\u001b[0m');
    expect(escapeTerminal(text)).toBe('^[[32m✔ ok^[[39m ^[[8mhidden^[[0m');
  });

  it('leaves text without control characters as it is', () => {
    const text = 'lab-vm1 ✔ ünïcödé 😀';
    expect(escapeTerminal(text)).toBe(text);
    expect(isTerminalSafe(text)).toBe(true);
  });
});

describe('escapeTerminalBytes', () => {
  it('shows each invalid UTF-8 byte as <XX> and escapes the rest', () => {
    const b = Buffer.from([0x6f, 0x6b, 0xff, 0x1b, 0x5b, 0x48, 0xc3, 0xa9, 0xc3, 0xe2, 0x82]);
    expect(escapeTerminalBytes(b)).toBe('ok<FF>^[[Hé<C3><E2><82>');
  });

  it.each([
    [[0xc0, 0xaf], false],
    [[0xed, 0xa0, 0x80], false],
    [[0xf4, 0x90, 0x80, 0x80], false],
    [[0xf0, 0x9f, 0x98, 0x80], true],
    [[0xe2, 0x82, 0xac], true],
  ])('judges %j as well-formed UTF-8: %s (no overlongs, surrogates or > U+10FFFF)', (bytes, ok) => {
    expect(isValidUtf8(Uint8Array.from(bytes))).toBe(ok);
    expect(isValidUtf8(Uint8Array.from(bytes))).toBe(
      (() => {
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
          return true;
        } catch {
          return false;
        }
      })(),
    );
  });
});

describe('isPrintableText (user_data on a terminal)', () => {
  it.each([
    ['#cloud-config\npackages:\n\t- htop\r\n', true],
    ['', true],
    ['#!/bin/sh\necho \u001b]0;owned\u0007\n', false],
    ['overwrite\rme', false],
    ['c1 \u009b', false],
  ])('%j is printable: %s', (text, ok) => {
    expect(isPrintableText(Buffer.from(text))).toBe(ok);
  });

  it('refuses bytes that are not UTF-8', () => {
    expect(isPrintableText(Buffer.from([0x1f, 0x8b, 0x08, 0x00]))).toBe(false);
    expect(isPrintableText(Buffer.from([0x61, 0xff]))).toBe(false);
  });
});

describe('escapeJsonText', () => {
  it('writes DEL, C1 and bidi overrides as \\u escapes: the same JSON value, nothing a terminal acts on', () => {
    const value = { name: 'x\u009b2J\u007f\u202e' };
    const text = escapeJsonText(JSON.stringify(value));
    expect(text).toBe('{"name":"x\\u009b2J\\u007f\\u202e"}');
    expect(JSON.parse(text)).toEqual(value);
  });
});
