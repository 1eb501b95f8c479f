/**
 * An application on a node for the interop and integration tiers: Farside's AAP client connected and
 * registered, with its received bundles taken one at a time under a deadline. The same helper drives a
 * uD3TN node and a Farside BPA, since both speak AAP v1 and AAP 2.0. The client setup and bundle taking
 * underneath are exported for the integration tests that use the client directly.
 */
import { createAapClient } from '../../services/aap-client/client';
import { parseAapAddress } from '../../services/aap-client/transport';
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

export interface TestClientOptions extends TestAgentOptions {
  readonly receive?: boolean;
  /** AAP 2.0 ConnectionConfig.secret; default none. */
  readonly secret?: string;
  /** The longest reconnect delay; default 500 ms. */
  readonly reconnectMaxMs?: number;
}

/** Farside's AAP client as the tests set it up: AAP v1 unless told, 10 s requests, reconnect 50…500 ms, no log. */
export function createTestClient(opts: TestClientOptions): AapClient {
  return createAapClient({
    transport: opts.transport,
    protocol: opts.protocol ?? 'aap1',
    agentId: opts.agentId,
    ...(opts.receive === undefined ? {} : { receive: opts.receive }),
    ...(opts.secret === undefined ? {} : { secret: opts.secret }),
    requestTimeoutMs: opts.requestTimeoutMs ?? 10_000,
    reconnect: { initialMs: 50, maxMs: opts.reconnectMaxMs ?? 500 },
    log: () => undefined,
  });
}

/**
 * createTestClient on a BPA's AAP address ("tcp:HOST:PORT", "unix:PATH"), connected; its close() is
 * handed to `defer` first (the test's cleanups), so it is closed even when connecting fails.
 */
export async function connectTestClient(
  address: string,
  agentId: string,
  defer: (cleanup: () => Promise<void>) => void,
  opts: Omit<TestClientOptions, 'transport' | 'agentId'> = {},
): Promise<AapClient> {
  const c = createTestClient({ ...opts, transport: unwrap(parseAapAddress(address)), agentId });
  defer(() => c.close());
  const r = await c.connect();
  if (!r.ok) throw new Error(`${agentId} at ${address}: ${r.error.code} ${r.error.message}`);
  return c;
}

/**
 * The next `n` bundles the client receives, or an error after `timeoutMs`. `release` ends the iteration
 * afterwards, so an AAP 2.0 node hears SUCCESS for the last one too.
 */
export async function takeBundles(c: AapClient, n: number, timeoutMs: number, release = false): Promise<ReceivedBundle[]> {
  const out: ReceivedBundle[] = [];
  const it = c.bundles();
  const deadline = setTimeout(() => void it.return?.(), timeoutMs);
  try {
    while (out.length < n) {
      const next = await it.next();
      if (next.done === true) break;
      out.push(next.value);
    }
  } finally {
    clearTimeout(deadline);
    if (release) await it.return?.();
  }
  if (out.length < n) throw new Error(`expected ${n} bundles, got ${out.length}`);
  return out;
}

export async function connectAgent(opts: TestAgentOptions): Promise<TestAgent> {
  // uD3TN keeps nothing for an agent that is not connected (ud3tn-behaviour.md §11): receive from the start.
  const client = createTestClient({ ...opts, receive: true });
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
