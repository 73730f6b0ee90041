import { describe, expect, it } from 'vitest';
import { parseCmdline, parseProcStatus, runsProgram } from '../../../src/host/proc.js';
import { fixture } from '../../helpers/host-fixtures.js';

const LAB_NET = '42c285f8-e8c2-4e66-bcfa-798fb177d538';

describe('cmdlines and /proc/<pid>/status', () => {
  it("reads haproxy's NUL-separated argv", () => {
    expect(parseCmdline(fixture('node/haproxy-proc-cmdline.bin')).argv).toEqual([
      'haproxy',
      '-f',
      `/var/lib/osmeta-lab/neutron/ns-metadata-proxy/${LAB_NET}.conf`,
    ]);
  });

  it("unwraps the agent's setproctitle string into argv", () => {
    const p = parseCmdline(fixture('node/agent-proc-cmdline.bin'));
    expect(p.argv).toEqual([
      '/usr/bin/python3',
      '/usr/bin/neutron-metadata-agent',
      '--config-file',
      '/var/lib/osmeta-lab/etc/neutron/neutron.conf',
      '--config-file',
      '/var/lib/osmeta-lab/etc/neutron/metadata_agent.ini',
    ]);
    expect(runsProgram({ pid: 1, ...p }, 'neutron-metadata-agent')).toBe(true);
    expect(runsProgram({ pid: 1, ...p }, 'neutron-ovn-metadata-agent')).toBe(false);
  });

  it("reads haproxy's uid and gid", () => {
    expect(parseProcStatus(fixture('node/haproxy-proc-status.txt'))).toMatchObject({
      name: 'haproxy',
      ppid: 1,
      uids: [107, 107, 107, 107],
      gids: [115, 115, 115, 115],
      groups: [],
    });
  });
});
