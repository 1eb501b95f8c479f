/**
 * A wiretap for the interop tier: Farside's MTCP CLA listening on a loopback port with a sink that keeps
 * every bundle it reads. A uD3TN contact pointed at it (`mtcp:127.0.0.1:<port>`) shows the exact bytes
 * uD3TN put on the wire, so a test can compare them with what uD3TN told its AAP client.
 */
import { createMtcpCla } from '../cla/mtcp-cla';
import type { ClaOrigin } from '../types';

export interface TappedBundle {
  readonly bytes: Uint8Array;
  readonly origin: ClaOrigin;
}

export interface MtcpTap {
  /** `mtcp:127.0.0.1:<port>`: the CLA address for a contact. */
  readonly claAddress: string;
  readonly bundles: readonly TappedBundle[];
  /** Resolves once `n` bundles arrived in total; rejects after `timeoutMs`. */
  waitFor(n: number, timeoutMs?: number): Promise<readonly TappedBundle[]>;
  close(): Promise<void>;
}

export async function startMtcpTap(): Promise<MtcpTap> {
  const bundles: TappedBundle[] = [];
  const cla = createMtcpCla({
    // The sink gets a view into the CLA's read buffer: keep a copy, the buffer is reused.
    sink: (bytes, origin) => bundles.push({ bytes: bytes.slice(), origin }),
    log: () => undefined,
  });
  const l = await cla.listen('127.0.0.1', 0);
  if (!l.ok) throw new Error(`MTCP tap: ${l.error.message}`);
  return {
    claAddress: `mtcp:${l.value.address}`,
    bundles,
    async waitFor(n, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (bundles.length < n) {
        if (Date.now() > deadline) throw new Error(`MTCP tap: waited for ${n} bundles, got ${bundles.length}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return bundles;
    },
    close: () => cla.close(),
  };
}
