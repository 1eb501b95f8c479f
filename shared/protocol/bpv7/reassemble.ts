/**
 * Reassembly of fragments into the original bundle (RFC 9171 §5.9), in bounded memory.
 *
 * Fragments belong together when they share the source node ID and creation timestamp (§5.9; the bundle
 * ID of §4.2.7 without the fragment fields), and they must agree on the total ADU length, else the later
 * one is rejected with FRAGMENT_MISMATCH. They may come in any order, duplicated or overlapping; the
 * received ranges are tracked as an interval set, and the ADU is complete once [0, total) is covered.
 *
 * Overlaps: the bytes a fragment shares with what was already received must be equal. When they are
 * not, nobody can tell which copy is right; the first bytes received stay, and the disagreeing fragment
 * is rejected with FRAGMENT_MISMATCH without changing anything (so a stray fragment cannot corrupt an
 * ADU that was consistent until then).
 *
 * The reassembled bundle has the primary block of the fragment of offset 0 without the "is fragment"
 * flag and fragment fields, the extension blocks of that fragment (§5.8 puts the non-replicated ones only
 * there), and the whole payload, with the payload block's flags and CRC type from that fragment.
 *
 * Memory: the payload buffer is ONE allocation of the total ADU length, made when the first fragment of
 * an ADU arrives and after the limits allow it; fragment payloads are copied into it (so no input buffer
 * is retained), and the extension blocks of the offset-0 fragment are copied too and counted. Limits
 * (a subset of LIMITS, overridable per reassembler):
 * - reassemblyMaxAduBytes: a total ADU length above it is rejected (LIMIT_EXCEEDED) before allocating;
 * - reassemblyMaxFragmentsPerAdu: an ADU whose reassembly would take more fragments that add bytes is
 *   dropped and the fragment rejected (LIMIT_EXCEEDED); duplicates add nothing and are not counted;
 * - reassemblyMaxPendingAdus and reassemblyMaxBufferedBytes: to make room for a new ADU, expired ADUs are
 *   dropped first, then the incomplete ADUs whose first fragment arrived earliest (like IP reassembly:
 *   old partial state gives way to new, so junk cannot block reassembly for a whole bundle lifetime).
 *   An ADU that cannot fit even into an empty reassembler is rejected.
 * Expiry: an ADU expires at creation time + lifetime (§4.3.1); with creation time 0 (no clock, §4.2.7)
 * at the arrival of its first fragment + lifetime. A fragment of an expired bundle is rejected (EXPIRED).
 */
import type { FarsideError } from '../../errors';
import { LIMITS } from '../limits';
import { dtnTimeFromUnixMs, expiryDtnTime } from './dtn-time';
import { eidKey } from './eid';
import { BundleFlag, hasFlag } from './flags';
import { IntervalSet } from './interval-set';
import type { Bundle, CanonicalBlock, CreationTimestamp, Eid, PrimaryBlock } from './types';
import { PAYLOAD_BLOCK_TYPE } from './types';

export interface ReassemblyLimits {
  readonly reassemblyMaxAduBytes: number;
  readonly reassemblyMaxFragmentsPerAdu: number;
  readonly reassemblyMaxPendingAdus: number;
  readonly reassemblyMaxBufferedBytes: number;
}

export interface ReassemblerOptions {
  /** Overrides of the LIMITS entries above. */
  readonly limits?: Partial<ReassemblyLimits>;
  /** The current DTN time in ms (RFC 9171 §4.2.6); default: the system clock. */
  readonly now?: () => number;
  /** Told about every incomplete ADU the reassembler drops: expired, or evicted to make room. */
  readonly onDrop?: (adu: PendingAdu, why: 'expired' | 'evicted' | 'too-many-fragments') => void;
}

/** An ADU under reassembly, as pending() shows it (the UI shows fragment progress from this). */
export interface PendingAdu {
  readonly source: Eid;
  readonly creation: CreationTimestamp;
  readonly totalAduLength: number;
  /** Distinct payload bytes received so far. */
  readonly receivedBytes: number;
  /** Fragments that added bytes. */
  readonly fragments: number;
  /** Received byte ranges, [start, end) in ADU offsets. */
  readonly ranges: ReadonlyArray<readonly [number, number]>;
  /** DTN time (ms) the first fragment arrived. */
  readonly firstReceivedAt: number;
  /** DTN time (ms) at which the ADU expires and is dropped. */
  readonly expiresAt: number;
}

export type ReassemblyResult =
  | { readonly kind: 'incomplete'; readonly receivedBytes: number; readonly totalAduLength: number }
  | { readonly kind: 'complete'; readonly bundle: Bundle }
  | { readonly kind: 'rejected'; readonly error: FarsideError };

export interface Reassembler {
  /** Adds one fragment (a decoded bundle with the "is fragment" flag). */
  add(fragment: Bundle): ReassemblyResult;
  /** Drops every ADU that has expired at `now` (default: the clock) and returns what was dropped. */
  expire(now?: number): PendingAdu[];
  /** The ADUs under reassembly, oldest first. */
  pending(): PendingAdu[];
  /** Bytes held: payload buffers plus copied extension blocks. */
  bufferedBytes(): number;
}

interface Entry {
  readonly key: string;
  readonly source: Eid;
  readonly creation: CreationTimestamp;
  readonly total: number;
  readonly buffer: Uint8Array;
  readonly coverage: IntervalSet;
  readonly firstReceivedAt: number;
  readonly expiresAt: number;
  fragments: number;
  /** Bytes this entry counts against reassemblyMaxBufferedBytes. */
  held: number;
  /** From the fragment of offset 0, once it has arrived. */
  first: { readonly primary: PrimaryBlock; readonly extensions: readonly CanonicalBlock[]; readonly payload: CanonicalBlock } | undefined;
}

const systemNow = (): number => dtnTimeFromUnixMs(Date.now());

function rejected(code: FarsideError['code'], message: string): ReassemblyResult {
  return { kind: 'rejected', error: { code, message } };
}

function snapshot(e: Entry): PendingAdu {
  return {
    source: e.source,
    creation: e.creation,
    totalAduLength: e.total,
    receivedBytes: e.coverage.covered,
    fragments: e.fragments,
    ranges: e.coverage.toArray(),
    firstReceivedAt: e.firstReceivedAt,
    expiresAt: e.expiresAt,
  };
}

/** The primary block of the whole bundle: no "is fragment" flag, no fragment fields (§5.9). */
function unfragmentedPrimary(p: PrimaryBlock): PrimaryBlock {
  const { fragment: _fragment, ...rest } = p;
  return { ...rest, flags: hasFlag(p.flags, BundleFlag.IS_FRAGMENT) ? p.flags - BundleFlag.IS_FRAGMENT : p.flags };
}

/** A copy of a block's data, so that keeping the block does not keep the whole received bundle alive. */
function detached(block: CanonicalBlock): CanonicalBlock {
  return { ...block, data: block.data.slice() };
}

export function createReassembler(options: ReassemblerOptions = {}): Reassembler {
  const limits: ReassemblyLimits = {
    reassemblyMaxAduBytes: options.limits?.reassemblyMaxAduBytes ?? LIMITS.reassemblyMaxAduBytes,
    reassemblyMaxFragmentsPerAdu: options.limits?.reassemblyMaxFragmentsPerAdu ?? LIMITS.reassemblyMaxFragmentsPerAdu,
    reassemblyMaxPendingAdus: options.limits?.reassemblyMaxPendingAdus ?? LIMITS.reassemblyMaxPendingAdus,
    reassemblyMaxBufferedBytes: options.limits?.reassemblyMaxBufferedBytes ?? LIMITS.reassemblyMaxBufferedBytes,
  };
  const clock = options.now ?? systemNow;
  const onDrop = options.onDrop;
  // Map iteration follows insertion order: the first entry is the one whose first fragment came earliest.
  const entries = new Map<string, Entry>();
  let buffered = 0;

  function drop(e: Entry, why: 'expired' | 'evicted' | 'too-many-fragments'): PendingAdu {
    entries.delete(e.key);
    buffered -= e.held;
    const info = snapshot(e);
    onDrop?.(info, why);
    return info;
  }

  function expire(now: number = clock()): PendingAdu[] {
    const dropped: PendingAdu[] = [];
    for (const e of entries.values()) if (e.expiresAt <= now) dropped.push(drop(e, 'expired'));
    return dropped;
  }

  /**
   * Makes room for `bytes` more (and, with `newAdu`, one more ADU) by dropping expired ADUs, then the
   * oldest incomplete ones other than `keep`; false when even that cannot make enough room.
   */
  function reserve(bytes: number, newAdu: boolean, now: number, keep?: Entry): boolean {
    const fits = (): boolean =>
      buffered + bytes <= limits.reassemblyMaxBufferedBytes && (!newAdu || entries.size < limits.reassemblyMaxPendingAdus);
    if (fits()) return true;
    const keptBytes = keep === undefined ? 0 : keep.held;
    if (keptBytes + bytes > limits.reassemblyMaxBufferedBytes || (newAdu && limits.reassemblyMaxPendingAdus < 1)) return false;
    expire(now);
    for (const e of entries.values()) {
      if (fits()) break;
      if (e !== keep) drop(e, 'evicted');
    }
    return fits();
  }

  function add(fragment: Bundle): ReassemblyResult {
    const { primary, blocks } = fragment;
    const info = primary.fragment;
    if (info === undefined || !hasFlag(primary.flags, BundleFlag.IS_FRAGMENT)) {
      return rejected('INVALID_ARGUMENT', 'not a fragment: the "is fragment" flag and the fragment fields are missing (RFC 9171 §4.3.1)');
    }
    const payload = blocks[blocks.length - 1];
    if (payload === undefined || payload.type !== PAYLOAD_BLOCK_TYPE) {
      return rejected('BUNDLE_INVALID', 'the last block of the fragment is not a payload block (RFC 9171 §4.1)');
    }
    const { offset, totalAduLength: total } = info;
    const data = payload.data;
    const end = offset + data.length;
    if (end > total) {
      return rejected('BUNDLE_INVALID', `fragment payload [${offset}, ${end}) lies outside the ADU of ${total} bytes`);
    }
    if (total > limits.reassemblyMaxAduBytes) {
      return rejected('LIMIT_EXCEEDED', `total ADU length ${total} exceeds the reassembly limit of ${limits.reassemblyMaxAduBytes} bytes`);
    }
    const now = clock();
    const key = `${eidKey(primary.source)} ${primary.creation.time} ${primary.creation.sequence}`;
    let e = entries.get(key);
    if (e === undefined) {
      const expiresAt = expiryDtnTime(primary.creation.time, primary.lifetime) ?? now + primary.lifetime;
      if (expiresAt <= now) return rejected('EXPIRED', 'the bundle this fragment belongs to has expired (RFC 9171 §4.3.1)');
      if (total === 0) {
        // An empty ADU is complete with its first (necessarily empty) fragment.
        return { kind: 'complete', bundle: { primary: unfragmentedPrimary(primary), blocks: blocks.map(detached) } };
      }
      if (!reserve(total, true, now)) {
        return rejected('LIMIT_EXCEEDED', `an ADU of ${total} bytes does not fit the reassembly limits`);
      }
      e = {
        key,
        source: primary.source,
        creation: primary.creation,
        total,
        buffer: new Uint8Array(total),
        coverage: new IntervalSet(),
        firstReceivedAt: now,
        expiresAt,
        fragments: 0,
        held: total,
        first: undefined,
      };
      entries.set(key, e);
      buffered += total;
    } else if (e.expiresAt <= now) {
      drop(e, 'expired');
      return rejected('EXPIRED', 'the bundle this fragment belongs to has expired (RFC 9171 §4.3.1)');
    } else if (e.total !== total) {
      return rejected('FRAGMENT_MISMATCH', `total ADU length ${total} differs from ${e.total} of earlier fragments of the same bundle`);
    }

    // Overlapping bytes must agree with what was received before (see the file comment).
    const buffer = e.buffer;
    const overlap = e.coverage.forEachOverlap(offset, end, (s, t) => {
      for (let k = s; k < t; k++) if (buffer[k] !== data[k - offset]) return false;
      return true;
    });
    if (overlap < 0) {
      return rejected('FRAGMENT_MISMATCH', `fragment [${offset}, ${end}) disagrees with bytes already received for the same bundle`);
    }
    const adds = overlap < data.length;
    if (adds && e.fragments >= limits.reassemblyMaxFragmentsPerAdu) {
      drop(e, 'too-many-fragments');
      return rejected('LIMIT_EXCEEDED', `reassembly would take more than ${limits.reassemblyMaxFragmentsPerAdu} fragments; the ADU was dropped`);
    }
    if (offset === 0 && e.first === undefined) {
      const extensions = blocks.slice(0, -1);
      let extra = 0;
      for (const b of extensions) extra += b.data.length;
      if (!reserve(extra, false, now, e)) {
        return rejected('LIMIT_EXCEEDED', `the ${extra} bytes of extension blocks do not fit the reassembly limits`);
      }
      e.first = { primary, extensions: extensions.map(detached), payload: { ...payload, data: new Uint8Array(0) } };
      e.held += extra;
      buffered += extra;
    }
    if (adds) {
      buffer.set(data, offset);
      e.coverage.add(offset, end);
      e.fragments++;
    }
    if (!e.coverage.coversPrefix(total) || e.first === undefined) {
      return { kind: 'incomplete', receivedBytes: e.coverage.covered, totalAduLength: total };
    }
    entries.delete(key);
    buffered -= e.held;
    const { first } = e;
    return {
      kind: 'complete',
      bundle: { primary: unfragmentedPrimary(first.primary), blocks: [...first.extensions, { ...first.payload, data: buffer }] },
    };
  }

  return {
    add,
    expire,
    pending: () => Array.from(entries.values(), snapshot),
    bufferedBytes: () => buffered,
  };
}
