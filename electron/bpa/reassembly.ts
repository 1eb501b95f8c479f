/**
 * Durable reassembly for local delivery (RFC 9171 §5.9): fragments addressed to this node stay in the
 * store (state 'reassembly') until their ADU is complete; the in-memory reassembler (bpv7/reassemble.ts)
 * only holds the bytes being put together and is rebuilt from the stored fragments after a restart.
 * uD3TN reassembles too, in memory only (ud3tn-behaviour.md §9).
 *
 * On completion the processor stores the whole bundle as an ordinary 'deliver' bundle and then deletes
 * the fragments (a crash in between leaves both; at the next start the fragments of an ADU whose whole
 * bundle is already known are deleted). ADUs the reassembler gives up on (expired, evicted for room,
 * too many fragments) and fragments it rejects (inconsistent with earlier ones) are deleted.
 */
import type { FarsideError } from '../../shared/errors';
import { dtnTimeFromUnixMs } from '../../shared/protocol/bpv7/dtn-time';
import { eidKey } from '../../shared/protocol/bpv7/eid';
import { createReassembler, type PendingAdu, type ReassemblyLimits } from '../../shared/protocol/bpv7/reassemble';
import type { Bundle, CreationTimestamp, Eid } from '../../shared/protocol/bpv7/types';
import type { Tracked } from './bundle-index';
import type { Clock } from './types';

export interface ReassemblyDeps {
  readonly clock: Clock;
  readonly limits?: Partial<ReassemblyLimits>;
  /** The ADU is whole: store `bundle` for delivery, then delete `fragments`. */
  complete(bundle: Bundle, fragments: readonly Tracked[]): void;
  /** The reassembler gave up on an ADU: delete its stored fragments. */
  dropped(fragments: readonly Tracked[], why: 'expired' | 'evicted' | 'too-many-fragments'): void;
  /** A fragment does not fit the ADU it claims to belong to: delete it. */
  rejected(fragment: Tracked, error: FarsideError): void;
}

export interface Reassembly {
  /** Add a stored fragment (state 'reassembly'). */
  add(t: Tracked, fragment: Bundle): void;
  /** Drop ADUs that expired (their fragments are deleted by store expiry too). */
  expire(): void;
  /** Incomplete ADUs, for logs and the UI. */
  pending(): PendingAdu[];
}

/** The key of the whole bundle a fragment belongs to: source, creation time, sequence (store/bundle-key.ts without fragment fields). */
export function aduKey(source: Eid, creation: CreationTimestamp): string {
  return `${eidKey(source)} ${creation.time} ${creation.sequence}`;
}

export function createReassembly(deps: ReassemblyDeps): Reassembly {
  const fragmentsOf = new Map<string, Tracked[]>();
  const reassembler = createReassembler({
    ...(deps.limits === undefined ? {} : { limits: deps.limits }),
    now: () => Math.max(0, dtnTimeFromUnixMs(deps.clock())),
    onDrop: (adu, why) => {
      const key = aduKey(adu.source, adu.creation);
      const list = fragmentsOf.get(key) ?? [];
      fragmentsOf.delete(key);
      deps.dropped(list, why);
    },
  });

  return {
    add(t, fragment) {
      const key = aduKey(fragment.primary.source, fragment.primary.creation);
      const list = fragmentsOf.get(key) ?? [];
      list.push(t);
      fragmentsOf.set(key, list);
      const r = reassembler.add(fragment);
      if (r.kind === 'incomplete') return;
      if (r.kind === 'rejected') {
        // When the reassembler dropped the whole ADU on the way (expired, too many fragments), onDrop
        // already handed this fragment over with its siblings.
        const still = fragmentsOf.get(key);
        if (still !== undefined) {
          still.pop();
          if (still.length === 0) fragmentsOf.delete(key);
        }
        if (!t.gone) deps.rejected(t, r.error);
        return;
      }
      fragmentsOf.delete(key);
      deps.complete(r.bundle, list);
    },
    expire() {
      reassembler.expire();
    },
    pending: () => reassembler.pending(),
  };
}
