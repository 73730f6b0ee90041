import { readFileSync } from 'node:fs';

/** Real captures from the lab (test/fixtures/captured: a byte-exact copy of the shared fixture set, see its README). */
export const FIXTURES = new URL('../fixtures/captured/', import.meta.url);

export function fixture(path: string): string {
  return readFileSync(new URL(path, FIXTURES), 'utf8');
}

/** A captured `curl -si` answer: status, lower-cased headers, body. */
export function httpFixture(path: string): { status: number; headers: Record<string, string>; body: string } {
  const raw = fixture(path);
  const split = raw.indexOf('\r\n\r\n');
  const [statusLine, ...lines] = raw.slice(0, split).split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status: Number(statusLine!.split(' ')[1]), headers, body: raw.slice(split + 4) };
}
