import { describe, expect, it } from 'vitest';
import { parseMetadataRoutes } from '../../../src/host/dhcp-opts.js';
import { describeRateLimit, parseHaproxyConfig } from '../../../src/host/haproxy-config.js';
import { describeOption, respawnPolicy, spawnerOptions } from '../../../src/host/neutron-agents.js';
import { parseOsloIni } from '../../../src/host/oslo-config.js';
import { fixture } from '../../helpers/host-fixtures.js';

const set = (...texts: string[]) => ({
  paths: texts.map((_, i) => `/etc/neutron/${i}.ini`),
  files: texts.map((t, i) => parseOsloIni(t, `/etc/neutron/${i}.ini`)),
  unreadable: [],
});

describe('the DHCP and L3 agents’ metadata options', () => {
  it('reads the lab’s dhcp_agent.ini with where each value comes from', () => {
    const o = spawnerOptions(set(fixture('config/dhcp_agent.ini')));
    expect(o.enableIsolatedMetadata.value).toBe(true);
    expect(o.enableIsolatedMetadata.where).toMatch(/^\/etc\/neutron\/0\.ini:\d+$/);
    expect(o.forceMetadata.value).toBe(false);
    expect(o.childInterval.value).toBe(10);
    expect(respawnPolicy(o)).toEqual({ respawns: true, intervalS: 10 });
  });

  it('uses neutron’s defaults when nothing is set (60 s, respawn; no isolated metadata)', () => {
    const o = spawnerOptions(set('[DEFAULT]\n'));
    expect(o.enableIsolatedMetadata).toEqual({ value: false });
    expect(o.enableMetadataProxy).toEqual({ value: true });
    expect(o.metadataPort).toEqual({ value: 9697 });
    expect(respawnPolicy(o)).toEqual({ respawns: true, intervalS: 60 });
    expect(describeOption('force_metadata', o.forceMetadata)).toBe('force_metadata = False (default)');
  });

  it('0 or check_child_processes_action = exit: no respawn; the later file wins', () => {
    expect(respawnPolicy(spawnerOptions(set('[agent]\ncheck_child_processes_interval = 0\n')))).toEqual({
      respawns: false,
      intervalS: 0,
    });
    const o = spawnerOptions(
      set(
        '[agent]\ncheck_child_processes_action = respawn\n',
        '[agent]\ncheck_child_processes_action = exit\n',
      ),
    );
    expect(respawnPolicy(o).respawns).toBe(false);
    expect(o.childAction.where).toBe('/etc/neutron/1.ini:2');
  });

  it('reads the L3 agent’s file', () => {
    const o = spawnerOptions(set(fixture('config/l3_agent.ini')));
    expect(o.enableMetadataProxy.value).toBe(true);
    expect(o.metadataPort.value).toBe(9697);
  });
});

describe('dnsmasq’s route to 169.254.169.254 (the DHCP agent’s opts file)', () => {
  it('isolated: via the DHCP port; routed: via the router', () => {
    expect(parseMetadataRoutes(fixture('node/dhcp-opts.isolated.txt')).map((r) => r.via)).toEqual([
      '10.90.0.2',
    ]);
    expect(parseMetadataRoutes(fixture('node/dhcp-opts.routed.txt')).map((r) => r.via)).toEqual([
      '10.92.0.1',
    ]);
    expect(parseMetadataRoutes('tag:x,option:router,10.0.0.1\ngarbage\n')).toEqual([]);
  });
});

describe('haproxy configs of newer neutron (rate limiting, nbthread, timeouts)', () => {
  it('reads the rate limits with their windows', () => {
    const c = parseHaproxyConfig(fixture('haproxy-config/neutron-master-qrouter-rate-limited.conf'));
    expect(c.nbthread).toBe(2);
    expect(c.rateLimit).toEqual([
      { table: 'base_rate_limiter', max: 30, windowS: 60, status: 429 },
      { table: 'burst_rate_limiter', max: 5, windowS: 5, status: 429 },
    ]);
    expect(describeRateLimit(c.rateLimit![1]!)).toBe('more than 5 requests per 5 s (burst_rate_limiter)');
    expect(c.resource).toMatchObject({ kind: 'router', header: 'X-Neutron-Router-ID' });
    expect(c.binds).toEqual([{ raw: ':::9697', host: '::', port: 9697 }]);
  });

  it('reads the bracketed IPv6 bind and configurable timeouts; no limits when off', () => {
    const c = parseHaproxyConfig(fixture('haproxy-config/neutron-master-qdhcp-unlimited.conf'));
    expect(c.rateLimit).toBeUndefined();
    expect(c.timeouts.server).toBe('90s');
    const r = parseHaproxyConfig(fixture('haproxy-config/neutron-master-qdhcp-rate-limited.conf'));
    expect(r.binds[1]).toMatchObject({ host: 'fe80::a9fe:a9fe', port: 80, interface: 'tap4f0c3a2e-7b' });
  });

  it('Zed’s configs (the lab’s) have neither', () => {
    const c = parseHaproxyConfig(fixture('haproxy-config/lab-live-qrouter.conf'));
    expect(c.rateLimit).toBeUndefined();
    expect(c.nbthread).toBeUndefined();
    expect(c.resource?.kind).toBe('router');
  });
});
