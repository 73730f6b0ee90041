import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunResult, runCli, type TestContextOptions } from '../context.js';
import { httpFixture } from '../openstack-fixtures.js';
import { type Exchange, type FakeServer, type Handler, json } from './servers.js';

// A cloud made of fake servers: the credentials come from OS_* variables (so osmeta knows them as
// secrets from the start), Keystone's catalog points at whichever fakes the test started.

export const PASSWORD = 'hostile-pa55word-XYZ';
export const SHARED_SECRET = 'hostile-shared-s3cret';
export const TOKEN = 'gAAAAB-hostile-token-0123456789';

/** Keystone's answer to a good password: the captured token with a catalog of the given URLs. */
export function keystoneAccepting(urls: { nova?: string; neutron?: string }): Handler {
  const f = httpFixture('api/keystone-auth-tokens-password-project.201.http');
  let text = f.body.toString('utf8');
  if (urls.nova) text = text.replaceAll('http://127.0.0.1:8774', urls.nova);
  if (urls.neutron) text = text.replaceAll('http://127.0.0.1:9696', urls.neutron);
  const doc = JSON.parse(text) as { token: Record<string, unknown> };
  doc.token.expires_at = new Date(Date.now() + 3600_000).toISOString();
  return (req: Exchange, res) => {
    if (req.method !== 'POST' || !req.path.endsWith('/auth/tokens')) return json(res, 404, { error: 'no' });
    json(res, 201, doc, { 'x-subject-token': TOKEN });
  };
}

export interface HostileRun {
  dir: string;
  env: Record<string, string>;
  run(argv: string[], o?: TestContextOptions): Promise<RunResult>;
  cleanup(): void;
}

/** A temp dir for caches and the environment of a password cloud at keystone's URL. */
export function hostileCloud(
  keystone: FakeServer | undefined,
  extraEnv: Record<string, string> = {},
): HostileRun {
  const dir = mkdtempSync(join(tmpdir(), 'osmeta-hostile-run-'));
  const env: Record<string, string> = {
    ...(keystone
      ? {
          OS_AUTH_URL: `${keystone.url}/v3`,
          OS_USERNAME: 'admin',
          OS_PASSWORD: PASSWORD,
          OS_PROJECT_NAME: 'admin',
          OS_USER_DOMAIN_NAME: 'Default',
          OS_PROJECT_DOMAIN_NAME: 'Default',
        }
      : {}),
    OSMETA_SHARED_SECRET: SHARED_SECRET,
    XDG_CACHE_HOME: join(dir, 'cache'),
    NO_COLOR: '1',
    ...extraEnv,
  };
  return {
    dir,
    env,
    run: (argv, o = {}) =>
      runCli(argv, { cwd: dir, homedir: dir, ...o, env: { ...env, ...(o.env as Record<string, string>) } }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Control characters that must never reach a terminal raw (newline and tab are allowed). */
export const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

/** None of these values, in any common echo form, is in the run's output. */
export function leaked(r: RunResult, secrets: readonly string[]): string[] {
  const all = r.stdout + r.stderr;
  return secrets.filter(
    (s) =>
      all.includes(s) || all.includes(encodeURIComponent(s)) || all.includes(JSON.stringify(s).slice(1, -1)),
  );
}
