/**
 * Sending during one contact (issue 3, "Router and contact plan"): a FIFO of bundles routed to the
 * contact, the CLA link opened lazily for it and reused for all its bundles, data-rate pacing and the
 * one-way light time.
 *
 * The link model: the channel carries `rateBytesPerSec`; a bundle of n bytes occupies it for
 * n / rate seconds after the previous one, and its last byte reaches the peer one OWLT later. The
 * session writes each bundle's bytes to the socket at that arrival time (a delay line), so two nodes on
 * one machine see an Earth–Mars link: nothing for 12 minutes, then bundles at the link's rate.
 *
 * When is a bundle sent? MTCP and uD3TN's TCPCLv3 have no acknowledgements: bytes the kernel took can
 * still be lost when the peer dies before it read them (kill -9 of the receiving node). So a written
 * bundle (`written`) leaves the store (`sent`) only once the link has stayed usable for `confirmMs`
 * after the write: a later send that succeeds that much later proves it, or, when nothing more is sent,
 * the time passing without a failure. A send that fails puts every bundle written within that window,
 * the failed one and those behind it in the delay line back at the head of the queue, in order, and the
 * link is reopened after a backoff; the receiver suppresses the duplicates (its seen-IDs are durable). A
 * bundle not yet confirmed when the process stops is sent again after the restart, for the same reason.
 *
 * When the contact ends the session starts nothing new and hands the unsent bundles back (the forwarder
 * routes them to a later contact); the link closes once the delay line is written out and confirmed.
 */
import { toLogFormat, type Result } from '../../shared/errors';
import type { Bundle } from '../../shared/protocol/bpv7/types';
import type { Tracked } from './bundle-index';
import type { Contact } from './router/types';
import type { ClaLink, Clock, Log } from './types';
import { createWrittenWindow } from './written-window';

/** The bytes of a bundle as it leaves this node. */
export interface OutgoingBundle {
  readonly bundle: Bundle;
  readonly parts: readonly Uint8Array[];
  readonly size: number;
  /** The time at this node its bundle age was grown by (forward-blocks.ts): the same again gives the same bytes. */
  readonly elapsedMs: number;
}

export interface SessionDeps {
  readonly contactId: string;
  readonly clock: Clock;
  readonly log: Log;
  /** Bytes held in the delay line before the session waits for writes to catch up. */
  readonly maxBufferedBytes: number;
  /** How long the link must stay usable after a bundle was written before it counts as sent. */
  readonly confirmMs: number;
  /** The contact as the router has it now (rate, OWLT and end may change); undefined once it is gone. */
  contact(): Contact | undefined;
  openLink(contact: Contact): Promise<Result<ClaLink>>;
  /**
   * The bundle's outgoing bytes, or undefined when it must not go (deleted meanwhile, hop limit);
   * `elapsedMs` (default: until now) for preparing again what was prepared before.
   */
  prepare(t: Tracked, elapsedMs?: number): OutgoingBundle | undefined;
  /** Its bytes were written to the link (not yet confirmed). */
  written(t: Tracked, out: OutgoingBundle): void;
  /** The link stayed usable for confirmMs after the bundle was written at `writtenAt` (Unix ms). */
  sent(t: Tracked, writtenAt: number): void;
  /** Bundles the link gave back after the contact ended (its link broke with them in the delay line). */
  returned(ts: readonly Tracked[]): void;
}

export interface ContactSession {
  push(t: Tracked): void;
  /** Bundles queued and not started. */
  readonly queued: number;
  /** Ended, and nothing left to write or to confirm. */
  readonly drained: boolean;
  /** Stop starting bundles and return those not started; the link closes after the delay line. */
  end(): Tracked[];
  /** Stop at once (processor shutdown); bundles in the delay line stay stored. */
  close(): Promise<void>;
}

const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 30_000;

/**
 * A bundle in the delay line. Only the one about to be written keeps its outgoing parts: the others,
 * waiting for their time (one-way light time) or for the socket to drain, keep the size and the elapsed
 * time they were prepared with and are prepared again, byte for byte the same, when their turn comes, so
 * that a long delay line or a slow receiver holds no payloads in memory.
 */
interface InFlight {
  readonly t: Tracked;
  out: OutgoingBundle | undefined;
  readonly size: number;
  readonly elapsedMs: number;
  readonly writeAt: number;
}

/** No bytes are held for a written bundle: a 1 MiB stream would keep confirmMs worth of them alive. */
interface Written {
  readonly t: Tracked;
  /** The node clock at the write (Unix ms), for the forwarding report. */
  readonly writtenAt: number;
}

const trackedOf = (ws: readonly Written[]): Tracked[] => ws.map((w) => w.t);

export function createContactSession(deps: SessionDeps): ContactSession {
  const { clock, log, contactId } = deps;
  let queue: Tracked[] = [];
  let head = 0;
  let line: InFlight[] = [];
  let lineBytes = 0;
  /** When the channel is free for the next bundle (Unix ms, fractional). */
  let freeAt = 0;
  let link: ClaLink | undefined;
  let notBefore = 0;
  let backoff = BACKOFF_FIRST_MS;
  let pumping = false;
  let writing = false;
  let ended = false;
  let closed = false;
  const timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  let lineProgress: (() => void) | undefined;
  /**
   * Written, waiting for confirmMs of a usable link (a stream has thousands waiting). The timer
   * confirms only while there is a link (time passing proves nothing without one), then closes the link
   * of an ended contact that has nothing left to confirm. close() clears the timer; nothing is written
   * after it (write() stops at `closed`).
   */
  const unconfirmed = createWrittenWindow<Written>({
    windowMs: deps.confirmMs,
    settled: (w) => deps.sent(w.t, w.writtenAt),
    onError: (e) => log({ event: 'bpa.internal_error', where: 'contact-session', contact: contactId, message: e instanceof Error ? e.message : String(e) }),
    onTimer: () => {
      try {
        if (link !== undefined) unconfirmed.settleDue();
      } finally {
        if (ended && line.length === 0 && unconfirmed.size === 0) closeLink();
      }
    },
  });

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          timers.delete(entry);
          resolve();
        }, Math.min(Math.max(1, Math.ceil(ms)), 0x7fff_ffff)),
        resolve,
      };
      timers.add(entry);
    });
  }

  function wakeAll(): void {
    for (const e of timers) {
      clearTimeout(e.timer);
      e.resolve();
    }
    timers.clear();
    lineProgress?.();
  }

  function closeLink(): void {
    const l = link;
    link = undefined;
    if (l === undefined) return;
    log({ event: 'link.closed', contact: contactId, address: l.address });
    void l.close();
  }

  /**
   * The connection under `l` went away while it was our link (the peer reset it or died): with MTCP
   * nothing else would tell us, and the confirmation timer would count bundles the peer never read as
   * sent. Bundles written but not confirmed go back to the head of the queue; what still waits in the
   * delay line is requeued by write() when it finds no link. A link we closed ourselves is not ours any
   * more (closeLink cleared it) and is ignored.
   */
  function lost(l: ClaLink): void {
    if (closed || l !== link) return;
    link = undefined;
    log({ event: 'link.lost', contact: contactId, address: l.address, unconfirmed: unconfirmed.size });
    const back = trackedOf(unconfirmed.take());
    if (ended) {
      if (back.length > 0) deps.returned(back);
      return;
    }
    if (back.length > 0) {
      queue = [...back, ...queue.slice(head)];
      head = 0;
    }
    if (!writing) failed('link lost');
  }

  function failed(reason: string): void {
    const delay = backoff;
    backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
    notBefore = clock() + delay;
    log({ event: 'link.retry', contact: contactId, reason, retryInMs: delay });
    if (!ended && !closed) void sleep(delay).then(() => void pump());
  }

  async function pump(): Promise<void> {
    if (pumping || ended || closed) return;
    pumping = true;
    try {
      while (!ended && !closed && head < queue.length) {
        const now = clock();
        if (now < notBefore) {
          // Backing off after a failure (a timer may fire a millisecond before the clock says it is due).
          await sleep(notBefore - now);
          continue;
        }
        const contact = deps.contact();
        if (contact === undefined || now >= contact.end) break; // the end of the contact hands the rest back
        if (link === undefined) {
          const r = await deps.openLink(contact);
          if (ended || closed) {
            if (r.ok) void r.value.close();
            break;
          }
          if (!r.ok) {
            failed(toLogFormat(r.error));
            break;
          }
          link = r.value;
          const opened = link;
          void opened.closed.then(() => lost(opened));
          log({ event: 'link.opened', contact: contactId, address: link.address, peer: contact.peerNodeId });
          continue;
        }
        if (lineBytes >= deps.maxBufferedBytes) {
          await new Promise<void>((resolve) => (lineProgress = resolve));
          lineProgress = undefined;
          continue;
        }
        if (freeAt - now >= 1) {
          // Pacing: the channel is busy with the previous bundle.
          await sleep(freeAt - now);
          continue;
        }
        const t = queue[head++] as Tracked;
        if (t.gone) continue;
        const out = deps.prepare(t);
        if (out === undefined) continue;
        const start = Math.max(now, freeAt);
        freeAt = start + (contact.rateBytesPerSec > 0 ? (out.size * 1000) / contact.rateBytesPerSec : 0);
        const writeAt = freeAt + contact.owltMs;
        const next = line.length === 0 && writeAt - now < 1;
        line.push({ t, out: next ? out : undefined, size: out.size, elapsedMs: out.elapsedMs, writeAt });
        lineBytes += out.size;
        void write();
      }
    } catch (e) {
      log({ event: 'bpa.internal_error', where: 'contact-session', contact: contactId, message: e instanceof Error ? e.message : String(e) });
    } finally {
      pumping = false;
      if (head > 0 && head === queue.length) {
        queue = [];
        head = 0;
      }
    }
  }

  async function write(): Promise<void> {
    if (writing) return;
    writing = true;
    try {
      while (line.length > 0 && !closed) {
        const first = line[0] as InFlight;
        const wait = first.writeAt - clock();
        if (wait >= 1) {
          await sleep(wait);
          continue;
        }
        const out = first.out ?? (first.t.gone ? undefined : deps.prepare(first.t, first.elapsedMs));
        if (out === undefined) {
          // Deleted (expired) while it waited, or unreadable now (dropped by prepare): it does not go.
          line.shift();
          lineBytes -= first.size;
          lineProgress?.();
          continue;
        }
        first.out = out;
        const l = link;
        const r = l === undefined ? undefined : await l.send(out.parts);
        if (closed) break;
        if (r !== undefined && r.ok) {
          line.shift();
          lineBytes -= first.size;
          lineProgress?.();
          backoff = BACKOFF_FIRST_MS;
          const writtenAt = clock();
          // written() before the push, whose confirmations (this bundle's too, with confirmMs 0) follow it.
          deps.written(first.t, out);
          unconfirmed.push({ t: first.t, writtenAt });
          continue;
        }
        // The link broke: what it may have lost (written but unconfirmed) and everything in the delay
        // line goes back to the head of the queue, in order.
        log({ event: 'link.send_failed', contact: contactId, error: r === undefined ? 'no link' : toLogFormat(r.error), unconfirmed: unconfirmed.size });
        if (l === link) closeLink();
        const back = trackedOf(unconfirmed.take());
        for (const e of line) back.push(e.t);
        line = [];
        lineBytes = 0;
        lineProgress?.();
        freeAt = 0;
        if (ended) {
          deps.returned(back);
          break;
        }
        queue = [...back, ...queue.slice(head)];
        head = 0;
        failed('send failed');
      }
    } catch (e) {
      log({ event: 'bpa.internal_error', where: 'contact-session', contact: contactId, message: e instanceof Error ? e.message : String(e) });
    } finally {
      writing = false;
      if (ended && line.length === 0 && unconfirmed.size === 0) closeLink();
    }
  }

  return {
    push(t) {
      queue.push(t);
      void pump();
    },
    get queued() {
      return queue.length - head;
    },
    get drained() {
      return closed || (ended && line.length === 0 && unconfirmed.size === 0);
    },
    end() {
      ended = true;
      const unsent = queue.slice(head).filter((t) => !t.gone);
      queue = [];
      head = 0;
      // Bundles already in the delay line are on their way; a link that breaks now returns them too.
      if (line.length === 0 && unconfirmed.size === 0) closeLink();
      wakeAll();
      return unsent;
    },
    async close() {
      closed = true;
      ended = true;
      unconfirmed.close();
      wakeAll();
      const l = link;
      link = undefined;
      if (l !== undefined) await l.close();
    },
  };
}
