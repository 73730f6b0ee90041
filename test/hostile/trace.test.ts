import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signInstanceId } from '../../src/signature.js';
import { runCli } from '../helpers/context.js';
import { ESCAPES } from '../helpers/hostile/servers.js';
import { type LabNode, labNode, NS, SECRET, VM1 } from '../helpers/lab-node.js';

// trace's live probes against an agent socket and a nova that echo what they were sent (the
// agent's shared secret, the signature made with it) and put escape sequences in their answers.

let lab: LabNode;
beforeEach(async () => {
  lab = await labNode();
});
afterEach(async () => {
  await lab.close();
});

const trace = (args: string[], o: { stdoutIsTTY?: boolean; color?: boolean } = {}) =>
  runCli(['trace', '--netns', NS, '--ip', VM1.ip, ...args], {
    fs: lab.node.fs(),
    exec: lab.exec,
    uid: 0,
    stdoutIsTTY: o.stdoutIsTTY ?? false,
    stderrIsTTY: o.stdoutIsTTY ?? false,
    env: { FORCE_COLOR: o.color ? '1' : '0' },
  });

// what a terminal must never receive from outside osmeta (osmeta's own SGR colours aside)
const FOREIGN_CONTROL =
  /\u001b(?!\[(?:0|1|2|22|31|32|33|36|39)m)|[\u0000-\u0008\u000b-\u001a\u001c-\u001f\u007f-\u009f]/;

const SIGNATURE = signInstanceId(SECRET, VM1.id);

function hostileNova() {
  lab.nova.handler = (req, res) => {
    res.writeHead(500, { 'content-type': 'application/json', 'x-openstack-request-id': `req-${SIGNATURE}` });
    res.end(
      JSON.stringify({
        message: `${ESCAPES}\u001b[31mno: sig ${req.headers['x-instance-id-signature']} secret ${SECRET}`,
      }),
    );
  };
}

function hostileAgent() {
  lab.agent.handler = (req, res) => {
    res.writeHead(418, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        message: `${ESCAPES}\u001b[31mteapot for ${req.headers['x-forwarded-for']}, secret ${SECRET}`,
      }),
    );
  };
}

describe("trace's probes against an agent and a nova that echo secrets and escape sequences", () => {
  it("probe-socket: the agent's answer shown visibly on a terminal, colours too, without the secret (exit 3)", async () => {
    hostileAgent();
    const r = await trace([], { stdoutIsTTY: true, color: true });
    expect(r.code).toBe(3);
    expect(r.stdout).toContain(`^[]0;pwned^G^[[2J^[[H<U+009B>31m^[[31mteapot for ${VM1.ip}, secret ***`);
    expect(r.stdout).toContain('\u001b[31m✖'); // osmeta's own colour stays
    expect(r.stdout).not.toMatch(FOREIGN_CONTROL);
    expect(r.stderr).not.toMatch(FOREIGN_CONTROL);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });

  it('probe-nova: neither the secret nor the signature, escapes visible (exit 3)', async () => {
    hostileNova();
    const r = await trace([], { stdoutIsTTY: true, color: true });
    expect(r.code).toBe(3);
    expect(lab.nova.requests.some((q) => q['x-instance-id-signature'] === SIGNATURE)).toBe(true);
    expect(r.stdout).toContain('^[[31mno: sig *** secret ***');
    expect(r.stdout).not.toMatch(FOREIGN_CONTROL);
    expect(r.stderr).not.toMatch(FOREIGN_CONTROL);
    for (const s of [SECRET, SIGNATURE]) expect(r.stdout + r.stderr).not.toContain(s);
  });

  it('keeps them out of --json and --debug too', async () => {
    hostileNova();
    const r = await trace(['--json', '--debug']);
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout) as { hops: Array<{ name: string; status: string; evidence: unknown }> };
    const nova = doc.hops.find((h) => h.name === 'probe-nova')!;
    expect(nova.status).toBe('fail');
    expect(JSON.stringify(nova.evidence)).toContain('no: sig *** secret ***');
    expect(r.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    for (const s of [SECRET, SIGNATURE]) expect(r.stdout + r.stderr).not.toContain(s);
  });
});
