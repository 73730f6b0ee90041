import { describe, expect, it } from 'vitest';
import { parseOsloIni } from '../../../src/host/oslo-config.js';
import {
  metadataAgentSettings,
  novaFilesFromEnv,
  novaSettings,
  uwsgiIniEnv,
} from '../../../src/host/services.js';
import { fixture } from '../../helpers/host-fixtures.js';

describe('oslo.config files of the agent and nova', () => {
  it("reads the agent's nova endpoint, socket and whether a secret is set", () => {
    const set = {
      paths: ['metadata_agent.ini'],
      files: [parseOsloIni(fixture('config/metadata_agent.ini'), 'metadata_agent.ini')],
      unreadable: [],
    };
    const s = metadataAgentSettings(set);
    expect(s).toMatchObject({
      novaHost: '127.0.0.1',
      novaPort: 8775,
      novaProtocol: 'http',
      novaInsecure: false,
      statePath: '/var/lib/neutron',
      workers: 1,
      socketMode: 'deduce',
    });
    expect(s.socket.value).toBe('/var/lib/osmeta-lab/neutron/metadata_proxy');
    expect(s.secret).toMatchObject({ value: '<shared-secret>', line: 5 });
  });

  it('substitutes $state_path in the default socket path; the later file wins', () => {
    const neutron = parseOsloIni(
      '[DEFAULT]\nstate_path = /srv/neutron\nnova_metadata_port = 1\n',
      'neutron.conf',
    );
    const agent = parseOsloIni('[DEFAULT]\nnova_metadata_port = 8775\n', 'metadata_agent.ini');
    const s = metadataAgentSettings({ paths: [], files: [neutron, agent], unreadable: [] });
    expect(s.socket.value).toBe('/srv/neutron/metadata_proxy');
    expect(s.novaPort).toBe(8775);
    expect(s.secret).toBeUndefined();
  });

  it("reads nova's [neutron] section", () => {
    const f = parseOsloIni(fixture('config/nova.conf.api-neutron-sections.ini'), 'nova.conf');
    const n = novaSettings({ paths: [], files: [f], unreadable: [] });
    expect(n.serviceMetadataProxy.value).toBe(true);
    expect(n.secret?.value).toBe('<shared-secret>');
    expect(n.secretInDefault).toBeUndefined();
  });

  it('treats a missing service_metadata_proxy as false and finds a secret in the wrong section', () => {
    const f = parseOsloIni('[DEFAULT]\nmetadata_proxy_shared_secret = x\n[neutron]\n', 'nova.conf');
    const n = novaSettings({ paths: [], files: [f], unreadable: [] });
    expect(n.serviceMetadataProxy.value).toBe(false);
    expect(n.secret).toBeUndefined();
    expect(n.secretInDefault?.line).toBe(2);
  });

  it('finds nova.conf from OS_NOVA_CONFIG_DIR/FILES and from a uwsgi ini', () => {
    expect(
      novaFilesFromEnv({
        OS_NOVA_CONFIG_DIR: '/s/etc/nova',
        OS_NOVA_CONFIG_FILES: 'nova.conf;nova-metadata.conf',
      }),
    ).toEqual(['/s/etc/nova/nova.conf', '/s/etc/nova/nova-metadata.conf']);
    expect(novaFilesFromEnv({})).toBeUndefined();
    const env = uwsgiIniEnv(
      '[uwsgi]\nhttp-socket = :8775\nenv = OS_NOVA_CONFIG_DIR=/x\nenv = OS_NOVA_CONFIG_FILES=nova.conf;m.conf\n',
    );
    expect(novaFilesFromEnv(env)).toEqual(['/x/nova.conf', '/x/m.conf']);
  });
});
