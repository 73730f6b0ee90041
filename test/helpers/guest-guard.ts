// `osmeta guest` talks to 169.254.169.254. This machine may have a real metadata service, so tests
// and benchmarks run it only inside the lab's guest namespaces: the command line must be
// `ip netns exec <ns> …` with <ns> one of lab/env's LAB_VMn_NETNS or LAB_STRAY_NETNS. Every spawn
// of `osmeta guest` goes through guestArgv(), which refuses anything else.

/** The lab's guest namespaces, from lab/env's variables. */
export function labGuestNamespaces(env: Record<string, string | undefined>): Set<string> {
  const out = new Set<string>();
  for (const [k, v] of Object.entries(env)) {
    if ((/^LAB_VM\d+_NETNS$/.test(k) || k === 'LAB_STRAY_NETNS') && v && /^[\w.-]+$/.test(v)) out.add(v);
  }
  return out;
}

/** Throws unless argv is `ip netns exec <a lab guest namespace> …`. */
export function assertInGuestNamespace(
  argv: readonly string[],
  env: Record<string, string | undefined>,
): void {
  const [ip, netns, exec, ns] = argv;
  const guests = labGuestNamespaces(env);
  const ok =
    (ip === 'ip' || ip === '/usr/sbin/ip' || ip === '/sbin/ip' || ip === '/usr/bin/ip' || ip === '/bin/ip') &&
    netns === 'netns' &&
    exec === 'exec' &&
    ns !== undefined &&
    guests.has(ns) &&
    argv.length > 4;
  if (!ok) {
    throw new Error(
      `refusing to run osmeta guest outside a lab guest namespace: ${JSON.stringify(argv)} (allowed: ip netns exec <${[...guests].join('|') || 'no lab guests known'}> …)`,
    );
  }
}

/** The command line that runs `osmeta guest args…` inside ns; throws unless ns is a lab guest. */
export function guestArgv(
  ns: string,
  osmeta: readonly string[],
  args: readonly string[],
  env: Record<string, string | undefined>,
): string[] {
  const argv = ['ip', 'netns', 'exec', ns, ...osmeta, 'guest', ...args];
  assertInGuestNamespace(argv, env);
  return argv;
}
