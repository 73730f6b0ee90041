import type { Context } from '../context.js';
import { OsmetaError, operationalError } from '../errors.js';
import { fsReason } from '../util/fs-reason.js';
import { flagProperty, type OpenStackFlags, OS_FLAGS } from './options.js';

// clouds.yaml, secure.yaml and OS_* as openstack(1) 6.0 resolves them: openstacksdk 0.101's loader
// (openstack/config/loader.py) with osc-lib 2.6's OSC_Config. Flags, else the OS_* variables osc
// gives argparse defaults, win for the user, password and auth_url; the project and domain keys of
// a cloud's auth: win over them (_fix_backwards_project runs first). test/differential checks it.

type Dict = Record<string, unknown>;

export interface CloudTls {
  cacert?: string;
  cert?: string;
  key?: string;
  insecure: boolean;
}

export type AuthType = 'password' | 'v3applicationcredential' | 'v3token';

/** Everything the auth plugins read; secrets included (never printed). */
export interface CloudAuth {
  authUrl?: string;
  username?: string;
  userId?: string;
  password?: string;
  userDomainName?: string;
  userDomainId?: string;
  projectName?: string;
  projectId?: string;
  projectDomainName?: string;
  projectDomainId?: string;
  domainName?: string;
  domainId?: string;
  systemScope?: string;
  trustId?: string;
  applicationCredentialId?: string;
  applicationCredentialName?: string;
  applicationCredentialSecret?: string;
  token?: string;
}

export interface ResolvedCloud {
  /** cloud name: a clouds.yaml entry, "envvars" (or OS_CLOUD_NAME), or "defaults" */
  name: string;
  /** false for the "defaults" cloud: no file and no OS_* variables */
  configured: boolean;
  /** every cloud there was to choose from */
  available: string[];
  regionName: string;
  authType: AuthType;
  /** the auth_type as configured, for messages */
  authTypeName: string;
  /** a generic plugin (password, token): the identity endpoint's version document is read first */
  discover?: boolean;
  /** a vendor profile named by the cloud (not read) */
  profile?: string;
  auth: CloudAuth;
  interface: string[];
  tls: CloudTls;
  /** the merged entry, keys normalised: per-service keys (compute_interface …), metadata_url */
  config: Dict;
  configFile?: string;
  secureFile?: string;
  warnings: string[];
}

// openstack/config/defaults.json (the keys osmeta reads), with osc's auth_type default left unset
const DEFAULTS: Dict = { interface: 'public' };

const SELECTORS = new Set([
  'OS_CLOUD',
  'OS_REGION_NAME',
  'OS_CLIENT_CONFIG_FILE',
  'OS_CLIENT_SECURE_FILE',
  'OS_CLOUD_NAME',
]);

/** Secrets osc takes from OS_* (as argparse defaults) but osmeta never takes from a flag. */
const SECRET_ENV: ReadonlyArray<{ key: string; env: string[] }> = [
  { key: 'password', env: ['OS_PASSWORD'] },
  { key: 'application_credential_secret', env: ['OS_APPLICATION_CREDENTIAL_SECRET'] },
  { key: 'token', env: ['OS_TOKEN', 'OS_AUTH_TOKEN'] },
];

/** argparse options of openstack(1) that osmeta has no flag for: their OS_* default only */
const ENV_ONLY: ReadonlyArray<{ key: string; env: string[] }> = [
  { key: 'default_domain_id', env: ['OS_DEFAULT_DOMAIN_ID'] },
  { key: 'default_domain_name', env: ['OS_DEFAULT_DOMAIN_NAME'] },
  { key: 'trust_id', env: ['OS_TRUST_ID'] },
];

/** keystoneauth's deprecated env names for the same options */
const DEPRECATED_ENV: Record<string, string[]> = {
  project_name: ['OS_TENANT_NAME'],
  project_id: ['OS_TENANT_ID'],
};

const AUTH_KEYS = [
  'auth_url',
  'username',
  'user_id',
  'password',
  'user_domain_name',
  'user_domain_id',
  'project_name',
  'project_id',
  'project_domain_name',
  'project_domain_id',
  'domain_name',
  'domain_id',
  'system_scope',
  'trust_id',
  'application_credential_id',
  'application_credential_name',
  'application_credential_secret',
  'token',
] as const;

export class ConfigError extends OsmetaError {
  constructor(message: string, hint?: string) {
    super('CLOUD_CONFIG_ERROR', 1, message, hint === undefined ? {} : { hint });
  }
}

// ---------------------------------------------------------------------------------------------
// Files

export interface CloudFiles {
  configFile?: string;
  secureFile?: string;
  /** clouds after the secure.yaml merge, keys as written */
  clouds: Record<string, Dict>;
  /** cloud names YAML read as numbers (openstack never finds them) */
  numericClouds?: string[];
  warnings: string[];
}

/** The directories openstacksdk searches, in order (loader.py CONFIG_SEARCH_PATH, Linux). */
export function searchDirs(ctx: Pick<Context, 'cwd' | 'homedir' | 'env'>): string[] {
  const env = ctx.env;
  const home = ctx.homedir;
  const xdgHome = (env.XDG_CONFIG_HOME ?? '').trim();
  const userConfig = `${xdgHome !== '' ? xdgHome : `${home}/.config`}/openstack`;
  const snapHome = env.SNAP_REAL_HOME;
  const unixConfig = snapHome ? `${snapHome}/.config/openstack` : `${home}/.config/openstack`;
  // platformdirs(multipath=True).site_config_dir joins every XDG_CONFIG_DIRS entry with ':' into one path
  const xdgDirs = (env.XDG_CONFIG_DIRS ?? '').trim();
  const siteConfig =
    xdgDirs !== ''
      ? xdgDirs
          .split(':')
          .map((d) => `${d.replace(/\/+$/, '')}/openstack`)
          .join(':')
      : '/etc/xdg/openstack';
  return [ctx.cwd, userConfig, unixConfig, siteConfig, '/etc/openstack'];
}

export function candidateFiles(
  ctx: Pick<Context, 'cwd' | 'homedir' | 'env'>,
  base: 'clouds' | 'secure',
): string[] {
  const files = searchDirs(ctx).flatMap((d) => ['.yaml', '.yml', '.json'].map((s) => `${d}/${base}${s}`));
  const override = ctx.env[base === 'clouds' ? 'OS_CLIENT_CONFIG_FILE' : 'OS_CLIENT_SECURE_FILE'];
  if (override) files.unshift(override);
  return files;
}

/** Larger than any real clouds.yaml; a 200 MB file would otherwise exhaust V8's heap in the parser. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

interface Loaded {
  path: string;
  data: unknown;
  /** top-level cloud names that YAML read as numbers */
  numericClouds: string[];
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}

/** loader.py _load_yaml_json_file: the first file that exists; unreadable ones are skipped; a file
 *  that is too large, not UTF-8 or not YAML/JSON is an error (openstack fails on it too). */
async function loadFirst(ctx: Context, files: string[], warnings: string[]): Promise<Loaded | undefined> {
  for (const path of files) {
    let raw: Buffer | string;
    try {
      const st = await ctx.fs.stat(path);
      if (typeof st.size === 'number' && st.size > MAX_CONFIG_BYTES) {
        throw new ConfigError(
          `configuration file ${path} is ${st.size} bytes, more than osmeta reads (${MAX_CONFIG_BYTES} bytes)`,
          'a clouds.yaml is a few kilobytes: check that the path names the right file',
        );
      }
      raw = await ctx.fs.readFile(path);
    } catch (err) {
      if (err instanceof OsmetaError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      // loader.py skips an unreadable file and tries the next
      warnings.push(`skipping config file ${path}: ${fsReason(err)}`);
      continue;
    }
    const bytes = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
    if (bytes.length > MAX_CONFIG_BYTES) {
      throw new ConfigError(
        `configuration file ${path} is more than osmeta reads (${MAX_CONFIG_BYTES} bytes)`,
        'a clouds.yaml is a few kilobytes: check that the path names the right file',
      );
    }
    let text: string;
    try {
      // PyYAML refuses bytes that are not UTF-8; replacing them would send other names to Keystone
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      const at = firstInvalidUtf8(bytes);
      throw new ConfigError(
        `configuration file ${path} is not UTF-8 (invalid byte at offset ${at})`,
        'save the file as UTF-8',
      );
    }
    try {
      if (path.endsWith('json')) return { path, data: JSON.parse(text), numericClouds: [] };
      return { path, ...(await parseYamlWithKeys(text)) };
    } catch (err) {
      throw new ConfigError(
        `configuration file ${path} is not valid ${path.endsWith('json') ? 'JSON' : 'YAML'}: ${firstLine(err)}`,
        'fix the file: openstack refuses it too',
      );
    }
  }
  return undefined;
}

function firstInvalidUtf8(b: Buffer): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let lo = 0;
  let hi = b.length;
  // the longest valid prefix, by bisection (a split multi-byte sequence counts as invalid)
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    try {
      decoder.decode(b.subarray(0, mid));
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  return lo;
}

type YamlModule = typeof import('yaml');
type YamlTag = { tag?: string; test?: RegExp };

// PyYAML's bool resolver (yes/no/true/false/on/off in three casings), not YAML 1.1's y/n
const PY_TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const PY_FALSE = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;

const YAML_OPTIONS = {
  version: '1.1' as const,
  uniqueKeys: false,
  customTags: (tags: unknown[]) => [
    ...tags.filter((t) => (t as YamlTag).tag !== 'tag:yaml.org,2002:bool'),
    {
      tag: 'tag:yaml.org,2002:bool',
      default: true,
      test: PY_TRUE,
      resolve: () => true,
      identify: (v: unknown) => v === true,
    },
    {
      tag: 'tag:yaml.org,2002:bool',
      default: true,
      test: PY_FALSE,
      resolve: () => false,
      identify: (v: unknown) => v === false,
    },
  ],
};

async function yamlModule(): Promise<YamlModule> {
  const mod: YamlModule & { default?: YamlModule } = await import('yaml');
  return typeof mod.parseDocument === 'function' ? mod : (mod.default as YamlModule);
}

/** yaml.safe_load: YAML 1.1 with PyYAML's booleans; duplicate keys allowed (the last wins). */
export async function parseYaml(text: string): Promise<unknown> {
  return (await parseYamlWithKeys(text)).data;
}

/** parseYaml, and the names under clouds: that YAML read as numbers (123: rather than '123':). */
async function parseYamlWithKeys(text: string): Promise<{ data: unknown; numericClouds: string[] }> {
  const mod = await yamlModule();
  const doc = mod.parseDocument(text, YAML_OPTIONS as never);
  if (doc.errors.length > 0) throw doc.errors[0];
  const data = doc.toJS({ maxAliasCount: 100 }) ?? null;
  const numericClouds: string[] = [];
  const clouds = mod.isMap(doc.contents) ? doc.contents.get('clouds', true) : undefined;
  if (mod.isMap(clouds)) {
    for (const item of clouds.items) {
      if (mod.isScalar(item.key) && typeof item.key.value === 'number')
        numericClouds.push(String(item.key.value));
    }
  }
  return { data, numericClouds };
}

function isDict(v: unknown): v is Dict {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** _util.merge_clouds: a deep update */
export function mergeClouds(a: Dict, b: Dict): Dict {
  const out: Dict = { ...a };
  for (const [k, v] of Object.entries(b)) {
    out[k] = isDict(v) ? (isDict(out[k]) ? mergeClouds(out[k] as Dict, v) : { ...v }) : v;
  }
  return out;
}

function validateFile(path: string, data: unknown, warnings: string[]): Dict | undefined {
  if (data === null || data === undefined) return undefined; // an empty file: no clouds
  if (!isDict(data)) throw new ConfigError(`configuration file ${path} is empty or not a valid mapping`);
  if (!('clouds' in data)) warnings.push(`configuration file ${path} does not contain a 'clouds' key`);
  return data;
}

export async function loadCloudFiles(ctx: Context): Promise<CloudFiles> {
  const warnings: string[] = [];
  const [main, secure] = await Promise.all([
    loadFirst(ctx, candidateFiles(ctx, 'clouds'), warnings),
    loadFirst(ctx, candidateFiles(ctx, 'secure'), warnings),
  ]);
  let merged: Dict | undefined = main ? validateFile(main.path, main.data, warnings) : undefined;
  const secureData = secure ? validateFile(secure.path, secure.data, warnings) : undefined;
  if (secureData) merged = mergeClouds(merged ?? {}, secureData);
  const cloudsValue = merged?.clouds;
  const clouds: Record<string, Dict> = {};
  const numericClouds = [...(main?.numericClouds ?? []), ...(secure?.numericClouds ?? [])];
  if (isDict(cloudsValue)) {
    for (const [name, entry] of Object.entries(cloudsValue)) {
      // yaml.safe_load keeps 123: an int, which no cloud name (a string) ever matches
      if (numericClouds.includes(name)) continue;
      clouds[name] = isDict(entry) ? entry : {};
    }
  }
  return {
    ...(main ? { configFile: main.path } : {}),
    ...(secure ? { secureFile: secure.path } : {}),
    clouds,
    ...(numericClouds.length > 0 ? { numericClouds } : {}),
    warnings,
  };
}

// ---------------------------------------------------------------------------------------------
// Resolution

const nonEmpty = (v: string | undefined): v is string => v !== undefined && v !== '';

/** loader.py _get_os_environ: the "envvars" cloud, or undefined when only selectors are set */
export function envvarsCloud(env: Record<string, string | undefined>): Dict | undefined {
  const keys = Object.keys(env).filter(
    (k) =>
      k.startsWith('OS_') &&
      !k.startsWith('OS_TEST') &&
      !k.startsWith('OS_STD') &&
      !k.startsWith('OS_LOG') &&
      env[k] !== undefined,
  );
  if (!keys.some((k) => !SELECTORS.has(k))) return undefined;
  const cloud: Dict = { ...DEFAULTS };
  for (const k of keys) cloud[k.slice(3).toLowerCase()] = env[k];
  return cloud;
}

/** What osc's argparse namespace holds: flags, else their OS_* defaults; empty values dropped. */
export function argOverrides(flags: OpenStackFlags, env: Record<string, string | undefined>): Dict {
  const out: Dict = {};
  const f = flags as Record<string, unknown>;
  for (const o of OS_FLAGS) {
    const fromFlag = f[flagProperty(o.flag)];
    if (typeof fromFlag === 'string' && fromFlag !== '') {
      out[o.key] = fromFlag;
      continue;
    }
    const names = [...(o.env ? [o.env] : []), ...(DEPRECATED_ENV[o.key] ?? [])];
    const fromEnv = names.map((n) => env[n]).find(nonEmpty);
    if (fromEnv !== undefined) out[o.key] = fromEnv;
  }
  for (const s of [...SECRET_ENV, ...ENV_ONLY]) {
    const v = s.env.map((n) => env[n]).find(nonEmpty);
    if (v !== undefined) out[s.key] = v;
  }
  if (flags.osInsecure === true) out.insecure = true;
  // osc: --os-default-domain defaults to OS_DEFAULT_DOMAIN, else "default"
  if (out.default_domain === undefined) out.default_domain = 'default';
  return out;
}

/** _util.normalize_keys: '-' → '_' in keys, numbers → strings */
export function normalizeKeys(d: Dict): Dict {
  const out: Dict = {};
  for (const [k, v] of Object.entries(d)) {
    const key = k.replace(/-/g, '_');
    if (isDict(v)) out[key] = normalizeKeys(v);
    else if (typeof v === 'number') out[key] = String(v);
    else out[key] = v;
  }
  return out;
}

/** loader.py _auth_update: update, except that auth is merged one level deep */
function authUpdate(target: Dict, source: Dict): Dict {
  for (const [k, v] of Object.entries(source)) {
    if (k === 'auth' && isDict(v)) target.auth = { ...(isDict(target.auth) ? target.auth : {}), ...v };
    else target[k] = isDict(v) ? { ...v } : v;
  }
  return target;
}

interface Region {
  name: string;
  values: Dict;
}

function expandRegions(regions: unknown[]): Region[] {
  return regions.map((r) => {
    if (isDict(r)) {
      const keys = Object.keys(r);
      if (typeof r.name !== 'string' || keys.some((k) => k !== 'name' && k !== 'values')) {
        throw new ConfigError(`invalid region entry: ${JSON.stringify(r)}`);
      }
      return { name: r.name, values: isDict(r.values) ? normalizeKeys(r.values) : {} };
    }
    return { name: String(r), values: {} };
  });
}

function knownRegions(cloud: Dict): Region[] {
  if (Array.isArray(cloud.regions)) return expandRegions(cloud.regions);
  const rn = cloud.region_name;
  if (Array.isArray(rn)) return expandRegions(rn);
  if (typeof rn === 'string') return expandRegions(rn.split(','));
  return [];
}

function pickRegion(cloudName: string, cloud: Dict, wanted: string): Region {
  const regions = knownRegions(cloud);
  if (regions.length === 0) return { name: wanted, values: {} };
  if (wanted === '') return regions[0]!;
  const found = regions.find((r) => r.name === wanted);
  if (found) return found;
  throw new ConfigError(
    `region '${wanted}' is not a region of cloud '${cloudName}' (regions: ${regions.map((r) => r.name).join(', ')})`,
    'region names are case-sensitive; check --os-region-name / OS_REGION_NAME',
  );
}

/** loader.py _fix_backwards_project: project, domain and token keys into auth:. For each name in
 *  order the top level (where the argparse values are) is read first, then auth:, so auth: wins. */
function fixBackwardsProject(cloud: Dict): void {
  const auth = cloud.auth as Dict;
  const mappings: Record<string, string[]> = {
    domain_id: ['domain_id'],
    domain_name: ['domain_name'],
    user_domain_id: ['user_domain_id'],
    user_domain_name: ['user_domain_name'],
    project_domain_id: ['project_domain_id'],
    project_domain_name: ['project_domain_name'],
    token: ['auth_token', 'token'],
    project_id: ['tenant_id', 'project_id'],
    project_name: ['tenant_name', 'project_name'],
  };
  for (const [target, sources] of Object.entries(mappings)) {
    let value: unknown;
    for (const key of sources) {
      if (key in cloud) {
        value = cloud[key];
        delete cloud[key];
      }
      if (key in auth) {
        value = auth[key];
        delete auth[key];
      }
    }
    // python: str(value), and a falsy result is dropped
    if (value !== undefined && value !== null && value !== '' && value !== false) {
      auth[target] = typeof value === 'boolean' ? 'True' : typeof value === 'string' ? value : String(value);
    }
  }
}

function projectScoped(cloud: Dict): boolean {
  const auth = cloud.auth as Dict;
  return 'project_id' in cloud || 'project_name' in cloud || 'project_id' in auth || 'project_name' in auth;
}

/** loader.py _handle_domain_id: domain_* fills both user and project domain for project scope */
function handleDomainId(cloud: Dict): void {
  const auth = cloud.auth as Dict;
  const mappings: Record<string, [string, string]> = {
    domain_id: ['user_domain_id', 'project_domain_id'],
    domain_name: ['user_domain_name', 'project_domain_name'],
  };
  for (const [target, [a, b]] of Object.entries(mappings)) {
    if (!projectScoped(cloud)) {
      if (target in cloud && !(target in auth)) {
        auth[target] = cloud[target];
        delete cloud[target];
      }
      continue;
    }
    for (const key of [a, b]) if (target in auth && !(key in auth)) auth[key] = auth[target];
    delete cloud[target];
    delete auth[target];
  }
}

function getBoolean(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  return typeof v === 'string' && v.toLowerCase() === 'true';
}

/** python str.format(**config) for auth_url templates such as https://{region_name}.example.com */
function formatTemplate(s: string, config: Dict): string {
  return s.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (m, k: string) =>
    typeof config[k] === 'string' ? (config[k] as string) : m,
  );
}

function expandUser(p: string, home: string): string {
  return p === '~' || p.startsWith('~/') ? home + p.slice(1) : p;
}

const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;

/** keystoneauth's plugin names osmeta implements; `discover`: the generic plugins read the version document. */
export function normaliseAuthType(name: string): { type: AuthType; discover: boolean } {
  switch (name) {
    case 'password':
      return { type: 'password', discover: true };
    case 'v3password':
      return { type: 'password', discover: false };
    case 'v3applicationcredential':
      return { type: 'v3applicationcredential', discover: false };
    case 'token':
      return { type: 'v3token', discover: true };
    case 'v3token':
      return { type: 'v3token', discover: false };
    default:
      throw new ConfigError(
        `auth type '${name}' is not supported`,
        'use password, v3password, v3applicationcredential, token or v3token (--os-auth-type / OS_AUTH_TYPE / auth_type)',
      );
  }
}

/** keystoneauth's loader options per plugin (keystoneauth1/loading/_plugins/identity). */
const SCOPE_OPTIONS = [
  'auth_url',
  'system_scope',
  'domain_id',
  'domain_name',
  'project_id',
  'project_name',
  'project_domain_id',
  'project_domain_name',
  'trust_id',
];
const USER_OPTIONS = ['user_id', 'username', 'user_domain_id', 'user_domain_name'];
const PLUGIN_OPTIONS: Record<string, string[]> = {
  password: [...SCOPE_OPTIONS, 'default_domain_id', 'default_domain_name', ...USER_OPTIONS, 'password'],
  v3password: [...SCOPE_OPTIONS, ...USER_OPTIONS, 'password'],
  token: [...SCOPE_OPTIONS, 'default_domain_id', 'default_domain_name', 'token'],
  v3token: [...SCOPE_OPTIONS, 'token'],
  v3applicationcredential: [
    ...SCOPE_OPTIONS,
    ...USER_OPTIONS,
    'application_credential_secret',
    'application_credential_id',
    'application_credential_name',
  ],
};

const INTERFACES = new Set(['public', 'internal', 'admin']);

/** keystoneauth accepts the v2-era names publicURL, internalURL and adminURL. */
export function normaliseInterface(i: string): string {
  const name = i.trim().replace(/URL$/, '');
  if (!INTERFACES.has(name)) {
    throw new ConfigError(
      `interface '${i.trim()}' is not one of public, internal, admin (or publicURL, internalURL, adminURL)`,
      'check interface / OS_INTERFACE / --os-interface',
    );
  }
  return name;
}

export function normaliseInterfaces(v: unknown): string[] {
  const list = Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(',') : ['public'];
  return list.map(normaliseInterface);
}

export interface ResolveInput {
  files: CloudFiles;
  flags: OpenStackFlags;
  env: Record<string, string | undefined>;
  homedir: string;
}

function where(cloudName: string, files: CloudFiles): string {
  return `cloud '${cloudName}'${files.configFile ? ` (${files.configFile})` : ''}`;
}

/** A value that became a boolean or a list in YAML cannot be a name, an ID or a secret. */
function scalarAuthValue(key: string, v: unknown, cloudName: string, files: CloudFiles): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') {
    throw new ConfigError(
      `${key} of ${where(cloudName, files)} is the boolean ${v}: YAML reads yes/no/on/off/true/false as booleans`,
      `quote the value in clouds.yaml: ${key}: "…"`,
    );
  }
  throw new ConfigError(`${key} of ${where(cloudName, files)} is not a string`, `give ${key} a single value`);
}

/** auth_url must be an http(s) URL: a configuration error naming the cloud and the key otherwise. */
export function checkAuthUrl(url: string, cloudName: string, files: CloudFiles): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.hostname === '') {
    throw new ConfigError(
      `auth_url of ${where(cloudName, files)} is not an http(s) URL: ${JSON.stringify(url.slice(0, 200))}`,
      'give the identity endpoint with its scheme and a numeric port, e.g. https://keystone.example:5000/v3 (auth_url, OS_AUTH_URL or --os-auth-url)',
    );
  }
  return url;
}

/**
 * loader.py OpenStackConfig.get_one as openstack(1) calls it: the cloud, its region, then the
 * argparse values (flags, else their OS_* defaults) written over it; magic_fixes; osc's
 * auth_config_hook (default plugin, default domain); osc's _validate_auth (for each option of the
 * plugin: the top-level value — where the argparse values are — else auth:). Because
 * _fix_backwards_project moves project and domain keys into auth: first, with auth: winning, a
 * cloud's project and domains are not overridden by OS_* or flags; user, password and auth_url are.
 */
export function resolveCloud(input: ResolveInput): ResolvedCloud {
  const { files, flags, env } = input;
  const warnings = [...files.warnings];
  const clouds: Record<string, Dict> = {};
  for (const [name, entry] of Object.entries(files.clouds)) clouds[name] = normalizeKeys(entry);

  const envvarsKey = nonEmpty(env.OS_CLOUD_NAME) ? env.OS_CLOUD_NAME : 'envvars';
  if (envvarsKey in clouds) {
    throw new ConfigError(
      `${files.configFile ?? 'clouds.yaml'} defines a cloud named '${envvarsKey}', the name of the cloud made from OS_* variables`,
      'rename that cloud, or set OS_CLOUD_NAME to another name',
    );
  }
  let defaultCloud = nonEmpty(env.OS_CLOUD) ? env.OS_CLOUD : undefined;
  const fromEnv = envvarsCloud(env);
  if (fromEnv) {
    clouds[envvarsKey] = normalizeKeys(fromEnv);
    defaultCloud ??= envvarsKey;
  }
  const names = Object.keys(clouds);
  if (defaultCloud === undefined && names.length === 1) defaultCloud = names[0];
  let configured = true;
  if (names.length === 0) {
    clouds.defaults = { ...DEFAULTS };
    defaultCloud = 'defaults';
    configured = false;
  }

  const args = argOverrides(flags, env);
  // osc: --os-cloud defaults to OS_CLOUD (so an unknown OS_CLOUD fails even with no clouds at all)
  const cloudName = nonEmpty(flags.osCloud)
    ? flags.osCloud
    : nonEmpty(env.OS_CLOUD)
      ? env.OS_CLOUD
      : defaultCloud;
  if (cloudName !== undefined && !(cloudName in clouds)) {
    if (files.numericClouds?.includes(cloudName)) {
      throw new ConfigError(
        `cloud '${cloudName}' in ${files.configFile} is a number in YAML, and openstack finds clouds by string names only`,
        `quote the name in clouds.yaml: '${cloudName}':`,
      );
    }
    const known = Object.keys(clouds).filter((n) => n !== 'defaults');
    throw new ConfigError(
      `cloud '${cloudName}' was not found${files.configFile ? ` in ${files.configFile}` : ' (no clouds.yaml found)'}`,
      known.length > 0
        ? `known clouds: ${known.join(', ')}`
        : files.warnings.length > 0
          ? files.warnings.join('; ')
          : 'create clouds.yaml (./, ~/.config/openstack/ or /etc/openstack/) or set OS_CLIENT_CONFIG_FILE',
    );
  }
  const name = cloudName ?? '';
  const ours = cloudName === undefined ? {} : (clouds[cloudName] ?? {});
  const config: Dict = authUpdate({ ...DEFAULTS, auth: {} }, ours);
  const profileValue = ours.profile ?? ours.cloud;
  const profile = typeof profileValue === 'string' ? profileValue : undefined;
  if (profile !== undefined) {
    warnings.push(`vendor profiles are not read: ignoring profile '${profile}' of cloud '${name}'`);
  }
  delete config.profile;
  delete config.cloud;

  const region = pickRegion(name, ours, str(args.region_name) ?? '');
  delete config.regions;
  const regionArgs = { ...args, region_name: region.name };
  for (const layer of [region.values, regionArgs]) {
    for (const [k, v] of Object.entries(layer)) {
      if (v === undefined || v === null) continue;
      if (k === 'auth' && isDict(v)) config.auth = { ...(config.auth as Dict), ...v };
      else config[k] = v;
    }
  }

  // magic_fixes
  if (!isDict(config.auth)) config.auth = {};
  const authDict = config.auth as Dict;
  if ('auth_token' in config && !('token' in config)) config.token = config.auth_token;
  delete config.auth_token;
  if ('endpoint_type' in config) {
    config.interface = config.endpoint_type;
    delete config.endpoint_type;
  }
  // _fix_backwards_auth_plugin: auth_type is the ultimate winner
  if ('auth_plugin' in config) {
    config.auth_type ??= config.auth_plugin;
    delete config.auth_plugin;
  }
  fixBackwardsProject(config);
  for (const k of Object.keys(config)) {
    if (k.endsWith('endpoint_type')) {
      config[k.replace('endpoint_type', 'interface')] = config[k];
      delete config[k];
    }
  }
  handleDomainId(config);
  if ('insecure' in config) config.insecure = getBoolean(config.insecure);

  // osc's auth_config_hook: _auth_select_default_plugin looks at the top level only
  let identityVersion = str(config.identity_api_version) ?? '';
  let authTypeName = str(config.auth_type);
  if (authTypeName === undefined) {
    const v = identityVersion;
    const anywhere = (k: string) => str(config[k]) ?? str(authDict[k]);
    if (str(config.username))
      authTypeName = v === '3' ? 'v3password' : v.startsWith('2') ? 'v2password' : 'password';
    else if (anywhere('token'))
      authTypeName = v === '3' ? 'v3token' : v.startsWith('2') ? 'v2token' : 'token';
    // osmeta's addition: a password plugin cannot use an application credential
    else if (
      !anywhere('username') &&
      !anywhere('user_id') &&
      (anywhere('application_credential_id') || anywhere('application_credential_secret'))
    )
      authTypeName = 'v3applicationcredential';
    else authTypeName = 'password';
  }
  const rawAuthUrl = str(config.auth_url) ?? str(authDict.auth_url);
  if (identityVersion.startsWith('2')) {
    // openstacksdk authenticates with v3 when the URL is a v3 endpoint whatever identity_api_version says
    if (rawAuthUrl !== undefined && /\/v3\/?$/.test(rawAuthUrl)) {
      warnings.push(
        `identity_api_version ${identityVersion} of cloud '${name}' ignored: auth_url is a v3 endpoint, and osmeta speaks Keystone v3`,
      );
      authTypeName = authTypeName.replace(/^v2/, 'v3');
      identityVersion = '';
    } else {
      throw new ConfigError(
        `identity_api_version ${identityVersion} is not supported: osmeta speaks Keystone v3`,
        'set identity_api_version: 3 (or unset OS_IDENTITY_API_VERSION), or give a /v3 auth_url',
      );
    }
  }
  const { type: authType, discover } = normaliseAuthType(authTypeName);
  // osc's _auth_default_domain: only for identity_api_version 3 and the password plugins
  const defaultDomain = str(config.default_domain);
  if (
    identityVersion === '3' &&
    defaultDomain !== undefined &&
    (authTypeName === 'password' || authTypeName === 'v3password')
  ) {
    if (!str(authDict.project_domain_id) && !str(authDict.project_domain_name))
      authDict.project_domain_id = defaultDomain;
    if (!str(authDict.user_domain_id) && !str(authDict.user_domain_name))
      authDict.user_domain_id = defaultDomain;
  }

  // osc's _validate_auth: for each option of the plugin, the top level (argparse) wins, then auth:
  const options = PLUGIN_OPTIONS[authTypeName] ?? [];
  const resolved: Record<string, string | undefined> = {};
  for (const opt of options) {
    const v = config[opt] ?? authDict[opt];
    resolved[opt] = scalarAuthValue(
      opt,
      v === undefined || v === null || v === '' ? authDict[opt] : v,
      name,
      files,
    );
    delete config[opt];
    delete authDict[opt];
  }
  for (const k of Object.keys(authDict)) {
    if (authDict[k] === undefined || authDict[k] === null) continue;
    // keystoneauth refuses an option its plugin does not have; osmeta names it and goes on
    warnings.push(`ignoring auth key '${k}' of cloud '${name}': not an option of auth type ${authTypeName}`);
  }
  // the generic plugins: default_domain_* stands in for a missing user or project domain
  if (discover) {
    resolved.user_domain_id ??= resolved.default_domain_id;
    resolved.user_domain_name ??= resolved.default_domain_name;
    resolved.project_domain_id ??= resolved.default_domain_id;
    resolved.project_domain_name ??= resolved.default_domain_name;
  }
  if (authType === 'v3applicationcredential') {
    const scoped = [
      'project_id',
      'project_name',
      'domain_id',
      'domain_name',
      'system_scope',
      'trust_id',
    ].filter((k) => resolved[k] !== undefined);
    if (scoped.length > 0) {
      throw new ConfigError(
        `${where(name, files)} asks for a scope (${scoped.join(', ')}) with an application credential, which carries its own`,
        'remove the project and domain settings (and OS_PROJECT_* variables) for this cloud',
      );
    }
  }
  // keystoneauth identity/v3/base.py get_auth_ref: project, domain and trust exclude each other
  const targets = [
    resolved.project_id !== undefined || resolved.project_name !== undefined ? 'project' : undefined,
    resolved.domain_id !== undefined || resolved.domain_name !== undefined ? 'domain' : undefined,
    resolved.trust_id !== undefined ? 'trust' : undefined,
  ].filter((t): t is string => t !== undefined);
  if (targets.length > 1) {
    throw new ConfigError(
      `${where(name, files)} asks for more than one scope (${targets.join(', ')}): pick one`,
      'keep one of project_*, domain_* (without a project) and trust_id, in clouds.yaml and OS_* alike',
    );
  }
  const authUrl =
    resolved.auth_url === undefined
      ? undefined
      : checkAuthUrl(formatTemplate(resolved.auth_url, config), name, files);

  const auth: CloudAuth = {};
  const set = <K extends keyof CloudAuth>(k: K, v: string | undefined) => {
    if (v !== undefined) auth[k] = v;
  };
  set('authUrl', authUrl);
  set('username', resolved.username);
  set('userId', resolved.user_id);
  set('password', resolved.password);
  set('userDomainName', resolved.user_domain_name);
  set('userDomainId', resolved.user_domain_id);
  set('projectName', resolved.project_name);
  set('projectId', resolved.project_id);
  set('projectDomainName', resolved.project_domain_name);
  set('projectDomainId', resolved.project_domain_id);
  set('domainName', resolved.domain_name);
  set('domainId', resolved.domain_id);
  set('systemScope', resolved.system_scope);
  set('trustId', resolved.trust_id);
  set('applicationCredentialId', resolved.application_credential_id);
  set('applicationCredentialName', resolved.application_credential_name);
  set('applicationCredentialSecret', resolved.application_credential_secret);
  set('token', resolved.token);

  // cloud_region.py: insecure forces verify off; verify: false means the same
  const insecure = config.insecure === true || config.verify === false;
  const tls: CloudTls = { insecure };
  const cacert = str(config.cacert);
  const cert = str(config.cert);
  const key = str(config.key);
  if (cacert !== undefined) {
    tls.cacert = expandUser(cacert, input.homedir);
    if (insecure)
      warnings.push('both insecure/verify: false and cacert are set: certificates are not verified');
  }
  if (cert !== undefined) tls.cert = expandUser(cert, input.homedir);
  if (key !== undefined) tls.key = expandUser(key, input.homedir);

  for (const k of AUTH_KEYS) delete config[k];
  delete config.auth;
  return {
    name,
    configured,
    available: Object.keys(clouds).filter((n) => n !== 'defaults'),
    regionName: region.name,
    authType,
    authTypeName,
    discover,
    auth,
    interface: normaliseInterfaces(config.interface),
    tls,
    config,
    ...(profile === undefined ? {} : { profile }),
    ...(files.configFile === undefined ? {} : { configFile: files.configFile }),
    ...(files.secureFile === undefined ? {} : { secureFile: files.secureFile }),
    warnings,
  };
}

/** A per-service setting (compute_interface, network_region_name …), else the cloud's. */
export function serviceSetting(cloud: ResolvedCloud, serviceType: string, key: string): unknown {
  const prefixed = cloud.config[`${serviceType}_${key}`];
  return prefixed ?? cloud.config[key];
}

/** Loads the files and resolves the cloud; failures are typed. */
export async function loadCloud(ctx: Context, flags: OpenStackFlags): Promise<ResolvedCloud> {
  let files: CloudFiles;
  try {
    files = await loadCloudFiles(ctx);
  } catch (err) {
    if (err instanceof OsmetaError) throw err;
    throw operationalError('CLOUD_CONFIG_ERROR', `cannot load clouds.yaml: ${String(err)}`);
  }
  for (const w of files.warnings) ctx.debug(`config: ${w}`);
  const cloud = resolveCloud({ files, flags, env: ctx.env, homedir: ctx.homedir });
  ctx.debug(
    `config: ${cloud.configFile ? `clouds file ${cloud.configFile}` : 'no clouds file'}` +
      `${cloud.secureFile ? `, secure file ${cloud.secureFile}` : ''}; cloud '${cloud.name}'` +
      `${cloud.regionName ? `, region ${cloud.regionName}` : ''}, auth ${cloud.authTypeName}`,
  );
  return cloud;
}
