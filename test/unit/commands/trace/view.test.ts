import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { columns } from '../../../../src/commands/trace/view.js';
import { borderlessTable } from '../../../../src/output.js';

// trace --all's summary is drawn without cli-table3 (a thousand rows cost it 0.5 s of CPU); it must
// look exactly as the borderless table draws it, in colour and without.

const ids = ['42c285f8-e8c2-4e66-bcfa-798fb177d538', '9c2aa917-1ee1-4f73-9c7b-9d990a0c300c', 'x'];

function rows(c: InstanceType<typeof Chalk>): string[][] {
  return [
    ['', 'kind', 'id', 'verdict', 'first failing hop'].map((x) => c.dim(x)),
    [c.green('✔'), 'qdhcp', ids[0]!, 'ok', ''],
    [c.red('✖'), 'qrouter', ids[1]!, c.red('broken'), 'haproxy'],
    [c.red('✖'), 'ovnmeta', ids[2]!, c.red('broken'), 'probe-haproxy'],
  ];
}

describe('the trace --all summary', () => {
  it.each([0, 1, 3] as const)('draws what the borderless table draws (colour level %d)', async (level) => {
    const r = rows(new Chalk({ level }));
    const table = await borderlessTable(r[0]!);
    for (const row of r.slice(1)) table.push(row);
    expect(columns(r)).toBe(table.toString());
  });

  it('pads every cell to its column, two spaces apart, colour not counted', () => {
    const out = columns(rows(new Chalk({ level: 1 }))).replace(/\x1b\[[0-9;]*m/g, '');
    expect(out.split('\n')).toEqual([
      `   kind     id${' '.repeat(34)}  verdict  first failing hop`,
      `✔  qdhcp    ${ids[0]}  ok${' '.repeat(7)}${' '.repeat(17)}`,
      `✖  qrouter  ${ids[1]}  broken   haproxy${' '.repeat(10)}`,
      `✖  ovnmeta  x${' '.repeat(35)}  broken   probe-haproxy${' '.repeat(4)}`,
    ]);
  });
});
