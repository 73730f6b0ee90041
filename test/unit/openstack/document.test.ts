import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { PLAIN_STYLES } from '../../../src/io.js';
import { bodyKind, documentValue, isBinaryForTerminal, prettyJson } from '../../../src/openstack/document.js';

describe('document kinds', () => {
  it.each<[string, Buffer, string, string, string]>([
    ['meta_data.json', Buffer.from('{"a":1}'), 'application/json', 'meta_data.json', 'json'],
    [
      'network_data.json served as text/plain',
      Buffer.from('{"links":[]}'),
      'text/plain; charset=UTF-8',
      'network_data.json',
      'json',
    ],
    ['a cloud-config', Buffer.from('#cloud-config\n'), 'text/plain', 'user_data', 'text'],
    ['broken JSON', Buffer.from('{'), 'application/json', 'x.json', 'text'],
    ['gzip', gzipSync('hello'), 'text/plain', 'user_data', 'binary'],
    ['invalid UTF-8', Buffer.from([0xff, 0xfe, 0x41]), 'text/plain', 'user_data', 'binary'],
  ])('%s is %s', (_w, body, ct, name, kind) => {
    expect(bodyKind(body, ct, name)).toBe(kind);
  });

  it('gives JSON values, strings and base64', () => {
    expect(documentValue(Buffer.from('{"a":[1]}'), 'application/json', 'm.json')).toEqual({ a: [1] });
    expect(documentValue(Buffer.from('x\ny'), 'text/plain', 'user_data')).toBe('x\ny');
    const gz = gzipSync('hi');
    expect(documentValue(gz, 'text/plain', 'user_data')).toEqual({ base64: gz.toString('base64') });
  });

  it('keeps gzip, bytes and MIME multipart off a terminal', () => {
    expect(isBinaryForTerminal(gzipSync('x'))).toBe(true);
    expect(
      isBinaryForTerminal(
        Buffer.from('Content-Type: multipart/mixed; boundary="==b=="\nMIME-Version: 1.0\n'),
      ),
    ).toBe(true);
    expect(isBinaryForTerminal(Buffer.from('a\0b'))).toBe(true);
    expect(isBinaryForTerminal(Buffer.from('#cloud-config\nhostname: a\n'))).toBe(false);
  });

  it('pretty-prints like JSON.stringify with two spaces when uncoloured', () => {
    const v = { a: [1, 'x', null, true], b: {}, c: [] };
    expect(prettyJson(v, PLAIN_STYLES)).toBe(JSON.stringify(v, null, 2));
  });
});
