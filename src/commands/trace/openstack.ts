import type { Context } from '../../context.js';
import { isOsmetaError } from '../../errors.js';
import type { OpenStackFlags } from '../../openstack/options.js';
import type { OpenStackLookup, PortInfo } from './lookup.js';

// trace's view of the OpenStack APIs through osmeta's own client (src/openstack): loaded only when
// a cloud is configured, and never prompting — trace works without credentials, only knows less.

export interface ClosableLookup extends OpenStackLookup {
  close(): Promise<void>;
}

export async function openStackLookup(
  ctx: Context,
  flags: OpenStackFlags,
  timeoutS: number,
): Promise<ClosableLookup | undefined> {
  const { loadCloud } = await import('../../openstack/config.js');
  const cloud = await loadCloud(ctx, flags);
  if (!cloud.configured) return undefined;
  (await import('../../openstack/session.js')).registerCloudSecrets(ctx, cloud);
  const missing =
    (cloud.authType === 'password' && cloud.auth.password === undefined) ||
    (cloud.authType === 'v3applicationcredential' && cloud.auth.applicationCredentialSecret === undefined);
  if (missing) throw new Error(`cloud '${cloud.name}' has no password or secret (trace does not prompt)`);
  const [{ createSession }, neutron, nova] = await Promise.all([
    import('../../openstack/session.js'),
    import('../../openstack/neutron.js'),
    import('../../openstack/nova.js'),
  ]);
  const session = await createSession(ctx, { timeout: timeoutS, flags, cloud });
  const toInfo = (p: Awaited<ReturnType<typeof neutron.listPorts>>[number]): PortInfo => ({
    id: p.id,
    networkId: p.networkId,
    projectId: p.projectId,
    deviceId: p.deviceId,
    deviceOwner: p.deviceOwner,
    fixedIps: p.fixedIps.map((f) => f.ipAddress),
    ...(p.status ? { status: p.status } : {}),
  });
  const ports = async (f: Parameters<typeof neutron.listPorts>[1]) =>
    (await neutron.listPorts(session, f)).map(toInfo);
  return {
    portsByIp: (ip, networkId) => ports({ fixedIp: ip, ...(networkId ? { networkId } : {}) }),
    portsByDevice: (deviceId) => ports({ deviceId }),
    portsOnNetwork: (networkId) => ports({ networkId }),
    server: async (nameOrId) => {
      try {
        const s = await nova.findServer(session, nameOrId, { allProjects: true });
        return { id: s.id, name: s.name, projectId: s.projectId };
      } catch (err) {
        if (isOsmetaError(err) && err.code === 'SERVER_NOT_FOUND') return undefined;
        throw err;
      }
    },
    agents: async (binary, host) =>
      (await neutron.listAgents(session, { binary, ...(host ? { host } : {}) })).map((a) => ({
        id: a.id,
        binary: a.binary,
        host: a.host,
        alive: a.alive,
        adminStateUp: a.adminStateUp,
        heartbeat: a.heartbeat,
      })),
    close: () => session.close(),
  };
}
