import type { Readable } from 'node:stream';

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

  constructor(o: IOOptions) {
    this.stdout = o.stdout;
    this.stderr = o.stderr;
    this.stdin = o.stdin;
    this.stdoutIsTTY = o.stdoutIsTTY;
    this.stderrIsTTY = o.stderrIsTTY;
    this.stdinIsTTY = o.stdinIsTTY;
    this.columns = o.columns ?? 100;
    this.env = o.env;
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

  out(text: string): void {
    this.stdout.write(text);
  }

  err(text: string): void {
    this.stderr.write(text);
  }
}
