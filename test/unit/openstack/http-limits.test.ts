import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_RESPONSE_BYTES, MAX_TIMEOUT_SECONDS } from '../../../src/limits.js';
import { HttpClient, ResponseTooLargeError } from '../../../src/openstack/http.js';
import { createTestContext } from '../../helpers/context.js';

// A server that sends far more than osmeta will hold: chunked (no Content-Length) or declared.

const MiB = 1024 * 1024;
let sent = 0;
const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
  if (req.url === '/declared') {
    res.writeHead(200, { 'content-length': String(512 * MiB) });
    res.write(Buffer.alloc(64 * 1024, 0x61));
    // never finishes: the client must not wait for 512 MiB
    return;
  }
  const total = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('mib') ?? '1') * MiB;
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  const chunk = Buffer.alloc(256 * 1024, 0x62);
  let n = 0;
  const pump = () => {
    while (n < total) {
      n += chunk.length;
      sent += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    res.end();
  };
  res.on('close', () => {
    n = total;
  });
  pump();
});
let base = '';
beforeAll(
  () =>
    new Promise<void>((resolve) =>
      server.listen(0, '127.0.0.1', () => {
        base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        resolve();
      }),
    ),
);
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

function client(o: { maxResponseBytes?: number; timeout?: number } = {}) {
  const lines: string[] = [];
  const t = createTestContext();
  t.ctx.debug = (l) => lines.push(l);
  return { http: new HttpClient(t.ctx, { timeout: o.timeout ?? 5, ...o }), lines };
}

describe('the maximum response size', () => {
  it('is 64 MiB by default', () => expect(DEFAULT_MAX_RESPONSE_BYTES).toBe(64 * MiB));

  it('refuses a chunked body over the limit, naming the limit and the flag, without reading the rest', async () => {
    const { http, lines } = client({ maxResponseBytes: 2 * MiB });
    sent = 0;
    const err = await http.request({ url: `${base}/?mib=200`, service: 'nova' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResponseTooLargeError);
    expect(err).toMatchObject({
      code: 'RESPONSE_TOO_LARGE',
      exitCode: 1,
      message: `nova at ${new URL(base).host}: the response is larger than 2 MiB`,
      hint: 'osmeta reads at most 2 MiB of a response: raise the limit with --max-response-size if this one is expected',
    });
    expect(sent).toBeLessThan(100 * MiB);
    expect(lines.join('\n')).toMatch(/→ larger than 2 MiB after/);
    await http.close();
  });

  it('refuses at once when Content-Length is over the limit', async () => {
    const { http } = client({ maxResponseBytes: MiB });
    const started = performance.now();
    await expect(http.request({ url: `${base}/declared`, service: 'Keystone' })).rejects.toMatchObject({
      code: 'RESPONSE_TOO_LARGE',
    });
    expect(performance.now() - started).toBeLessThan(2000);
    await http.close();
  });

  it('reads a body at the limit, and a request can raise the limit', async () => {
    const { http } = client({ maxResponseBytes: MiB });
    expect((await http.request({ url: `${base}/?mib=1`, service: 'nova' })).body.length).toBe(MiB);
    const big = await http.request({ url: `${base}/?mib=3`, service: 'nova', maxResponseBytes: 4 * MiB });
    expect(big.body.length).toBe(3 * MiB);
    await http.close();
  });

  it('streams a body chunk by chunk under the same limit', async () => {
    const { http } = client({ maxResponseBytes: 2 * MiB });
    const ok = await http.requestStream({ url: `${base}/?mib=1`, service: 'nova' });
    let n = 0;
    for await (const c of ok.body) n += c.length;
    expect(n).toBe(MiB);
    const over = await http.requestStream({ url: `${base}/?mib=50`, service: 'nova' });
    let m = 0;
    const err = await (async () => {
      for await (const c of over.body) m += c.length;
    })().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'RESPONSE_TOO_LARGE' });
    expect(m).toBeLessThanOrEqual(2 * MiB);
    await http.close();
  });
});

describe('the timeout', () => {
  it.each([0, -1, Number.NaN, MAX_TIMEOUT_SECONDS + 1, 4294967])('refuses %s seconds (exit 2)', (timeout) => {
    expect(() => client({ timeout })).toThrow(
      expect.objectContaining({
        exitCode: 2,
        message: `the timeout must be more than 0 and at most ${MAX_TIMEOUT_SECONDS} seconds`,
      }),
    );
  });

  it('accepts the maximum', () => expect(() => client({ timeout: MAX_TIMEOUT_SECONDS })).not.toThrow());
});
