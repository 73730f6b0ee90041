import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../helpers/context.js';

// `osmeta __complete <words…> <word>`: one candidate a line (value, tab, description), then the
// directive. Dynamic values come from a temp clouds.yaml and a temp netns directory.

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'osmeta-complete-'));
  writeFileSync(join(dir, 'clouds.yaml'), 'clouds:\n  prod: {}\n  prod-admin: {}\n  lab: {}\n');
  mkdirSync(join(dir, 'home', '.config', 'openstack'), { recursive: true });
  writeFileSync(join(dir, 'home', '.config', 'openstack', 'clouds.yaml'), 'clouds:\n  devstack: {}\n');
  mkdirSync(join(dir, 'netns'));
  for (const ns of ['qdhcp-3f1c', 'qrouter-77aa', 'ovnmeta-91be', 'blue'])
    writeFileSync(join(dir, 'netns', ns), '');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function complete(words: string[], env: Record<string, string> = {}) {
  const r = await runCli(['__complete', ...words], {
    env: { OS_CLIENT_CONFIG_FILE: join(dir, 'clouds.yaml'), OSMETA_NETNS_DIR: join(dir, 'netns'), ...env },
  });
  expect(r.code).toBe(0);
  expect(r.stderr).toBe('');
  const lines = r.stdout.split('\n');
  expect(lines.pop()).toBe('');
  const directive = lines.pop();
  return { lines, values: lines.map((l) => l.split('\t')[0]), directive };
}

describe('osmeta __complete', () => {
  it('lists the commands with their descriptions, then :none', async () => {
    const r = await complete(['']);
    expect(r.values).toEqual(['sign', 'secret', 'get', 'smoke', 'trace', 'completion', 'guest']);
    expect(r.lines[0]).toMatch(/^sign\tprint the X-Instance-ID-Signature/);
    expect(r.directive).toBe(':none');
  });

  it('with no word at all, completes a new first word', async () => {
    const r = await runCli(['__complete'], { env: {} });
    expect(r.stdout.split('\n')[0]).toMatch(/^sign\t/);
  });

  it('keeps only the candidates the word starts with', async () => {
    expect((await complete(['s'])).values).toEqual(['sign', 'secret', 'smoke']);
    expect((await complete(['x'])).values).toEqual([]);
  });

  it('finds the command after global options, and their values', async () => {
    expect((await complete(['--json', '--timeout', '5', 'secret', ''])).values).toEqual([
      'set',
      'delete',
      'status',
    ]);
    expect((await complete(['--os-cloud', 'lab', 'get', 'web-1', 'u'])).values).toEqual(['user_data']);
  });

  it("completes the root's options at the root, with --version and --help", async () => {
    const v = (await complete(['--'])).values;
    expect(v).toContain('--os-cloud');
    expect(v).toContain('--version');
    expect(v).toContain('--help');
    expect(v).toContain('--no-color');
    expect(v).not.toContain('--netns');
  });

  it("completes a command's options and the globals, with descriptions, not --version", async () => {
    const r = await complete(['trace', '--']);
    expect(r.values).toContain('--netns');
    expect(r.values).toContain('--os-cloud');
    expect(r.values).not.toContain('--version');
    expect(r.lines).toContain('--json\tone JSON document on stdout (also on failure)');
  });

  it('leaves out an option already given, unless it is repeatable', async () => {
    const v = (await complete(['trace', '--all', '--nova-config', 'a.conf', '--'])).values;
    expect(v).not.toContain('--all');
    expect(v).toContain('--nova-config');
    expect((await complete(['get', '--no-color', '--no-c'])).values).toEqual([]);
  });

  it('reads the short form of an option that takes a value', async () => {
    // -o takes a file: the word after it is its value, not get's document
    expect((await complete(['get', 'web-1', '-o', ''])).directive).toBe(':file');
    expect((await complete(['get', 'web-1', '-q', ''])).values).toContain('meta_data.json');
  });

  it('completes --os-cloud from OS_CLIENT_CONFIG_FILE', async () => {
    const r = await complete(['get', '--os-cloud', '']);
    expect(r.values).toEqual(['prod', 'prod-admin', 'lab']);
    expect(r.directive).toBe(':none');
    expect((await complete(['--os-cloud', 'prod-'])).values).toEqual(['prod-admin']);
  });

  it('searches clouds.yaml as every command does: ~/.config/openstack without OS_CLIENT_CONFIG_FILE', async () => {
    const r = await runCli(['__complete', '--os-cloud', ''], { env: {}, homedir: join(dir, 'home') });
    expect(r.stdout).toBe('devstack\n:none\n');
  });

  it('answers no cloud, quietly, when clouds.yaml is broken or absent', async () => {
    writeFileSync(join(dir, 'bad.yaml'), '- a list\n- not a mapping\n');
    expect(
      await complete(['--os-cloud', ''], { OS_CLIENT_CONFIG_FILE: join(dir, 'bad.yaml') }),
    ).toMatchObject({
      values: [],
      directive: ':none',
    });
    const none = await runCli(['__complete', '--os-cloud', ''], { env: {} });
    expect(none.stdout).toBe(':none\n');
  });

  it('completes --os-cloud=<value> as one word, and after a split = (bash)', async () => {
    expect((await complete(['--os-cloud=p'])).values).toEqual(['--os-cloud=prod', '--os-cloud=prod-admin']);
    expect((await complete(['--os-cloud', '=', 'p'])).values).toEqual(['prod', 'prod-admin']);
    expect((await complete(['--os-cloud', '=', ''])).values).toEqual(['prod', 'prod-admin', 'lab']);
    // a value given with = is consumed: the next word is a command again
    expect((await complete(['--os-cloud', '=', 'lab', 'tr'])).values).toEqual(['trace']);
    expect((await complete(['--os-cloud=lab', 'tr'])).values).toEqual(['trace']);
  });

  it('completes --netns with the namespaces, described by their agent', async () => {
    const r = await complete(['trace', '--netns', '']);
    expect(r.lines).toEqual([
      'blue',
      'ovnmeta-91be\tOVN metadata agent',
      'qdhcp-3f1c\tDHCP agent',
      'qrouter-77aa\tL3 agent',
    ]);
    expect((await complete(['trace', '--netns=q'])).values).toEqual([
      '--netns=qdhcp-3f1c',
      '--netns=qrouter-77aa',
    ]);
  });

  it('answers no namespace when the netns directory does not exist', async () => {
    const r = await complete(['trace', '--netns', ''], { OSMETA_NETNS_DIR: join(dir, 'absent') });
    expect(r.values).toEqual([]);
  });

  it("completes get's second argument with nova's documents; with --ec2, the EC2 tree", async () => {
    expect((await complete(['get', 'web-1', ''])).values).toEqual([
      'meta_data.json',
      'user_data',
      'password',
      'vendor_data.json',
      'network_data.json',
      'vendor_data2.json',
    ]);
    const ec2 = (await complete(['get', 'web-1', '--ec2', ''])).values;
    expect(ec2).toContain('meta-data/');
    expect(ec2).toContain('meta-data/local-ipv4');
    expect(ec2).toContain('meta-data/placement/availability-zone');
    expect(ec2).toContain('user-data');
    expect(ec2).not.toContain('meta_data.json');
    expect((await complete(['get', 'web-1', '/latest/meta-data/instance-i'], {})).values).toEqual([]);
    expect((await complete(['get', '--ec2', 'web-1', '/latest/meta-data/instance-i'])).values).toEqual([
      '/latest/meta-data/instance-id',
    ]);
    expect((await complete(['get', 'web-1', '/openstack/latest/v'])).values).toEqual([
      '/openstack/latest/vendor_data.json',
      '/openstack/latest/vendor_data2.json',
    ]);
  });

  it("offers nothing for get's server, nor past its last argument", async () => {
    expect(await complete(['get', ''])).toMatchObject({ values: [], directive: ':none' });
    expect((await complete(['get', 'web-1', 'user_data', ''])).values).toEqual([]);
  });

  it('asks the shell for file names where an option takes a file or a path', async () => {
    for (const words of [
      ['sign', '--secret-file', ''],
      ['smoke', '--junit', 'rep'],
      ['trace', '--state-path', '/var/lib/'],
      ['get', 'web-1', '--secret-from-config', ''],
      ['get', 'web-1', '--via-socket=/var/'],
    ]) {
      expect(await complete(words)).toEqual({ lines: [], values: [], directive: ':file' });
    }
  });

  it('offers nothing for a value nothing is known of, nor after --', async () => {
    expect(await complete(['get', '--forwarded-for', ''])).toMatchObject({ values: [], directive: ':none' });
    expect(await complete(['--timeout=', ''])).toMatchObject({ directive: ':none' });
    expect((await complete(['get', '--', 'web-1', '--'])).values).toEqual([]);
    expect((await complete(['--json=', ''])).values).toContain('sign');
  });

  it('completes the shells for the completion command', async () => {
    expect((await complete(['completion', ''])).values).toEqual(['bash', 'zsh', 'fish']);
  });

  it('leaves out a name with a control character (it would break the answer and reach the terminal)', async () => {
    writeFileSync(
      join(dir, 'hostile.yaml'),
      'clouds:\n  "evil\\nname": {}\n  "tab\\tname": {}\n  good: {}\n',
    );
    const r = await complete(['--os-cloud', ''], { OS_CLIENT_CONFIG_FILE: join(dir, 'hostile.yaml') });
    expect(r.lines).toEqual(['good']);
  });
});
