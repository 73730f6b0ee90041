import type { Styles } from '../../io.js';
import type { GuestResult, Step } from './types.js';

// The human faces of a guest run: the chain drawn top to bottom on a terminal, a bare verdict
// when piped. Details carry tenant data (the instance's name): every one goes through `ext`.

type Ext = (text: string) => string;

export function mark(st: Step, s: Styles): string {
  if (st.status === 'ok') return s.green('✔');
  if (st.status === 'fail') return s.red('✖');
  if (st.status === 'warn') return s.yellow('!');
  return s.dim('–');
}

const NAME_WIDTH = 10;

function stepLines(st: Step, s: Styles, ext: Ext, last: boolean, width: number): string[] {
  const name = st.name.padEnd(NAME_WIDTH);
  const target = ext(st.target);
  const lat = st.status === 'skip' ? '' : `${Math.round(st.durationMs)} ms`;
  const plain = ` x ${name} ${target}`;
  const pad = Math.max(1, width - plain.length - lat.length);
  const lines = [` ${mark(st, s)} ${s.bold(name)} ${target}${lat ? `${' '.repeat(pad)}${s.dim(lat)}` : ''}`];
  const bar = last ? ' ' : s.dim('│');
  if (st.detail) {
    const d = ext(st.detail);
    lines.push(` ${bar} ${' '.repeat(NAME_WIDTH)} ${st.status === 'fail' ? d : s.dim(d)}`);
  }
  return lines;
}

export function renderGuest(r: GuestResult, s: Styles, ext: Ext, width = 100): string {
  const w = Math.min(Math.max(width, 60), 120);
  const out = [`${s.bold('guest')} ${s.dim(`→ ${r.target}`)}`, ` ${s.dim('│')}`];
  r.steps.forEach((st, i) => {
    out.push(...stepLines(st, s, ext, i === r.steps.length - 1, w));
  });
  out.push('');
  if (r.diagnosis) {
    out.push(`${s.red('✖')} ${s.bold(r.diagnosis.step)} failed ${s.dim(`(${r.diagnosis.code})`)}`);
    out.push(`${s.bold('cause:')} ${ext(r.diagnosis.cause)}`);
    if (r.diagnosis.fix) out.push(`${s.bold('fix:')}   ${ext(r.diagnosis.fix)}`);
  } else {
    out.push(`${s.green('✔')} the metadata path is healthy from this guest`);
  }
  return out.join('\n');
}

/** Piped: one line, `ok` or `fail <step> <CODE>`. */
export function verdict(r: GuestResult): string {
  return r.diagnosis ? `fail ${r.diagnosis.step} ${r.diagnosis.code}` : 'ok';
}
