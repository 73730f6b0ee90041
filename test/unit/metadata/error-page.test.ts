import { describe, expect, it } from 'vitest';
import { errorExplanation, responseForm } from '../../../src/metadata/error-page.js';
import { httpFixture } from '../../helpers/host-fixtures.js';

describe('who answered', () => {
  it.each([
    [
      'haproxy-chain/qdhcp-probe-openstack.agent-stopped.503.http',
      'haproxy',
      'No server is available to handle this request.',
    ],
    ['haproxy-chain/qdhcp-probe-openstack.404.http', 'webob', 'The resource could not be found.'],
    [
      'agent-socket/no-x-forwarded-for.500.http',
      'webob',
      'An unknown error has occurred. Please try your request again.',
    ],
    ['nova-metadata/err-bad-signature.403.accept-json.http', 'webob', 'Invalid proxy request signature.'],
    ['agent-socket/vm1.200.http', 'other', undefined],
  ])('%s is a %s page', (file, form, explanation) => {
    const r = httpFixture(file);
    expect(responseForm(r.status, r.headers, r.body)).toBe(form);
    expect(errorExplanation(r.body)).toBe(explanation);
  });
});
