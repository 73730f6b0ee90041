import { escapeTerminal } from './terminal.js';

// The one scrubber. Every secret osmeta loads or derives is registered here (the IO object carries
// the registry); everything written to stdout and stderr as text passes through scrub(): messages,
// hints, request ids, debug lines, JSON documents and tables, in every output mode. Servers echo
// what they were sent — a Keystone 401 body repeating the request, a request-id header carrying
// the token — so the scrubber looks for each value in the forms an echo takes: as sent,
// JSON-escaped (also Python's ensure_ascii form), percent-encoded, HTML-escaped.
// Only bytes written raw on request (get's body to a pipe, --raw, -o) bypass it.

/** What replaces a secret. */
export const REDACTION = '***';

/**
 * Values shorter than this are not scrubbed: replacing every "admin" or "t" would garble all
 * output while protecting nothing a guess would not find.
 */
export const MIN_SECRET_LENGTH = 6;
/** Values longer than this are matched as literal strings, not in the one regular expression. */
const MAX_PATTERN_VALUE = 1024;

export type SecretKind =
  | 'shared-secret'
  | 'password'
  | 'application-credential-secret'
  | 'token'
  | 'signature'
  | 'url-user-info'
  | 'other';

/** Environment variables that hold a secret's value (keystoneauth's names and osmeta's own). */
export const SECRET_ENV_VARS: Readonly<Record<string, SecretKind>> = {
  OS_PASSWORD: 'password',
  OS_APPLICATION_CREDENTIAL_SECRET: 'application-credential-secret',
  OS_TOKEN: 'token',
  OS_AUTH_TOKEN: 'token',
  OS_CLIENT_SECRET: 'password',
  OSMETA_SHARED_SECRET: 'shared-secret',
};

/** Environment variables that hold a URL, whose user info is a secret. */
export const URL_ENV_VARS = [
  'OS_AUTH_URL',
  'OSMETA_METADATA_URL',
  'HTTP_PROXY',
  'http_proxy',
  'HTTPS_PROXY',
  'https_proxy',
  'ALL_PROXY',
  'all_proxy',
] as const;

const hex4 = (c: string) => c.charCodeAt(0).toString(16).padStart(4, '0');
const HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function attempt(f: () => string): string {
  try {
    return f();
  } catch {
    // encodeURIComponent throws on a lone surrogate: that form cannot be on the wire
    return '';
  }
}

/** The forms a value takes when a server echoes it back. */
export function echoForms(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1);
  const component = attempt(() => encodeURIComponent(value));
  const forms = [
    value,
    json,
    json.replace(/[\u0080-\uffff]/g, (c) => `\\u${hex4(c)}`),
    json.replace(/[\u0080-\uffff]/g, (c) => `\\u${hex4(c).toUpperCase()}`),
    json.replace(/\//g, '\\/'),
    component,
    component.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
    component.replace(/%20/g, '+'),
    attempt(() => encodeURI(value)),
    value.replace(/[&<>"']/g, (c) => HTML[c]!),
    escapeTerminal(value),
  ];
  return [...new Set(forms.filter((f) => f !== ''))];
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// the authority of a URL ends at one of these (WHATWG: the last @ before it ends the user info)
const AUTHORITY_END = new Set(['/', '?', '#', '\\', '"', '`', '<', '>', ' ', '\t', '\n', '\r', '\f', '\v']);
const SCHEME_CHAR = /[A-Za-z0-9+.-]/;

/** Replaces the user info of every URL in text: http://user:pass@host → http://***@host. */
export function redactUserInfo(text: string): string {
  if (!text.includes('@') || !text.includes('://')) return text;
  let out = '';
  let last = 0;
  let from = 0;
  for (;;) {
    const sep = text.indexOf('://', from);
    if (sep < 0) break;
    let s = sep;
    while (s > 0 && sep - s < 32 && SCHEME_CHAR.test(text[s - 1]!)) s--;
    const begin = sep + 3;
    let end = begin;
    let at = -1;
    while (end < text.length && !AUTHORITY_END.has(text[end]!)) {
      if (text[end] === '@') at = end;
      end++;
    }
    if (s < sep && /[A-Za-z]/.test(text[s]!) && at >= begin) {
      out += `${text.slice(last, begin)}${REDACTION}`;
      last = at;
    }
    from = Math.max(end, begin);
  }
  return out + text.slice(last);
}

/** A URL for display: its user info replaced (http://***@host/), anything unparsable left to redactUserInfo. */
export function redactUrl(url: string): string {
  return redactUserInfo(url);
}

/** The secrets osmeta knows of, and the one function that removes them from text. */
export class SecretRegistry {
  private readonly values = new Set<string>();
  private pattern: RegExp | undefined;
  /** some form holds a character of REDACTION */
  private starry = false;
  private literals: string[] = [];

  /** Registers a secret's value (ignored when empty or shorter than MIN_SECRET_LENGTH). */
  add(value: string | undefined | null, _kind: SecretKind = 'other'): void {
    if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) return;
    let changed = false;
    for (const f of echoForms(value)) {
      if (!this.values.has(f)) {
        this.values.add(f);
        if (f.includes('*')) this.starry = true;
        changed = true;
      }
    }
    if (changed) this.pattern = undefined;
  }

  /** Registers the user info of a URL: the password, user:password and its Basic-auth form. */
  addUrl(url: string | undefined | null): void {
    if (typeof url !== 'string' || !url.includes('@')) return;
    let user = '';
    let pass = '';
    try {
      // "user:pass@host:port" parses as scheme "user:": only a URL with // has an authority
      if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(url)) throw new Error('no scheme');
      const u = new URL(url);
      user = u.username;
      pass = u.password;
    } catch {
      // no scheme (a proxy given as user:pass@host:port): user info up to the last @
      const m = /^(?:[A-Za-z][A-Za-z0-9+.-]*:\/\/)?([^/?#]*)@/.exec(url);
      const info = m?.[1] ?? '';
      const colon = info.indexOf(':');
      user = colon < 0 ? info : info.slice(0, colon);
      pass = colon < 0 ? '' : info.slice(colon + 1);
    }
    if (pass === '') return;
    const decode = (s: string) => attempt(() => decodeURIComponent(s)) || s;
    for (const v of [pass, decode(pass), `${user}:${pass}`, `${decode(user)}:${decode(pass)}`]) {
      this.add(v, 'url-user-info');
    }
    this.add(Buffer.from(`${decode(user)}:${decode(pass)}`, 'utf8').toString('base64'), 'url-user-info');
  }

  /** Registers every secret the environment holds (see SECRET_ENV_VARS, URL_ENV_VARS). */
  addFromEnv(env: Record<string, string | undefined>): void {
    for (const [name, kind] of Object.entries(SECRET_ENV_VARS)) this.add(env[name], kind);
    for (const name of URL_ENV_VARS) this.addUrl(env[name]);
  }

  get size(): number {
    return this.values.size;
  }

  /** Whether text holds a registered secret (in any echo form). */
  leaks(text: string): boolean {
    const p = this.regex();
    return (
      p !== undefined && (new RegExp(p.source).test(text) || this.literals.some((v) => text.includes(v)))
    );
  }

  /** Text with URL user info and every registered secret replaced by REDACTION. */
  scrub(text: string): string {
    let out = redactUserInfo(text);
    const p = this.regex();
    if (p === undefined) return out;
    // again while a replacement made a new occurrence — only a secret with * in it can be completed
    // by one — each pass shortens the text
    for (;;) {
      // the long literals first: a shorter secret inside one must not break its match
      const next = this.replaceLiterals(out).replace(p, REDACTION);
      if (next === out || !this.starry) return next;
      out = next;
    }
  }

  /** A copy of a JSON-able value with every string (keys too) scrubbed. */
  scrubValue(value: unknown): unknown {
    const seen = new WeakSet<object>();
    const walk = (v: unknown, depth: number): unknown => {
      if (typeof v === 'string') return this.scrub(v);
      if (v === null || typeof v !== 'object') return v;
      if (seen.has(v) || depth > 1000) return REDACTION;
      seen.add(v);
      const out = Array.isArray(v)
        ? v.map((x) => walk(x, depth + 1))
        : typeof (v as { toJSON?: unknown }).toJSON === 'function'
          ? walk((v as { toJSON: () => unknown }).toJSON(), depth + 1)
          : Object.fromEntries(
              Object.entries(v as Record<string, unknown>).map(([k, x]) => [
                this.scrub(k),
                walk(x, depth + 1),
              ]),
            );
      seen.delete(v);
      return out;
    };
    return walk(value, 0);
  }

  private regex(): RegExp | undefined {
    if (this.values.size === 0) return undefined;
    if (!this.pattern) {
      // longest first, so a secret that contains another is replaced whole; V8 refuses a pattern
      // of many kilobytes, so long values (a 64 KiB secret file) are matched as literal strings
      const sorted = [...this.values].sort((a, b) => b.length - a.length);
      this.literals = sorted.filter((v) => v.length > MAX_PATTERN_VALUE);
      const alts = sorted.filter((v) => v.length <= MAX_PATTERN_VALUE).map(escapeRegExp);
      this.pattern = new RegExp(alts.length > 0 ? alts.join('|') : '(?!)', 'g');
    }
    return this.pattern;
  }

  private replaceLiterals(text: string): string {
    let out = text;
    for (const v of this.literals) if (out.includes(v)) out = out.split(v).join(REDACTION);
    return out;
  }
}
