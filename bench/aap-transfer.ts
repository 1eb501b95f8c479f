/**
 * One client driving two BP nodes, A → B, the way ud3tn-behaviour.md §12 measured uD3TN: an AAP v1
 * connection to A sends stop-and-wait (the next SENDBUNDLE only after the SENDCONFIRM, which uD3TN
 * requires, §0 item 2), an AAP v1 connection to B receives; a run is timed from the first SENDBUNDLE to
 * the last RECVBUNDLE fully read. The contact A → B is configured through A's config agent (§3), so the
 * same code drives a uD3TN pair and a Farside pair.
 */
import { createAapClient } from '../electron/services/aap-client';
import type { AapClient, AapTransport, ReceivedBundle } from '../electron/services/aap-client';
import type { BenchNode } from './bp-nodes';

const AGENT = 'bench';
const REQUEST_TIMEOUT_MS = 30_000;
/** A run fails when no bundle arrives for this long (uD3TN drops bundles silently, §0 item 4). */
const STALL_MS = 30_000;

export interface AapPair {
  /**
   * Sends `count` copies of `payload` A → B and returns the seconds from the first send to the last
   * bundle fully received. Every received payload is checked for its length, the last one byte by byte.
   */
  transfer(payload: Uint8Array, count: number): Promise<number>;
  close(): Promise<void>;
}

async function connect(transport: AapTransport): Promise<AapClient> {
  const client = createAapClient({ transport, protocol: 'aap1', agentId: AGENT, requestTimeoutMs: REQUEST_TIMEOUT_MS, reconnect: { initialMs: 50, maxMs: 500 }, log: () => undefined });
  const r = await client.connect();
  if (!r.ok) throw new Error(`AAP connect to ${JSON.stringify(transport)}: ${r.error.message}`);
  return client;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

/** Registers the receiver on B and the sender on A, then adds the contact A → B through A's config agent. */
export async function openAapPair(a: BenchNode, b: BenchNode): Promise<AapPair> {
  const receiver = await connect(b.aap);
  const sender = await connect(a.aap);
  const contact = await sender.addContact({ node: b.nodeId, cla: b.mtcp });
  if (!contact.ok) throw new Error(`contact ${a.nodeId} → ${b.nodeId}: ${contact.error.message}`);
  const inbox = receiver.bundles();
  const destination = `${b.nodeId}${AGENT}`;

  async function receive(payload: Uint8Array, count: number, progress: { n: number }): Promise<number> {
    let last: ReceivedBundle | null = null;
    while (progress.n < count) {
      const r = await inbox.next();
      if (r.done === true) throw new Error(`receiver closed after ${progress.n} of ${count} bundles`);
      if (r.value.payload.length !== payload.length) throw new Error(`bundle ${progress.n}: ${r.value.payload.length} bytes, expected ${payload.length}`);
      last = r.value;
      progress.n++;
    }
    const end = performance.now();
    if (last !== null && !sameBytes(last.payload, payload)) throw new Error('the last payload received differs from the one sent');
    return end;
  }

  return {
    async transfer(payload, count) {
      const progress = { n: 0 };
      let seen = 0;
      let stalled: (e: Error) => void = () => undefined;
      const stall = new Promise<never>((_, reject) => (stalled = reject));
      const watchdog = setInterval(() => {
        if (progress.n === seen) stalled(new Error(`no bundle for ${STALL_MS} ms: ${progress.n} of ${count} received`));
        seen = progress.n;
      }, STALL_MS);
      const start = performance.now();
      const received = Promise.race([receive(payload, count, progress), stall]);
      received.catch(() => undefined);
      try {
        for (let i = 0; i < count; i++) {
          const sent = await sender.send(destination, payload);
          if (!sent.ok) throw new Error(`send ${i}: ${sent.error.message}`);
        }
        return ((await received) - start) / 1000;
      } finally {
        clearInterval(watchdog);
      }
    },
    async close() {
      await sender.close();
      await receiver.close();
    },
  };
}
