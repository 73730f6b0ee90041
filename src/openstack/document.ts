import type { Styles } from '../io.js';
import { isPrintableText } from '../util/terminal.js';

// What a metadata document is: JSON (meta_data.json, vendor_data*.json; network_data.json comes as
// text/plain), text (listings, EC2 leaves, cloud-config), or bytes (gzip or MIME multipart user data).

const GZIP_MAGIC = [0x1f, 0x8b];

export type BodyKind = 'json' | 'text' | 'binary';

export function isGzip(b: Buffer): boolean {
  return b.length >= 2 && b[0] === GZIP_MAGIC[0] && b[1] === GZIP_MAGIC[1];
}

export function isUtf8Text(b: Buffer): boolean {
  if (b.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
}

/** MIME multi-part user data (cloud-init's write-mime-multipart), text that is not for a terminal */
export function isMultipart(b: Buffer): boolean {
  const head = b.subarray(0, 512).toString('latin1');
  return /^(content-type:\s*multipart\/|mime-version:)/im.test(head);
}

/** Bytes that must not reach a terminal unasked: anything but printable text (user_data's rule too). */
export function isBinaryForTerminal(b: Buffer): boolean {
  return isGzip(b) || !isPrintableText(b) || isMultipart(b);
}

export function describeBinary(b: Buffer): string {
  if (isGzip(b)) return `gzip, ${b.length} bytes`;
  if (isMultipart(b)) return `MIME multipart, ${b.length} bytes`;
  if (isUtf8Text(b)) return `text with control characters, ${b.length} bytes`;
  return `${b.length} bytes`;
}

export function bodyKind(b: Buffer, contentType: string, name: string): BodyKind {
  if (isGzip(b) || !isUtf8Text(b)) return 'binary';
  if (/json/i.test(contentType) || name.endsWith('.json')) {
    try {
      JSON.parse(b.toString('utf8'));
      return 'json';
    } catch {
      return 'text';
    }
  }
  return 'text';
}

/** The --json value of a document: parsed JSON, a string, or {"base64": …} for bytes. */
export function documentValue(b: Buffer, contentType: string, name: string): unknown {
  switch (bodyKind(b, contentType, name)) {
    case 'json':
      return JSON.parse(b.toString('utf8'));
    case 'text':
      return b.toString('utf8');
    case 'binary':
      return { base64: b.toString('base64') };
  }
}

/** Pretty JSON, coloured with the given styles (plain styles give plain text). */
export function prettyJson(value: unknown, s: Styles, indent = ''): string {
  const next = `${indent}  `;
  if (value === null) return s.dim('null');
  if (typeof value === 'string') return s.green(JSON.stringify(value));
  if (typeof value === 'number') return s.yellow(String(value));
  if (typeof value === 'boolean') return s.yellow(String(value));
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => `${next}${prettyJson(v, s, next)}`).join(',\n')}\n${indent}]`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return '{}';
    return `{\n${entries
      .map(([k, v]) => `${next}${s.cyan(JSON.stringify(k))}: ${prettyJson(v, s, next)}`)
      .join(',\n')}\n${indent}}`;
  }
  return String(value);
}
