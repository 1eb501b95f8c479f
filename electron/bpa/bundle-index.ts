/**
 * The processor's in-memory view of the bundles in the durable store (store/). The store is the truth
 * about which bundles exist; scheduling state (which contact a bundle waits for, which agent queue it
 * sits in) lives only here and is rebuilt from the store at startup, so routing never costs a write.
 *
 * Cache: a bundle stays in memory, decoded, between storing and sending/delivering while the total of
 * their stored sizes is within a budget (LIMITS.bpaCacheMaxBytes): the common path (stored, then sent or
 * delivered at once) neither reads the store back nor decodes again. The decoded form shares its
 * payload with the bytes it came from (the received bundle, the submitted ADU), so no copy is made.
 * Beyond the budget, and for bundles that wait, they are read from the store when needed.
 */
import { err, ok, type Result } from '../../shared/errors';
import { decodeBundle } from '../../shared/protocol/bpv7/bundle';
import type { CodecOptions } from '../../shared/protocol/bpv7/crc';
import type { Bundle } from '../../shared/protocol/bpv7/types';
import type { BundleState, BundleStore } from './store/types';

/** One stored bundle as the processor tracks it. */
export interface Tracked {
  /** The bundle ID key (store/bundle-key.ts). */
  readonly id: string;
  readonly source: string;
  readonly destination: string;
  /** Unix ms. */
  readonly expiresAt: number;
  /** The bundle's report request flags (RFC 9171 §4.2.3). */
  readonly reportFlags: number;
  /** When this node stored it (Unix ms): the bundle age grows by the time since (forward-blocks.ts). */
  readonly receivedAt: number;
  /** Submitted by a local agent (or made by this node) or received over a CLA (DeliveredAdu.receivedFrom). */
  readonly origin: 'local' | 'cla';
  /** Encoded size as stored. */
  readonly size: number;
  readonly state: BundleState;
  /** Deleted from the store (delivered, forwarded, expired, dropped): every queue skips it. */
  gone: boolean;
  /** The cached bundle, see the file comment. */
  bundle: Bundle | undefined;
  /** forwarding.ts: the contact whose volume the bundle holds, and how much. */
  contactId: string | undefined;
  committed: number;
  /**
   * forwarding.ts: size as it would leave this node (updated extension blocks), what those updates add,
   * its flag 0x04, and the smallest useful share of a contact when fragmenting (worked out when a
   * contact has less room than the whole bundle).
   */
  outgoing: { readonly size: number; readonly overhead: number; readonly mustNotFragment: boolean; minFragmentBytes: number | undefined } | undefined;
}

export type TrackedInit = Pick<Tracked, 'id' | 'source' | 'destination' | 'expiresAt' | 'reportFlags' | 'receivedAt' | 'origin' | 'size' | 'state'>;

export interface BundleIndex {
  readonly size: number;
  get(id: string): Tracked | undefined;
  all(): IterableIterator<Tracked>;
  /** Track a stored bundle; `bundle` (what was stored, decoded) is cached when the budget allows. */
  add(init: TrackedInit, bundle?: Bundle): Tracked;
  /** Drop the cached bundle (e.g. it waits for a later contact). */
  uncache(t: Tracked): void;
  /** The bundle, from the cache or decoded from the store (CRCs were checked when it was stored, so not again). */
  decode(t: Tracked): Result<Bundle>;
  /**
   * Delete from the store and forget; false when the store did not have it any more. The store commits
   * deletes in batches (store/bundle-store.ts); `withNextWrite` asks for the next put, `commitRemovals`
   * commits them now.
   */
  remove(t: Tracked, opts?: { readonly withNextWrite?: boolean }): boolean;
  /** Commit the removals made so far (before a hand-over to an agent: see delivery.ts). */
  commitRemovals(): void;
  /** Forget without touching the store (the store already deleted it: expiry). */
  forget(t: Tracked): void;
  cachedBytes(): number;
}

export function createBundleIndex(store: BundleStore, codec: CodecOptions, cacheMaxBytes: number): BundleIndex {
  const map = new Map<string, Tracked>();
  let cached = 0;
  const decodeOpts = { ...codec, requireValidCrc: false };

  function uncache(t: Tracked): void {
    if (t.bundle === undefined) return;
    cached -= t.size;
    t.bundle = undefined;
  }

  function forget(t: Tracked): void {
    t.gone = true;
    uncache(t);
    if (map.get(t.id) === t) map.delete(t.id);
  }


  return {
    get size() {
      return map.size;
    },
    get: (id) => map.get(id),
    all: () => map.values(),
    add(init, bundle) {
      // Every field written in one literal, in one order: one object shape for all (hot path).
      const t: Tracked = {
        id: init.id,
        source: init.source,
        destination: init.destination,
        expiresAt: init.expiresAt,
        reportFlags: init.reportFlags,
        receivedAt: init.receivedAt,
        origin: init.origin,
        size: init.size,
        state: init.state,
        gone: false,
        bundle: undefined,
        contactId: undefined,
        committed: 0,
        outgoing: undefined,
      };
      if (bundle !== undefined && cached + t.size <= cacheMaxBytes) {
        t.bundle = bundle;
        cached += t.size;
      }
      map.set(t.id, t);
      return t;
    },
    uncache,
    decode(t) {
      if (t.bundle !== undefined) return ok(t.bundle);
      if (t.gone) return err('NOT_FOUND', `bundle ${t.id} is no longer stored`);
      const r = store.get(t.id);
      if (!r.ok) return r;
      const d = decodeBundle(r.value.bytes, decodeOpts);
      return d.ok ? ok(d.value.bundle) : d;
    },
    remove(t, opts) {
      const had = t.gone ? false : store.delete(t.id, opts);
      forget(t);
      return had;
    },
    commitRemovals: () => store.flushDeletes(),
    forget,
    cachedBytes: () => cached,
  };
}
