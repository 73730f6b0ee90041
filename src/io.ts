import type { Readable } from 'node:stream';
import { type SecretKind, SecretRegistry } from './util/scrub.js';
import { escapeTerminal } from './util/terminal.js';

/** The few methods osmeta needs of an output stream. */
export interface Writer {
  write(chunk: string | Uint8Array): unknown;
}

export interface Styles {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
  cyan(s: string): string;
}

const plain = (s: string) => s;
export const PLAIN_STYLES: Styles = {
  red: plain,
  green: plain,
  yellow: plain,
  dim: plain,
  bold: plain,
  cyan: plain,
};

export interface IOOptions {
  stdout: Writer;
  stderr: Writer;
  stdin: Readable;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  stdinIsTTY: boolean;
  columns?: number;
  env: Record<string, string | undefined>;
}

/** Streams, TTY facts and the colour decision, made once per stream. */
export class IO {
  readonly stdout: Writer;
  readonly stderr: Writer;
  readonly stdin: Readable;
  readonly stdoutIsTTY: boolean;
  readonly stderrIsTTY: boolean;
  readonly stdinIsTTY: boolean;
  readonly columns: number;
  private readonly env: Record<string, string | undefined>;
  private colorFlagOff = false;
  private stylesCache = new Map<boolean, Promise<Styles>>();
  /** every secret osmeta knows of; out() and err() never write one */
  readonly secrets: SecretRegistry;

  constructor(o: IOOptions) {
    this.stdout = o.stdout;
    this.stderr = o.stderr;
    this.stdin = o.stdin;
    this.stdoutIsTTY = o.stdoutIsTTY;
    this.stderrIsTTY = o.stderrIsTTY;
    this.stdinIsTTY = o.stdinIsTTY;
    this.columns = o.columns ?? 100;
    this.env = o.env;
    this.secrets = new SecretRegistry();
    this.secrets.addFromEnv(o.env);
  }

  /** Registers a secret osmeta loaded or derived: no later output shows it, in any form. */
  secret(value: string | undefined | null, kind?: SecretKind): void {
    this.secrets.add(value, kind);
  }

  /** Registers the user info of a URL osmeta was given (metadata_url, auth_url, a proxy). */
  secretUrl(url: string | undefined | null): void {
    this.secrets.addUrl(url);
  }

  /** --no-color */
  disableColor(): void {
    this.colorFlagOff = true;
  }

  private colorFor(isTTY: boolean): boolean {
    if (this.colorFlagOff) return false;
    const noColor = this.env.NO_COLOR;
    if (noColor !== undefined && noColor !== '') return false;
    const force = this.env.FORCE_COLOR;
    if (force !== undefined && force !== '' && force !== '0' && force !== 'false') return true;
    if (this.env.TERM === 'dumb') return false;
    return isTTY;
  }

  get colorStdout(): boolean {
    return this.colorFor(this.stdoutIsTTY);
  }

  get colorStderr(): boolean {
    return this.colorFor(this.stderrIsTTY);
  }

  /** chalk is loaded only when a coloured stream asks for it (start-up cost). */
  styles(stream: 'stdout' | 'stderr'): Promise<Styles> {
    const on = stream === 'stdout' ? this.colorStdout : this.colorStderr;
    let p = this.stylesCache.get(on);
    if (!p) {
      p = on
        ? import('chalk').then(({ Chalk }) => {
            const c = new Chalk({ level: 1 });
            return { red: c.red, green: c.green, yellow: c.yellow, dim: c.dim, bold: c.bold, cyan: c.cyan };
          })
        : Promise.resolve(PLAIN_STYLES);
      this.stylesCache.set(on, p);
    }
    return p;
  }

  /**
   * Text on stdout: secrets scrubbed; on a terminal, control characters made visible (newline,
   * tab and osmeta's own colours kept). Piped, the text is written as is.
   */
  out(text: string): void {
    const t = this.secrets.scrub(text);
    this.stdout.write(this.stdoutIsTTY ? this.escaped(t, this.colorStdout) : t);
  }

  /** Text on stderr: secrets scrubbed and control characters made visible, terminal or not. */
  err(text: string): void {
    const t = this.secrets.scrub(text);
    if (t === CLEAR_LINE) {
      this.stderr.write(t);
      return;
    }
    // a progress line rewrites itself with a leading CR (smoke's bar)
    const cr = this.stderrIsTTY && t.startsWith('\r') ? '\r' : '';
    this.stderr.write(cr + this.escaped(t.slice(cr.length), this.colorStderr));
  }

  // scrubbed again: escaping could complete a secret that holds "^[" or the like
  private escaped(text: string, keepSgr: boolean): string {
    return this.secrets.scrub(escapeTerminal(text, { multiline: true, keepSgr }));
  }

  /** Bytes exactly as given, for an answer the user asked for raw (a pipe, --raw). */
  raw(bytes: Uint8Array | string): void {
    this.stdout.write(bytes);
  }

  /**
   * Text from outside osmeta (a server name, a header, an error body) for a view: control
   * characters made visible — colours too — when the stream is a terminal, as is otherwise.
   */
  external(text: string, o: { stream?: 'stdout' | 'stderr'; multiline?: boolean } = {}): string {
    const tty = (o.stream ?? 'stdout') === 'stdout' ? this.stdoutIsTTY : this.stderrIsTTY;
    return tty ? escapeTerminal(text, { multiline: o.multiline === true }) : text;
  }

  /** A progress line on stderr, drawn over the previous one. */
  progress(line: string): void {
    this.err(`\r${line}`);
  }

  /** Erases the progress line. */
  clearProgress(): void {
    this.stderr.write(CLEAR_LINE);
  }
}

/** CR and "erase the line" (CSI 2 K): the end of a progress line. */
export const CLEAR_LINE = '\r\u001b[2K';
