// Error pages as they reach osmeta: webob's (nova, the agent: JSON, text/plain or HTML) and
// haproxy's own (internals §1.6). Both get's messages and trace's probes read them here.

import type { HttpProbeResult, ResponseForm } from '../host/http-probe.js';

/** webob's text/plain page: "403 Forbidden\n\nInvalid proxy request signature.\n\n   " */
const WEBOB_PLAIN = /^\d{3} [^\n]*\n\n/;

/** The one-line message of a webob error page (internals §1.6): JSON, text/plain or HTML. */
export function errorPageMessage(r: { body: Buffer; contentType: string }): string {
  const text = r.body.toString('utf8');
  const clean = (s: string) =>
    s
      .replace(/<br\s*\/?>/gi, ' ')
      .replace(/\s+/g, ' ')
      .trim();
  if (/json/i.test(r.contentType) || text.trimStart().startsWith('{')) {
    try {
      const doc = JSON.parse(text) as { message?: unknown; title?: unknown };
      if (typeof doc.message === 'string' && clean(doc.message) !== '') return clean(doc.message);
      if (typeof doc.title === 'string') return clean(doc.title);
    } catch {
      // fall through
    }
  }
  if (/<html|<body|<h1/i.test(text)) {
    const body = text
      .replace(/<head>[\s\S]*?<\/head>/gi, '')
      .replace(/<h1>[\s\S]*?<\/h1>/gi, '')
      .replace(/<[^>]*>/g, ' ');
    const c = clean(body);
    if (c !== '') return c;
    const h1 = /<h1>([\s\S]*?)<\/h1>/i.exec(text);
    return h1?.[1] ? clean(h1[1]) : '';
  }
  // text/plain: "403 Forbidden\n\nInvalid proxy request signature.\n\n   "
  const parts = text.split(/\r?\n\r?\n/);
  if (parts.length > 1 && /^\d{3} /.test(parts[0] ?? '')) return clean(parts.slice(1).join(' '));
  return clean(text).slice(0, 300);
}

/**
 * haproxy's own pages: `text/html` without charset, `<html><body><h1>`, cache-control no-cache.
 * webob's (agent, nova): `; charset=UTF-8` or application/json, `<html>\n <head>` with `<br /><br />`.
 */
export function responseForm(status: number, headers: Record<string, string>, body: string): ResponseForm {
  const ct = (headers['content-type'] ?? '').toLowerCase();
  if (ct === 'text/html' && body.startsWith('<html><body><h1>')) return 'haproxy';
  if (status >= 400) {
    if (/charset=utf-8/.test(ct) && (/^<html>\n <head>/.test(body) || WEBOB_PLAIN.test(body))) return 'webob';
    if (ct.startsWith('application/json') && /"code": "\d{3} /.test(body)) return 'webob';
  }
  return 'other';
}

/** The explanation line of an error page (webob's, haproxy's or JSON). */
export function errorExplanation(body: string): string | undefined {
  const webob = /<\/h1>\s*\n\s*([^<\n]+?)\s*(<br \/>|\n)/.exec(body);
  if (webob) return webob[1]!.trim();
  try {
    const j = JSON.parse(body) as { message?: unknown };
    if (typeof j.message === 'string') return j.message.replace(/<br \/>/g, '').trim();
  } catch {
    // not JSON
  }
  const plain = new RegExp(`${WEBOB_PLAIN.source}([^\\n]+)`).exec(body);
  return plain ? plain[1]!.trim() : undefined;
}

/** A probe's answer with who wrote it (haproxy or webob), as trace reads it. */
export function withForm(r: HttpProbeResult): HttpProbeResult {
  if (r.outcome !== 'response' || r.status === undefined) return r;
  const { connected, latencyMs, ...answer } = r;
  const form = responseForm(r.status, r.headers ?? {}, r.body ?? '');
  return { ...answer, form, connected, latencyMs };
}
