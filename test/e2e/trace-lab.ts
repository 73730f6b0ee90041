import type { TraceJson } from '../helpers/trace-contract.js';
import { type CliResult, lab, osmeta } from './lab.js';

// osmeta trace against the lab, as trace.test.ts (ML2/OVS) and trace-ovn.test.ts (ML2/OVN) run it.

/** --state-path: the lab's neutron state directory, where the agents keep their pid files. */
export const statePath = (): string[] => ['--state-path', lab('LAB_NEUTRON_STATE_PATH')];

/** `osmeta trace ARGS --state-path … --json`, its document parsed (or an error with what it printed). */
export async function trace(
  args: string[],
  timeoutMs = 90_000,
): Promise<CliResult & { doc: TraceJson; hop: (name: string) => TraceJson['hops'][number] }> {
  const r = await osmeta(['trace', ...args, ...statePath(), '--json'], { timeoutMs });
  let doc: TraceJson;
  try {
    doc = JSON.parse(r.stdout) as TraceJson;
  } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
  const hop = (name: string) => {
    const h = doc.hops.find((x) => x.name === name);
    if (!h) throw new Error(`no hop ${name} in ${r.stdout}`);
    return h;
  };
  return { ...r, doc, hop };
}
