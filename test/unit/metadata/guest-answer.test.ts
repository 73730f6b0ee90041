import { describe, expect, it } from 'vitest';
import {
  guestAnswerMeaning,
  identityOf,
  linkMacsOf,
  notJsonMeaning,
} from '../../../src/metadata/guest-answer.js';
import { httpFixture } from '../../helpers/host-fixtures.js';

// Every answer a guest can get from 169.254.169.254, from the captured fixtures: who wrote it and
// which cause it names. GET / decides between the agent's 404 and nova's.

const body = (status: number, title: string, text: string) =>
  `<html><body><h1>${status} ${title}</h1>\n${text}\n</body></html>\n`;
/** haproxy 2.6's built-in pages (internals §4.5); 429 is neutron ≥ 23's rate limiting */
const haproxyPage = (status: number, title: string, text: string) => ({
  status,
  headers: { 'content-length': '0', 'cache-control': 'no-cache', 'content-type': 'text/html' },
  body: body(status, title, text),
});

describe('guestAnswerMeaning', () => {
  it.each([
    ['haproxy-chain/vm1-meta_data.json.agent-stopped.503.http', undefined, 'HAPROXY_NO_BACKEND', 'haproxy'],
    [
      'haproxy-chain/qdhcp-probe-openstack.agent-stopped.503.http',
      undefined,
      'HAPROXY_NO_BACKEND',
      'haproxy',
    ],
    // the stray guest: the agent finds no port, so GET / is a 404 as well
    ['agent-socket/unknown-ip.404.http', 404, 'AGENT_NO_PORT', 'agent'],
    ['haproxy-chain/qdhcp-probe-openstack.404.http', undefined, 'AGENT_NO_PORT', 'agent'],
    // lab-vm3: the port is in another project; nova answered GET /, then refused the tenant
    ['haproxy-chain/vm3-meta_data.json.404.http', 200, 'NOVA_NOT_FOUND', 'nova'],
    ['agent-socket/vm3-port-in-other-project.404.http', 200, 'NOVA_NOT_FOUND', 'nova'],
    ['nova-metadata/err-tenant-mismatch.404.accept-any.http', 200, 'NOVA_NOT_FOUND', 'nova'],
    ['nova-metadata/err-tenant-mismatch.404.accept-none.http', 200, 'NOVA_NOT_FOUND', 'nova'],
    ['nova-metadata/err-tenant-mismatch.404.accept-json.http', 200, 'NOVA_NOT_FOUND', 'nova'],
    ['nova-metadata/err-bad-signature.403.accept-any.http', 200, 'SECRET_MISMATCH', 'agent'],
    ['nova-metadata/err-bad-signature.403.accept-none.http', 200, 'SECRET_MISMATCH', 'agent'],
    ['agent-socket/no-x-forwarded-for.500.http', undefined, 'AGENT_ERROR', 'agent'],
    ['nova-metadata/err-missing-instance-id.400.accept-any.http', undefined, 'BAD_REQUEST', 'agent'],
  ])('%s (GET / → %s) is %s, written by %s', (file, versions, code, by) => {
    const m = guestAnswerMeaning(httpFixture(file), versions);
    expect(m.code).toBe(code);
    expect(m.answeredBy).toBe(by);
    expect(m.cause).not.toBe('');
    expect(m.fix).not.toBe('');
  });

  it('names the trace command on the network node for haproxy 503', () => {
    const m = guestAnswerMeaning(httpFixture('haproxy-chain/vm1-meta_data.json.agent-stopped.503.http'));
    expect(m.fix).toContain('osmeta trace');
    expect(m.cause).toMatch(/agent|socket/);
  });

  it.each([
    [504, 'Gateway Time-out', "The server didn't respond in time.", 'HAPROXY_TIMEOUT'],
    [502, 'Bad Gateway', 'The server returned an invalid or incomplete response.', 'HAPROXY_BAD_GATEWAY'],
    [
      429,
      'Too Many Requests',
      'You have sent too many requests in a given amount of time.',
      'HAPROXY_RATE_LIMITED',
    ],
    [408, 'Request Time-out', "Your browser didn't send a complete request in time.", 'HAPROXY_OTHER'],
  ])("haproxy's own %d page is %s", (status, title, text, code) => {
    const m = guestAnswerMeaning(haproxyPage(status, title, text));
    expect(m).toMatchObject({ code, answeredBy: 'haproxy' });
  });

  it("tells nova's failure (its 500 relayed) from the agent's own 500 and names each log", () => {
    const relayed = {
      status: 500,
      headers: { 'content-type': 'text/html; charset=UTF-8' },
      body: '<html>\n <head>\n  <title>500 Internal Server Error</title>\n </head>\n <body>\n  <h1>500 Internal Server Error</h1>\n  Remote metadata server experienced an internal server error.<br /><br />\n\n\n\n </body>\n</html>',
    };
    const nova = guestAnswerMeaning(relayed, 500);
    expect(nova).toMatchObject({ code: 'NOVA_ERROR', answeredBy: 'nova' });
    expect(nova.fix).toContain('nova-api-metadata');
    const agent = guestAnswerMeaning(httpFixture('agent-socket/no-x-forwarded-for.500.http'));
    expect(agent.fix).toContain('neutron-metadata-agent.log');
  });

  it('a 404 in neither form comes from something other than the metadata proxy', () => {
    const m = guestAnswerMeaning(
      { status: 404, headers: { 'content-type': 'text/plain' }, body: 'nope' },
      200,
    );
    expect(m).toMatchObject({ code: 'UNEXPECTED_ANSWER', answeredBy: 'unknown' });
  });

  it('a 200 that is not JSON is NOT_JSON', () => {
    expect(notJsonMeaning('text/html').code).toBe('NOT_JSON');
  });
});

describe('identityOf and linkMacsOf', () => {
  it("reads uuid, name, hostname and project from lab-vm1's meta_data.json", () => {
    const r = httpFixture('nova-metadata/openstack-latest-meta_data.json.200.http');
    expect(identityOf(r.body)).toEqual({
      uuid: 'cc44da1b-aa6c-4ab2-926d-31aa6e134fb0',
      name: 'lab-vm1',
      hostname: 'lab-vm1.novalocal',
      projectId: '1bdf2554e6544b96a1d84276bf1cdb37',
    });
  });

  it('is undefined for what is not a JSON object', () => {
    expect(identityOf('<html>')).toBeUndefined();
    expect(identityOf('[1]')).toBeUndefined();
    expect(identityOf('null')).toBeUndefined();
  });

  it("reads the port's MAC from network_data.json", () => {
    const r = httpFixture('nova-metadata/openstack-latest-network_data.json.200.http');
    expect(linkMacsOf(r.body)).toEqual(['fa:16:3e:fe:cc:24']);
    expect(linkMacsOf('{}')).toBeUndefined();
    expect(linkMacsOf('x')).toBeUndefined();
  });
});
