// The OpenStack settings a caller may override (src/commands/shared.ts makes them the --os-*
// options), the clouds.yaml key each overrides and the OS_* variable that is its default.

/** The --os-* flags as commander hands them over (undefined = not given). */
export interface OpenStackFlags {
  osCloud?: string;
  osAuthUrl?: string;
  osAuthType?: string;
  osUsername?: string;
  osUserId?: string;
  osUserDomainName?: string;
  osUserDomainId?: string;
  osProjectName?: string;
  osProjectId?: string;
  osProjectDomainName?: string;
  osProjectDomainId?: string;
  osDomainName?: string;
  osDomainId?: string;
  osDefaultDomain?: string;
  osSystemScope?: string;
  osApplicationCredentialId?: string;
  osApplicationCredentialName?: string;
  osIdentityApiVersion?: string;
  osRegionName?: string;
  osInterface?: string;
  osCacert?: string;
  osCert?: string;
  osKey?: string;
  osInsecure?: boolean;
  /** --no-token-cache sets false */
  tokenCache?: boolean;
}

/**
 * flag → the clouds.yaml key it overrides → the OS_* variable that is its default (as in osc).
 * The key is the flag with `_` for `-`, the variable OS_ and the key in capitals: auth-url →
 * auth_url → OS_AUTH_URL. No flag takes a password or a secret (they would show in `ps`).
 */
const OS_FLAG_HELP: ReadonlyArray<readonly [flag: string, help: string]> = [
  ['auth-url', 'Keystone URL (with or without /v3)'],
  ['auth-type', 'password, v3applicationcredential or v3token'],
  ['username', 'user name'],
  ['user-id', 'user ID'],
  ['user-domain-name', "user's domain name"],
  ['user-domain-id', "user's domain ID"],
  ['project-name', 'project to scope to, by name'],
  ['project-id', 'project to scope to, by ID'],
  ['project-domain-name', "project's domain name"],
  ['project-domain-id', "project's domain ID"],
  ['domain-name', 'user and project domain name'],
  ['domain-id', 'user and project domain ID'],
  ['default-domain', 'domain ID for users and projects given without one (default: default)'],
  ['system-scope', 'system scope (all)'],
  ['application-credential-id', 'application credential ID'],
  ['application-credential-name', 'application credential name (with a user)'],
  ['identity-api-version', 'identity API version (3)'],
  ['region-name', 'region'],
  ['interface', 'endpoint interface: public (default), internal or admin'],
  ['cacert', 'CA bundle to verify the APIs with'],
  ['cert', 'client certificate (PEM)'],
  ['key', 'client certificate key (PEM)'],
];

export const OS_FLAGS: ReadonlyArray<{ flag: string; key: string; env: string; help: string }> =
  OS_FLAG_HELP.map(([flag, help]) => {
    const key = flag.replaceAll('-', '_');
    return { flag, key, env: `OS_${key.toUpperCase()}`, help };
  });

/** camelCase commander name of an OS_FLAGS entry: auth-url → osAuthUrl */
export function flagProperty(flag: string): string {
  return `os-${flag}`.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}
