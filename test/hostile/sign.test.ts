import { describe, expect, it } from 'vitest';
import { hostileCloud, leaked, RAW_CONTROL, SHARED_SECRET } from '../helpers/hostile/cloud.js';
import { useTeardown } from '../helpers/hostile/servers.js';

// sign --curl prints a command an operator pastes into a shell: every value that becomes a header
// or the URL is refused when it could inject a header or point curl elsewhere.

const VM = 'cc44da1b-aa6c-4ab2-926d-31aa6e134fb0';
const PROJECT = '1bdf2554e6544b96a1d84276bf1cdb37';
const { cleanups } = useTeardown();

function signer() {
  const c = hostileCloud(undefined);
  cleanups.push(c.cleanup);
  return (args: string[]) => c.run(['sign', '--curl', ...args, VM], { stderrIsTTY: true });
}

const INJECTED = 'X-Injected: 1';

describe('sign --curl with a value that would inject a header', () => {
  it.each([
    ['--project-id', [`${PROJECT}\r\n${INJECTED}`], '--project-id'],
    ['--project-id', [`${PROJECT}\n${INJECTED}`], '--project-id'],
    [
      '--forwarded-for',
      ['--project-id', PROJECT, '--forwarded-for', `10.0.0.5\r\n${INJECTED}`],
      '--forwarded-for',
    ],
    [
      '--path',
      ['--project-id', PROJECT, '--path', `openstack/latest/meta_data.json\r\n${INJECTED}`],
      '--path',
    ],
  ])('%s with CR/LF: exit 2 naming the option, nothing on stdout', async (_name, args, flag) => {
    const sign = signer();
    const argv = args[0]!.startsWith('--') ? args : ['--project-id', ...args];
    const r = await sign(argv);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    expect(lines[0]).toMatch(new RegExp(`^error: ${flag} '.*\\^M\\^J|^error: ${flag} '.*\\^J`));
    expect(r.stderr).not.toMatch(RAW_CONTROL);
    expect(r.stderr).not.toMatch(/^X-Injected/m);
    expect(leaked(r, [SHARED_SECRET])).toEqual([]);
  });

  it.each([
    ['ftp://nova:8775', 'is not an http or https URL'],
    ['http://nova:8775/?a=b#c', 'has a query'],
    ['http://nova:8775/#c', 'has a fragment'],
    ['http://admin:pw-in-url@nova:8775', 'has user info'],
    ['nova:8775', 'is not an http or https URL'],
  ])('--metadata-url %s: exit 2', async (url, why) => {
    const sign = signer();
    const r = await sign(['--project-id', PROJECT, '--metadata-url', url]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toMatch(/^error: --metadata-url '/);
    expect(r.stderr).toContain(why);
    expect(leaked(r, [SHARED_SECRET, 'pw-in-url'])).toEqual([]);
  });

  it('--forwarded-for that is not an address: exit 2', async () => {
    const r = await signer()(['--project-id', PROJECT, '--forwarded-for', '10.0.0.5 -H X-Evil:1']);
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr.split('\n')[0]).toBe(
      "error: --forwarded-for '10.0.0.5 -H X-Evil:1' is not an IP address",
    );
  });

  it('--path leaving the metadata tree: exit 2', async () => {
    const r = await signer()(['--project-id', PROJECT, '--path', '../../admin']);
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr.split('\n')[0]).toBe("error: --path '../../admin' has a . or .. segment");
  });

  it('still prints the command for good values, the signature being its answer', async () => {
    const r = await signer()([
      '--project-id',
      PROJECT,
      '--forwarded-for',
      '10.0.0.5',
      '--path',
      '/openstack/latest/user_data',
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(
      new RegExp(
        `^curl -sS -H 'X-Instance-ID: ${VM}' -H 'X-Tenant-ID: ${PROJECT}' -H 'X-Instance-ID-Signature: [0-9a-f]{64}' -H 'X-Forwarded-For: 10.0.0.5' http://127.0.0.1:8775/openstack/latest/user_data\\n$`,
      ),
    );
  });
});

describe('a timeout beyond what a timer can hold', () => {
  it.each([
    [['--timeout', '4294967', 'sign', VM], "error: --timeout takes at most 86400 seconds, not '4294967'"],
    [
      ['trace', '--netns', 'qdhcp-x', '--probe-timeout', '4294967'],
      "error: --probe-timeout takes at most 86400 seconds, not '4294967'",
    ],
  ])('%j: exit 2 naming the maximum, no TimeoutOverflowWarning', async (argv, line) => {
    const c = hostileCloud(undefined);
    cleanups.push(c.cleanup);
    const r = await c.run(argv);
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr.split('\n')[0]).toBe(line);
    expect(r.stderr).not.toContain('TimeoutOverflowWarning');
  });
});
