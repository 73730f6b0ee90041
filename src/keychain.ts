import { OsmetaError } from './errors.js';

// The OS keychain through @napi-rs/keyring, loaded only when a command needs it.
// On Linux the Secret Service store is pinned: keyutils would silently lose the secret at reboot.

export const KEYCHAIN_SERVICE = 'osmeta';
const KEYCHAIN_TIMEOUT_MS = 3000;
export const OTHER_SOURCES_HINT =
  'use --secret-file, --secret-stdin, --secret-from-config or OSMETA_SHARED_SECRET instead';

export class KeychainUnavailable extends OsmetaError {
  constructor(why: string) {
    super('KEYCHAIN_UNAVAILABLE', 1, `keychain unavailable: ${why}`, { hint: OTHER_SOURCES_HINT });
  }
}

type KeyringModule = typeof import('@napi-rs/keyring');

async function entry(name: string) {
  // biome-ignore lint/style/noProcessEnv lint/correctness/noProcessGlobal: the keyring library reads this process's own session bus, whatever ctx.env says
  if (process.platform === 'linux' && !process.env.DBUS_SESSION_BUS_ADDRESS) {
    throw new KeychainUnavailable('no Secret Service on the session bus');
  }
  let mod: KeyringModule;
  try {
    mod = await import('@napi-rs/keyring');
  } catch {
    throw new KeychainUnavailable('the keyring module is not available in this build');
  }
  try {
    return new mod.AsyncEntry(KEYCHAIN_SERVICE, name, { linux: { store: 'secret-service' } } as never);
  } catch {
    throw new KeychainUnavailable('no Secret Service on the session bus');
  }
}

async function withTimeout<T>(op: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const signal = AbortSignal.timeout(KEYCHAIN_TIMEOUT_MS);
  try {
    return await op(signal);
  } catch (err) {
    if (signal.aborted) throw new KeychainUnavailable('the Secret Service did not answer within 3 s');
    throw new KeychainUnavailable(describe(err));
  }
}

function describe(err: unknown): string {
  const msg =
    err instanceof Error
      ? `${err.message} ${String((err.cause as Error | undefined)?.message ?? '')}`
      : String(err);
  if (/no result found/i.test(msg))
    return 'the Secret Service has no unlocked default keyring (unlock the login keyring)';
  if (/locked/i.test(msg)) return 'the keyring is locked';
  if (/dbus|bus|Secret ?Service|platform|connect/i.test(msg)) return 'no Secret Service on the session bus';
  return msg.split('\n')[0] ?? msg;
}

export async function keychainGet(name: string): Promise<string | null> {
  const e = await entry(name);
  return withTimeout((signal) => e.getPassword(signal));
}

export async function keychainSet(name: string, value: string): Promise<void> {
  const e = await entry(name);
  await withTimeout((signal) => e.setPassword(value, signal));
}

export async function keychainDelete(name: string): Promise<boolean> {
  const e = await entry(name);
  return withTimeout((signal) => e.deletePassword(signal));
}
