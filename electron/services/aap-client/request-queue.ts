/**
 * Stop-and-wait requests on one connection. uD3TN parses at most one AAP message per recv() and leaves
 * the rest in its buffer until the client writes again (ud3tn-behaviour.md §0.2, §5.3), so a pipelined
 * second request is answered only after a later write, or never. Exactly one request is written and in
 * flight at a time; concurrent callers wait in FIFO order. Each reply is awaited with a deadline, because
 * some errors get no reply at all (§5.3, §5.4). Unsolicited messages (RECVBUNDLE, pushed ADUs) are routed
 * elsewhere by the connection before they get here, so they are never taken for a reply (protocols.md §4.3).
 */
import { err, type ErrorCode, type Result } from '../../../shared/errors';

/** A reply matcher: a Result when `message` answers the request, undefined when it cannot be its reply. */
export type ReplyMatcher<M, R> = (message: M) => Result<R> | undefined;

interface Job<M> {
  readonly what: string;
  readonly write: () => void;
  readonly match: ReplyMatcher<M, unknown>;
  readonly resolve: (r: Result<unknown>) => void;
}

export interface RequestQueue<M> {
  /** Queue a request; `write` puts it on the wire when its turn comes. */
  request<R>(what: string, write: () => void, match: ReplyMatcher<M, R>): Promise<Result<R>>;
  /**
   * Offer a received reply. Returns false when no request is in flight or the message cannot answer
   * the one that is: the stream is then out of step and the connection must be dropped.
   */
  offer(message: M): boolean;
  /** Fail the request in flight and every queued one; later requests fail at once with the same code. */
  close(code: ErrorCode, message: string): void;
  /** True when nothing is in flight or queued (keepalive timers use it). */
  readonly idle: boolean;
}

/**
 * `onTimeout` runs after the request in flight got no reply within `timeoutMs`: the caller drops the
 * connection rather than trust the stream (§5.4), which closes this queue.
 */
export function createRequestQueue<M>(timeoutMs: number, onTimeout: (what: string) => void): RequestQueue<M> {
  const waiting: Job<M>[] = [];
  let inFlight: Job<M> | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let closed: { code: ErrorCode; message: string } | null = null;

  function startNext(): void {
    const next = waiting.shift();
    if (!next) return;
    inFlight = next;
    timer = setTimeout(() => {
      const job = inFlight;
      if (!job) return;
      inFlight = null;
      timer = null;
      job.resolve(err('TIMEOUT', `no reply to ${job.what} within ${timeoutMs} ms`));
      onTimeout(job.what);
      startNext();
    }, timeoutMs);
    next.write();
  }

  function finish(job: Job<M>, result: Result<unknown>): void {
    if (timer) clearTimeout(timer);
    timer = null;
    inFlight = null;
    job.resolve(result);
    // A settled reply may have closed the queue (e.g. the caller dropped the connection).
    if (!closed) startNext();
  }

  return {
    request<R>(what: string, write: () => void, match: ReplyMatcher<M, R>): Promise<Result<R>> {
      if (closed) return Promise.resolve(err(closed.code, closed.message));
      return new Promise<Result<R>>((resolve) => {
        waiting.push({ what, write, match, resolve: resolve as (r: Result<unknown>) => void });
        if (!inFlight) startNext();
      });
    },
    offer(message: M): boolean {
      const job = inFlight;
      if (!job) return false;
      const result = job.match(message);
      if (result === undefined) return false;
      finish(job, result);
      return true;
    },
    close(code: ErrorCode, message: string): void {
      if (closed) return;
      closed = { code, message };
      if (timer) clearTimeout(timer);
      timer = null;
      const pending = inFlight ? [inFlight, ...waiting.splice(0)] : waiting.splice(0);
      inFlight = null;
      for (const job of pending) job.resolve(err(code, `${job.what}: ${message}`));
    },
    get idle(): boolean {
      return inFlight === null && waiting.length === 0;
    },
  };
}
