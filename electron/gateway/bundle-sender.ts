/**
 * Hands queued BSMTP bundles of one origin to the BP node and records the bundle ID the node confirmed
 * (protocols.md §8.2: "handed to the local BP node" is the first state with a bundle ID). The inbound
 * processor runs one for its DSNs ('dsn'); the BP side runs one for the outbound listener's mail ('mail'),
 * kicking it from onQueued.
 *
 * In order, one at a time. A failed send is retried with exponential backoff; a send whose outcome is
 * unknown (TIMEOUT, CONNECTION_CLOSED: the node may have taken it) is retried too, because the receiving
 * gateway drops a repeated message by its Message-ID. A crash between the node's confirmation and the
 * commit below has the same outcome: the bundle is sent again and de-duplicated at the far end.
 */
import { backoffDelay } from '../services/aap-client/backoff';
import type { BundleOrigin, GatewayStore, QueuedBundle } from './store/gateway-store';
import { bundleIdText } from './types';
import type { GatewayLog, SendBundle } from './types';

export interface BundleSenderOptions {
  readonly store: GatewayStore;
  readonly origin: BundleOrigin;
  readonly sendBundle: SendBundle;
  readonly log: GatewayLog;
  /** Backoff after a failed send: initialMs doubling up to maxMs. Default 1 s … 5 min. */
  readonly retry?: { readonly initialMs: number; readonly maxMs: number };
  /** Unix ms; default Date.now. */
  readonly clock?: () => number;
}

export interface BundleSender {
  /** Look at the queue now (after something was queued). */
  kick(): void;
  /** Resolves once no bundle of this origin is due now. */
  idle(): Promise<void>;
  /** Finish the send in progress and stop. */
  stop(): Promise<void>;
}

const BATCH = 64;

export function createBundleSender(opts: BundleSenderOptions): BundleSender {
  const { store, origin, log } = opts;
  const clock = opts.clock ?? Date.now;
  const retry = opts.retry ?? { initialMs: 1_000, maxMs: 300_000 };
  /** The drain in progress, if any. */
  let running: Promise<void> | null = null;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let waiters: (() => void)[] = [];

  const send = async (b: QueuedBundle): Promise<boolean> => {
    const payload = store.bundlePayload(b.id);
    if (payload === undefined) return true;
    const sent = await opts.sendBundle(b.destination, payload);
    const now = clock();
    if (sent.ok) {
      const id = bundleIdText(sent.value);
      store.markHandedOver(b.id, id, now);
      log({ event: 'bundle-handed-over', origin, queueId: b.id, destination: b.destination, messageId: b.messageId, bundleId: id, size: b.size });
      return true;
    }
    store.deferBundle(b.id, now + backoffDelay(b.attempts, retry));
    log({ event: 'bundle-send-failed', origin, queueId: b.id, destination: b.destination, code: sent.error.code, error: sent.error.message, attempt: b.attempts + 1 });
    return false;
  };

  const drain = async (): Promise<void> => {
    try {
      for (;;) {
        const due = store.dueBundles(origin, clock(), BATCH);
        if (due.length === 0 || stopped) break;
        let failed = false;
        for (const b of due) {
          if (stopped) break;
          // after a failure the node is likely unreachable: wait for the backoff instead of trying the rest
          if (!(await send(b))) {
            failed = true;
            break;
          }
        }
        if (failed) break;
      }
    } catch (e) {
      log({ event: 'bundle-sender-error', origin, error: e instanceof Error ? e.message : String(e) });
    }
  };

  /** After a drain: wake idle() waiters when nothing is due, and set the timer for the next due bundle. */
  const schedule = (): void => {
    const next = store.nextBundleDueAt(origin);
    if (next === null || next > clock()) {
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    }
    if (next !== null) timer = setTimeout(kick, Math.max(0, next - clock()));
  };

  function kick(): void {
    if (stopped || running !== null) return;
    if (timer !== null) clearTimeout(timer);
    timer = null;
    // cleared in a continuation, never synchronously: a drain that finds nothing due runs without awaiting
    running = drain().then(() => {
      running = null;
      if (!stopped) schedule();
    });
  }

  kick();
  return {
    kick,
    idle() {
      const next = store.nextBundleDueAt(origin);
      if (running === null && (next === null || next > clock())) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
    async stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      await running;
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    },
  };
}
