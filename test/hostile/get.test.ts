import {
  chmodSync,
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostileCloud, leaked, RAW_CONTROL, SHARED_SECRET } from '../helpers/hostile/cloud.js';
import {
  ESCAPES,
  echoBody,
  huge,
  json,
  peakRssGrowth,
  rawResponse,
  redirectTo,
  slowly,
  startRawServer,
  startServer,
  truncatedResponse,
  useTeardown,
} from '../helpers/hostile/servers.js';

// get against a hostile metadata API (and agent socket), with --project-id: no Keystone, no nova.

const VM = 'cc44da1b-aa6c-4ab2-926d-31aa6e134fb0';
const PROJECT = '1bdf2554e6544b96a1d84276bf1cdb37';
const URL_PASSWORD = 'url-pa55word-Q';
const USER_DATA = `#!/bin/sh\necho hi ${ESCAPES}\n`;

const { servers, cleanups } = useTeardown();

async function metadataApi(handler: Parameters<typeof startServer>[0]) {
  const m = await startServer(handler);
  servers.push(m);
  const c = hostileCloud(undefined);
  cleanups.push(c.cleanup);
  const base = ['--project-id', PROJECT, '--forwarded-for', '10.0.0.5', '--metadata-url', m.url];
  return { m, c, get: (args: string[], o = {}) => c.run(['get', VM, ...args, ...base], o) };
}

describe('a metadata URL with user info', () => {
  it('is refused without printing the password: as a flag (exit 2) and from OSMETA_METADATA_URL (exit 1)', async () => {
    const m = await startServer((_req, res) => json(res, 500, { message: `boom ${ESCAPES}` }));
    servers.push(m);
    const c = hostileCloud(undefined);
    cleanups.push(c.cleanup);
    const url = m.url.replace('http://', `http://admin:${URL_PASSWORD}@`);
    const args = ['get', VM, 'meta_data.json', '--project-id', PROJECT, '--forwarded-for', '10.0.0.5'];
    for (const extra of [['--debug'], ['--json', '--debug']]) {
      const r = await c.run([...args, '--metadata-url', url, ...extra]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /^error: --metadata-url 'http:\/\/\*\*\*@127\.0\.0\.1:\d+' has user info \(user:password@\): give credentials another way\n/,
      );
      expect(leaked(r, [URL_PASSWORD, SHARED_SECRET])).toEqual([]);
      expect(r.stderr).not.toMatch(RAW_CONTROL);
    }
    const viaEnv = await c.run([...args, '--debug'], { env: { OSMETA_METADATA_URL: url } });
    expect(viaEnv.code).toBe(1);
    expect(viaEnv.stderr).toContain('error: OSMETA_METADATA_URL has user info');
    expect(leaked(viaEnv, [URL_PASSWORD])).toEqual([]);
    expect(m.requests).toEqual([]);
  });
});

describe('a metadata API that echoes what it knows', () => {
  it('keeps the shared secret out of the error', async () => {
    const { get } = await metadataApi((_req, res) =>
      json(res, 403, {
        message: `signature mismatch with secret ${SHARED_SECRET} (${encodeURIComponent(SHARED_SECRET)})`,
      }),
    );
    const r = await get(['meta_data.json']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^error: nova rejected the signature/);
    expect(r.stderr).toContain('secret *** (***)');
    expect(leaked(r, [SHARED_SECRET])).toEqual([]);
  });
});

describe('user_data with escape sequences (tenant-controlled)', () => {
  const serve = () =>
    metadataApi((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; charset=UTF-8' });
      res.end(req.path.endsWith('/user_data') ? USER_DATA : 'meta_data.json\nuser_data\n');
    });

  it('is not written to a terminal: it is not printable text (exit 1)', async () => {
    const { get } = await serve();
    const r = await get(['user_data'], { stdoutIsTTY: true, stderrIsTTY: true });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toMatch(
      /^error: user_data is binary \(text with control characters, \d+ bytes\): not written to the terminal$/,
    );
  });

  it('reaches a pipe, --raw and -o byte for byte', async () => {
    const { get, c } = await serve();
    const piped = await get(['user_data']);
    expect([piped.code, piped.stdout, piped.stderr]).toEqual([0, USER_DATA, '']);
    const raw = await get(['user_data', '--raw']);
    expect([raw.code, raw.stdout]).toEqual([0, USER_DATA]);
    const file = join(c.dir, 'ud');
    const o = await get(['user_data', '-o', file], { stdoutIsTTY: true });
    expect(o.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(USER_DATA);
  });

  it('is shown as binary under --all on a terminal, and JSON-escaped with --json', async () => {
    const { get } = await serve();
    const all = await get(['--all'], { stdoutIsTTY: true });
    expect(all.stdout).toMatch(/== user_data \(200, \d+ ms\)\nbinary \(text with control characters/);
    expect(all.stdout).not.toMatch(RAW_CONTROL);
    const j = await get(['user_data', '--json'], { stdoutIsTTY: true });
    expect(j.stdout).not.toMatch(RAW_CONTROL);
    expect(JSON.parse(j.stdout).document).toBe(USER_DATA);
  });
});

describe('a metadata API that misbehaves on the wire', () => {
  it('does not follow a redirect to another host', async () => {
    const elsewhere = await startServer((_req, res) => json(res, 200, { uuid: VM }));
    servers.push(elsewhere);
    const { get } = await metadataApi(
      redirectTo(`${elsewhere.url.replace('http://', 'http://x:stolen-pw@')}/steal`),
    );
    const r = await get(['meta_data.json']);
    expect(r.code).toBe(1);
    expect(elsewhere.requests).toEqual([]);
    expect(leaked(r, ['stolen-pw'])).toEqual([]);
  });

  it('gives up on a slow answer after --timeout (exit 1)', async () => {
    const { get } = await metadataApi(slowly(5_000));
    const started = Date.now();
    const r = await get(['meta_data.json', '--timeout', '0.5']);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toMatch(/no answer within 0\.5 s/);
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('reports a truncated body as an error, not as a document (exit 1)', async () => {
    const m = await startRawServer(() => truncatedResponse('{"uuid": "cc44', 5_000));
    servers.push(m);
    const c = hostileCloud(undefined);
    cleanups.push(c.cleanup);
    const r = await c.run([
      'get',
      VM,
      'meta_data.json',
      '--project-id',
      PROJECT,
      '--forwarded-for',
      '10.0.0.5',
      '--metadata-url',
      m.url,
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: /);
  });

  it('shows escape sequences in an error body visibly', async () => {
    const m = await startRawServer(() =>
      rawResponse(
        '500 Internal Server Error',
        { 'content-type': 'text/plain' },
        Buffer.from(`fail ${ESCAPES}\u0000\u00ff`, 'latin1'),
      ),
    );
    servers.push(m);
    const c = hostileCloud(undefined);
    cleanups.push(c.cleanup);
    const r = await c.run(
      [
        'get',
        VM,
        'meta_data.json',
        '--project-id',
        PROJECT,
        '--forwarded-for',
        '10.0.0.5',
        '--metadata-url',
        m.url,
      ],
      { stderrIsTTY: true },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(RAW_CONTROL);
    expect(r.stderr).toContain('^[]0;pwned^G');
  });
});

describe("the agent's UNIX socket, misbehaving", () => {
  it('shows escape sequences from the agent visibly', async () => {
    const agent = await startServer(
      (_req, res) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`agent broke ${ESCAPES}`);
      },
      { socket: true },
    );
    servers.push(agent);
    expect(existsSync(agent.socketPath!)).toBe(true);
    const c = hostileCloud(undefined);
    cleanups.push(c.cleanup);
    const r = await c.run(
      [
        'get',
        VM,
        'meta_data.json',
        '--via-socket',
        agent.socketPath!,
        '--forwarded-for',
        '10.0.0.5',
        '--network-id',
        VM,
      ],
      { stderrIsTTY: true },
    );
    expect(agent.requests.length).toBe(1);
    expect(agent.requests[0]!.headers['x-forwarded-for']).toBe('10.0.0.5');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: /);
    expect(r.stderr).not.toMatch(RAW_CONTROL);
    expect(r.stderr).toContain('^[]0;pwned^G');
  });
});

describe('get --network-id / --router-id that would inject a header', () => {
  it.each([
    ['--network-id', `${VM}\r\nX-Injected: 1`],
    ['--router-id', `${VM}\nX-Injected: 1`],
  ])('%s with CR/LF: exit 2 naming the option, nothing sent', async (flag, value) => {
    const agent = await startServer((_req, res) => json(res, 200, { uuid: VM }), { socket: true });
    servers.push(agent);
    const c = hostileCloud(undefined);
    cleanups.push(c.cleanup);
    const r = await c.run(
      [
        'get',
        VM,
        'meta_data.json',
        '--via-socket',
        agent.socketPath!,
        '--forwarded-for',
        '10.0.0.5',
        flag,
        value,
      ],
      { stderrIsTTY: true },
    );
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toMatch(
      new RegExp(`^error: ${flag} '${VM}(\\^M)?\\^JX-Injected: 1' is not a UUID$`),
    );
    expect(r.stderr).not.toMatch(RAW_CONTROL);
    expect(agent.requests).toEqual([]);
  });
});

describe('a metadata API that echoes the signature', () => {
  it('keeps X-Instance-ID-Signature out of the error, the request id, --json and --debug', async () => {
    const { m, get } = await metadataApi((req, res) =>
      json(
        res,
        500,
        { message: `no luck for ${req.headers['x-instance-id-signature']} ${echoBody(req)}` },
        { 'x-openstack-request-id': `req-${req.headers['x-instance-id-signature']}` },
      ),
    );
    for (const extra of [[], ['--json'], ['--debug']]) {
      const r = await get(['meta_data.json', ...extra], { stderrIsTTY: true });
      const sig = m.requests.at(-1)!.headers['x-instance-id-signature']!;
      expect(sig).toMatch(/^[0-9a-f]{64}$/);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^error: nova failed building the metadata of instance/m);
      expect(leaked(r, [sig, SHARED_SECRET])).toEqual([]);
      if (extra[0] === '--json') expect(JSON.parse(r.stdout).error.requestId).toBe('req-***');
      else expect(r.stderr).toContain('request id: req-***');
    }
  });
});

describe('a shared secret with a $ in it, read with --secret-from-config', () => {
  const SECRET_WITH_DOLLAR = 'Gen3rated$Secret-value';

  it('is known as a secret once read, and an echo of it is hidden', async () => {
    const { get, c } = await metadataApi((_req, res) =>
      json(res, 403, { message: `expected ${SECRET_WITH_DOLLAR}, got something else` }),
    );
    const conf = join(c.dir, 'nova.conf');
    writeFileSync(
      conf,
      `[neutron]\nmetadata_proxy_shared_secret = ${SECRET_WITH_DOLLAR.split('$').join('$$')}\n`,
    );
    const r = await get(['meta_data.json', '--secret-from-config', conf]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('expected ***, got something else');
    expect(leaked(r, [SECRET_WITH_DOLLAR])).toEqual([]);
  });

  it('names the option and the file when oslo.config could not read it, never a fragment', async () => {
    const { get, c, m } = await metadataApi((_req, res) => json(res, 200, {}));
    const conf = join(c.dir, 'nova.conf');
    writeFileSync(conf, `[neutron]\nmetadata_proxy_shared_secret = ${SECRET_WITH_DOLLAR}\n`);
    const r = await get(['meta_data.json', '--secret-from-config', conf, '--json']);
    expect(r.code).toBe(4);
    expect(r.stderr.split('\n')[0]).toBe(
      `error: metadata_proxy_shared_secret in ${conf}:2 cannot be read: it refers to an option oslo.config cannot substitute (the service fails to read it)`,
    );
    expect(leaked(r, ['Gen3rated', 'Secret-value'])).toEqual([]);
    expect(m.requests).toEqual([]);
  });
});

describe('get -o FILE against a huge answer', () => {
  it('streams a body larger than memory would like into the file, memory staying bounded', async () => {
    const size = 128 * 1024 * 1024;
    const { get, c } = await metadataApi(huge(size));
    const file = join(c.dir, 'ud');
    const { result: r, growth } = await peakRssGrowth(() =>
      get(['user_data', '-o', file, '--max-response-size', '160MiB']),
    );
    expect([r.code, r.stdout]).toEqual([0, '']);
    expect(r.stderr).toBe(`wrote ${size} bytes of user_data to ${file}\n`);
    expect(statSync(file).size).toBe(size);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(growth).toBeLessThan(100 * 1024 * 1024);
  }, 60_000);

  it('stops at --max-response-size (or OSMETA_MAX_RESPONSE_SIZE) and leaves no file behind (exit 1)', async () => {
    const { get, c } = await metadataApi(huge(8 * 1024 * 1024));
    const file = join(c.dir, 'ud');
    for (const [extra, env] of [
      [['--max-response-size', '1MiB'], {}],
      [[], { OSMETA_MAX_RESPONSE_SIZE: '1MiB' }],
    ] as const) {
      const r = await get(['user_data', '-o', file, ...extra], { env });
      expect([r.code, r.stdout]).toEqual([1, '']);
      expect(r.stderr).toMatch(
        /^error: nova's metadata API at 127\.0\.0\.1:\d+: the response is larger than 1 MiB\n/,
      );
      expect(r.stderr).toContain('--max-response-size');
      expect(existsSync(file)).toBe(false);
      expect(readdirSync(c.dir).filter((f) => f.includes('.tmp'))).toEqual([]);
    }
  });

  it('refuses a bad --max-response-size or OSMETA_MAX_RESPONSE_SIZE (exit 2)', async () => {
    const { get, m } = await metadataApi(huge(10));
    const flag = await get(['user_data', '--max-response-size', 'lots']);
    expect([flag.code, flag.stdout]).toEqual([2, '']);
    expect(flag.stderr.split('\n')[0]).toBe(
      "error: --max-response-size takes a size such as 64MiB or 1048576, not 'lots'",
    );
    const env = await get(['user_data'], { env: { OSMETA_MAX_RESPONSE_SIZE: '9GiB' } });
    expect(env.code).toBe(2);
    expect(env.stderr.split('\n')[0]).toBe("error: OSMETA_MAX_RESPONSE_SIZE takes at most 4 GiB, not '9GiB'");
    expect(m.requests).toEqual([]);
  });
});

describe('get -o FILE in a directory others can write to', () => {
  const serve = () =>
    metadataApi((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(USER_DATA);
    });

  it('never follows a symlink at FILE: exit 1, the target untouched, nothing fetched', async () => {
    const { get, c, m } = await serve();
    const target = join(c.dir, 'victim');
    writeFileSync(target, 'precious\n');
    const link = join(c.dir, 'ud');
    symlinkSync(target, link);
    const r = await get(['user_data', '-o', link]);
    expect([r.code, r.stdout]).toEqual([1, '']);
    expect(r.stderr.split('\n')[0]).toBe(`error: refusing to write ${link}: it is a symbolic link`);
    expect(readFileSync(target, 'utf8')).toBe('precious\n');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(m.requests).toEqual([]);
  });

  it('replaces an existing 0644 file with a 0600 one', async () => {
    const { get, c } = await serve();
    const file = join(c.dir, 'ud');
    writeFileSync(file, 'old\n', { mode: 0o644 });
    chmodSync(file, 0o644);
    const r = await get(['user_data', '-o', file]);
    expect(r.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(USER_DATA);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('--all -o FILE: the same rules', async () => {
    const { get, c } = await serve();
    const target = join(c.dir, 'victim');
    writeFileSync(target, 'precious\n');
    const link = join(c.dir, 'all.json');
    symlinkSync(target, link);
    const r = await get(['--all', '-o', link]);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe(`error: refusing to write ${link}: it is a symbolic link`);
    expect(readFileSync(target, 'utf8')).toBe('precious\n');
  });
});

describe('get --raw on a terminal', () => {
  it('writes the body byte for byte: the user asked for raw', async () => {
    const { get } = await metadataApi((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(USER_DATA);
    });
    const r = await get(['user_data', '--raw'], { stdoutIsTTY: true, stderrIsTTY: true });
    expect([r.code, r.stdout, r.stderr]).toEqual([0, USER_DATA, '']);
  });
});
