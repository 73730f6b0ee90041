import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostileCloud, keystoneAccepting, leaked, RAW_CONTROL, TOKEN } from '../helpers/hostile/cloud.js';
import { ESCAPES, echoBody, json, startServer, useTeardown } from '../helpers/hostile/servers.js';

// A nova that repeats the token it was sent, in its body and in its request-id header, and a
// Keystone that repeats a password read from clouds.yaml.

const VM = 'cc44da1b-aa6c-4ab2-926d-31aa6e134fb0';
const CLOUD_PASSWORD = 'clouds-yaml-pa55word';
const { servers, cleanups } = useTeardown();

function cloudsYaml(dir: string, authUrl: string): Record<string, string> {
  writeFileSync(
    join(dir, 'clouds.yaml'),
    `clouds:
  lab:
    auth:
      auth_url: ${authUrl}/v3
      username: admin
      password: "${CLOUD_PASSWORD}"
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
`,
  );
  return { OS_CLIENT_CONFIG_FILE: join(dir, 'clouds.yaml'), OS_CLOUD: 'lab' };
}

describe('a nova that echoes the token', () => {
  it('keeps the token out of the error, the request id, --json and --debug', async () => {
    const nova = await startServer((req, res) =>
      json(
        res,
        500,
        { computeFault: { code: 500, message: `oops ${ESCAPES} ${echoBody(req)}` } },
        {
          'x-compute-request-id': `req-${req.headers['x-auth-token']}`,
        },
      ),
    );
    const keystone = await startServer(keystoneAccepting({ nova: nova.url }));
    servers.push(nova, keystone);
    const c = hostileCloud(undefined);
    cleanups.push(c.cleanup);
    const env = cloudsYaml(c.dir, keystone.url);
    for (const extra of [[], ['--json'], ['--debug']]) {
      const r = await c.run(['get', VM, '--no-token-cache', ...extra], { env, stderrIsTTY: true });
      expect(r.code).toBe(1);
      expect(nova.requests.at(-1)!.headers['x-auth-token']).toBe(TOKEN);
      expect(r.stderr).toMatch(/^error: nova answered 500/m);
      expect(r.stderr).not.toMatch(RAW_CONTROL);
      expect(leaked(r, [TOKEN, CLOUD_PASSWORD])).toEqual([]);
      if (extra[0] === '--json') expect(JSON.parse(r.stdout).error.requestId).toBe('req-***');
      else expect(r.stderr).toContain('request id: req-***');
    }
  });
});

describe('a Keystone that echoes a password from clouds.yaml', () => {
  it('keeps it out of every output mode', async () => {
    const keystone = await startServer((req, res) => json(res, 401, echoBody(req)));
    servers.push(keystone);
    const c = hostileCloud(undefined);
    cleanups.push(c.cleanup);
    const env = cloudsYaml(c.dir, keystone.url);
    for (const extra of [[], ['--json'], ['--debug']]) {
      const r = await c.run(['get', VM, '--no-token-cache', ...extra], { env });
      expect(r.code).toBe(4);
      expect(keystone.requests.at(-1)!.body).toContain(CLOUD_PASSWORD);
      expect(leaked(r, [CLOUD_PASSWORD])).toEqual([]);
    }
  });
});

describe('a clouds.yaml with a malformed auth_url', () => {
  it.each([
    ['127.0.0.1:5000/v3', 'no scheme'],
    ['http://127.0.0.1:abc/v3', 'a port of abc'],
  ])('%s (%s): exit 1 naming the file and the key, not INTERNAL_ERROR', async (authUrl) => {
    const c = hostileCloud(undefined);
    cleanups.push(c.cleanup);
    const file = join(c.dir, 'clouds.yaml');
    writeFileSync(
      file,
      `clouds:\n  lab:\n    auth:\n      auth_url: "${authUrl}"\n      username: admin\n      password: "${CLOUD_PASSWORD}"\n      project_name: admin\n`,
    );
    const env = { OS_CLIENT_CONFIG_FILE: file, OS_CLOUD: 'lab' };
    for (const argv of [
      ['get', VM, '--no-token-cache'],
      ['smoke', '--no-token-cache'],
    ]) {
      const r = await c.run([...argv, '--json'], { env });
      expect(r.code).toBe(1);
      const err = JSON.parse(r.stdout).error as { code: string; message: string };
      expect(err.code).not.toBe('INTERNAL_ERROR');
      expect(err.message).toContain(file);
      expect(err.message).toContain('auth_url');
      expect(leaked(r, [CLOUD_PASSWORD])).toEqual([]);
    }
  });
});
