import type { Context } from '../../context.js';
import { identityOf, linkMacsOf } from '../../metadata/guest-answer.js';
import type { Step } from './types.js';

// Step "identity": whether the metadata this guest received is its own. nova's uuid is the
// instance's SMBIOS system UUID (libvirt sysinfo), its port's MAC is the guest's NIC; a guest
// that reads another instance's metadata (overlapping addresses, a stale port) gets someone
// else's keys and user data. The hostname is shown, never decisive: before cloud-init's first
// run /etc/hostname is the image's.

export const DMI_UUID_FILES = ['/sys/class/dmi/id/product_uuid', '/sys/devices/virtual/dmi/id/product_uuid'];

export interface GuestSelf {
  /** SMBIOS system UUID (root only on most kernels) */
  dmiUuid?: string;
  dmiUnreadable?: string;
  hostname?: string;
  /** MAC addresses of the guest's interfaces, lower case */
  macs: string[];
}

async function readTrim(ctx: Context, file: string): Promise<string | undefined> {
  try {
    const text = await ctx.fs.readFile(file, 'utf8');
    return text.slice(0, 4096).trim();
  } catch {
    return undefined;
  }
}

export async function readSelf(ctx: Context): Promise<GuestSelf> {
  const self: GuestSelf = { macs: [] };
  for (const f of DMI_UUID_FILES) {
    try {
      self.dmiUuid = (await ctx.fs.readFile(f, 'utf8')).trim().toLowerCase();
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') self.dmiUnreadable = 'readable by root only';
    }
  }
  const hostname = await readTrim(ctx, '/etc/hostname');
  if (hostname) self.hostname = hostname;
  const devs = await ctx.fs.readdir('/sys/class/net').catch(() => [] as string[]);
  for (const dev of devs.map(String)) {
    if (dev === 'lo') continue;
    const mac = await readTrim(ctx, `/sys/class/net/${dev}/address`);
    if (mac && mac !== '00:00:00:00:00:00') self.macs.push(mac.toLowerCase());
  }
  return self;
}

const shortName = (h: string) => h.split('.')[0]!.toLowerCase();

export function identityStep(
  metaData: string,
  networkData: string | undefined,
  self: GuestSelf,
  durationMs: number,
): Step {
  const id = identityOf(metaData) ?? {};
  const links = networkData === undefined ? undefined : linkMacsOf(networkData);
  const uuidMatch =
    self.dmiUuid !== undefined && id.uuid !== undefined ? self.dmiUuid === id.uuid.toLowerCase() : null;
  const macMatch =
    links !== undefined && links.length > 0 && self.macs.length > 0
      ? links.some((m) => self.macs.includes(m))
      : null;
  const hostnameMatch =
    self.hostname !== undefined && id.hostname !== undefined
      ? shortName(self.hostname) === shortName(id.hostname)
      : null;
  const evidence = {
    uuid: id.uuid ?? null,
    name: id.name ?? null,
    hostname: id.hostname ?? null,
    guest: {
      systemUuid: self.dmiUuid ?? null,
      ...(self.dmiUnreadable ? { systemUuidUnreadable: self.dmiUnreadable } : {}),
      hostname: self.hostname ?? null,
      macs: self.macs,
    },
    instanceMacs: links ?? null,
    uuidMatch,
    macMatch,
    hostnameMatch,
  };
  const who = `${id.uuid ?? 'no uuid'}${id.name ? ` (${id.name})` : ''}`;
  const base = { name: 'identity' as const, target: 'meta_data.json vs this guest', durationMs, evidence };
  if (uuidMatch === false || macMatch === false) {
    const what = [
      uuidMatch === false ? `its uuid is not this machine's system UUID ${self.dmiUuid}` : '',
      macMatch === false
        ? `its ports' MACs (${links!.join(', ')}) are none of this guest's (${self.macs.join(', ')})`
        : '',
    ]
      .filter(Boolean)
      .join(', and ');
    return {
      ...base,
      status: 'fail',
      detail: `ANOTHER INSTANCE'S METADATA: ${who}`,
      code: 'IDENTITY_MISMATCH',
      cause: `this guest received the metadata of another instance, ${who}: ${what}. Another port holds this guest's address on this network (overlapping IPs, a stale port left by a deleted instance, a static address the port does not own) — that instance's keys, user data and passwords are being served here`,
      fix: "on the controller: openstack port list --fixed-ip ip-address=<this guest's address> shows whose port it is; delete the stale port or give this guest the address its own port has; do not run this guest's cloud-init until then",
    };
  }
  const checks = [
    uuidMatch === true ? 'uuid matches the system UUID' : '',
    macMatch === true ? 'MAC matches' : '',
  ].filter(Boolean);
  const hostnameNote =
    hostnameMatch === false ? `; /etc/hostname is '${self.hostname}' (cloud-init has not set it yet?)` : '';
  if (checks.length === 0) {
    return {
      ...base,
      status: 'warn',
      detail: `${who}: nothing to compare with (no readable system UUID, no MAC in network_data.json)${hostnameNote}`,
    };
  }
  return {
    ...base,
    status: hostnameMatch === false ? 'warn' : 'ok',
    detail: `${who}: ${checks.join(', ')}${hostnameNote}`,
  };
}
