import { describe, expect, it } from 'vitest';
import { ExitCode, OsmetaError } from '../../src/errors.js';
import { emit, type GlobalOptions, jsonDocument, note, renderError, warn } from '../../src/output.js';
import { createTestContext } from '../helpers/context.js';

const TOKEN = 'gAAAAB-echoed-token';
const g = (o: Partial<GlobalOptions> = {}): GlobalOptions => ({
  json: false,
  quiet: false,
  debug: false,
  color: true,
  timeout: 10,
  ...o,
});

const echoed = () =>
  new OsmetaError(
    'API_ERROR',
    ExitCode.OPERATIONAL,
    `nova answered 500: bad token ${TOKEN}\n\u001b]0;x\u0007`,
    {
      hint: `retry \u001b[2J`,
      requestId: `req-${TOKEN}`,
    },
  );

describe('renderError', () => {
  it('prints one line per part, secrets scrubbed, control characters visible', async () => {
    const t = createTestContext({ env: { OS_TOKEN: TOKEN } });
    await renderError(t.ctx, false, echoed());
    expect(t.stderr()).toBe(
      'error: nova answered 500: bad token ***^J^[]0;x^G\nhint: retry ^[[2J\nrequest id: req-***\n',
    );
    expect(t.stdout()).toBe('');
  });

  it('puts the scrubbed error in the JSON document, control characters JSON-escaped', async () => {
    const t = createTestContext({ env: { OS_TOKEN: TOKEN } });
    await renderError(t.ctx, true, echoed());
    expect(t.stdout()).not.toContain(TOKEN);
    expect(t.stdout()).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(JSON.parse(t.stdout())).toEqual({
      error: {
        code: 'API_ERROR',
        exitCode: 1,
        message: 'nova answered 500: bad token ***\n\u001b]0;x\u0007',
        hint: 'retry \u001b[2J',
        requestId: 'req-***',
      },
    });
  });
});

describe('emit, warn and note', () => {
  it('scrubs the JSON document and writes C1 characters as \\u escapes', async () => {
    const t = createTestContext({ env: { OS_TOKEN: TOKEN }, stdoutIsTTY: true });
    await emit(t.ctx, g({ json: true }), {
      json: { name: `vm\u009b2J`, url: 'http://u:p4ss@h/', token: TOKEN },
      human: () => '',
    });
    expect(t.stdout()).toContain('"vm\\u009b2J"');
    expect(JSON.parse(t.stdout())).toEqual({ name: 'vm\u009b2J', url: 'http://***@h/', token: '***' });
  });

  it('escapes a human answer on a terminal (a table of tenant names)', async () => {
    const t = createTestContext({ stdoutIsTTY: true });
    await emit(t.ctx, g(), { json: {}, human: () => 'SERVER\nvm-\u001b]2;owned\u0007\n' });
    expect(t.stdout()).toBe('SERVER\nvm-^[]2;owned^G\n');
  });

  it('keeps warnings and notes on one visible line', async () => {
    const t = createTestContext();
    await warn(t.ctx, g(), 'server says\nfake: line');
    note(t.ctx, g(), 'wrote x\u001b[2K');
    expect(t.stderr()).toBe('warning: server says^Jfake: line\nwrote x^[[2K\n');
  });

  it('gives jsonDocument for lines a command prints itself', () => {
    const t = createTestContext({ env: { OS_TOKEN: TOKEN } });
    expect(jsonDocument(t.ctx.io, { t: TOKEN, c: '\u0085' }, false)).toBe('{"t":"***","c":"\\u0085"}\n');
  });
});
