/**
 * The buffer between the sockets and the consumer of received bundles. uD3TN does not keep bundles for
 * an application (ud3tn-behaviour.md §0.4, §11), so once a bundle is read off the socket this buffer is
 * its only copy: nothing is dropped here, ever. A bundle leaves only when a consumer takes it, and its
 * `onTaken` callback (AAP 2.0 answers the node's push with SUCCESS, after which the node forgets it) runs
 * only when that consumer comes back for the next one or leaves its loop: a consumer that stores each
 * bundle before asking for the next never lets the node forget one it has not stored (kill -9 in between
 * gets it pushed again after the reconnect).
 *
 * Backpressure: above `highWaterBytes` the inbox asks its owner to stop reading (`onFull`), and below half
 * of it to resume (`onDrained`). The owner decides whether it can stop; see client.ts.
 */
import type { ReceivedBundle } from './types';

export interface Inbox {
  push(bundle: ReceivedBundle, onTaken?: () => void): void;
  /** An iterator over the shared buffer; several may be open, each next() takes the oldest bundle. */
  iterator(): AsyncIterableIterator<ReceivedBundle>;
  /** No more bundles will come: waiting consumers finish once the buffer is empty. */
  end(): void;
  readonly bufferedBytes: number;
  readonly length: number;
}

export interface InboxOptions {
  readonly highWaterBytes: number;
  readonly onFull: () => void;
  readonly onDrained: () => void;
}

interface Entry {
  readonly bundle: ReceivedBundle;
  readonly onTaken: (() => void) | undefined;
}

type Waiter = (r: IteratorResult<ReceivedBundle>) => void;

/** Fixed per-bundle cost so that a flood of empty ADUs also counts against the high-water mark. */
const ENTRY_OVERHEAD_BYTES = 256;

export function createInbox(opts: InboxOptions): Inbox {
  // A queue with a moving head index: O(1) take without Array.shift on long queues.
  let entries: (Entry | undefined)[] = [];
  let head = 0;
  const waiters: Waiter[] = [];
  let bytes = 0;
  let full = false;
  let ended = false;

  const cost = (b: ReceivedBundle): number => b.payload.length + ENTRY_OVERHEAD_BYTES;

  // Bundles handed out and still being processed. They count as taken (onTaken: AAP 2.0 SUCCESS) only
  // when the consumer is done with them, i.e. comes back for the next one or leaves its loop, so that a
  // consumer that stores each bundle before asking for the next lets the node forget nothing it has not
  // stored. The model is one consumer at a time (the gateway's inbound loop): each iterator's next() or
  // return() releases what was handed out before, which also covers helpers that open a fresh iterator
  // per bundle.
  const held: Entry[] = [];

  function release(): void {
    for (const h of held.splice(0)) h.onTaken?.();
  }

  function hand(entry: Entry, waiter: Waiter): void {
    held.push(entry);
    waiter({ done: false, value: entry.bundle });
  }

  function take(): Entry | undefined {
    if (head >= entries.length) return undefined;
    const entry = entries[head];
    entries[head] = undefined; // release it for the garbage collector
    head += 1;
    if (head > 1024 && head * 2 > entries.length) {
      entries = entries.slice(head);
      head = 0;
    }
    if (entry) {
      bytes -= cost(entry.bundle);
      if (full && bytes <= opts.highWaterBytes / 2) {
        full = false;
        opts.onDrained();
      }
    }
    return entry;
  }

  function next(): Promise<IteratorResult<ReceivedBundle>> {
    release();
    const entry = take();
    if (entry) {
      return new Promise((resolve) => hand(entry, resolve));
    }
    if (ended) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve) => waiters.push(resolve));
  }

  return {
    push(bundle: ReceivedBundle, onTaken?: () => void): void {
      const waiter = waiters.shift();
      if (waiter) {
        hand({ bundle, onTaken }, waiter);
        return;
      }
      entries.push({ bundle, onTaken });
      bytes += cost(bundle);
      if (!full && bytes >= opts.highWaterBytes) {
        full = true;
        opts.onFull();
      }
    },
    iterator(): AsyncIterableIterator<ReceivedBundle> {
      const it: AsyncIterableIterator<ReceivedBundle> = {
        next,
        // Leaving a for-await loop must not discard anything: the buffer stays for the next iterator.
        return: () => {
          release();
          return Promise.resolve({ done: true, value: undefined });
        },
        [Symbol.asyncIterator]: () => it,
      };
      return it;
    },
    end(): void {
      ended = true;
      for (const w of waiters.splice(0)) w({ done: true, value: undefined });
    },
    get bufferedBytes(): number {
      return bytes;
    },
    get length(): number {
      return entries.length - head;
    },
  };
}
