import './wasm-baseline.js';
import type * as Undici from 'undici';
import type { Dispatcher } from 'undici';
import requestPart from 'undici/lib/api/api-request.js';
import AgentPart from 'undici/lib/dispatcher/agent.js';

// undici's index loads fetch, WebSocket, caches and more (≈45 ms at start-up); a direct request
// needs only the Agent and the request API. ProxyAgent calls Dispatcher.prototype.connect, which
// only the index installs, so a proxied request loads the whole package.

export const Agent = AgentPart as typeof Undici.Agent;

export function request(
  dispatcher: Dispatcher,
  opts: Dispatcher.RequestOptions,
): Promise<Dispatcher.ResponseData> {
  return (
    requestPart as (this: Dispatcher, o: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>
  ).call(dispatcher, opts);
}

export async function loadProxyAgent(): Promise<typeof Undici.ProxyAgent> {
  const mod = (await import('undici')) as unknown as {
    ProxyAgent?: typeof Undici.ProxyAgent;
    default?: { ProxyAgent: typeof Undici.ProxyAgent };
  };
  return (mod.ProxyAgent ?? mod.default?.ProxyAgent)!;
}
