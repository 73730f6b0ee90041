import { describe, expect, it } from 'vitest';
import { mayAccess, modeString, parseAccounts } from '../../../src/host/users.js';
import { fixture } from '../../helpers/host-fixtures.js';

describe('accounts and permissions', () => {
  const acc = parseAccounts(
    'root:x:0:0:root:/root:/bin/bash\nneutron:x:107:115::/var/lib/neutron:/bin/false\nhaproxy:x:108:116::/:/bin/false\n',
    'root:x:0:\nneutron:x:115:\nhaproxy:x:116:neutron\n',
  );

  it('names uids and gids', () => {
    expect(acc.userName(107)).toBe('neutron');
    expect(acc.groupName(115)).toBe('neutron');
    expect(acc.uidOf('haproxy')).toBe(108);
    expect(acc.groupsOf('neutron')).toEqual([116]);
    expect(acc.userName(4242)).toBe('4242');
  });

  it.each([
    [{ uid: 107, gid: 115, groups: [] }, { uid: 107, gid: 115, mode: 0o140644 }, true],
    [{ uid: 108, gid: 116, groups: [] }, { uid: 107, gid: 115, mode: 0o140644 }, false],
    [{ uid: 107, gid: 115, groups: [] }, { uid: 0, gid: 0, mode: 0o140600 }, false],
    [{ uid: 108, gid: 116, groups: [115] }, { uid: 107, gid: 115, mode: 0o140664 }, true],
    [{ uid: 0, gid: 0, groups: [] }, { uid: 107, gid: 115, mode: 0o140600 }, true],
  ])('connect(2) write permission for %j on %j is %s', (who, file, want) => {
    expect(mayAccess(who, file, 2)).toBe(want);
  });

  it('renders ls -l modes', () => {
    expect(modeString(0o140644)).toBe('srw-r--r--');
    expect(fixture('node/agent-socket-file.ls-l.txt').startsWith(modeString(0o140644))).toBe(true);
  });
});
