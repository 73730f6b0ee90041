import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import process from 'node:process';
import { OsmetaError } from '../../src/errors.js';
import type { OpenStackFlags } from '../../src/openstack/options.js';
import { flagProperty, OS_FLAGS } from '../../src/openstack/options.js';
import { createSession } from '../../src/openstack/session.js';
import { createTestContext } from '../helpers/context.js';
import type { Case } from './cases.js';
import type { Exchange, FakeCloud, Run, Tls } from './fake-cloud.js';

/** Debian's python3 (not a virtualenv's on PATH), where python3-openstackclient is installed */
export const REFERENCE_PYTHON = process.env.OSMETA_REFERENCE_PYTHON ?? '/usr/bin/python3';

/** What a run looked like from the servers' side: the parts the two tools must agree on. */
export interface Outcome {
  /** none: nothing reached Keystone's token API; rejected: Keystone said no; token: a token, no
   *  request to nova; nova: nova was called */
  stage: 'none' | 'rejected' | 'token' | 'nova';
  /** the last POST …/auth/tokens: path and body */
  tokenPath?: string;
  body?: unknown;
  /** the nova endpoint the request went to (path up to the resource), its scheme and proxy use */
  nova?: string;
  proxied?: boolean;
  clientCert?: boolean;
}

export interface ToolRun {
  outcome: Outcome;
  ok: boolean;
  detail: string;
}

export interface Paths {
  root: string;
  home: string;
  cwd: string;
}

export function paths(tmp: string, c: Case, tool: string): Paths {
  const root = `${tmp}/${c.id}/${tool}`;
  return { root, home: `${root}/home`, cwd: `${root}/cwd` };
}

function origin(cloud: FakeCloud, c: Case): string {
  return c.server === 'https' ? cloud.https : c.server === 'mtls' ? cloud.mtls : cloud.http;
}

/** {URL} {ORIGIN} {ROOT} {HOME} {CA} {CERT} {KEY} {PROXY} {PROXYHOST} in file contents, env values and arguments;
 *  the proxy's user name tells the runs apart in CONNECT tunnels */
export function expand(s: string, cloud: FakeCloud, tls: Tls, c: Case, tool: string, p: Paths): string {
  const o = origin(cloud, c);
  return s
    .replaceAll('{URL}', `${o}/${c.id}/${tool}`)
    .replaceAll('{ORIGIN}', o)
    .replaceAll('{ROOT}', p.root)
    .replaceAll('{HOME}', p.home)
    .replaceAll('{CA}', tls.ca)
    .replaceAll('{CERT}', tls.clientCert)
    .replaceAll('{KEY}', tls.clientKey)
    .replaceAll('{PROXY}', cloud.proxy.replace('http://', `http://${c.id}--${tool}:p@`))
    .replaceAll('{PROXYHOST}', cloud.proxy.replace('http://', ''));
}

/** Writes the case's files for one tool; returns its environment and arguments. */
export function prepare(cloud: FakeCloud, tls: Tls, tmp: string, c: Case, tool: string) {
  const p = paths(tmp, c, tool);
  mkdirSync(p.home, { recursive: true });
  mkdirSync(p.cwd, { recursive: true });
  for (const [rel, content] of Object.entries(c.files ?? {})) {
    const file = `${p.root}/${rel}`;
    mkdirSync(dirname(file), { recursive: true });
    if (typeof content === 'string') writeFileSync(file, expand(content, cloud, tls, c, tool, p));
    else
      writeFileSync(file, Buffer.from(expand(content.toString('latin1'), cloud, tls, c, tool, p), 'latin1'));
  }
  const env: Record<string, string> = {
    HOME: p.home,
    PATH: '/usr/bin:/bin',
    LANG: 'C.UTF-8',
    XDG_CONFIG_DIRS: `${p.root}/xdg`,
  };
  for (const [k, v] of Object.entries(c.env ?? {})) env[k] = expand(v, cloud, tls, c, tool, p);
  const args = (c.args ?? []).map((a) => expand(a, cloud, tls, c, tool, p));
  return { paths: p, env, args };
}

/** What the fake cloud saw of one run. */
export function outcomeOf(run: Run | undefined): Outcome {
  if (!run) return { stage: 'none' };
  const posts = run.keystone.filter((e) => e.method === 'POST');
  const last = posts.at(-1);
  const novaReq: Exchange | undefined = run.nova.find((e) => e.path.includes('/servers'));
  const all = [...run.keystone, ...run.nova, ...run.other];
  const o: Outcome = {
    stage: novaReq ? 'nova' : last ? (last.status === 201 ? 'token' : 'rejected') : 'none',
  };
  if (last) {
    o.tokenPath = last.path;
    o.body = last.body;
  }
  if (novaReq) o.nova = `${novaReq.scheme}:${novaReq.path.replace(/\/(servers|flavors|images)(\/.*)?$/, '')}`;
  if (all.some((e) => e.viaProxy) || run.tunnels.length > 0) o.proxied = true;
  if (all.some((e) => e.clientCert)) o.clientCert = true;
  return o;
}

/** osc-style arguments → osmeta's OpenStackFlags (--insecure is osmeta's --os-insecure). */
export function flagsOf(args: string[]): OpenStackFlags {
  const flags: Record<string, unknown> = { tokenCache: false };
  const known = new Set(['cloud', ...OS_FLAGS.map((f) => f.flag)]);
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '--insecure') {
      flags.osInsecure = true;
      continue;
    }
    const m = /^--os-([a-z-]+)$/.exec(a);
    if (!m?.[1] || !known.has(m[1])) throw new Error(`the differential harness does not map ${a}`);
    flags[m[1] === 'cloud' ? 'osCloud' : flagProperty(m[1])] = args[++i];
  }
  return flags as OpenStackFlags;
}

/** osmeta in-process: load the cloud, authenticate, and GET the servers through the compute endpoint. */
export async function runOsmeta(cloud: FakeCloud, tls: Tls, tmp: string, c: Case): Promise<ToolRun> {
  const { paths: p, env, args } = prepare(cloud, tls, tmp, c, 'osmeta');
  const { ctx, stderr } = createTestContext({ env, homedir: p.home, cwd: p.cwd });
  let detail = 'ok';
  let ok = true;
  try {
    const session = await createSession(ctx, { timeout: 60, flags: flagsOf(args) });
    try {
      await session.request('compute', { path: '/servers/detail' });
    } finally {
      await session.close();
    }
  } catch (err) {
    ok = false;
    detail = err instanceof OsmetaError ? `${err.code}: ${err.message}` : `UNEXPECTED: ${String(err)}`;
  }
  const warnings = stderr();
  return {
    outcome: outcomeOf(cloud.runs.get(`${c.id}/osmeta`)),
    ok,
    detail: warnings === '' ? detail : `${detail} | ${warnings}`,
  };
}

/** `openstack server list -n` for every case, through reference.py (forked children). */
export async function runReference(
  cloud: FakeCloud,
  tls: Tls,
  tmp: string,
  cases: Case[],
): Promise<Map<string, ToolRun>> {
  const jobs = cases.map((c) => {
    const { paths: p, env, args } = prepare(cloud, tls, tmp, c, 'osc');
    return {
      id: c.id,
      cwd: p.cwd,
      env,
      argv: c.reference === 'sdk' ? args : [...args, 'server', 'list', '-n', '-f', 'json'],
      sdk: c.reference === 'sdk',
      out: `${p.root}/run`,
    };
  });
  const script = new URL('./reference.py', import.meta.url).pathname;
  const rcs = new Map<string, number>();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(REFERENCE_PYTHON, [script], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', HOME: tmp, DIFF_CONCURRENCY: '4' },
    });
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      for (const line of buf.split('\n')) {
        if (line.trim() === '') continue;
        const r = JSON.parse(line) as { id: string; rc: number };
        rcs.set(r.id, r.rc);
      }
      if (code !== 0) reject(new Error(`reference.py exited ${code}`));
      else resolve();
    });
    child.stdin.end(JSON.stringify(jobs));
  });
  const out = new Map<string, ToolRun>();
  for (const c of cases) {
    const p = paths(tmp, c, 'osc');
    const rc = rcs.get(c.id);
    const err = existsSync(`${p.root}/run.stderr`) ? readFileSync(`${p.root}/run.stderr`, 'utf8') : '';
    const lastLines = err.trim().split('\n').slice(-2).join(' | ');
    out.set(c.id, {
      outcome: outcomeOf(cloud.runs.get(`${c.id}/osc`)),
      ok: rc === 0,
      detail: `${c.reference === 'sdk' ? 'openstacksdk ' : ''}rc=${rc}${lastLines ? `: ${lastLines}` : ''}`,
    });
  }
  return out;
}
