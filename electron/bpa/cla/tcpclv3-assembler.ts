/**
 * Joins TCPCLv3 DATA_SEGMENT contents into bundles (RFC 7242 §5.2: the first segment of a bundle has
 * the S flag, the last the E flag; a bundle sent as one segment has both). uD3TN sends and parses only
 * S|E segments (protocols.md §6.4); other senders split bundles, so we accept both.
 *
 * Out-of-order flags are handled without closing the session, keeping what is still well-formed:
 * - S while a bundle is in progress: the partial bundle is dropped and the new one starts;
 * - a segment without S when no bundle is in progress: that segment is dropped;
 * - a bundle growing past `maxBundleBytes`: not buffered any further, dropped at its E.
 */

export type DropReason = 'no-start' | 'restarted' | 'too-large';

export interface SegmentOutcome {
  /** The bundle this segment completed: a view of the segment for S|E (no copy), else one joined buffer. */
  readonly bundle?: Uint8Array;
  /** Bytes this segment made us drop, and why (for the log; never payload bytes). */
  readonly dropped?: { readonly reason: DropReason; readonly bytes: number };
}

const NOTHING: SegmentOutcome = {};

export class SegmentAssembler {
  private parts: Uint8Array[] = [];
  private length = 0;
  /** A bundle is in progress (S seen, E not yet). */
  private open = false;
  /** The bundle in progress went past the limit: its bytes are counted, not kept. */
  private discarding = false;

  constructor(private readonly maxBundleBytes: number) {}

  /** Bytes of the bundle in progress held in memory (0 between bundles). */
  get pendingBytes(): number {
    return this.discarding ? 0 : this.length;
  }

  /** Bytes of the bundle in progress received so far (what an ACK_SEGMENT would acknowledge, RFC 7242 §5.3). */
  get receivedBytes(): number {
    return this.length;
  }

  /** Feed one DATA_SEGMENT's contents with its S (start) and E (end) flags. */
  add(data: Uint8Array, start: boolean, end: boolean): SegmentOutcome {
    if (start) {
      const restartedBytes = this.open ? this.length : -1;
      this.reset();
      const outcome = end && data.length <= this.maxBundleBytes ? { bundle: data } : this.append(data, end);
      if (restartedBytes < 0) return outcome;
      const dropped = { reason: 'restarted', bytes: restartedBytes } as const;
      return outcome.bundle === undefined ? { dropped } : { bundle: outcome.bundle, dropped };
    }
    if (!this.open) return { dropped: { reason: 'no-start', bytes: data.length } };
    return this.append(data, end);
  }

  /** Forget the bundle in progress (the connection ended). Returns the bytes that were received of it. */
  clear(): number {
    const pending = this.open ? this.length : 0;
    this.reset();
    return pending;
  }

  private append(data: Uint8Array, end: boolean): SegmentOutcome {
    this.open = true;
    this.length += data.length;
    if (!this.discarding && this.length > this.maxBundleBytes) {
      this.discarding = true;
      this.parts = [];
    }
    if (!this.discarding && data.length > 0) this.parts.push(data);
    if (!end) return NOTHING;
    if (this.discarding) {
      const bytes = this.length;
      this.reset();
      return { dropped: { reason: 'too-large', bytes } };
    }
    const bundle = this.parts.length === 1 ? (this.parts[0] as Uint8Array) : join(this.parts, this.length);
    this.reset();
    return { bundle };
  }

  private reset(): void {
    this.parts = [];
    this.length = 0;
    this.open = false;
    this.discarding = false;
  }
}

function join(parts: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
