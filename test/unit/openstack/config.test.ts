import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type CloudAuth,
  ConfigError,
  candidateFiles,
  loadCloudFiles,
  type ResolvedCloud,
  resolveCloud,
  searchDirs,
} from '../../../src/openstack/config.js';
import type { OpenStackFlags } from '../../../src/openstack/options.js';
import { createTestContext, runCli } from '../../helpers/context.js';
import { memoryFs } from '../../helpers/memory-fs.js';

const HOME = '/home/op';
const CWD = '/work/here';

async function resolve(
  files: Record<string, string | null>,
  env: Record<string, string> = {},
  flags: OpenStackFlags = {},
): Promise<ResolvedCloud> {
  const { ctx } = createTestContext({ env, homedir: HOME, cwd: CWD, fs: memoryFs(files) });
  const loaded = await loadCloudFiles(ctx);
  return resolveCloud({ files: loaded, flags, env, homedir: HOME });
}

const CLOUDS = `
clouds:
  prod:
    auth:
      auth_url: https://keystone.example:5000/v3
      username: alice
      password: from-clouds
      project_name: ops
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
`;

describe('clouds.yaml search', () => {
  it('searches cwd, the XDG user dir, ~/.config, the site dir and /etc/openstack, in that order', () => {
    const { ctx } = createTestContext({ env: {}, homedir: HOME, cwd: CWD });
    expect(searchDirs(ctx)).toEqual([
      CWD,
      `${HOME}/.config/openstack`,
      `${HOME}/.config/openstack`,
      '/etc/xdg/openstack',
      '/etc/openstack',
    ]);
  });

  it('honours XDG_CONFIG_HOME, SNAP_REAL_HOME and XDG_CONFIG_DIRS as platformdirs does', () => {
    const { ctx } = createTestContext({
      env: { XDG_CONFIG_HOME: '/xdg', SNAP_REAL_HOME: '/real', XDG_CONFIG_DIRS: '/a:/b' },
      homedir: HOME,
      cwd: CWD,
    });
    expect(searchDirs(ctx)).toEqual([
      CWD,
      '/xdg/openstack',
      '/real/.config/openstack',
      '/a/openstack:/b/openstack',
      '/etc/openstack',
    ]);
  });

  it('tries .yaml, .yml, .json in each directory and puts OS_CLIENT_CONFIG_FILE first', () => {
    const { ctx } = createTestContext({
      env: { OS_CLIENT_CONFIG_FILE: '/x/c.yaml' },
      homedir: HOME,
      cwd: CWD,
    });
    const files = candidateFiles(ctx, 'clouds');
    expect(files.slice(0, 4)).toEqual([
      '/x/c.yaml',
      `${CWD}/clouds.yaml`,
      `${CWD}/clouds.yml`,
      `${CWD}/clouds.json`,
    ]);
    expect(files).toHaveLength(16);
    expect(candidateFiles(ctx, 'secure')[0]).toBe(`${CWD}/secure.yaml`);
  });

  it('uses the first file found and never merges files across directories', async () => {
    const c = await resolve({
      [`${CWD}/clouds.yml`]: 'clouds: {here: {auth: {auth_url: http://here}}}',
      [`${HOME}/.config/openstack/clouds.yaml`]: 'clouds: {there: {auth: {auth_url: http://there}}}',
    });
    expect(c.name).toBe('here');
    expect(c.available).toEqual(['here']);
    expect(c.configFile).toBe(`${CWD}/clouds.yml`);
  });

  it('prefers .yaml to .json in the same directory', async () => {
    const c = await resolve({
      [`/etc/openstack/clouds.json`]: '{"clouds": {"j": {}}}',
      [`/etc/openstack/clouds.yaml`]: 'clouds: {y: {}}',
    });
    expect(c.name).toBe('y');
  });

  it('reads JSON files', async () => {
    const c = await resolve({
      [`/etc/openstack/clouds.json`]: '{"clouds": {"j": {"auth": {"auth_url": "http://j"}}}}',
    });
    expect(c.auth.authUrl).toBe('http://j');
  });

  it('skips an unreadable file with a warning and takes the next', async () => {
    const c = await resolve({
      [`${HOME}/.config/openstack/clouds.yaml`]: null,
      ['/etc/openstack/clouds.yaml']: 'clouds: {etc: {}}',
    });
    expect(c.name).toBe('etc');
    expect(c.warnings.join('\n')).toMatch(
      /skipping config file \/home\/op\/.config\/openstack\/clouds.yaml: permission denied/,
    );
  });

  it.each([
    ['clouds.yaml', 'clouds: [unclosed'],
    ['secure.yaml', 'clouds: {c: ['],
  ])('refuses an unparsable %s, naming it, as openstack does', async (file, text) => {
    const files = { [`${CWD}/${file}`]: text, [`${HOME}/.config/openstack/clouds.yaml`]: 'clouds: {c: {}}' };
    const err = await resolve(files, { OS_CLOUD: 'c' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(
      new RegExp(`^configuration file ${CWD}/${file} is not valid YAML: `),
    );
  });

  it('refuses a file that is not UTF-8, as PyYAML does, instead of sending replaced characters', async () => {
    const bytes = Buffer.concat([
      Buffer.from('clouds:\n  c:\n    auth:\n      username: al'),
      Buffer.from([0xe9, 0x63]),
    ]);
    const err = await resolve(
      { [`${CWD}/clouds.yaml`]: bytes as unknown as string },
      { OS_CLOUD: 'c' },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe(
      `configuration file ${CWD}/clouds.yaml is not UTF-8 (invalid byte at offset 41)`,
    );
  });

  it('refuses a configuration file over 1 MiB before parsing it', async () => {
    const big = `clouds:\n  c:\n    region_name: ${'x'.repeat(1024 * 1024)}\n`;
    const err = await resolve({ [`${CWD}/secure.yaml`]: big }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(
      /^configuration file \/work\/here\/secure.yaml is .*more than osmeta reads \(1048576 bytes\)/,
    );
  });

  it('deep-merges secure.yaml over clouds.yaml', async () => {
    const c = await resolve({
      [`${CWD}/clouds.yaml`]: CLOUDS,
      [`/etc/openstack/secure.yaml`]: 'clouds: {prod: {auth: {password: from-secure}}}',
    });
    expect(c.auth).toMatchObject({ username: 'alice', password: 'from-secure', projectName: 'ops' });
    expect(c.secureFile).toBe('/etc/openstack/secure.yaml');
  });

  it('reads YAML as PyYAML does: yes is true, duplicate keys allowed', async () => {
    const c = await resolve({
      [`${CWD}/clouds.yaml`]: 'clouds:\n  a:\n    insecure: yes\n    region_name: X\n    region_name: Y\n',
    });
    expect(c.tls.insecure).toBe(true);
    expect(c.regionName).toBe('Y');
  });

  it('turns numbers into strings as normalize_keys does', async () => {
    const c = await resolve({
      [`${CWD}/clouds.yaml`]: 'clouds: {a: {auth: {project_id: 12345, auth_url: http://k}}}',
    });
    expect(c.auth.projectId).toBe('12345');
  });

  it('refuses a file that is not a mapping', async () => {
    await expect(resolve({ [`${CWD}/clouds.yaml`]: '- a\n- b\n' })).rejects.toThrow(/not a valid mapping/);
  });

  it('treats an empty file as no clouds', async () => {
    const c = await resolve({ [`${CWD}/clouds.yaml`]: '' });
    expect(c.name).toBe('defaults');
    expect(c.configured).toBe(false);
  });
});

describe('cloud selection', () => {
  const TWO = 'clouds: {a: {auth: {auth_url: http://a}}, b: {auth: {auth_url: http://b}}}';

  it('uses OS_CLOUD, and --os-cloud over it', async () => {
    expect((await resolve({ [`${CWD}/clouds.yaml`]: TWO }, { OS_CLOUD: 'b' })).auth.authUrl).toBe('http://b');
    expect(
      (await resolve({ [`${CWD}/clouds.yaml`]: TWO }, { OS_CLOUD: 'b' }, { osCloud: 'a' })).auth.authUrl,
    ).toBe('http://a');
  });

  it('picks the only cloud when there is one', async () => {
    expect((await resolve({ [`${CWD}/clouds.yaml`]: CLOUDS })).name).toBe('prod');
  });

  it('picks none of several clouds by itself', async () => {
    const c = await resolve({ [`${CWD}/clouds.yaml`]: TWO });
    expect(c.name).toBe('');
    expect(c.auth.authUrl).toBeUndefined();
    expect(c.available).toEqual(['a', 'b']);
  });

  it('fails for an unknown cloud, naming the known ones', async () => {
    const p = resolve({ [`${CWD}/clouds.yaml`]: TWO }, { OS_CLOUD: 'c' });
    await expect(p).rejects.toBeInstanceOf(ConfigError);
    await expect(p).rejects.toThrow(`cloud 'c' was not found in ${CWD}/clouds.yaml`);
  });

  it('fails for OS_CLOUD even when there are no files at all', async () => {
    await expect(resolve({}, { OS_CLOUD: 'gone' })).rejects.toThrow(
      /cloud 'gone' was not found \(no clouds.yaml found\)/,
    );
  });

  it('builds the envvars cloud from OS_* and makes it the default without OS_CLOUD', async () => {
    const c = await resolve(
      { [`${CWD}/clouds.yaml`]: CLOUDS },
      { OS_AUTH_URL: 'http://env:5000', OS_USERNAME: 'bob', OS_PASSWORD: 'pw', OS_PROJECT_NAME: 'p' },
    );
    expect(c.name).toBe('envvars');
    expect(c.available).toEqual(['prod', 'envvars']);
    expect(c.auth).toMatchObject({
      authUrl: 'http://env:5000',
      username: 'bob',
      password: 'pw',
      projectName: 'p',
    });
  });

  it('names the envvars cloud after OS_CLOUD_NAME and refuses a clash with a file cloud', async () => {
    expect((await resolve({}, { OS_AUTH_URL: 'http://e', OS_CLOUD_NAME: 'mine' })).name).toBe('mine');
    await expect(
      resolve({ [`${CWD}/clouds.yaml`]: CLOUDS }, { OS_AUTH_URL: 'http://e', OS_CLOUD_NAME: 'prod' }),
    ).rejects.toThrow(/defines a cloud named 'prod'/);
  });

  it('makes no envvars cloud from selectors alone', async () => {
    const c = await resolve(
      { [`${CWD}/clouds.yaml`]: CLOUDS },
      { OS_REGION_NAME: 'RegionOne', OS_CLIENT_CONFIG_FILE: '/none' },
    );
    expect(c.name).toBe('prod');
  });

  it('ignores OS_TEST*, OS_STD* and OS_LOG* variables', async () => {
    const c = await resolve(
      { [`${CWD}/clouds.yaml`]: CLOUDS },
      { OS_TEST_X: '1', OS_STDOUT_CAPTURE: '1', OS_LOG_CAPTURE: '1' },
    );
    expect(c.name).toBe('prod');
  });

  it('gives the "defaults" cloud when there is nothing at all', async () => {
    const c = await resolve({});
    expect(c).toMatchObject({
      name: 'defaults',
      configured: false,
      interface: ['public'],
      authType: 'password',
    });
  });
});

describe('override order: flag > OS_* > secure.yaml > clouds.yaml > defaults', () => {
  const files = {
    [`${CWD}/clouds.yaml`]: `clouds:
  c:
    auth: {auth_url: http://k, username: from-clouds, project_name: p}
    interface: internal
    cacert: /clouds/ca.pem
    regions: [R1, R2]
`,
    [`${CWD}/secure.yaml`]: 'clouds: {c: {auth: {username: from-secure}}}',
  };
  it.each<[string, Record<string, string>, OpenStackFlags, string]>([
    ['secure.yaml over clouds.yaml', {}, {}, 'from-secure'],
    ['OS_USERNAME over secure.yaml', { OS_USERNAME: 'from-env' }, {}, 'from-env'],
    ['--os-username over OS_USERNAME', { OS_USERNAME: 'from-env' }, { osUsername: 'from-flag' }, 'from-flag'],
  ])('username: %s', async (_what, env, flags, expected) => {
    expect((await resolve(files, { OS_CLOUD: 'c', ...env }, flags)).auth.username).toBe(expected);
  });

  it.each<[string, Record<string, string>, OpenStackFlags, string[]]>([
    ['clouds.yaml over the default', {}, {}, ['internal']],
    ['OS_INTERFACE over clouds.yaml', { OS_INTERFACE: 'admin' }, {}, ['admin']],
    ['not OS_ENDPOINT_TYPE: openstack has no such option', { OS_ENDPOINT_TYPE: 'admin' }, {}, ['internal']],
    ['the v2-era internalURL spelling', { OS_INTERFACE: 'adminURL' }, {}, ['admin']],
    ['--os-interface over OS_INTERFACE', { OS_INTERFACE: 'admin' }, { osInterface: 'public' }, ['public']],
  ])('interface: %s', async (_what, env, flags, expected) => {
    expect((await resolve(files, { OS_CLOUD: 'c', ...env }, flags)).interface).toEqual(expected);
  });

  it.each<[string, Record<string, string>, OpenStackFlags, string]>([
    ['the first listed region by default', {}, {}, 'R1'],
    ['OS_REGION_NAME', { OS_REGION_NAME: 'R2' }, {}, 'R2'],
    ['--os-region-name over OS_REGION_NAME', { OS_REGION_NAME: 'R1' }, { osRegionName: 'R2' }, 'R2'],
  ])('region: %s', async (_what, env, flags, expected) => {
    expect((await resolve(files, { OS_CLOUD: 'c', ...env }, flags)).regionName).toBe(expected);
  });

  it.each<[string, Record<string, string>, OpenStackFlags, string]>([
    ['clouds.yaml', {}, {}, '/clouds/ca.pem'],
    ['OS_CACERT', { OS_CACERT: '/env/ca.pem' }, {}, '/env/ca.pem'],
    ['--os-cacert', { OS_CACERT: '/env/ca.pem' }, { osCacert: '~/flag.pem' }, `${HOME}/flag.pem`],
  ])('cacert: %s', async (_what, env, flags, expected) => {
    expect((await resolve(files, { OS_CLOUD: 'c', ...env }, flags)).tls.cacert).toBe(expected);
  });

  it('takes OS_PASSWORD over the file for a named cloud (clouds.yaml without a password + OS_PASSWORD)', async () => {
    const c = await resolve(
      { [`${CWD}/clouds.yaml`]: CLOUDS },
      { OS_CLOUD: 'prod', OS_PASSWORD: 'from-env' },
    );
    expect(c.auth.password).toBe('from-env');
  });

  it('takes OS_INSECURE only through the envvars cloud, as osc (--insecure has no env default)', async () => {
    expect(
      (await resolve({ [`${CWD}/clouds.yaml`]: CLOUDS }, { OS_CLOUD: 'prod', OS_INSECURE: 'true' })).tls
        .insecure,
    ).toBe(false);
    expect((await resolve({}, { OS_AUTH_URL: 'http://e', OS_INSECURE: 'true' })).tls.insecure).toBe(true);
    expect((await resolve({ [`${CWD}/clouds.yaml`]: CLOUDS }, {}, { osInsecure: true })).tls.insecure).toBe(
      true,
    );
  });

  it('treats verify: false as insecure', async () => {
    expect((await resolve({ [`${CWD}/clouds.yaml`]: 'clouds: {a: {verify: false}}' })).tls.insecure).toBe(
      true,
    );
  });

  it('applies the values of a named region', async () => {
    const c = await resolve(
      {
        [`${CWD}/clouds.yaml`]:
          'clouds: {a: {interface: public, regions: [{name: R1, values: {interface: internal}}, R2]}}',
      },
      {},
      { osRegionName: 'R1' },
    );
    expect(c.interface).toEqual(['internal']);
  });

  it('refuses a region the cloud does not list (case-sensitive)', async () => {
    await expect(resolve(files, { OS_CLOUD: 'c', OS_REGION_NAME: 'r1' })).rejects.toThrow(
      "region 'r1' is not a region of cloud 'c' (regions: R1, R2)",
    );
  });
});

describe('auth options', () => {
  it('maps tenant_* to project_* and OS_TENANT_NAME to the project name', async () => {
    expect(
      (await resolve({ [`${CWD}/clouds.yaml`]: 'clouds: {a: {auth: {tenant_name: t}}}' })).auth.projectName,
    ).toBe('t');
    expect((await resolve({}, { OS_AUTH_URL: 'http://k', OS_TENANT_NAME: 'old' })).auth.projectName).toBe(
      'old',
    );
  });

  it('fills user and project domain from domain_* for a project scope', async () => {
    const c = await resolve({
      [`${CWD}/clouds.yaml`]: 'clouds: {a: {auth: {project_name: p, username: u, domain_name: D}}}',
    });
    expect(c.auth).toMatchObject({ userDomainName: 'D', projectDomainName: 'D' });
    expect(c.auth.domainName).toBeUndefined();
  });

  it('keeps domain_* as a domain scope without a project', async () => {
    const c = await resolve({ [`${CWD}/clouds.yaml`]: 'clouds: {a: {auth: {username: u, domain_id: d1}}}' });
    expect(c.auth.domainId).toBe('d1');
  });

  it('fills missing domains with OS_DEFAULT_DOMAIN (default: default) only for identity API 3, as osc does', async () => {
    const v3 = {
      OS_AUTH_URL: 'http://k',
      OS_USERNAME: 'u',
      OS_PROJECT_NAME: 'p',
      OS_IDENTITY_API_VERSION: '3',
    };
    const c = await resolve({}, v3);
    expect(c.auth).toMatchObject({ userDomainId: 'default', projectDomainId: 'default' });
    const d = await resolve({}, v3, { osDefaultDomain: 'dom' });
    expect(d.auth).toMatchObject({ userDomainId: 'dom', projectDomainId: 'dom' });
    const e = await resolve({}, { ...v3, OS_IDENTITY_API_VERSION: '' });
    expect(e.auth.userDomainId).toBeUndefined();
    expect(e.auth.projectDomainId).toBeUndefined();
  });

  it.each<[string, Record<string, string>, string]>([
    ['a user means password', { OS_USERNAME: 'u' }, 'password'],
    ['a token means v3token', { OS_TOKEN: 't' }, 'v3token'],
    [
      'an application credential means v3applicationcredential',
      { OS_APPLICATION_CREDENTIAL_ID: 'i', OS_APPLICATION_CREDENTIAL_SECRET: 's' },
      'v3applicationcredential',
    ],
    ['OS_AUTH_TYPE decides', { OS_AUTH_TYPE: 'v3token', OS_USERNAME: 'u', OS_TOKEN: 't' }, 'v3token'],
    ['v3password is password', { OS_AUTH_TYPE: 'v3password' }, 'password'],
  ])('selects the auth type: %s', async (_w, env, expected) => {
    expect((await resolve({}, { OS_AUTH_URL: 'http://k', ...env })).authType).toBe(expected);
  });

  it('refuses auth types it does not speak', async () => {
    await expect(resolve({}, { OS_AUTH_URL: 'http://k', OS_AUTH_TYPE: 'v3oidcpassword' })).rejects.toThrow(
      "auth type 'v3oidcpassword' is not supported",
    );
  });

  it('refuses identity API v2', async () => {
    await expect(resolve({}, { OS_AUTH_URL: 'http://k', OS_IDENTITY_API_VERSION: '2.0' })).rejects.toThrow(
      /Keystone v3/,
    );
  });

  it('refuses an unknown interface', async () => {
    await expect(resolve({}, { OS_AUTH_URL: 'http://k', OS_INTERFACE: 'private' })).rejects.toThrow(
      "interface 'private' is not one of public, internal, admin",
    );
  });

  it('expands {region_name} in auth_url', async () => {
    const c = await resolve({
      [`${CWD}/clouds.yaml`]:
        "clouds: {a: {auth: {auth_url: 'https://{region_name}.example'}, region_name: r9}}",
    });
    expect(c.auth.authUrl).toBe('https://r9.example');
  });

  it('keeps metadata_url and per-service keys in config', async () => {
    const c = await resolve({
      [`${CWD}/clouds.yaml`]: 'clouds: {a: {metadata_url: "https://nova:8775", compute_interface: internal}}',
    });
    expect(c.config.metadata_url).toBe('https://nova:8775');
    expect(c.config.compute_interface).toBe('internal');
  });
});

describe('YAML as PyYAML reads it', () => {
  it.each<[string, unknown]>([
    ['yes', true],
    ['On', true],
    ['FALSE', false],
    ['off', false],
    ['y', 'y'],
    ['n', 'n'],
    ['Y', 'Y'],
  ])('reads %s as %j', async (text, expected) => {
    const { parseYaml } = await import('../../../src/openstack/config.js');
    expect(await parseYaml(`v: ${text}`)).toEqual({ v: expected });
  });
});

describe('as openstack(1) resolves a named cloud (python-openstackclient 6.0)', () => {
  const FILE = `${CWD}/clouds.yaml`;
  const named = (auth: string, top = '') => ({
    [FILE]: `clouds:\n  c:\n${top}    auth:\n      auth_url: http://k:5000\n${auth}`,
  });
  const FULL = named(
    '      username: alice\n      password: file-pw\n      project_name: ops\n      user_domain_name: UD\n      project_domain_name: PD\n',
  );

  it.each<[string, Record<string, string>, OpenStackFlags, Partial<CloudAuth>]>([
    ['OS_USERNAME overrides the user', { OS_USERNAME: 'bob' }, {}, { username: 'bob' }],
    ['OS_PASSWORD overrides the password', { OS_PASSWORD: 'env-pw' }, {}, { password: 'env-pw' }],
    [
      'OS_AUTH_URL overrides auth_url',
      { OS_AUTH_URL: 'http://other:5000' },
      {},
      { authUrl: 'http://other:5000' },
    ],
    [
      '--os-username overrides OS_USERNAME',
      { OS_USERNAME: 'bob' },
      { osUsername: 'carol' },
      { username: 'carol' },
    ],
    ['OS_PROJECT_NAME does not override the project', { OS_PROJECT_NAME: 'env' }, {}, { projectName: 'ops' }],
    ['--os-project-name does not either', {}, { osProjectName: 'flag' }, { projectName: 'ops' }],
    [
      'OS_USER_DOMAIN_NAME does not override the domain',
      { OS_USER_DOMAIN_NAME: 'E' },
      {},
      { userDomainName: 'UD' },
    ],
    [
      'OS_PROJECT_DOMAIN_ID is added beside the name (the body then names the domain by ID)',
      { OS_PROJECT_DOMAIN_ID: 'pdid' },
      {},
      { projectDomainName: 'PD', projectDomainId: 'pdid' },
    ],
  ])('%s', async (_w, env, flags, expected) => {
    const c = await resolve(FULL, { OS_CLOUD: 'c', ...env }, flags);
    expect(c.auth).toMatchObject(expected);
  });

  it('takes the project from OS_PROJECT_NAME when the cloud names none', async () => {
    const c = await resolve(named('      username: alice\n'), { OS_CLOUD: 'c', OS_PROJECT_NAME: 'env' });
    expect(c.auth.projectName).toBe('env');
  });

  it.each<[string, string, Record<string, string>, Partial<CloudAuth>]>([
    [
      'default_domain_id in auth:',
      '      default_domain_id: d1\n',
      {},
      { userDomainId: 'd1', projectDomainId: 'd1' },
    ],
    [
      'default_domain_name in auth:',
      '      default_domain_name: D\n',
      {},
      { userDomainName: 'D', projectDomainName: 'D' },
    ],
    ['OS_DEFAULT_DOMAIN_ID with OS_CLOUD', '', { OS_DEFAULT_DOMAIN_ID: 'env-d' }, { userDomainId: 'env-d' }],
  ])('fills missing domains from %s', async (_w, extra, env, expected) => {
    const c = await resolve(named(`      username: alice\n      project_name: p\n${extra}`), {
      OS_CLOUD: 'c',
      ...env,
    });
    expect(c.auth).toMatchObject(expected);
    expect(c.discover).toBe(true);
  });

  it('accepts identity_api_version 2 with a /v3 auth_url, with a warning', async () => {
    const c = await resolve({
      [FILE]:
        'clouds:\n  c:\n    identity_api_version: 2\n    auth:\n      auth_url: http://k:5000/v3\n      username: u\n',
    });
    expect(c.authType).toBe('password');
    expect(c.warnings.join('\n')).toContain(
      "identity_api_version 2 of cloud 'c' ignored: auth_url is a v3 endpoint, and osmeta speaks Keystone v3",
    );
  });

  it.each([['v2-era interface: internalURL', 'internalURL', ['internal']]])(
    'reads %s',
    async (_w, v, expected) => {
      const c = await resolve(named('      username: u\n', `    interface: ${v}\n`), { OS_CLOUD: 'c' });
      expect(c.interface).toEqual(expected);
    },
  );

  it('hints to quote a value YAML reads as a boolean (username: yes)', async () => {
    const err = await resolve(named('      username: yes\n'), { OS_CLOUD: 'c' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe(
      `username of cloud 'c' (${FILE}) is the boolean true: YAML reads yes/no/on/off/true/false as booleans`,
    );
    expect((err as ConfigError).hint).toBe('quote the value in clouds.yaml: username: "…"');
  });

  it('warns about an auth: key the auth type does not have', async () => {
    const c = await resolve(named('      username: u\n      colour: blue\n'), { OS_CLOUD: 'c' });
    expect(c.warnings).toContain(
      "ignoring auth key 'colour' of cloud 'c': not an option of auth type password",
    );
  });

  it('refuses clearly a cloud whose name YAML reads as a number', async () => {
    const err = await resolve(
      { [FILE]: 'clouds:\n  123:\n    auth: {auth_url: http://k}\n' },
      { OS_CLOUD: '123' },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe(
      `cloud '123' in ${FILE} is a number in YAML, and openstack finds clouds by string names only`,
    );
    expect((err as ConfigError).hint).toBe("quote the name in clouds.yaml: '123':");
  });

  it.each([
    ['no scheme', '127.0.0.1:5000'],
    ['a port that is not a number', 'http://127.0.0.1:abc/v3'],
    ['another scheme', 'ftp://k/v3'],
  ])('refuses an auth_url with %s as a configuration error naming the cloud and the key', async (_w, url) => {
    const err = await resolve(
      { [FILE]: `clouds:\n  c:\n    auth:\n      auth_url: "${url}"\n      username: u\n` },
      { OS_CLOUD: 'c' },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('CLOUD_CONFIG_ERROR');
    expect((err as ConfigError).message).toBe(
      `auth_url of cloud 'c' (${FILE}) is not an http(s) URL: "${url}"`,
    );
  });

  it('refuses a scope with an application credential, which carries its own', async () => {
    const err = await resolve(
      {
        [FILE]:
          'clouds:\n  c:\n    auth_type: v3applicationcredential\n    auth:\n      auth_url: http://k\n      application_credential_id: a\n      project_name: p\n',
      },
      { OS_CLOUD: 'c' },
    ).catch((e: unknown) => e);
    expect((err as ConfigError).message).toBe(
      `cloud 'c' (${FILE}) asks for a scope (project_name) with an application credential, which carries its own`,
    );
  });
});

describe('configuration errors reach the operator as one line', () => {
  it.each([
    [
      'an auth_url with no scheme',
      'auth_url: "127.0.0.1:5000"',
      /^error: auth_url of cloud 'c' \(.*\) is not an http\(s\) URL: "127.0.0.1:5000"$/,
    ],
    [
      'an auth_url with a port of abc',
      'auth_url: http://127.0.0.1:abc/v3',
      /^error: auth_url of cloud 'c' \(.*\) is not an http\(s\) URL: "http:\/\/127.0.0.1:abc\/v3"$/,
    ],
  ])('get exits 1 for %s, naming the cloud and the key', async (_w, line, first) => {
    const dir = mkdtempSync(join(tmpdir(), 'osmeta-cfg-'));
    try {
      writeFileSync(
        join(dir, 'clouds.yaml'),
        `clouds:\n  c:\n    auth:\n      ${line}\n      username: u\n      password: p\n`,
      );
      const r = await runCli(['get', 'cc44da1b-aa6c-4ab2-926d-31aa6e134fb0', 'meta_data.json'], {
        env: {
          OS_CLIENT_CONFIG_FILE: join(dir, 'clouds.yaml'),
          OS_CLOUD: 'c',
          OSMETA_SHARED_SECRET: 's',
          XDG_CACHE_HOME: dir,
        },
      });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.split('\n')[0]).toMatch(first);
      expect(r.stderr).not.toMatch(/INTERNAL_ERROR|unexpected error|at .*\.ts:/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('scopes', () => {
  it('refuses a project and a trust together, as keystoneauth does', async () => {
    const err = await resolve(
      {
        [`${CWD}/clouds.yaml`]:
          'clouds:\n  c:\n    auth:\n      auth_url: http://k\n      username: u\n      project_id: p\n      trust_id: t\n',
      },
      { OS_CLOUD: 'c' },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe(
      `cloud 'c' (${CWD}/clouds.yaml) asks for more than one scope (project, trust): pick one`,
    );
  });
});
