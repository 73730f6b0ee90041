import type { Context } from '../../context.js';
import { interruptedError, throwIfInterrupted } from '../../errors.js';
import type { HttpProbeResult } from '../../host/http-probe.js';
import { METADATA_HOST } from '../../metadata/protocol.js';
import { hasIpv6, tcp6Step, tcpStep } from './connect.js';
import { httpStep, NETWORK_DATA, PATHS } from './http.js';
import { identityStep, readSelf } from './identity.js';
import { neighbourStep } from './neighbour.js';
import { routeStep } from './route.js';
import type { GuestTransport } from './transport.js';
import { diagnose, type GuestResult, STEP_NAMES, type Step, type StepName, skipped } from './types.js';

// The guest's half of the metadata path, walked from inside the guest: route → neighbour → tcp
// (and tcp6) → the HTTP answers → identity. Each step is bounded by timeoutMs; the first failed
// step is the diagnosis.

export interface GuestOptions {
  /** ms, per step */
  timeoutMs: number;
}

/** how long a healthy run waits for the optional IPv6 connect after the rest is done */
export const TCP6_GRACE_MS = 150;

const MAX_BODY = { document: 512 * 1024, small: 16 * 1024 };

export async function runGuest(
  ctx: Context,
  transport: GuestTransport,
  o: GuestOptions,
): Promise<GuestResult> {
  const t = o.timeoutMs;
  throwIfInterrupted(ctx.signal);
  // Ctrl-C ends the run at once (exit 130), whichever step is waiting
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(interruptedError());
    ctx.signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => {});
  const until = <T>(p: Promise<T>) => Promise.race([p, aborted]);
  try {
    return await walk(ctx, transport, t, until);
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
  }
}

async function walk(
  ctx: Context,
  transport: GuestTransport,
  t: number,
  until: <T>(p: Promise<T>) => Promise<T>,
): Promise<GuestResult> {
  const steps = new Map<StepName, Step>();
  const finish = (): GuestResult => {
    const list = STEP_NAMES.map((n) => steps.get(n) ?? skipped(n, '', 'not reached'));
    const diagnosis = diagnose(list);
    return { ok: diagnosis === null, target: METADATA_HOST, steps: list, diagnosis };
  };
  const skipAfter = (from: StepName, why: string) => {
    for (const n of STEP_NAMES.slice(STEP_NAMES.indexOf(from))) {
      if (!steps.has(n)) steps.set(n, skipped(n, targetOf(n), why));
    }
  };

  // Everything that does not depend on an earlier answer starts at once: the kernel's route, the
  // TCP connect and the GETs all go to the one constant address; the path behind it (the agent,
  // nova's metadata workers) may answer them in parallel or one at a time: either way, they leave early.
  const get = (path: string, big = false) =>
    transport.get(path, { timeoutMs: t, maxBody: big ? MAX_BODY.document : MAX_BODY.small });
  const httpStarted = ctx.clock();
  const answersP = Promise.all([
    get(PATHS['meta-data'], true),
    get(PATHS.openstack),
    get(PATHS.ec2),
    get(NETWORK_DATA, true),
  ]);
  answersP.catch(() => {});
  const tcpP = transport.connect(4, { timeoutMs: t });
  const self = readSelf(ctx);

  const route = await until(routeStep(ctx, t));
  steps.set('route', route.step);
  if (!route.facts) {
    skipAfter('neighbour', 'no route');
    return finish();
  }
  const facts = route.facts;

  // the optional IPv6 connect runs alongside; it never holds a healthy run up for long
  const v6abort = new AbortController();
  const v6 = hasIpv6(ctx, facts.dev).then((yes) =>
    yes
      ? tcp6Step(transport, facts.dev, t, v6abort.signal)
      : skipped('tcp6', `[fe80::a9fe:a9fe]:80`, `no IPv6 link-local address on ${facts.dev}`),
  );

  const tcp = await until(tcpP);
  steps.set('tcp', tcpStep(tcp, facts, t));
  // the neighbour table after the connect attempt, read while the HTTP answers come in
  const neighbour = neighbourStep(ctx, facts, tcp, t).then((n) => steps.set('neighbour', n));

  if (tcp.outcome === 'connected') {
    const [metaData, openstack, ec2, networkData] = await until(answersP);
    // GET / only when a 404 needs telling apart: the agent's (no port) from nova's (it answered /)
    const is404 = (r: HttpProbeResult) => r.outcome === 'response' && r.status === 404;
    const versions = [openstack, metaData, ec2].some(is404) ? await until(get(PATHS.versions)) : undefined;
    const versionsStatus = versions?.outcome === 'response' ? versions.status : undefined;
    steps.set(
      'versions',
      versions
        ? httpStep('versions', versions, t, undefined)
        : skipped('versions', targetOf('versions'), 'not needed: no 404 to tell apart'),
    );
    const answers = { openstack, 'meta-data': metaData, ec2 } as const;
    for (const n of ['openstack', 'meta-data', 'ec2'] as const) {
      steps.set(n, httpStep(n, answers[n], t, versionsStatus));
    }
    if (steps.get('meta-data')?.status === 'ok') {
      const nd =
        networkData.outcome === 'response' && networkData.status === 200 ? networkData.body : undefined;
      steps.set('identity', identityStep(metaData.body ?? '', nd, await self, ctx.clock() - httpStarted));
    } else {
      steps.set('identity', skipped('identity', targetOf('identity'), 'no meta_data.json'));
    }
  } else {
    skipAfter('versions', 'no connection');
  }

  await neighbour;
  const grace = new AbortController();
  const late = ctx.sleep(TCP6_GRACE_MS, grace.signal).then(
    () => v6abort.abort(),
    () => {},
  );
  steps.set('tcp6', await until(v6));
  grace.abort();
  await late;
  return finish();
}

function targetOf(n: StepName): string {
  if (n === 'identity') return 'meta_data.json vs this guest';
  if (n === 'tcp6') return '[fe80::a9fe:a9fe]:80';
  if (n === 'tcp') return `${METADATA_HOST}:80`;
  if (n in PATHS) return `GET ${PATHS[n as keyof typeof PATHS]}`;
  return METADATA_HOST;
}
