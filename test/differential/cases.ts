import type { Outcome } from './harness.js';

// The table: each configuration runs through `openstack server list -n` (python-openstackclient
// 6.0, openstacksdk 0.101, keystoneauth1 5.0 from Debian 12) and through osmeta, against the fake
// cloud. Paths in `files` are relative to the run's root: cwd/ is the working directory, home/ is
// $HOME, xdg/ is $XDG_CONFIG_DIRS. Placeholders: {URL} (the fake cloud, this run's prefix), {CA},
// {CERT}, {KEY}, {PROXY} (the proxy, with the run's name as user), {PROXYHOST} (its host:port
// alone), {ROOT}, {HOME}. `differs` records a deliberate difference: osmeta's outcome, and why.

export interface Case {
  id: string;
  group: string;
  files?: Record<string, string | Buffer>;
  env?: Record<string, string>;
  args?: string[];
  server?: 'http' | 'https' | 'mtls';
  /** sdk: compare with openstacksdk (openstack.connect(), compute.servers()) where openstack(1)
   *  does not read the setting at all (per-service keys, the envvars cloud's own keys) */
  reference?: 'sdk';
  differs?: { reason: string; osmeta: Partial<Outcome> };
}

const HOME_CLOUDS = 'home/.config/openstack/clouds.yaml';
const CWD_CLOUDS = 'cwd/clouds.yaml';

/** A clouds.yaml with one or more clouds; auth keys as given (auth_url added unless set to null). */
function clouds(entries: Record<string, Record<string, unknown>>): string {
  const lines = ['clouds:'];
  const emit = (v: unknown, indent: string, key: string) => {
    if (v === null || v === undefined) return;
    if (typeof v === 'object' && !Array.isArray(v)) {
      lines.push(`${indent}${key}:`);
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) emit(x, `${indent}  `, k);
    } else if (Array.isArray(v)) {
      lines.push(`${indent}${key}:`);
      for (const x of v) {
        if (typeof x === 'object' && x !== null) {
          const [first, ...rest] = Object.entries(x as Record<string, unknown>);
          if (!first) continue;
          if (typeof first[1] === 'object') {
            lines.push(`${indent}  - ${first[0]}:`);
            for (const [k, y] of Object.entries(first[1] as Record<string, unknown>))
              emit(y, `${indent}      `, k);
          } else lines.push(`${indent}  - ${first[0]}: ${String(first[1])}`);
          for (const [k, y] of rest) emit(y, `${indent}    `, k);
        } else lines.push(`${indent}  - ${String(x)}`);
      }
    } else lines.push(`${indent}${key}: ${String(v)}`);
  };
  for (const [name, entry] of Object.entries(entries)) emit(entry, '  ', name);
  return `${lines.join('\n')}\n`;
}

const PW = {
  auth_url: '{URL}/identity',
  username: 'alice',
  password: 's3cret',
  project_name: 'demo',
  user_domain_name: 'Default',
  project_domain_name: 'Default',
};

const pw = (auth: Record<string, unknown> = {}, top: Record<string, unknown> = {}) => ({
  auth: { ...PW, ...auth },
  ...top,
});

/** A case with one cloud "c" in the working directory, chosen with OS_CLOUD. */
function one(
  id: string,
  group: string,
  entry: Record<string, unknown>,
  extra: Omit<Case, 'id' | 'group'> = {},
): Case {
  return {
    id,
    group,
    ...extra,
    files: { [CWD_CLOUDS]: clouds({ c: entry }), ...(extra.files ?? {}) },
    env: { OS_CLOUD: 'c', ...(extra.env ?? {}) },
  };
}

const OPENRC = {
  OS_AUTH_URL: '{URL}/identity',
  OS_USERNAME: 'alice',
  OS_PASSWORD: 's3cret',
  OS_PROJECT_NAME: 'demo',
  OS_USER_DOMAIN_NAME: 'Default',
  OS_PROJECT_DOMAIN_NAME: 'Default',
  OS_IDENTITY_API_VERSION: '3',
};

export const CASES: Case[] = [
  // ---- file search and precedence
  { id: 'file-cwd', group: 'files', env: { OS_CLOUD: 'c' }, files: { [CWD_CLOUDS]: clouds({ c: pw() }) } },
  { id: 'file-home', group: 'files', env: { OS_CLOUD: 'c' }, files: { [HOME_CLOUDS]: clouds({ c: pw() }) } },
  {
    id: 'file-xdg-config-home',
    group: 'files',
    files: { 'xdghome/openstack/clouds.yaml': clouds({ c: pw({ project_name: 'xdg' }) }) },
    env: { OS_CLOUD: 'c', XDG_CONFIG_HOME: '{ROOT}/xdghome' },
  },
  {
    id: 'file-site',
    group: 'files',
    env: { OS_CLOUD: 'c' },
    files: { 'xdg/openstack/clouds.yaml': clouds({ c: pw() }) },
  },
  {
    id: 'file-cwd-beats-home',
    group: 'files',
    env: { OS_CLOUD: 'c' },
    files: {
      [CWD_CLOUDS]: clouds({ c: pw({ project_name: 'from-cwd' }) }),
      [HOME_CLOUDS]: clouds({ c: pw({ project_name: 'from-home' }) }),
    },
  },
  {
    id: 'file-home-beats-site',
    group: 'files',
    env: { OS_CLOUD: 'c' },
    files: {
      [HOME_CLOUDS]: clouds({ c: pw({ project_name: 'from-home' }) }),
      'xdg/openstack/clouds.yaml': clouds({ c: pw({ project_name: 'from-site' }) }),
    },
  },
  {
    id: 'file-yml',
    group: 'files',
    env: { OS_CLOUD: 'c' },
    files: { 'cwd/clouds.yml': clouds({ c: pw({ project_name: 'yml' }) }) },
  },
  {
    id: 'file-yaml-beats-yml',
    group: 'files',
    env: { OS_CLOUD: 'c' },
    files: {
      'cwd/clouds.yml': clouds({ c: pw({ project_name: 'yml' }) }),
      [CWD_CLOUDS]: clouds({ c: pw({ project_name: 'yaml' }) }),
    },
  },
  {
    id: 'file-json',
    group: 'files',
    env: { OS_CLOUD: 'c' },
    files: {
      'cwd/clouds.json': JSON.stringify({ clouds: { c: { auth: { ...PW, project_name: 'json' } } } }),
    },
  },
  {
    id: 'file-not-merged',
    group: 'files',
    files: {
      [CWD_CLOUDS]: clouds({ a: pw({ project_name: 'a' }) }),
      [HOME_CLOUDS]: clouds({ b: pw({ project_name: 'b' }) }),
    },
    env: { OS_CLOUD: 'b' },
  },
  {
    id: 'file-os-client-config-file',
    group: 'files',
    files: {
      'elsewhere/my.yaml': clouds({ c: pw({ project_name: 'explicit' }) }),
      [CWD_CLOUDS]: clouds({ c: pw({ project_name: 'cwd' }) }),
    },
    env: { OS_CLOUD: 'c', OS_CLIENT_CONFIG_FILE: '{ROOT}/elsewhere/my.yaml' },
  },
  {
    id: 'file-os-cloud-picks',
    group: 'files',
    files: { [CWD_CLOUDS]: clouds({ a: pw({ project_name: 'a' }), b: pw({ project_name: 'b' }) }) },
    env: { OS_CLOUD: 'b' },
  },
  {
    id: 'file-flag-beats-os-cloud',
    group: 'files',
    files: { [CWD_CLOUDS]: clouds({ a: pw({ project_name: 'a' }), b: pw({ project_name: 'b' }) }) },
    env: { OS_CLOUD: 'b' },
    args: ['--os-cloud', 'a'],
  },
  {
    id: 'file-two-clouds-none-chosen',
    group: 'files',
    files: { [CWD_CLOUDS]: clouds({ a: pw({ project_name: 'a' }), b: pw({ project_name: 'b' }) }) },
  },
  {
    id: 'file-unknown-cloud',
    group: 'files',
    files: { [CWD_CLOUDS]: clouds({ c: pw() }) },
    env: { OS_CLOUD: 'nope' },
  },
  { id: 'file-none-at-all', group: 'files' },
  {
    id: 'file-single-cloud-unnamed',
    group: 'files',
    files: { [CWD_CLOUDS]: clouds({ c: pw() }) },
    differs: {
      reason:
        'with no cloud named, osmeta uses the only cloud of clouds.yaml as openstacksdk does; openstack passes an empty cloud name and reads none',
      osmeta: { stage: 'nova' },
    },
  },
  { id: 'file-empty', group: 'files', files: { [CWD_CLOUDS]: '' } },
  {
    id: 'file-no-clouds-key',
    group: 'files',
    files: { [CWD_CLOUDS]: 'cache:\n  auth: false\n' },
  },
  {
    id: 'file-unparsable-cwd-then-home',
    group: 'files',
    env: { OS_CLOUD: 'c' },
    files: {
      [CWD_CLOUDS]: 'clouds: [unclosed\n',
      [HOME_CLOUDS]: clouds({ c: pw({ project_name: 'home' }) }),
    },
  },
  {
    id: 'file-duplicate-key-last-wins',
    group: 'files',
    env: { OS_CLOUD: 'c' },
    files: {
      [CWD_CLOUDS]: `clouds:\n  c:\n    auth:\n      auth_url: {URL}/identity\n      username: alice\n      password: s3cret\n      project_name: first\n      project_name: second\n      user_domain_name: Default\n      project_domain_name: Default\n`,
    },
  },
  {
    id: 'file-dash-keys',
    group: 'files',
    env: { OS_CLOUD: 'c' },
    files: {
      [CWD_CLOUDS]: `clouds:\n  c:\n    region-name: RegionTwo\n    auth:\n      auth-url: {URL}/identity\n      username: alice\n      password: s3cret\n      project-name: demo\n      user-domain-name: Default\n      project-domain-name: Default\n`,
    },
  },

  // ---- secure.yaml
  {
    id: 'secure-password',
    group: 'secure',
    env: { OS_CLOUD: 'c' },
    files: {
      [CWD_CLOUDS]: clouds({ c: pw({ password: null }) }),
      'cwd/secure.yaml': 'clouds:\n  c:\n    auth:\n      password: from-secure\n',
    },
  },
  {
    id: 'secure-beats-clouds',
    group: 'secure',
    env: { OS_CLOUD: 'c' },
    files: {
      [CWD_CLOUDS]: clouds({ c: pw({ password: 'from-clouds' }) }),
      'cwd/secure.yaml': 'clouds:\n  c:\n    auth:\n      password: from-secure\n',
    },
  },
  {
    id: 'secure-in-home',
    group: 'secure',
    env: { OS_CLOUD: 'c' },
    files: {
      [CWD_CLOUDS]: clouds({ c: pw({ password: null }) }),
      'home/.config/openstack/secure.yaml': 'clouds:\n  c:\n    auth:\n      password: home-secure\n',
    },
  },
  {
    id: 'secure-os-client-secure-file',
    group: 'secure',
    files: {
      [CWD_CLOUDS]: clouds({ c: pw({ password: null }) }),
      'cwd/secure.yaml': 'clouds:\n  c:\n    auth:\n      password: cwd-secure\n',
      'x/sec.yaml': 'clouds:\n  c:\n    auth:\n      password: explicit-secure\n',
    },
    env: { OS_CLOUD: 'c', OS_CLIENT_SECURE_FILE: '{ROOT}/x/sec.yaml' },
  },
  {
    id: 'secure-adds-region',
    group: 'secure',
    env: { OS_CLOUD: 'c' },
    files: {
      [CWD_CLOUDS]: clouds({ c: pw() }),
      'cwd/secure.yaml': 'clouds:\n  c:\n    region_name: RegionTwo\n',
    },
  },
  {
    id: 'secure-appcred-secret',
    group: 'secure',
    env: { OS_CLOUD: 'c' },
    files: {
      [CWD_CLOUDS]: clouds({
        c: {
          auth_type: 'v3applicationcredential',
          auth: { auth_url: '{URL}/identity', application_credential_id: 'ac1' },
        },
      }),
      'cwd/secure.yaml': 'clouds:\n  c:\n    auth:\n      application_credential_secret: ac-secret\n',
    },
  },
  {
    id: 'secure-without-clouds-file',
    group: 'secure',
    env: { OS_CLOUD: 'c' },
    files: { 'cwd/secure.yaml': clouds({ c: pw() }) },
  },
  {
    id: 'secure-unparsable',
    group: 'secure',
    files: {
      [CWD_CLOUDS]: clouds({ c: pw({ password: null }) }),
      'cwd/secure.yaml': 'clouds: {c: [\n',
    },
    env: { OS_CLOUD: 'c' },
  },

  // ---- the envvars cloud
  { id: 'env-openrc', group: 'envvars', env: OPENRC },
  {
    id: 'env-openrc-no-domains-v3',
    group: 'envvars',
    env: { ...OPENRC, OS_USER_DOMAIN_NAME: '', OS_PROJECT_DOMAIN_NAME: '' },
  },
  {
    id: 'env-openrc-no-domains-no-version',
    group: 'envvars',
    env: {
      OS_AUTH_URL: '{URL}/identity',
      OS_USERNAME: 'alice',
      OS_PASSWORD: 's3cret',
      OS_PROJECT_NAME: 'demo',
    },
  },
  {
    id: 'env-tenant-name',
    group: 'envvars',
    env: { ...OPENRC, OS_PROJECT_NAME: '', OS_TENANT_NAME: 'legacy' },
  },
  { id: 'env-project-id', group: 'envvars', env: { ...OPENRC, OS_PROJECT_NAME: '', OS_PROJECT_ID: 'p123' } },
  {
    id: 'env-project-id-and-name',
    group: 'envvars',
    env: { ...OPENRC, OS_PROJECT_ID: 'p123' },
  },
  { id: 'env-user-id', group: 'envvars', env: { ...OPENRC, OS_USERNAME: '', OS_USER_ID: 'u-42' } },
  {
    id: 'env-domain-name',
    group: 'envvars',
    env: { ...OPENRC, OS_USER_DOMAIN_NAME: '', OS_PROJECT_DOMAIN_NAME: '', OS_DOMAIN_NAME: 'dom' },
  },
  { id: 'env-cloud-name', group: 'envvars', env: { ...OPENRC, OS_CLOUD_NAME: 'mine' } },
  { id: 'env-auth-type-v3password', group: 'envvars', env: { ...OPENRC, OS_AUTH_TYPE: 'v3password' } },
  {
    id: 'env-default-domain',
    group: 'envvars',
    env: { ...OPENRC, OS_USER_DOMAIN_NAME: '', OS_PROJECT_DOMAIN_NAME: '', OS_DEFAULT_DOMAIN: 'dflt' },
  },
  {
    id: 'env-auth-url-v3',
    group: 'envvars',
    env: { ...OPENRC, OS_AUTH_URL: '{URL}/identity/v3' },
  },
  { id: 'env-wrong-password', group: 'envvars', env: { ...OPENRC, OS_PASSWORD: 'wrong-password' } },
  { id: 'env-no-password', group: 'envvars', env: { ...OPENRC, OS_PASSWORD: '' } },
  { id: 'env-only-region', group: 'envvars', env: { OS_REGION_NAME: 'RegionTwo' } },
  {
    id: 'env-region-with-file',
    group: 'envvars',
    files: { [CWD_CLOUDS]: clouds({ c: pw({}, { regions: ['RegionOne', 'RegionTwo'] }) }) },
    env: { OS_REGION_NAME: 'RegionTwo' },
    differs: {
      reason:
        'with no cloud named, osmeta uses the only cloud of clouds.yaml as openstacksdk does (and OS_REGION_NAME picks its region, as in openstack); openstack reads no cloud',
      osmeta: { stage: 'nova', nova: 'http:/nova/RegionTwo/public/v2.1' },
    },
  },
  {
    id: 'env-envvars-and-file-no-os-cloud',
    group: 'envvars',
    files: { [CWD_CLOUDS]: clouds({ c: pw({ project_name: 'file' }) }) },
    env: { ...OPENRC, OS_PROJECT_NAME: 'env' },
  },

  // ---- precedence over a named cloud (osc: flags and OS_* override, except project/domain keys in auth:)
  one('prec-env-username', 'precedence', pw(), { env: { OS_USERNAME: 'bob' } }),
  one('prec-env-password', 'precedence', pw(), { env: { OS_PASSWORD: 'env-pass' } }),
  one('prec-env-auth-url', 'precedence', pw({ auth_url: 'http://127.0.0.1:9/identity' }), {
    env: { OS_AUTH_URL: '{URL}/identity' },
  }),
  one('prec-env-project-name', 'precedence', pw(), { env: { OS_PROJECT_NAME: 'env-project' } }),
  one('prec-env-project-id', 'precedence', pw(), { env: { OS_PROJECT_ID: 'env-pid' } }),
  one('prec-env-user-domain', 'precedence', pw(), { env: { OS_USER_DOMAIN_NAME: 'EnvDomain' } }),
  one('prec-env-project-domain-id', 'precedence', pw(), { env: { OS_PROJECT_DOMAIN_ID: 'env-dom' } }),
  one('prec-flag-username', 'precedence', pw(), { args: ['--os-username', 'carol'] }),
  one('prec-flag-project-name', 'precedence', pw(), { args: ['--os-project-name', 'flag-project'] }),
  one('prec-flag-user-domain-id', 'precedence', pw(), { args: ['--os-user-domain-id', 'flagdom'] }),
  one('prec-flag-project-id', 'precedence', pw(), { args: ['--os-project-id', 'flag-pid'] }),
  one('prec-flag-auth-url', 'precedence', pw({ auth_url: 'http://127.0.0.1:9/identity' }), {
    args: ['--os-auth-url', '{URL}/identity'],
  }),
  one('prec-env-tenant-name', 'precedence', pw({ project_name: null }), {
    env: { OS_TENANT_NAME: 'tenant' },
  }),
  one('prec-env-user-id', 'precedence', pw(), { env: { OS_USER_ID: 'uid-env' } }),
  one('prec-env-domain-name-over-cloud', 'precedence', pw(), { env: { OS_DOMAIN_NAME: 'envdom' } }),
  one('prec-flag-beats-env', 'precedence', pw(), {
    env: { OS_USERNAME: 'bob' },
    args: ['--os-username', 'carol'],
  }),
  one('prec-full-openrc-over-cloud', 'precedence', pw(), {
    env: { ...OPENRC, OS_USERNAME: 'bob', OS_PASSWORD: 'env-pass', OS_PROJECT_NAME: 'env-project' },
  }),
  one(
    'prec-env-project-when-file-has-none',
    'precedence',
    pw({ project_name: null, project_domain_name: null }),
    { env: { OS_PROJECT_NAME: 'env-project', OS_PROJECT_DOMAIN_NAME: 'Default' } },
  ),
  one('prec-top-level-project', 'precedence', { auth: { ...PW, project_name: null }, project_name: 'top' }),
  one('prec-env-region', 'precedence', pw({}, { region_name: 'RegionOne' }), {
    env: { OS_REGION_NAME: 'RegionTwo' },
  }),
  one('prec-flag-region', 'precedence', pw({}, { regions: ['RegionOne', 'RegionTwo'] }), {
    args: ['--os-region-name', 'RegionTwo'],
  }),
  one('prec-env-interface', 'precedence', pw({}, { interface: 'internal' }), {
    env: { OS_INTERFACE: 'admin' },
  }),

  // ---- domains
  one(
    'dom-default-domain-id',
    'domains',
    pw({ user_domain_name: null, project_domain_name: null, default_domain_id: 'dd1' }),
  ),
  one(
    'dom-default-domain-name',
    'domains',
    pw({ user_domain_name: null, project_domain_name: null, default_domain_name: 'DomName' }),
  ),
  one('dom-os-default-domain-id-env', 'domains', pw({ user_domain_name: null, project_domain_name: null }), {
    env: { OS_DEFAULT_DOMAIN_ID: 'env-dd' },
  }),
  one(
    'dom-missing-v3',
    'domains',
    pw({ user_domain_name: null, project_domain_name: null }, { identity_api_version: 3 }),
  ),
  one('dom-missing-no-version', 'domains', pw({ user_domain_name: null, project_domain_name: null })),
  one(
    'dom-user-domain-id-only',
    'domains',
    pw({ user_domain_name: null, project_domain_name: null, user_domain_id: 'ud' }),
    {
      env: { OS_IDENTITY_API_VERSION: '3' },
    },
  ),
  one(
    'dom-domain-id-fills-both',
    'domains',
    pw({ user_domain_name: null, project_domain_name: null, domain_id: 'both' }),
  ),
  one('dom-domain-name-top-level', 'domains', {
    auth: { ...PW, user_domain_name: null, project_domain_name: null },
    domain_name: 'topdom',
  }),
  // openstack drops the domains for identity API 2 and Keystone refuses; openstacksdk authenticates with v3
  one('dom-v2-with-v3-url', 'domains', pw({ auth_url: '{URL}/identity/v3' }, { identity_api_version: 2 }), {
    reference: 'sdk',
  }),
  one(
    'dom-os-default-domain-with-version',
    'domains',
    pw({ user_domain_name: null, project_domain_name: null }),
    {
      env: { OS_IDENTITY_API_VERSION: '3', OS_DEFAULT_DOMAIN: 'osdd' },
    },
  ),

  // ---- scopes
  one(
    'scope-project-id',
    'scopes',
    pw({ project_name: null, project_domain_name: null, project_id: 'pid-1' }),
  ),
  one(
    'scope-domain-id',
    'scopes',
    pw({ project_name: null, project_domain_name: null, domain_id: 'dscope' }),
  ),
  one(
    'scope-domain-name',
    'scopes',
    pw({ project_name: null, project_domain_name: null, domain_name: 'dname' }),
  ),
  one('scope-system', 'scopes', pw({ project_name: null, project_domain_name: null, system_scope: 'all' })),
  one('scope-trust', 'scopes', pw({ project_name: null, project_domain_name: null, trust_id: 'trust-1' })),
  one('scope-project-and-trust', 'scopes', pw({ trust_id: 'trust-1' })),
  one('scope-project-and-system', 'scopes', pw({ system_scope: 'all' })),
  one(
    'scope-domain-and-system',
    'scopes',
    pw({ project_name: null, project_domain_name: null, domain_id: 'd', system_scope: 'all' }),
  ),
  one('scope-unscoped', 'scopes', pw({ project_name: null, project_domain_name: null })),
  one('scope-tenant-name-in-auth', 'scopes', pw({ project_name: null, tenant_name: 'old-tenant' })),
  one('scope-tenant-id-top-level', 'scopes', { auth: { ...PW, project_name: null }, tenant_id: 'tid-9' }),

  // ---- application credentials
  one('appcred-id', 'appcred', {
    auth_type: 'v3applicationcredential',
    auth: {
      auth_url: '{URL}/identity',
      application_credential_id: 'ac1',
      application_credential_secret: 'acs',
    },
  }),
  one('appcred-name-user', 'appcred', {
    auth_type: 'v3applicationcredential',
    auth: {
      auth_url: '{URL}/identity',
      application_credential_name: 'mon',
      application_credential_secret: 'acs',
      username: 'alice',
      user_domain_name: 'Default',
    },
  }),
  {
    id: 'appcred-env',
    group: 'appcred',
    env: {
      OS_AUTH_TYPE: 'v3applicationcredential',
      OS_AUTH_URL: '{URL}/identity',
      OS_APPLICATION_CREDENTIAL_ID: 'ac-env',
      OS_APPLICATION_CREDENTIAL_SECRET: 'acs-env',
    },
  },
  {
    id: 'appcred-env-no-auth-type',
    differs: {
      reason:
        'osmeta picks the token or application-credential plugin from the credentials given; openstack looks for a token only before moving it into auth: and then asks for a password',
      osmeta: { stage: 'nova' },
    },
    group: 'appcred',
    env: {
      OS_AUTH_URL: '{URL}/identity',
      OS_APPLICATION_CREDENTIAL_ID: 'ac-env',
      OS_APPLICATION_CREDENTIAL_SECRET: 'acs-env',
    },
  },
  one('appcred-with-project-name', 'appcred', {
    auth_type: 'v3applicationcredential',
    auth: {
      auth_url: '{URL}/identity',
      application_credential_id: 'ac1',
      application_credential_secret: 'acs',
      project_name: 'ignored',
    },
  }),
  one('appcred-no-secret', 'appcred', {
    auth_type: 'v3applicationcredential',
    auth: { auth_url: '{URL}/identity', application_credential_id: 'ac1' },
  }),
  one(
    'appcred-env-secret-over-file',
    'appcred',
    {
      auth_type: 'v3applicationcredential',
      auth: {
        auth_url: '{URL}/identity',
        application_credential_id: 'ac1',
        application_credential_secret: 'file',
      },
    },
    { env: { OS_APPLICATION_CREDENTIAL_SECRET: 'env-secret' } },
  ),
  one('appcred-type-alias', 'appcred', {
    auth_type: 'application_credential',
    auth: {
      auth_url: '{URL}/identity',
      application_credential_id: 'ac1',
      application_credential_secret: 'acs',
    },
  }),

  // ---- tokens
  one('token-v3token', 'tokens', {
    auth_type: 'v3token',
    auth: { auth_url: '{URL}/identity', token: 'gAAAA-good-token', project_id: 'pid-t' },
  }),
  one('token-generic', 'tokens', {
    auth_type: 'token',
    auth: {
      auth_url: '{URL}/identity',
      token: 'gAAAA-good-token',
      project_name: 'demo',
      project_domain_id: 'default',
    },
  }),
  {
    id: 'token-env',
    group: 'tokens',
    env: {
      OS_AUTH_TYPE: 'v3token',
      OS_AUTH_URL: '{URL}/identity',
      OS_TOKEN: 'gAAAA-good-token',
      OS_PROJECT_ID: 'pid-e',
    },
  },
  {
    id: 'token-env-no-auth-type',
    differs: {
      reason:
        'osmeta picks the token or application-credential plugin from the credentials given; openstack looks for a token only before moving it into auth: and then asks for a password',
      osmeta: { stage: 'nova' },
    },
    group: 'tokens',
    env: { OS_AUTH_URL: '{URL}/identity', OS_TOKEN: 'gAAAA-good-token', OS_PROJECT_ID: 'pid-e' },
  },
  {
    id: 'token-env-no-auth-type-v3',
    differs: {
      reason:
        'osmeta picks the token or application-credential plugin from the credentials given; openstack looks for a token only before moving it into auth: and then asks for a password',
      osmeta: { stage: 'nova' },
    },
    group: 'tokens',
    env: {
      OS_AUTH_URL: '{URL}/identity',
      OS_TOKEN: 'gAAAA-good-token',
      OS_PROJECT_ID: 'pid-e',
      OS_IDENTITY_API_VERSION: '3',
    },
  },
  // the token key is moved into auth: before the argparse values win: the file's token stays
  one(
    'token-env-vs-file',
    'tokens',
    { auth_type: 'v3token', auth: { auth_url: '{URL}/identity', token: 'expired', project_id: 'pid-t' } },
    { env: { OS_TOKEN: 'gAAAA-good-token' } },
  ),
  one('token-bad', 'tokens', {
    auth_type: 'v3token',
    auth: { auth_url: '{URL}/identity', token: 'expired', project_id: 'pid-t' },
  }),
  one('token-auth-token-key', 'tokens', {
    auth_type: 'v3token',
    auth: { auth_url: '{URL}/identity', project_id: 'pid-t' },
    auth_token: 'gAAAA-good-token',
  }),

  // ---- regions
  one('region-name', 'regions', pw({}, { region_name: 'RegionTwo' })),
  one('region-list-first', 'regions', pw({}, { regions: ['RegionTwo', 'RegionOne'] })),
  one('region-none', 'regions', pw()),
  one('region-unknown', 'regions', pw({}, { regions: ['RegionOne', 'RegionTwo'] }), {
    env: { OS_REGION_NAME: 'RegionNine' },
  }),
  one('region-not-in-catalog', 'regions', pw({}, { region_name: 'RegionNine' })),
  one(
    'region-values',
    'regions',
    pw({}, { regions: [{ name: 'RegionOne' }, { name: 'RegionTwo', values: { interface: 'internal' } }] }),
    { env: { OS_REGION_NAME: 'RegionTwo' } },
  ),
  one(
    'region-compute-region-name',
    'regions',
    pw({}, { region_name: 'RegionOne', compute_region_name: 'RegionTwo' }),
    { reference: 'sdk' },
  ),
  one('region-case-sensitive', 'regions', pw({}, { regions: ['RegionOne', 'RegionTwo'] }), {
    env: { OS_REGION_NAME: 'regiontwo' },
  }),

  // ---- interfaces
  one('iface-internal', 'interfaces', pw({}, { interface: 'internal' })),
  one('iface-admin-flag', 'interfaces', pw(), { args: ['--os-interface', 'admin'] }),
  one('iface-env', 'interfaces', pw(), { env: { OS_INTERFACE: 'internal' } }),
  one('iface-internalURL-env', 'interfaces', pw(), { env: { OS_ENDPOINT_TYPE: 'internalURL' } }),
  one('iface-publicURL-file', 'interfaces', pw({}, { interface: 'publicURL', region_name: 'RegionTwo' })),
  one('iface-adminURL-endpoint-type', 'interfaces', pw({}, { endpoint_type: 'adminURL' })),
  one('iface-compute-interface', 'interfaces', pw({}, { compute_interface: 'internal' }), {
    reference: 'sdk',
  }),
  one('iface-compute-endpoint-type', 'interfaces', pw({}, { compute_endpoint_type: 'admin' }), {
    reference: 'sdk',
  }),
  // the envvars cloud (no OS_CLOUD): openstack(1) has no option for OS_ENDPOINT_TYPE; openstacksdk reads it
  {
    id: 'iface-internalURL-envvars',
    group: 'interfaces',
    env: { ...OPENRC, OS_ENDPOINT_TYPE: 'internalURL' },
    reference: 'sdk',
  },
  one('iface-unknown', 'interfaces', pw({}, { interface: 'private' }), {
    differs: {
      reason:
        'osmeta refuses an interface other than public/internal/admin before authenticating; openstack authenticates, then finds no endpoint',
      osmeta: { stage: 'none' },
    },
  }),

  // ---- endpoint overrides
  one(
    'override-plain',
    'overrides',
    pw({}, { compute_endpoint_override: '{URL}/nova/RegionTwo/admin/v2.1' }),
    { reference: 'sdk' },
  ),
  one(
    'override-project-id-template',
    'overrides',
    pw({}, { compute_endpoint_override: '{URL}/nova/RegionTwo/admin/v2.1/%(project_id)s' }),
    {
      reference: 'sdk',
      differs: {
        reason:
          "both substitute the token's project ID; openstacksdk then reads nova's version document and follows its self link (…/v2.1/), osmeta calls the substituted URL, which nova serves too",
        osmeta: { stage: 'nova', nova: 'http:/nova/RegionTwo/admin/v2.1/0c0c8c5d1d5a4f4a9f0d3b6c2e9a7f10' },
      },
    },
  ),
  one(
    'override-and-region',
    'overrides',
    pw({}, { region_name: 'RegionTwo', compute_endpoint_override: '{URL}/nova/x/y/v2.1' }),
    { reference: 'sdk' },
  ),

  // ---- auth_url forms and version discovery
  one('url-trailing-slash', 'auth-url', pw({ auth_url: '{URL}/identity/' })),
  one('url-v3', 'auth-url', pw({ auth_url: '{URL}/identity/v3' })),
  one('url-v3-slash', 'auth-url', pw({ auth_url: '{URL}/identity/v3/' })),
  one('url-path-prefix-discovery', 'auth-url', pw({ auth_url: '{URL}/prefixed' })),
  one('url-no-scheme', 'auth-url', pw({ auth_url: '127.0.0.1:5000' })),
  one('url-bad-port', 'auth-url', pw({ auth_url: 'http://127.0.0.1:abc/identity' })),
  one('url-nothing-listens', 'auth-url', pw({ auth_url: 'http://127.0.0.1:9/identity' })),
  one('url-missing', 'auth-url', pw({ auth_url: null })),

  // ---- TLS
  one('tls-cacert-file', 'tls', pw({}, { cacert: '{CA}' }), { server: 'https' }),
  one('tls-cacert-env', 'tls', pw(), { server: 'https', env: { OS_CACERT: '{CA}' } }),
  one('tls-cacert-flag', 'tls', pw(), { server: 'https', args: ['--os-cacert', '{CA}'] }),
  one('tls-no-ca', 'tls', pw(), { server: 'https' }),
  one('tls-insecure-file', 'tls', pw({}, { insecure: true }), { server: 'https' }),
  one('tls-verify-false', 'tls', pw({}, { verify: false }), { server: 'https' }),
  one('tls-insecure-flag', 'tls', pw(), { server: 'https', args: ['--insecure'] }),
  one('tls-client-cert', 'tls', pw({}, { cacert: '{CA}', cert: '{CERT}', key: '{KEY}' }), { server: 'mtls' }),
  one('tls-client-cert-env', 'tls', pw({}, { cacert: '{CA}' }), {
    server: 'mtls',
    env: { OS_CERT: '{CERT}', OS_KEY: '{KEY}' },
  }),
  one('tls-client-cert-missing', 'tls', pw({}, { cacert: '{CA}' }), { server: 'mtls' }),
  {
    id: 'tls-envvars-insecure',
    group: 'tls',
    server: 'https',
    env: { ...OPENRC, OS_INSECURE: 'true' },
    reference: 'sdk',
  },
  one('tls-os-insecure-ignored-with-cloud', 'tls', pw(), { server: 'https', env: { OS_INSECURE: 'true' } }),

  // ---- proxies
  one('proxy-http-lower', 'proxies', pw(), { env: { http_proxy: '{PROXY}' } }),
  one('proxy-http-upper', 'proxies', pw(), { env: { HTTP_PROXY: '{PROXY}' } }),
  one('proxy-no-proxy-ip', 'proxies', pw(), { env: { http_proxy: '{PROXY}', no_proxy: '127.0.0.1' } }),
  one('proxy-no-proxy-star', 'proxies', pw(), { env: { http_proxy: '{PROXY}', NO_PROXY: '*' } }),
  one('proxy-all-proxy', 'proxies', pw(), { env: { all_proxy: '{PROXY}' } }),
  one('proxy-https-proxy-only', 'proxies', pw(), { env: { https_proxy: '{PROXY}' } }),
  one('proxy-no-scheme', 'proxies', pw(), { env: { http_proxy: '{PROXYHOST}' } }),
  one('proxy-https-tunnel', 'proxies', pw({}, { cacert: '{CA}' }), {
    server: 'https',
    env: { https_proxy: '{PROXY}' },
  }),
  one('proxy-https-upper', 'proxies', pw({}, { cacert: '{CA}' }), {
    server: 'https',
    env: { HTTPS_PROXY: '{PROXY}' },
  }),
  one('proxy-https-http-proxy-only', 'proxies', pw({}, { cacert: '{CA}' }), {
    server: 'https',
    env: { http_proxy: '{PROXY}' },
  }),
  one('proxy-https-no-proxy-cidr', 'proxies', pw({}, { cacert: '{CA}' }), {
    server: 'https',
    env: { https_proxy: '{PROXY}', no_proxy: '127.0.0.0/8' },
  }),
  one('proxy-https-no-proxy-host-port', 'proxies', pw({}, { cacert: '{CA}' }), {
    server: 'https',
    env: { https_proxy: '{PROXY}', no_proxy: 'example.org,127.0.0.1' },
  }),

  // ---- values YAML reads differently, unknown keys, vendor profiles
  one('yaml-username-yes', 'yaml', pw({ username: 'yes' }), {
    differs: {
      reason:
        'username: yes is a boolean in YAML: osmeta says to quote it; openstack sends "name": true, which Keystone refuses (400)',
      osmeta: { stage: 'none' },
    },
  }),
  one('yaml-quoted-yes', 'yaml', pw({ username: '"yes"' })),
  one('yaml-numeric-password', 'yaml', pw({ password: 12345 })),
  {
    id: 'yaml-integer-cloud-key',
    group: 'yaml',
    files: { [CWD_CLOUDS]: clouds({ 123: pw() }) },
    env: { OS_CLOUD: '123' },
  },
  one('yaml-unknown-auth-key', 'yaml', pw({ colour: 'blue' }), {
    differs: {
      reason:
        'an auth: key the plugin does not have: osmeta warns and goes on; keystoneauth fails (unexpected keyword argument)',
      osmeta: { stage: 'nova' },
    },
  }),
  // a remote profile on loopback where nothing listens: a named vendor (vexxhost…) would send
  // openstack to the vendor's real Keystone
  one('yaml-vendor-profile', 'yaml', {
    profile: '"http://127.0.0.1:9"',
    auth: { username: 'alice', password: 'x', project_name: 'p' },
  }),
  one('yaml-auth-type-password-explicit', 'yaml', pw({}, { auth_type: 'password' })),
  one('yaml-auth-type-v3password', 'yaml', pw({}, { auth_type: 'v3password' })),
  one('yaml-auth-plugin-legacy', 'yaml', pw({}, { auth_plugin: 'v3password' })),
  one(
    'yaml-identity-api-version-string',
    'yaml',
    pw({ user_domain_name: null, project_domain_name: null }, { identity_api_version: '"3"' }),
  ),
  {
    id: 'yaml-non-utf8',
    group: 'yaml',
    files: {
      [CWD_CLOUDS]: Buffer.concat([
        Buffer.from('clouds:\n  c:\n    auth:\n      auth_url: {URL}/identity\n      username: al'),
        Buffer.from([0xe9]),
        Buffer.from('ce\n      password: x\n      project_id: p1\n      user_domain_id: default\n'),
      ]),
    },
    env: { OS_CLOUD: 'c' },
  },
];
