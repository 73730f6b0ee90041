import { describe, expect, it } from 'vitest';
import { lookupOslo, parseOsloIni, substituteOslo } from '../../../src/host/oslo-config.js';

const get = (text: string, section: string, key: string) =>
  lookupOslo([parseOsloIni(text)], section, key)?.value;

describe('parseOsloIni (oslo_config/iniparser.py semantics)', () => {
  it.each([
    ['plain', 'k = abc', 'abc'],
    ['no spaces', 'k=abc', 'abc'],
    ['colon separator', 'k: abc', 'abc'],
    ['the first = splits, the rest stays', 'k = a=b=c', 'a=b=c'],
    ['inline # text is part of the value', 'k = abc # a comment', 'abc # a comment'],
    ['inline ; text is part of the value', 'k = abc ; x', 'abc ; x'],
    ['one pair of matching double quotes is removed', 'k = "abc"', 'abc'],
    ['one pair of matching single quotes is removed', "k = 'abc'", 'abc'],
    ['only the outer pair goes', 'k = ""abc""', '"abc"'],
    ['unmatched quotes stay', 'k = "abc\'', '"abc\''],
    ['a quote then a comment stays whole', 'k = "abc" # note', '"abc" # note'],
    ['a leading quote alone stays', 'k = "abc', '"abc'],
    ['an empty value', 'k =', ''],
    ['a lone quote becomes empty', 'k = "', ''],
    ['trailing whitespace goes', 'k = abc   ', 'abc'],
    ['the last assignment in a file wins', 'k = one\nk = two', 'two'],
    ['dashes in keys match underscores', 'k-x = v\n', undefined],
  ])('%s', (_name, body, expected) => {
    expect(get(`[DEFAULT]\n${body}\n`, 'DEFAULT', 'k')).toBe(expected);
  });

  it('continues a value on indented lines', () => {
    expect(get('[DEFAULT]\nk = a\n  b\n\tc\n', 'DEFAULT', 'k')).toBe('a\nb\nc');
  });

  it('treats # and ; only at line start as comments', () => {
    expect(get('[DEFAULT]\n# k = no\n; k = no\nk = yes\n', 'DEFAULT', 'k')).toBe('yes');
  });

  it('keeps sections apart and matches group names case-insensitively, except DEFAULT', () => {
    const f = parseOsloIni('[DEFAULT]\nk = d\n[Neutron]\nk = n\n[default]\nk = lower\n');
    expect(lookupOslo([f], 'neutron', 'k')?.value).toBe('n');
    expect(lookupOslo([f], 'DEFAULT', 'k')?.value).toBe('d');
  });

  it('matches keys written with dashes', () => {
    expect(
      get('[DEFAULT]\nmetadata-proxy-shared-secret = x\n', 'DEFAULT', 'metadata_proxy_shared_secret'),
    ).toBe('x');
  });

  it('reports the line of each value', () => {
    const f = parseOsloIni('[DEFAULT]\n\nk = v\n', '/etc/x.ini');
    expect(lookupOslo([f], 'DEFAULT', 'k')).toEqual({ value: 'v', path: '/etc/x.ini', line: 3 });
  });

  it.each([
    ['an assignment without a section', 'k = v\n', /line 1: assignment outside any \[section\]/],
    ['a line without = or :', '[DEFAULT]\njunk\n', /line 2: no ':' or '='/],
    ['an unterminated section', '[DEFAULT\n', /line 1: section header must end with \]/],
    ['an empty section', '[]\n', /line 1: empty section name/],
    ['an empty key', '[DEFAULT]\n= v\n', /line 2: empty key/],
    ['a continuation with nothing before it', '[DEFAULT]\n  v\n', /line 2: unexpected continuation/],
  ])('rejects %s with the line number', (_n, text, re) => {
    expect(() => parseOsloIni(text, '/etc/x.ini')).toThrow(re);
  });
});

describe('lookupOslo across files', () => {
  it('lets the later file win', () => {
    const a = parseOsloIni('[DEFAULT]\nk = a\n', 'a.ini');
    const b = parseOsloIni('[DEFAULT]\nk = b\n', 'b.ini');
    expect(lookupOslo([a, b], 'DEFAULT', 'k')).toMatchObject({ value: 'b', path: 'b.ini' });
    expect(lookupOslo([b, a], 'DEFAULT', 'k')).toMatchObject({ value: 'a', path: 'a.ini' });
  });

  it('keeps an earlier value when the later file does not set the key', () => {
    const a = parseOsloIni('[DEFAULT]\nk = a\n', 'a.ini');
    const b = parseOsloIni('[DEFAULT]\nother = b\n', 'b.ini');
    expect(lookupOslo([a, b], 'DEFAULT', 'k')?.value).toBe('a');
  });
});

describe('substituteOslo', () => {
  const f = parseOsloIni('[DEFAULT]\nstate_path = /srv/neutron\nsock = $state_path/metadata_proxy\n');
  it('expands $name from the files', () => {
    expect(substituteOslo('$state_path/metadata_proxy', [f], 'DEFAULT')).toBe('/srv/neutron/metadata_proxy');
  });
  // biome-ignore lint/suspicious/noTemplateCurlyInString: oslo.config's own ${name} syntax
  it('expands ${name} and falls back to defaults', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: oslo.config's own ${name} syntax
    expect(substituteOslo('${lock}/x', [f], 'DEFAULT', { lock: '/run/lock' })).toBe('/run/lock/x');
  });
  it('reads $$ as a literal dollar', () => expect(substituteOslo('a$$b', [f], 'DEFAULT')).toBe('a$b'));
});

// Each case checked against Debian 12's python3-oslo.config 9.0 (cfg.ConfigOpts with StrOpts).
describe('substituteOslo: where oslo.config fails, osmeta fails', () => {
  const ini = (body: string) => [parseOsloIni(`[DEFAULT]\n${body}\n`, '/etc/x.conf')];
  const sub = (body: string, v: string, strict = false) =>
    substituteOslo(v, ini(body), 'DEFAULT', {}, { strict, what: 'k in /etc/x.conf:2' });

  it.each([
    ['a two-option loop', 'a = $b\nb = $a', '$a'],
    ['a self-reference', 'a = x$a', '$a'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: oslo.config's own ${name} syntax
    ['a braced self-reference', 'a = ${a}', '${a}'],
    ['a three-option loop reached through a chain', 'a = $b\nb = $c\nc = $d\nd = $b', 'v$a'],
  ])('%s throws, strict or not, naming the option and never the value', (_n, body, value) => {
    for (const strict of [false, true]) {
      expect(() => sub(body, value, strict)).toThrow(
        'k in /etc/x.conf:2 cannot be read: its $-substitution refers back to itself (oslo.config fails to read it)',
      );
    }
  });

  it('follows a chain 13 deep, as oslo.config does', () => {
    const body = Array.from({ length: 13 }, (_v, i) => `o${i} = $o${i + 1}`).join('\n');
    expect(sub(`${body}\no13 = end`, '$o0')).toBe('end');
  });

  it('refuses a chain deeper than 100 (oslo.config fails at about 130)', () => {
    const body = Array.from({ length: 150 }, (_v, i) => `o${i} = $o${i + 1}`).join('\n');
    expect(() => sub(`${body}\no150 = end`, '$o0')).toThrow(/nested more than 100 deep/);
  });

  it('expands a repeated reference once and in linear time', () => {
    expect(sub('b = $c$c\nc = xy', '$b$b')).toBe('xyxyxyxy');
    const levels = Array.from({ length: 12 }, (_v, i) => `l${i} = $l${i + 1}$l${i + 1}`).join('\n');
    expect(sub(`${levels}\nl12 = x`, '$l0')).toHaveLength(4096);
  });

  it('refuses an expansion over 64 Ki characters', () => {
    const levels = Array.from({ length: 40 }, (_v, i) => `l${i} = $l${i + 1}$l${i + 1}`).join('\n');
    expect(() => sub(`${levels}\nl40 = x`, '$l0')).toThrow(
      'k in /etc/x.conf:2 cannot be read: its $-substitution grows beyond 65536 characters',
    );
  });

  it('reads \\$ as a literal dollar, as $$', () => {
    expect(sub('b = 1', '\\$b x')).toBe('$b x');
  });

  it('reads $group.option from another group, expanded in that group', () => {
    const f = [parseOsloIni('[DEFAULT]\nc = $g.k\n[g]\nk = $m\nm = gm\n')];
    expect(substituteOslo('$g.k', f, 'DEFAULT')).toBe('gm');
  });

  it('matches names case-insensitively in the pattern, as Template does', () => {
    expect(() => sub('', 'abc$SharedXYZ', true)).toThrow(
      'k in /etc/x.conf:2 cannot be read: it refers to an option oslo.config cannot substitute',
    );
    expect(() => sub('', 'abc$SharedXYZ', true)).not.toThrow(/Shared|XYZ|abc/);
    expect(sub('', 'abc$SharedXYZ')).toBe('abc$SharedXYZ');
  });

  it('leaves a $ that starts no name as written', () => {
    expect(sub('', 'a$-b$ $1')).toBe('a$-b$ $1');
  });
});
