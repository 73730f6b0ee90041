import type { FileSystem } from '../context.js';
import type { IniValue } from './oslo-config.js';
import {
  basename,
  holdersOfSocket,
  type ProcessInfo,
  readEnviron,
  readProcText,
  readStatus,
  runsProgram,
} from './proc.js';
import { parseProcNetTcp, TCP_LISTEN } from './proc-net.js';
import {
  type ConfigSet,
  configPathsFromArgv,
  loadConfigSet,
  optString,
  parseOsloBool,
} from './service-config.js';

// The services on the metadata path, found the way an operator would (ps, ss -lp), and what
// their config files say (neutron/conf/agent/metadata/config.py, nova/conf/neutron.py).

export const METADATA_AGENT = 'neutron-metadata-agent';
export const OVN_METADATA_AGENT = 'neutron-ovn-metadata-agent';
export const DHCP_AGENT = 'neutron-dhcp-agent';
export const L3_AGENT = 'neutron-l3-agent';
export const DEFAULT_STATE_PATH = '/var/lib/neutron';

export interface ServiceProcesses {
  program: string;
  /** the parent (oslo.service launcher); its workers carry the same command line */
  parent: ProcessInfo;
  workers: ProcessInfo[];
  /** more than one independent instance was found */
  others: ProcessInfo[];
}

export async function findService(
  fs: FileSystem,
  processes: readonly ProcessInfo[],
  program: string,
): Promise<ServiceProcesses | undefined> {
  const matches = processes.filter((p) => runsProgram(p, program));
  if (matches.length === 0) return undefined;
  const pids = new Set(matches.map((p) => p.pid));
  const statuses = await Promise.all(matches.map((p) => readStatus(fs, p.pid)));
  const parents: ProcessInfo[] = [];
  const workers: ProcessInfo[] = [];
  matches.forEach((p, i) => {
    const ppid = statuses[i]?.ppid;
    if (ppid !== undefined && pids.has(ppid)) workers.push(p);
    else parents.push(p);
  });
  const [parent, ...others] = parents;
  if (!parent) return undefined;
  return { program, parent, workers, others };
}

/** oslo.config's default files when a service got no --config-file (cfg.find_config_files). */
export function defaultConfigPaths(project: string, program: string): string[] {
  return [`/etc/${project}/${project}.conf`, `/etc/${project}/${program}.conf`];
}

export async function serviceConfig(
  fs: FileSystem,
  svc: ServiceProcesses | undefined,
  fallback: readonly string[],
): Promise<ConfigSet & { source: 'process' | 'default' }> {
  let paths = svc ? await configPathsFromArgv(fs, svc.parent.argv) : [];
  let source: 'process' | 'default' = 'process';
  if (paths.length === 0) {
    source = 'default';
    const exists = await Promise.all(
      fallback.map((p) =>
        fs.stat(p).then(
          () => true,
          () => false,
        ),
      ),
    );
    paths = fallback.filter((_, i) => exists[i]);
  }
  return { ...(await loadConfigSet(fs, paths)), source };
}

/** What a neutron agent's config says about the metadata path. The secret stays in this object. */
export interface MetadataAgentSettings {
  statePath: string;
  socket: { value: string; from?: IniValue };
  novaHost: string;
  novaPort: number;
  novaProtocol: string;
  novaInsecure: boolean;
  /** undefined when no file sets it (oslo default: empty) */
  secret?: IniValue;
  proxyUser: string;
  proxyGroup: string;
  socketMode: string;
  workers?: number;
}

export function metadataAgentSettings(set: ConfigSet): MetadataAgentSettings {
  const statePath = optString(set, 'DEFAULT', 'state_path', DEFAULT_STATE_PATH).value;
  const d = { state_path: statePath };
  const port = Number(optString(set, 'DEFAULT', 'nova_metadata_port', '8775').value);
  const workers = optString(set, 'DEFAULT', 'metadata_workers', '').value;
  const s: MetadataAgentSettings = {
    statePath,
    socket: optString(set, 'DEFAULT', 'metadata_proxy_socket', '$state_path/metadata_proxy', d),
    novaHost: optString(set, 'DEFAULT', 'nova_metadata_host', '127.0.0.1').value,
    novaPort: Number.isInteger(port) ? port : 8775,
    novaProtocol: optString(set, 'DEFAULT', 'nova_metadata_protocol', 'http').value,
    novaInsecure: parseOsloBool(optString(set, 'DEFAULT', 'nova_metadata_insecure', 'false').value) === true,
    proxyUser: optString(set, 'DEFAULT', 'metadata_proxy_user', '').value,
    proxyGroup: optString(set, 'DEFAULT', 'metadata_proxy_group', '').value,
    socketMode: optString(set, 'DEFAULT', 'metadata_proxy_socket_mode', 'deduce').value,
  };
  const secret = optString(set, 'DEFAULT', 'metadata_proxy_shared_secret', '');
  // the value oslo.config hands the agent: $-substituted like every StrOpt
  if (secret.from) s.secret = { ...secret.from, value: secret.value };
  if (workers !== '' && Number.isInteger(Number(workers))) s.workers = Number(workers);
  return s;
}

// ---- nova ---------------------------------------------------------------------------------------

export interface NovaConfigLocation {
  paths: string[];
  /** how the files were found */
  source: 'option' | 'process-environment' | 'process-argv' | 'uwsgi-ini' | 'default';
  /** the process listening on nova's metadata port, when it runs on this node */
  pid?: number;
}

const NOVA_DEFAULT_DIR = '/etc/nova';

/** nova/api/openstack/wsgi_app.py _get_config_files: OS_NOVA_CONFIG_DIR + OS_NOVA_CONFIG_FILES (';'). */
export function novaFilesFromEnv(env: Record<string, string | undefined>): string[] | undefined {
  const dir = env.OS_NOVA_CONFIG_DIR;
  const files = env.OS_NOVA_CONFIG_FILES;
  if (dir === undefined && files === undefined) return undefined;
  const base = (dir ?? NOVA_DEFAULT_DIR).trim().replace(/\/+$/, '');
  const names = files === undefined || files.trim() === '' ? ['nova.conf'] : files.split(';');
  return names
    .map((n) => n.trim())
    .filter((n) => n !== '' && n !== 'api-paste.ini')
    .map((n) => (n.startsWith('/') ? n : `${base}/${n}`));
}

/** `env = NAME=value` lines of a uwsgi ini's [uwsgi] section (uwsgi sets them after start). */
export function uwsgiIniEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  let inUwsgi = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('[')) {
      inUwsgi = line === '[uwsgi]';
      continue;
    }
    const m = /^env\s*=\s*([^=\s]+)=(.*)$/.exec(line);
    if (inUwsgi && m) env[m[1]!] = m[2]!.trim();
  }
  return env;
}

/** The pids listening on TCP `port` in the host's namespace (ss -ltnp). */
export async function tcpListeners(
  fs: FileSystem,
  port: number,
  processes: readonly ProcessInfo[],
  hint: (p: ProcessInfo) => boolean,
): Promise<number[]> {
  const tables = await Promise.all(['/proc/net/tcp', '/proc/net/tcp6'].map((p) => readProcText(fs, p)));
  const inodes = tables
    .flatMap((t) => (t === undefined ? [] : parseProcNetTcp(t)))
    .filter((r) => r.state === TCP_LISTEN && r.localPort === port && r.inode !== 0)
    .map((r) => r.inode);
  if (inodes.length === 0) return [];
  const candidates = processes.filter(hint).map((p) => p.pid);
  const everyone = async () => processes.map((p) => p.pid);
  return holdersOfSocket(fs, inodes[0]!, candidates, everyone);
}

export async function locateNovaConfig(
  fs: FileSystem,
  processes: readonly ProcessInfo[],
  novaPort: number,
  override: readonly string[] | undefined,
): Promise<NovaConfigLocation> {
  if (override && override.length > 0) return { paths: [...override], source: 'option' };
  const isNovaish = (p: ProcessInfo) =>
    p.argv.some((a) => /uwsgi|nova/.test(basename(a))) || (p.title ?? '').includes('nova');
  const pids = await tcpListeners(fs, novaPort, processes, isNovaish);
  const byPid = new Map(processes.map((p) => [p.pid, p]));
  // uwsgi's master and workers all hold the socket: the lowest pid is the master
  const pid = pids.sort((a, b) => a - b)[0];
  const proc = pid === undefined ? undefined : byPid.get(pid);
  if (pid !== undefined && proc) {
    const fromEnv = novaFilesFromEnv(await readEnviron(fs, pid));
    if (fromEnv) return { paths: fromEnv, source: 'process-environment', pid };
    const fromArgv = await configPathsFromArgv(fs, proc.argv);
    if (fromArgv.length > 0) return { paths: fromArgv, source: 'process-argv', pid };
    const ini = uwsgiIniPath(proc.argv);
    if (ini !== undefined) {
      const text = await readProcText(fs, ini);
      const fromIni = text === undefined ? undefined : novaFilesFromEnv(uwsgiIniEnv(text));
      if (fromIni) return { paths: fromIni, source: 'uwsgi-ini', pid };
    }
    return { paths: [`${NOVA_DEFAULT_DIR}/nova.conf`], source: 'default', pid };
  }
  return { paths: [`${NOVA_DEFAULT_DIR}/nova.conf`], source: 'default' };
}

function uwsgiIniPath(argv: readonly string[]): string | undefined {
  if (!argv[0] || !/uwsgi/.test(basename(argv[0]))) return undefined;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--ini') return argv[i + 1];
    if (a.startsWith('--ini=')) return a.slice(6);
    if (a.endsWith('.ini') && !a.startsWith('-')) return a;
  }
  return undefined;
}

/** What nova.conf says about the metadata proxy (nova/conf/neutron.py). */
export interface NovaSettings {
  serviceMetadataProxy: { value: boolean | undefined; from?: IniValue };
  /** [neutron] metadata_proxy_shared_secret */
  secret?: IniValue;
  /** the secret misplaced in [DEFAULT], where nova never reads it */
  secretInDefault?: IniValue;
}

export function novaSettings(set: ConfigSet): NovaSettings {
  const smp = optString(set, 'neutron', 'service_metadata_proxy', 'false');
  const secret = optString(set, 'neutron', 'metadata_proxy_shared_secret', '');
  const misplaced = optString(set, 'DEFAULT', 'metadata_proxy_shared_secret', '');
  const s: NovaSettings = {
    serviceMetadataProxy: smp.from ? { value: parseOsloBool(smp.value), from: smp.from } : { value: false },
  };
  if (secret.from) s.secret = { ...secret.from, value: secret.value };
  if (misplaced.from) s.secretInDefault = misplaced.from;
  return s;
}

/** nova.conf as the metadata API on this node reads it; settings only when a file could be read. */
export async function loadNovaConfig(
  fs: FileSystem,
  processes: readonly ProcessInfo[],
  novaPort: number,
  override: readonly string[] | undefined,
): Promise<{ location: NovaConfigLocation; config: ConfigSet; settings?: NovaSettings }> {
  const location = await locateNovaConfig(fs, processes, novaPort, override);
  const config = await loadConfigSet(fs, location.paths);
  if (config.files.length === 0) return { location, config };
  return { location, config, settings: novaSettings(config) };
}
