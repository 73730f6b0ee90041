import { describe, expect, it } from 'vitest';
import { parseUnitFile, readUnit } from '../../helpers/unit-file.js';

const TEXTFILE_DIR = '/var/lib/prometheus/node-exporter';
const service = readUnit('osmeta-trace.service');
const timer = readUnit('osmeta-trace.timer');
const one = (unit: ReturnType<typeof readUnit>, section: string, key: string) => {
  const v = unit[section]?.[key];
  expect(v, `${section}.${key}`).toHaveLength(1);
  return v![0]!;
};

describe('osmeta-trace.service', () => {
  it('runs trace --all once, writing the metrics into the textfile directory', () => {
    expect(one(service, 'Service', 'Type')).toBe('oneshot');
    expect(one(service, 'Service', 'ExecStart')).toBe(
      `/usr/bin/osmeta trace --all --prometheus ${TEXTFILE_DIR}/osmeta.prom`,
    );
    expect(one(service, 'Unit', 'ConditionPathIsDirectory')).toBe(TEXTFILE_DIR);
  });

  it('counts exit 3 (a broken hop found) as a successful run; the metrics carry the verdict', () => {
    expect(one(service, 'Service', 'SuccessExitStatus')).toBe('3');
  });

  it('may write only the textfile directory, with no home, a private /tmp and no new privileges', () => {
    expect(one(service, 'Service', 'ProtectSystem')).toBe('strict');
    expect(one(service, 'Service', 'ReadWritePaths')).toBe(TEXTFILE_DIR);
    expect(one(service, 'Service', 'PrivateTmp')).toBe('yes');
    expect(one(service, 'Service', 'ProtectHome')).toBe('yes');
    expect(one(service, 'Service', 'NoNewPrivileges')).toBe('yes');
    expect(one(service, 'Service', 'UMask')).toBe('0022');
  });

  it('keeps only the capabilities, namespaces and socket families trace uses', () => {
    expect(one(service, 'Service', 'CapabilityBoundingSet').split(' ').sort()).toEqual(
      [
        'CAP_DAC_OVERRIDE',
        'CAP_DAC_READ_SEARCH',
        'CAP_NET_ADMIN',
        'CAP_NET_RAW',
        'CAP_SYS_ADMIN',
        'CAP_SYS_PTRACE',
      ].sort(),
    );
    expect(one(service, 'Service', 'RestrictNamespaces').split(' ').sort()).toEqual(['mnt', 'net']);
    expect(one(service, 'Service', 'RestrictAddressFamilies').split(' ')).toEqual([
      'AF_UNIX',
      'AF_INET',
      'AF_INET6',
      'AF_NETLINK',
    ]);
    expect(one(service, 'Service', 'SystemCallFilter').split(' ')).toEqual(['@system-service', '@mount']);
  });

  it.each([
    'ProtectKernelTunables',
    'ProtectProc',
    'ProcSubset',
    'PrivateNetwork',
    'PrivateUsers',
    'MemoryDenyWriteExecute',
    'IPAddressDeny',
    'DynamicUser',
  ])('leaves out %s, which would break ip netns exec, /proc or V8', (key) => {
    expect(service.Service?.[key]).toBeUndefined();
  });

  it('is not enabled on its own: only the timer starts it', () => {
    expect(service.Install).toBeUndefined();
  });
});

describe('osmeta-trace.timer', () => {
  it('fires every minute, to within seconds, once enabled under timers.target', () => {
    expect(one(timer, 'Timer', 'OnCalendar')).toBe('minutely');
    expect(one(timer, 'Timer', 'AccuracySec')).toMatch(/^[1-9]s$|^10s$/);
    expect(one(timer, 'Install', 'WantedBy')).toBe('timers.target');
    expect(timer.Timer?.Unit).toBeUndefined(); // osmeta-trace.service, by name
    expect(timer.Timer?.Persistent).toBeUndefined(); // a missed minute is not worth catching up
  });
});

describe('parseUnitFile', () => {
  it('reads sections and repeated keys, and rejects a key outside a section', () => {
    expect(parseUnitFile('# c\n[A]\nX=1\nX=2\n; c\n[B]\nY=\n')).toEqual({
      A: { X: ['1', '2'] },
      B: { Y: [''] },
    });
    expect(() => parseUnitFile('X=1\n')).toThrow('line 1: not a key=value in a section');
  });
});
