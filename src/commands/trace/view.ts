import { KIND_AGENT } from '../../host/netns.js';
import type { Styles } from '../../io.js';
import { type Hop, PASSIVE_HOPS, type TraceAllResult, type TraceResult } from './types.js';

// The human face of a trace: the chain drawn top to bottom, then cause: and fix:.

const PASSIVE = new Set(PASSIVE_HOPS);

export function mark(h: Hop, s: Styles): string {
  if (h.status === 'ok') return s.green('✔');
  if (h.status === 'fail') return s.red('✖');
  return s.dim('–');
}

export const ms = (n: number) => `${Math.round(n)} ms`;

/** How text from the node and its servers (error pages, names, headers) is shown: io.external. */
export type Escape = (text: string) => string;
const asIs: Escape = (t) => t;

function hopLines(h: Hop, s: Styles, last: boolean, width: number, ext: Escape): string[] {
  const name = h.name.padEnd(13);
  const target = ext(h.target);
  const head = ` ${mark(h, s)} ${s.bold(name)} ${target}`;
  const showMs = h.status !== 'skip' && (!PASSIVE.has(h.name) || h.name === 'nova' || h.durationMs >= 1);
  const lat = showMs ? ms(h.durationMs) : '';
  const plainHead = ` x ${name} ${target}`;
  const pad = Math.max(1, width - plainHead.length - lat.length);
  const lines = [lat ? `${head}${' '.repeat(pad)}${s.dim(lat)}` : head];
  const bar = last ? ' ' : s.dim('│');
  const detail = ext(h.detail);
  if (detail) lines.push(` ${bar} ${' '.repeat(13)} ${h.status === 'fail' ? detail : s.dim(detail)}`);
  return lines;
}

export function renderTrace(r: TraceResult, s: Styles, width = 100, ext: Escape = asIs): string {
  const w = Math.min(Math.max(width, 60), 120);
  const out: string[] = [];
  const what = r.kind === 'qrouter' ? 'router' : 'network';
  out.push(`${s.bold(r.netns)}  ${s.dim(`(${KIND_AGENT[r.kind]}, ${what} ${r.id})`)}`);
  const g = r.guest;
  out.push(
    g
      ? ` ${s.cyan('guest')} ${g.ip}${g.name ? ` (${ext(g.name)})` : g.instanceId ? ` (${g.instanceId})` : ''}${s.dim(`  from ${guestSource(g.source)}`)}`
      : ` ${s.cyan('guest')} ${s.dim('none known (give --ip to probe as a guest)')}`,
  );
  out.push(` ${s.dim('│')}`);
  // the ovn hop says nothing about a namespace of ML2/OVS
  const chain = r.hops.filter((h) => PASSIVE.has(h.name) && (h.name !== 'ovn' || r.kind === 'ovnmeta'));
  const probes = r.hops.filter((h) => !PASSIVE.has(h.name));
  chain.forEach((h, i) => {
    out.push(...hopLines(h, s, i === chain.length - 1, w, ext));
  });
  out.push('');
  out.push(` ${s.dim('live probes')}`);
  probes.forEach((h) => {
    out.push(...hopLines(h, s, true, w, ext));
  });
  out.push('');
  if (r.diagnosis) {
    out.push(`${s.red('✖')} ${s.bold(r.diagnosis.hop)} is broken`);
    out.push(`${s.bold('cause:')} ${ext(r.diagnosis.cause)}`);
    if (r.diagnosis.fix) out.push(`${s.bold('fix:')}   ${ext(r.diagnosis.fix)}`);
  } else {
    const skipped = r.hops
      .filter((h) => h.status === 'skip' && (h.name !== 'ovn' || r.kind === 'ovnmeta'))
      .map((h) => h.name);
    out.push(
      `${s.green('✔')} every hop is healthy${skipped.length ? s.dim(` (not checked: ${skipped.join(', ')})`) : ''}`,
    );
  }
  return out.join('\n');
}

function guestSource(src: string): string {
  return src === 'option'
    ? '--ip/--server'
    : src === 'dhcp-host-file'
      ? "the DHCP agent's host file"
      : src === 'ovn-sb'
        ? "OVN's southbound database"
        : 'Neutron';
}

export async function renderAll(
  r: TraceAllResult,
  s: Styles,
  width = 100,
  ext: Escape = asIs,
): Promise<string> {
  if (r.namespaces.length === 0) return 'no metadata namespaces (qdhcp-, qrouter-, ovnmeta-) on this node';
  const rows = [
    ['', 'kind', 'id', 'verdict', 'first failing hop'].map((x) => s.dim(x)),
    ...r.namespaces.map((n) => [
      n.ok ? s.green('✔') : s.red('✖'),
      n.kind,
      n.id,
      n.ok ? 'ok' : s.red('broken'),
      n.diagnosis?.hop ?? '',
    ]),
  ];
  const out = [columns(rows)];
  const failing = r.namespaces.filter((n) => !n.ok);
  const broken = failing.length;
  out.push('');
  out.push(
    broken === 0
      ? `${s.green('✔')} ${r.namespaces.length} namespace${r.namespaces.length === 1 ? '' : 's'}, every hop healthy`
      : `${s.red('✖')} ${broken} of ${r.namespaces.length} namespaces broken`,
  );
  // a shared hop's failure is the same story for every namespace: tell it once
  const told = new Set<string>();
  for (const n of failing) {
    const key = `${n.diagnosis?.hop}|${n.diagnosis?.cause}`;
    const shared = n.diagnosis && !['namespace', 'haproxy', 'probe-haproxy'].includes(n.diagnosis.hop);
    if (shared && told.has(key)) continue;
    told.add(key);
    const also = shared
      ? failing.filter((f) => `${f.diagnosis?.hop}|${f.diagnosis?.cause}` === key).length
      : 1;
    out.push('');
    if (also > 1) out.push(s.dim(`(the same for ${also} namespaces)`));
    out.push(renderTrace(n, s, width, ext));
  }
  return out.join('\n');
}

const SGR = /\x1b\[[0-9;]*m/g;

/**
 * The summary's columns, as the borderless table (output.ts) draws them: each cell padded to its
 * column's width, two spaces between. Drawn here because a table of a thousand namespaces cost
 * cli-table3 about 0.5 s of CPU. Every cell is ASCII, ✔/✖ or colour, so a cell's width is its length
 * without SGR sequences.
 */
export function columns(rows: readonly string[][]): string {
  const width = (c: string) => c.replace(SGR, '').length;
  const widths: number[] = [];
  for (const row of rows) {
    for (const [i, c] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, width(c));
  }
  return rows.map((row) => row.map((c, i) => c + ' '.repeat(widths[i]! - width(c))).join('  ')).join('\n');
}
