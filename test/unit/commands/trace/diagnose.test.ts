import { describe, expect, it } from 'vitest';
import { diagnose } from '../../../../src/commands/trace/diagnose.js';
import { fail, hop, skip } from '../../../../src/commands/trace/hop.js';
import type { Hop, HopName } from '../../../../src/commands/trace/types.js';
import { CAUSE_CODES } from '../../../../src/metrics/cause-codes.js';

const ok = (name: HopName) => hop(name, 't', 0, 1);

describe('diagnose', () => {
  it('is null when no hop failed', () => {
    expect(diagnose([ok('namespace'), skip(ok('probe-haproxy'), 'not probed')])).toBeNull();
  });

  it("gives the check's own code when it names one, whatever the wording", () => {
    const hops: Hop[] = [
      ok('namespace'),
      fail(ok('haproxy'), 'd', 'worded some new way', 'fix it', 'haproxy_dead'),
    ];
    expect(diagnose(hops)).toEqual({
      hop: 'haproxy',
      code: 'haproxy_dead',
      cause: 'worded some new way',
      fix: 'fix it',
    });
  });

  it('maps the cause to its code when the check names none', () => {
    const h = fail(
      ok('agent'),
      'not running',
      'neutron-metadata-agent is not running on this node (no process)',
      'systemctl start neutron-metadata-agent',
    );
    expect(diagnose([h])?.code).toBe('agent_down');
  });

  it("follows the explaining hop and gives that hop's code", () => {
    const socket = fail(ok('socket'), 'stale', 'nothing listens on /x: the socket file is stale', 'f');
    socket.consequenceOf = 'agent';
    const agent = fail(ok('agent'), 'down', 'a cause', 'f', 'agent_down');
    expect(diagnose([socket, agent])).toMatchObject({ hop: 'agent', code: 'agent_down' });
  });

  it("is 'unknown' for a cause no rule knows, never the prose", () => {
    expect(diagnose([fail(ok('nova'), 'd', 'something nobody foresaw', 'f')])?.code).toBe('unknown');
  });

  it('ignores a code that is not a snake_case word', () => {
    expect(diagnose([fail(ok('nova'), 'd', 'something nobody foresaw', 'f', 'Not A Code')])?.code).toBe(
      'unknown',
    );
  });

  it('only ever gives documented codes', () => {
    expect(CAUSE_CODES).toContain(diagnose([fail(ok('nova'), 'd', 'x', 'f')])?.code);
  });
});
