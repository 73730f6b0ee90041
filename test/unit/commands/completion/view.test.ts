import { describe, expect, it } from 'vitest';
import { completeView } from '../../../../src/commands/completion/view.js';
import { runCli } from '../../../helpers/context.js';

describe('osmeta completion <shell>', () => {
  it.each([
    ['bash', /complete -F _osmeta osmeta\n$/],
    ['zsh', /^#compdef osmeta\n/],
    ['fish', /complete -c osmeta -f -a '\(__osmeta_complete\)'\n$/],
  ])('prints the %s script on stdout, which asks osmeta __complete', async (shell, shape) => {
    const r = await runCli(['completion', shell]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(shape);
    expect(r.stdout).toContain('__complete');
  });

  it('exits 2 with a one-line error for an unknown shell', async () => {
    const r = await runCli(['completion', 'tcsh']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("error: completion takes bash, zsh, fish, not 'tcsh'\n");
  });

  it('exits 2 without a shell, and the error is JSON with --json', async () => {
    const r = await runCli(['completion', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.exitCode).toBe(2);
  });
});

describe('completeView', () => {
  it('writes a candidate a line, a tab before its description, then the directive', () => {
    expect(
      completeView({
        candidates: [{ value: 'a', description: 'first' }, { value: 'b' }, { value: 'c', description: '' }],
        directive: 'file',
      }),
    ).toBe('a\tfirst\nb\nc\n:file\n');
  });

  it('keeps a description on its line', () => {
    expect(completeView({ candidates: [{ value: 'a', description: 'x\ny\tz' }], directive: 'none' })).toBe(
      'a\tx y z\n:none\n',
    );
  });
});
