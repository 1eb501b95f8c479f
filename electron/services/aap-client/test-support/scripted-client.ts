/**
 * Farside's AAP client against a scripted node (scripted-node.ts), as the client's integration tests set
 * it up: short request timeout and reconnect delays, every log event kept for assertions.
 */
import { createAapClient } from '../client';
import type { AapClient, AapClientLogEvent, AapClientOptions, AapProtocol, ReceivedBundle } from '../types';
import type { ScriptedNode } from './scripted-node';

/** The client's integration tests wait with it for client state. */
export { until } from '../../../test-support/waiting';

/** A client for `node` (not yet connected); its close() is handed to `defer` (the test's cleanups). */
export function scriptedClient(
  node: ScriptedNode,
  protocol: AapProtocol,
  defer: (cleanup: () => Promise<void>) => void,
  extra: Partial<AapClientOptions> = {},
): { client: AapClient; logs: AapClientLogEvent[] } {
  const logs: AapClientLogEvent[] = [];
  const client = createAapClient({
    transport: node.transport,
    protocol,
    requestTimeoutMs: 1000,
    reconnect: { initialMs: 20, maxMs: 200 },
    log: (e) => logs.push(e),
    ...extra,
  });
  defer(() => client.close());
  return { client, logs };
}

/** The next bundle from a client's bundles() iterator; throws when the stream ended. */
export async function nextBundle(it: AsyncIterator<ReceivedBundle>): Promise<ReceivedBundle> {
  const r = await it.next();
  if (r.done) throw new Error('bundle stream ended');
  return r.value;
}
