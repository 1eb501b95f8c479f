/**
 * Items written to a connection that has no acknowledgements, waiting for the connection to stay usable
 * for `windowMs` after their write before they count as done ("settled"). The MTCP/TCPCLv3 sender
 * (contact-session.ts: a bundle is sent once the link lasted confirmMs) and AAP v1 delivery (delivery.ts:
 * a bundle is delivered once the registration lasted settleMs) both keep one of these.
 *
 * An item settles when a later write finds it windowMs old (the later write proves the connection was
 * still there), or by the timer when nothing more is written. The owner takes the unsettled ones back
 * when the connection goes away within the window. Times are monotonic (performance.now()): the window is
 * about real time on the connection, whatever the node clock says.
 *
 * On the per-bundle path: push() allocates nothing besides the amortised growth of two arrays (no
 * per-item closure or wrapper), and a stream settles one item per write, so the head moves instead of
 * the arrays being copied each time.
 */

/** A settled head this long, and at least half the arrays, is cut off (amortised O(1) per item). */
const COMPACT_AT = 1024;

export interface WrittenWindowOptions<T> {
  /** How long after its write an item settles (monotonic ms); 0 settles it at its push. */
  readonly windowMs: number;
  /** The item lasted the window: called once per item, in write order. */
  settled(item: T): void;
  /** `settled` (or `onTimer`) threw under the timer, where there is no caller to throw to. */
  onError(e: unknown): void;
  /**
   * What the timer does when the oldest item is due and no write settled it; default settleDue(). The
   * window is re-armed after it.
   */
  onTimer?(): void;
}

export interface WrittenWindow<T> {
  /** The item was just written: stamp it, settle what is due by now, and arm the timer. */
  push(item: T): void;
  /** Settle the items written at least windowMs ago (the timer may be late under a busy event loop). */
  settleDue(): void;
  /** Every unsettled item, in write order; the window is left empty and its timer cleared. */
  take(): T[];
  /** Items not settled yet. */
  readonly size: number;
  /** Clear the timer: what is left stays unsettled (a stop); nothing is pushed afterwards. */
  close(): void;
}

export function createWrittenWindow<T>(opts: WrittenWindowOptions<T>): WrittenWindow<T> {
  const { windowMs } = opts;
  /** Unsettled from `head` on, oldest first; `stamps[i]` is the monotonic time `items[i]` was written. */
  let items: T[] = [];
  let stamps: number[] = [];
  let head = 0;
  let timer: NodeJS.Timeout | undefined;

  function settleUntil(now: number): void {
    const limit = now - windowMs;
    // The head moves before each callback: a callback that takes the window (take()) ends the loop.
    while (head < items.length && (stamps[head] as number) <= limit) {
      const item = items[head] as T;
      head++;
      opts.settled(item);
    }
    if (head === items.length) {
      items.length = 0;
      stamps.length = 0;
      head = 0;
    } else if (head >= COMPACT_AT && head * 2 >= items.length) {
      items = items.slice(head);
      stamps = stamps.slice(head);
      head = 0;
    }
  }

  function settleDue(): void {
    settleUntil(performance.now());
  }

  /** Nothing more is written for a while: settle by the clock once the oldest item is due. */
  function arm(): void {
    if (timer !== undefined || head === items.length) return;
    timer = setTimeout(fire, Math.max(1, Math.ceil((stamps[head] as number) + windowMs - performance.now())));
  }

  function fire(): void {
    timer = undefined;
    try {
      if (opts.onTimer === undefined) settleDue();
      else opts.onTimer();
    } catch (e) {
      opts.onError(e);
    }
    arm();
  }

  function clearTimer(): void {
    clearTimeout(timer);
    timer = undefined;
  }

  return {
    push(item) {
      const now = performance.now();
      items.push(item);
      stamps.push(now);
      settleUntil(now);
      arm();
    },
    settleDue,
    take() {
      clearTimer();
      const rest = items.slice(head);
      items = [];
      stamps = [];
      head = 0;
      return rest;
    },
    get size() {
      return items.length - head;
    },
    close: clearTimer,
  };
}
