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

/** flag → the clouds.yaml key it overrides → the OS_* variable that is its default (as in osc) */
export const OS_FLAGS: ReadonlyArray<{ flag: string; key: string; env?: string; help: string }> = [
  { flag: 'auth-url', key: 'auth_url', env: 'OS_AUTH_URL', help: 'Keystone URL (with or without /v3)' },
  {
    flag: 'auth-type',
    key: 'auth_type',
    env: 'OS_AUTH_TYPE',
    help: 'password, v3applicationcredential or v3token',
  },
  { flag: 'username', key: 'username', env: 'OS_USERNAME', help: 'user name' },
  { flag: 'user-id', key: 'user_id', env: 'OS_USER_ID', help: 'user ID' },
  {
    flag: 'user-domain-name',
    key: 'user_domain_name',
    env: 'OS_USER_DOMAIN_NAME',
    help: "user's domain name",
  },
  { flag: 'user-domain-id', key: 'user_domain_id', env: 'OS_USER_DOMAIN_ID', help: "user's domain ID" },
  { flag: 'project-name', key: 'project_name', env: 'OS_PROJECT_NAME', help: 'project to scope to, by name' },
  { flag: 'project-id', key: 'project_id', env: 'OS_PROJECT_ID', help: 'project to scope to, by ID' },
  {
    flag: 'project-domain-name',
    key: 'project_domain_name',
    env: 'OS_PROJECT_DOMAIN_NAME',
    help: "project's domain name",
  },
  {
    flag: 'project-domain-id',
    key: 'project_domain_id',
    env: 'OS_PROJECT_DOMAIN_ID',
    help: "project's domain ID",
  },
  { flag: 'domain-name', key: 'domain_name', env: 'OS_DOMAIN_NAME', help: 'user and project domain name' },
  { flag: 'domain-id', key: 'domain_id', env: 'OS_DOMAIN_ID', help: 'user and project domain ID' },
  {
    flag: 'default-domain',
    key: 'default_domain',
    env: 'OS_DEFAULT_DOMAIN',
    help: 'domain ID for users and projects given without one (default: default)',
  },
  { flag: 'system-scope', key: 'system_scope', env: 'OS_SYSTEM_SCOPE', help: 'system scope (all)' },
  {
    flag: 'application-credential-id',
    key: 'application_credential_id',
    env: 'OS_APPLICATION_CREDENTIAL_ID',
    help: 'application credential ID',
  },
  {
    flag: 'application-credential-name',
    key: 'application_credential_name',
    env: 'OS_APPLICATION_CREDENTIAL_NAME',
    help: 'application credential name (with a user)',
  },
  {
    flag: 'identity-api-version',
    key: 'identity_api_version',
    env: 'OS_IDENTITY_API_VERSION',
    help: 'identity API version (3)',
  },
  { flag: 'region-name', key: 'region_name', env: 'OS_REGION_NAME', help: 'region' },
  {
    flag: 'interface',
    key: 'interface',
    env: 'OS_INTERFACE',
    help: 'endpoint interface: public (default), internal or admin',
  },
  { flag: 'cacert', key: 'cacert', env: 'OS_CACERT', help: 'CA bundle to verify the APIs with' },
  { flag: 'cert', key: 'cert', env: 'OS_CERT', help: 'client certificate (PEM)' },
  { flag: 'key', key: 'key', env: 'OS_KEY', help: 'client certificate key (PEM)' },
];

/** camelCase commander name of an OS_FLAGS entry: auth-url → osAuthUrl */
export function flagProperty(flag: string): string {
  return `os-${flag}`.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}
