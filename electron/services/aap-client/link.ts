/**
 * One logical connection that repairs itself: after a drop it reconnects with exponential backoff and
 * runs the whole opening sequence again (WELCOME, registration), because uD3TN drops bundles for an
 * agent that is not registered (ud3tn-behaviour.md §11) and a fresh stream is the only one to trust
 * after a missing reply (§5.4). Requests that were pending when the connection dropped are failed by the
 * connection itself (CONNECTION_CLOSED), never replayed here: a SENDBUNDLE may or may not have been
 * accepted, and only the caller can decide whether to send it again.
 */
import type { FarsideError, Result } from '../../../shared/errors';
import { backoffDelay, type BackoffOptions } from './backoff';
import type { AapClientLogEvent } from './types';

/** What a link needs from a connection. */
export interface LinkConnection {
  /** Resolves once, with the reason, when the connection is gone (dropped, timed out or closed). */
  readonly closed: Promise<FarsideError>;
  close(reason: FarsideError): void;
}

/** Why a connection ends when the client is closed, and what a closed link answers. */
export const CLIENT_CLOSED: FarsideError = { code: 'CONNECTION_CLOSED', message: 'client closed' };

export type LinkState = 'idle' | 'connecting' | 'up' | 'backoff' | 'failed' | 'closed';

export interface LinkOptions<C extends LinkConnection> {
  /** Name for the log: 'aap1', 'aap2-active', 'aap2-subscriber'. */
  readonly name: string;
  /** Open a connection and complete its opening sequence (handshake, registration). */
  readonly open: () => Promise<Result<C>>;
  readonly backoff: BackoffOptions;
  readonly log: (e: AapClientLogEvent) => void;
  /** Errors that retrying cannot fix (e.g. AAP_VERSION_MISMATCH): the link stops in 'failed'. */
  readonly isFatal: (e: FarsideError) => boolean;
  readonly onState: (state: LinkState) => void;
}

export interface Link<C extends LinkConnection> {
  readonly state: LinkState;
  readonly current: C | null;
  /**
   * Open now and return the attempt's result. A failed first attempt is retried in the background only
   * with `retry` (or when the link was already backing off). Once up, the link repairs drops.
   */
  open(retry?: boolean): Promise<Result<C>>;
  /** Drop the current connection (if any) and open a fresh one now (e.g. to register another endpoint). */
  reopen(reason: FarsideError): Promise<Result<C>>;
  /** Close the current connection (if any) with `reason` and stay idle until open() is called again. */
  reset(reason: FarsideError): Promise<void>;
  /** Close for good: no reconnect, the current connection closed with `reason`. */
  close(reason: FarsideError): Promise<void>;
}

export function createLink<C extends LinkConnection>(opts: LinkOptions<C>): Link<C> {
  let state: LinkState = 'idle';
  let current: C | null = null;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  /** Connections this link replaced on purpose: their 'closed' must not trigger a reconnect. */
  const retired = new WeakSet<C>();

  function cancelTimer(): void {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
  }

  /** Take the current connection out of service and close it with `reason`; a retired one never triggers a reconnect. */
  function retire(reason: FarsideError): C | null {
    const old = current;
    current = null;
    if (old) {
      retired.add(old);
      old.close(reason);
    }
    return old;
  }

  function setState(s: LinkState): void {
    if (state === s) return;
    state = s;
    opts.onState(s);
  }

  function adopt(conn: C): void {
    current = conn;
    const upSince = Date.now();
    setState('up');
    void conn.closed.then((reason) => {
      if (retired.has(conn)) return;
      if (current === conn) current = null;
      if (state === 'closed' || state === 'failed') return;
      // Only a connection that stayed up for a while resets the backoff: a node that accepts and then
      // drops at once must not be hammered at the initial rate.
      const lived = Date.now() - upSince;
      if (lived >= opts.backoff.maxMs) attempt = 0;
      opts.log({ event: 'aap-connection-lost', link: opts.name, code: reason.code, reason: reason.message, upMs: lived });
      schedule();
    });
  }

  function schedule(): void {
    if (timer) return;
    const delay = backoffDelay(attempt, opts.backoff);
    attempt += 1;
    setState('backoff');
    opts.log({ event: 'aap-reconnect-scheduled', link: opts.name, attempt, delayMs: delay });
    timer = setTimeout(() => {
      timer = null;
      void attemptOpen(true);
    }, delay);
  }

  /** The attempt under way, shared by everyone who asks meanwhile (never two sockets at once). */
  let attemptInFlight: Promise<Result<C>> | null = null;

  function attemptOpen(retryOnFailure: boolean): Promise<Result<C>> {
    if (!attemptInFlight) {
      attemptInFlight = runAttempt(retryOnFailure).finally(() => {
        attemptInFlight = null;
      });
    }
    return attemptInFlight;
  }

  async function runAttempt(retryOnFailure: boolean): Promise<Result<C>> {
    setState('connecting');
    const r = await opts.open();
    if (state === 'closed') {
      // close() ran while the attempt was in flight: the new connection is not wanted.
      if (r.ok) r.value.close(CLIENT_CLOSED);
      return { ok: false, error: CLIENT_CLOSED };
    }
    if (r.ok) {
      opts.log({ event: 'aap-connected', link: opts.name });
      adopt(r.value);
      return r;
    }
    opts.log({ event: 'aap-connect-failed', link: opts.name, code: r.error.code, reason: r.error.message });
    if (opts.isFatal(r.error)) {
      setState('failed');
    } else if (retryOnFailure) {
      schedule();
    } else {
      setState('idle');
    }
    return r;
  }

  return {
    get state(): LinkState {
      return state;
    },
    get current(): C | null {
      return current;
    },
    open(retry = false): Promise<Result<C>> {
      if (current) return Promise.resolve({ ok: true, value: current });
      if (state === 'closed') return Promise.resolve({ ok: false, error: CLIENT_CLOSED });
      cancelTimer();
      // A link that has been up before keeps repairing itself; a first attempt reports to its caller.
      return attemptOpen(retry || state === 'backoff');
    },
    async reset(reason: FarsideError): Promise<void> {
      cancelTimer();
      const old = retire(reason);
      if (old) await old.closed;
      if (state !== 'closed') setState('idle');
    },
    reopen(reason: FarsideError): Promise<Result<C>> {
      if (state === 'closed') return Promise.resolve({ ok: false, error: CLIENT_CLOSED });
      cancelTimer();
      return attemptOpen(retire(reason) !== null);
    },
    async close(reason: FarsideError): Promise<void> {
      cancelTimer();
      setState('closed');
      const old = retire(reason);
      if (old) await old.closed;
    },
  };
}
