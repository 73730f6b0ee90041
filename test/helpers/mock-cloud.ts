import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MockAgent } from 'undici';
import { FX, mockAgent } from './openstack-fixtures.js';

export interface MockCloud {
  /** a temporary directory holding clouds.yaml and the token cache: the caller removes it */
  dir: string;
  agent: MockAgent;
  /** OS_CLIENT_CONFIG_FILE, OS_CLOUD=lab, XDG_CACHE_HOME, OSMETA_SHARED_SECRET, NO_COLOR, and `extraEnv` */
  env: Record<string, string>;
}

/**
 * The cloud the in-process CLI tests talk to: a clouds.yaml with cloud `lab` (admin on the
 * fixtures' Keystone), the environment that selects it, and a fresh undici MockAgent.
 */
export function mockCloud(
  prefix: string,
  o: { secret: string; password: string; extraEnv?: Record<string, string> },
): MockCloud {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  writeFileSync(
    join(dir, 'clouds.yaml'),
    `clouds:
  lab:
    auth:
      auth_url: ${FX.keystone}/v3
      username: admin
      password: ${o.password}
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
`,
  );
  const env = {
    OS_CLIENT_CONFIG_FILE: join(dir, 'clouds.yaml'),
    OS_CLOUD: 'lab',
    XDG_CACHE_HOME: join(dir, 'cache'),
    OSMETA_SHARED_SECRET: o.secret,
    NO_COLOR: '1',
    ...o.extraEnv,
  };
  return { dir, agent: mockAgent(), env };
}
