/**
 * An application on a node for the interop tier: Farside's AAP client connected and registered, with
 * its received bundles taken one at a time under a deadline. The same helper drives a uD3TN node and a
 * Farside BPA, since both speak AAP v1 and AAP 2.0.
 */
import { createAapClient } from '../../services/aap-client/client';
import type { AapClient, AapProtocol, AapTransport, ReceivedBundle } from '../../services/aap-client/types';

export interface TestAgent {
  readonly client: AapClient;
  /** The registered EID. */
  readonly endpoint: string;
  /** The next received bundle; rejects after `timeoutMs` (default 10 s). */
  next(timeoutMs?: number): Promise<ReceivedBundle>;
  /** Resolves with nothing if no bundle arrives within `ms`, rejects with the bundle otherwise. */
  nothingFor(ms: number): Promise<void>;
  close(): Promise<void>;
}

export interface TestAgentOptions {
  readonly transport: AapTransport;
  readonly protocol?: AapProtocol;
  readonly agentId: string;
  readonly requestTimeoutMs?: number;
}

export function unwrap<T>(r: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

export async function connectAgent(opts: TestAgentOptions): Promise<TestAgent> {
  const client = createAapClient({
    transport: opts.transport,
    protocol: opts.protocol ?? 'aap1',
    agentId: opts.agentId,
    // uD3TN keeps nothing for an agent that is not connected (ud3tn-behaviour.md §11): receive from the start.
    receive: true,
    requestTimeoutMs: opts.requestTimeoutMs ?? 10_000,
    reconnect: { initialMs: 50, maxMs: 500 },
    log: () => undefined,
  });
  const connected = await client.connect();
  if (!connected.ok) {
    await client.close();
    throw new Error(`agent ${opts.agentId}: ${connected.error.code} ${connected.error.message}`);
  }
  const it = client.bundles();
  let pending: Promise<IteratorResult<ReceivedBundle>> | null = null;
  const pull = (): Promise<IteratorResult<ReceivedBundle>> => (pending ??= it.next());

  async function race(ms: number): Promise<ReceivedBundle | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), ms);
    });
    try {
      const r = await Promise.race([pull(), timeout]);
      if (r === null) return null;
      pending = null;
      if (r.done === true) throw new Error(`agent ${opts.agentId}: the bundle stream ended`);
      return r.value;
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    client,
    endpoint: client.endpoint ?? '',
    async next(timeoutMs = 10_000) {
      const b = await race(timeoutMs);
      if (b === null) throw new Error(`agent ${client.endpoint ?? opts.agentId}: no bundle within ${timeoutMs} ms`);
      return b;
    },
    async nothingFor(ms) {
      const b = await race(ms);
      if (b !== null) throw new Error(`agent ${client.endpoint ?? opts.agentId}: unexpected bundle from ${b.source} (${b.payload.length} bytes)`);
    },
    close: () => client.close(),
  };
}

/** Byte equality as a boolean: an assertion on it keeps the failure output small for MiB payloads. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
