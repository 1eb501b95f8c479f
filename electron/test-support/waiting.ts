/**
 * Waiting in tests without fixed sleeps: for a named event that a node logs or a child process prints
 * (recorded, so an event that came before the wait counts too), and for a condition nothing announces
 * (polled).
 */

/** What a recorder files by name: a BPA log event, a Farside child's event line. */
export interface NamedEvent {
  readonly event?: unknown;
}

export interface EventRecorder<E extends NamedEvent> {
  /** Every event recorded so far, oldest first. */
  readonly events: readonly E[];
  record(e: E): void;
  /** Resolves with the first event named `event` that `match` accepts, recorded before or after the call. */
  waitFor(event: string, match?: (e: E) => boolean, timeoutMs?: number): Promise<E>;
  /** Events named `event` that `match` accepts, recorded so far. */
  named(event: string, match?: (e: E) => boolean): E[];
  count(event: string, match?: (e: E) => boolean): number;
  /**
   * No more events will come (the child exited): waits pending now or started later that nothing recorded
   * satisfies reject at once, saying `why` ("exited (code 1)"), instead of running into their timeout.
   */
  end(why: string): void;
}

export interface EventRecorderOptions {
  /** waitFor's timeout when the caller names none. */
  readonly timeoutMs: number;
  /** The rejection's message from what went wrong, e.g. with the source's name and its standard error. */
  readonly describe?: (why: string) => string;
}

interface Waiter<E> {
  readonly event: string;
  readonly accepts: (e: E) => boolean;
  resolve(e: E): void;
  fail(why: string): void;
}

const acceptAll = (): boolean => true;

export function createEventRecorder<E extends NamedEvent>(o: EventRecorderOptions): EventRecorder<E> {
  const events: E[] = [];
  const waiters = new Set<Waiter<E>>();
  const describe = o.describe ?? ((why: string): string => why);
  let ended: string | null = null;
  const filter = (event: string, match: (e: E) => boolean) => (e: E) => e.event === event && match(e);

  return {
    events,
    record(e) {
      events.push(e);
      for (const w of waiters) {
        if (w.accepts(e)) w.resolve(e);
      }
    },
    waitFor(event, match = acceptAll, timeoutMs = o.timeoutMs) {
      const accepts = filter(event, match);
      const seen = events.find(accepts);
      if (seen !== undefined) return Promise.resolve(seen);
      if (ended !== null) return Promise.reject(new Error(describe(`${ended} before ${event}`)));
      return new Promise((resolve, reject) => {
        const w: Waiter<E> = {
          event,
          accepts,
          resolve(e) {
            waiters.delete(w);
            clearTimeout(timer);
            resolve(e);
          },
          fail(why) {
            waiters.delete(w);
            clearTimeout(timer);
            reject(new Error(describe(why)));
          },
        };
        const timer = setTimeout(() => w.fail(`no ${event} within ${timeoutMs} ms`), timeoutMs);
        waiters.add(w);
      });
    },
    named: (event, match = acceptAll) => events.filter(filter(event, match)),
    count: (event, match = acceptAll) => events.filter(filter(event, match)).length,
    end(why) {
      ended = why;
      for (const w of waiters) w.fail(`${why} before ${w.event}`);
    },
  };
}

/** Poll `predicate` every 5 ms until it holds, for state nothing announces; throws after `timeoutMs`. */
export async function until(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`condition not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
