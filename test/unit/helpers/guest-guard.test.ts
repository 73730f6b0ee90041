import { describe, expect, it } from 'vitest';
import { assertInGuestNamespace, guestArgv, labGuestNamespaces } from '../../helpers/guest-guard.js';

const ENV = {
  LAB_VM1_NETNS: 'lab-vm1',
  LAB_VM4_NETNS: 'lab-vm4',
  LAB_STRAY_NETNS: 'lab-stray',
  LAB_QDHCP_NETNS: 'qdhcp-42c285f8-e8c2-4e66-bcfa-798fb177d538',
  LAB_VM1_METADATA_NETNS: 'qdhcp-42c285f8-e8c2-4e66-bcfa-798fb177d538',
};
const OSMETA = ['node', 'bin/osmeta.js'];

describe('the guard around osmeta guest', () => {
  it("knows the lab's guest namespaces and nothing else", () => {
    expect([...labGuestNamespaces(ENV)].sort()).toEqual(['lab-stray', 'lab-vm1', 'lab-vm4']);
  });

  it('builds ip netns exec <guest> … for a lab guest', () => {
    expect(guestArgv('lab-vm1', OSMETA, ['--json'], ENV)).toEqual([
      'ip',
      'netns',
      'exec',
      'lab-vm1',
      'node',
      'bin/osmeta.js',
      'guest',
      '--json',
    ]);
    expect(() =>
      assertInGuestNamespace(['/usr/sbin/ip', 'netns', 'exec', 'lab-stray', 'x'], ENV),
    ).not.toThrow();
  });

  it.each([
    ['the host namespace', ['node', 'bin/osmeta.js', 'guest']],
    [
      'a network node namespace',
      ['ip', 'netns', 'exec', ENV.LAB_QDHCP_NETNS, 'node', 'bin/osmeta.js', 'guest'],
    ],
    ['an unknown namespace', ['ip', 'netns', 'exec', 'lab-vm9', 'node', 'bin/osmeta.js', 'guest']],
    ['nsenter', ['nsenter', '--net=/run/netns/lab-vm1', 'node', 'bin/osmeta.js', 'guest']],
    ['ip -n', ['ip', '-n', 'lab-vm1', 'exec', 'node']],
    ['a bare ip netns exec', ['ip', 'netns', 'exec', 'lab-vm1']],
    ['another ip binary', ['./ip', 'netns', 'exec', 'lab-vm1', 'node']],
  ])('refuses %s', (_what, argv) => {
    expect(() => assertInGuestNamespace(argv, ENV)).toThrow(
      /refusing to run osmeta guest outside a lab guest namespace/,
    );
  });

  it('refuses everything when lab/env names no guests', () => {
    expect(() => guestArgv('lab-vm1', OSMETA, [], {})).toThrow(/no lab guests known/);
  });
});
