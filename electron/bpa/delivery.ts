/**
 * Local delivery (RFC 9171 §5.7): agent registrations and one ordered delivery queue per endpoint.
 *
 * Registration rules (AgentHost.register, types.ts), as uD3TN's agent_register (agent_manager.c) and
 * the AAP 2.0 preview (protocols.md §5.1): per EID at most one receiving registration (an AAP v1
 * connection, a built-in agent, or an AAP 2.0 subscriber) and one active (sending-only) AAP 2.0
 * connection; the second of the pair must present the first one's secret.
 *
 * Unlike uD3TN, which drops a bundle when no agent is registered at delivery time (ud3tn-behaviour.md
 * §11), a bundle waits in the store until an agent registers its endpoint or the bundle expires. The
 * queue delivers in arrival order, one ADU at a time, and a bundle leaves the store only after the
 * agent's sink resolved true. A sink that answers false keeps the bundle and stops the queue: it goes
 * on when the endpoint is registered again, or after RETRY_MS while the same registration stays (a
 * connection whose write failed is normally gone by then).
 *
 * Settling (AgentSink.unacknowledged, AAP v1): an AAP v1 sink resolves true once the kernel took the
 * RECVBUNDLE, and AAP v1 has no acknowledgement; an application killed with the message still in its
 * socket buffer, or before it stored it, would lose the bundle. So, as the MTCP sender treats a written
 * bundle (contact-session.ts, confirmMs), such a delivery is only `written`: the queue moves on at
 * once (deliveries are pipelined, never one round trip per ADU), but the bundle stays stored until the
 * registration that received it has lasted `settleMs` after the write, proven by a later write to it or
 * by its timer. When the registration is released within the window (the connection closed, or the
 * client registered another agent ID on it), its unsettled bundles go back to the front of the queue,
 * in the order they were written, ahead of the ADU that was in hand-over, and are delivered again to the
 * next registration. The "delivered" status report (RFC 9171 §6.1.1) and the `bundle.delivered` log
 * line come at settling, not at the write: a report cannot be taken back, and a bundle written and then
 * requeued would otherwise be reported delivered before (and again after) the application had it.
 * Sinks that answer only when the application has the ADU (AAP 2.0 subscribers, built-in agents) are
 * settled at once.
 *
 * Delivery is at least once: a crash between the hand-over and the commit of the bundle's deletion
 * delivers it again after the restart, and so does a crash or a stop within the settle window (the
 * bundle is still stored). The store defers deletes (store/bundle-store.ts), so before each hand-over
 * the removals made so far are committed: on a sink that answers, at most the one ADU in hand-over per
 * endpoint can come twice; on an AAP v1 sink, the ADUs of the last settleMs as well. A delivered
 * bundle's deletion goes with the next put (bpa.ts), so in a stream the next received bundle's commit
 * has done that already. Duplicates arriving over a CLA meanwhile are suppressed, the bundle being
 * still stored (store.has), and after its deletion as seen.
 */
import { err, ok, toLogFormat, type Result } from '../../shared/errors';
import { decodeAdminRecord } from '../../shared/protocol/bpv7/admin-record';
import { payloadBlockOf } from '../../shared/protocol/bpv7/bundle';
import { formatEid } from '../../shared/protocol/bpv7/eid';
import { BundleFlag, hasFlag } from '../../shared/protocol/bpv7/flags';
import type { Bundle } from '../../shared/protocol/bpv7/types';
import type { BundleIndex, Tracked } from './bundle-index';
import type { AgentSink, DeliveredAdu, Log } from './types';
import { createWrittenWindow, type WrittenWindow } from './written-window';

/** Wait before retrying a sink that refused while still registered. */
export const RETRY_MS = 1000;

/**
 * How long an AAP v1 connection must stay registered after a RECVBUNDLE was written before the bundle
 * counts as delivered: as DEFAULT_SENT_CONFIRM_MS (bpa.ts) for MTCP, long enough for the close of a
 * killed application to reach the BPA on a loaded machine, short enough not to hold the store.
 */
export const DEFAULT_DELIVERY_SETTLE_MS = 2000;

/** BIBE PDU record types: 3 (draft-ietf-dtn-bibect), 7 (uD3TN's compatibility mode), protocols.md §3.11. */
const BIBE_RECORD_TYPES: ReadonlySet<number> = new Set([3, 7]);

type Role = 'v1' | 'active' | 'subscriber';

/** What the processor reports of a delivered bundle (bundle.delivered): no bytes are held while it settles. */
export interface DeliveredFacts {
  /** Length of the bundle's payload block. */
  readonly bytes: number;
  /** The bundle is an administrative record (a status report, a BIBE PDU). */
  readonly admin: boolean;
}

/** A bundle written to an unacknowledged sink, waiting for settleMs of its registration. */
interface Unsettled {
  readonly t: Tracked;
  readonly facts: DeliveredFacts;
}

interface Registration {
  readonly eid: string;
  readonly role: Role;
  readonly secret: string;
  readonly sink: AgentSink | null;
  live: boolean;
  /**
   * Set when a receiving sink is unacknowledged (AgentSink.unacknowledged, and settleMs > 0; fixed for
   * the registration): the bundles written to it and not settled yet.
   */
  readonly unsettled: WrittenWindow<Unsettled> | undefined;
}

interface Queue {
  readonly eid: string;
  items: Tracked[];
  head: number;
  running: boolean;
  retry: NodeJS.Timeout | undefined;
}

export interface DeliveryDeps {
  readonly index: BundleIndex;
  readonly log: Log;
  /** The settle window of unacknowledged sinks (see the file comment); default DEFAULT_DELIVERY_SETTLE_MS; 0 settles at the write. */
  readonly settleMs?: number;
  /** The agent has the ADU (settled): delete the bundle, report, log. */
  delivered(t: Tracked, facts: DeliveredFacts): void;
  /** The stored bundle cannot be read or decoded any more: drop it. */
  unreadable(t: Tracked, error: string): void;
}

export interface Delivery {
  register(eid: string, sink: AgentSink | null, opts?: { secret?: string; role?: Role }): Result<{ release(): void }>;
  /** True when a receiving sink is registered for `eid`. */
  hasReceiver(eid: string): boolean;
  /** Queue a 'deliver' bundle for its agent (t.destination) and deliver when one is registered. */
  enqueue(t: Tracked): void;
  /** Bundles waiting per endpoint (for logs and tests); written ones that are not settled yet are not counted. */
  waiting(): Map<string, number>;
  close(): void;
}

const receiving = (role: Role): boolean => role !== 'active';

/** What the agent gets for a bundle: status reports as administrative records, BIBE PDUs unwrapped. */
export function aduOf(t: Tracked, bundle: Bundle): DeliveredAdu {
  const p = bundle.primary;
  const payload = payloadBlockOf(bundle)?.data ?? new Uint8Array(0);
  const base = {
    source: formatEid(p.source),
    destination: formatEid(p.destination),
    creationTime: p.creation.time,
    sequence: p.creation.sequence,
    receivedFrom: t.origin,
  };
  if (!hasFlag(p.flags, BundleFlag.ADMIN_RECORD)) return { ...base, payload, isAdminRecord: false };
  const record = decodeAdminRecord(payload);
  if (record.ok && record.value.kind === 'other' && BIBE_RECORD_TYPES.has(record.value.type)) {
    // uD3TN strips the record header and hands the PDU to the agent as RECVBIBE (ud3tn-behaviour.md §10).
    return { ...base, payload: record.value.content, isAdminRecord: false, isBibe: true };
  }
  return { ...base, payload, isAdminRecord: true };
}

export function createDelivery(deps: DeliveryDeps): Delivery {
  const { index, log } = deps;
  const settleMs = deps.settleMs ?? DEFAULT_DELIVERY_SETTLE_MS;
  const registrations = new Map<string, Registration[]>();
  const queues = new Map<string, Queue>();
  let closed = false;

  function receiverOf(eid: string): Registration | undefined {
    for (const r of registrations.get(eid) ?? []) if (r.live && receiving(r.role) && r.sink !== null) return r;
    return undefined;
  }

  function queueOf(eid: string): Queue {
    let q = queues.get(eid);
    if (q === undefined) {
      q = { eid, items: [], head: 0, running: false, retry: undefined };
      queues.set(eid, q);
    }
    return q;
  }

  function compact(q: Queue): void {
    if (q.head === 0) return;
    q.items = q.items.slice(q.head);
    q.head = 0;
    if (q.items.length === 0 && !q.running && q.retry === undefined) queues.delete(q.eid);
  }

  function factsOf(bundle: Bundle): DeliveredFacts {
    return { bytes: payloadBlockOf(bundle)?.data.length ?? 0, admin: hasFlag(bundle.primary.flags, BundleFlag.ADMIN_RECORD) };
  }

  function settled(t: Tracked, facts: DeliveredFacts): void {
    // Expired (or dropped) while it settled: that was logged and reported already.
    if (!t.gone) deps.delivered(t, facts);
  }

  /**
   * The window of an unacknowledged registration: a bundle settles once the registration lasted settleMs
   * after its write, proven by a later write to it or by the timer. The timer is cleared when the
   * registration is released and when the processor closes, so it never fires for a dead one.
   */
  function settleWindow(eid: string): WrittenWindow<Unsettled> {
    return createWrittenWindow<Unsettled>({
      windowMs: settleMs,
      settled: (u) => settled(u.t, u.facts),
      onError: (e) => log({ event: 'bpa.internal_error', where: 'delivery', agent: eid, message: e instanceof Error ? e.message : String(e) }),
    });
  }

  /** The ADU was written to an unacknowledged sink: it settles later (see the file comment). */
  function written(unsettled: WrittenWindow<Unsettled>, t: Tracked, facts: DeliveredFacts): void {
    // No bytes are held while it settles: a 1 MiB stream would keep settleMs worth of them alive, and the
    // cache budget is for bundles still to be delivered. A requeued bundle is read from the store again.
    index.uncache(t);
    unsettled.push({ t, facts });
  }

  /**
   * The registration ended (its connection closed, or it registered another agent ID): what it settled
   * by now is delivered, the rest goes back to the front of its endpoint's queue, in write order. An ADU
   * in hand-over to it stays at the queue's head (pump does not advance past it), behind these.
   */
  function requeueUnsettled(eid: string, unsettled: WrittenWindow<Unsettled>): void {
    // The timer first: should a settle throw, nothing settles later for the released registration (the
    // rest stays stored, as after a stop).
    unsettled.close();
    unsettled.settleDue();
    const back: Tracked[] = [];
    for (const u of unsettled.take()) if (!u.t.gone) back.push(u.t);
    if (back.length === 0) return;
    log({ event: 'delivery.requeued', agent: eid, bundles: back.length });
    const q = queueOf(eid);
    q.items = back.concat(q.items.slice(q.head));
    q.head = 0;
    void pump(q);
  }

  async function pump(q: Queue): Promise<void> {
    if (q.running || closed) return;
    q.running = true;
    try {
      while (q.head < q.items.length && !closed) {
        const reg = receiverOf(q.eid);
        if (reg === undefined || reg.sink === null) break;
        const t = q.items[q.head] as Tracked;
        if (t.gone) {
          q.head++;
          continue;
        }
        const bundle = index.decode(t);
        if (!bundle.ok) {
          q.head++;
          deps.unreadable(t, toLogFormat(bundle.error));
          continue;
        }
        let taken = false;
        try {
          index.commitRemovals();
          taken = await reg.sink.deliver(aduOf(t, bundle.value));
        } catch (e) {
          log({ event: 'bundle.delivery_failed', id: t.id, agent: q.eid, error: e instanceof Error ? e.message : String(e) });
        }
        if (closed) break;
        // Released during the hand-over: unless the application confirmed it, the ADU stays at the head
        // (its registration's unsettled ones went back in front of it) for the next registration.
        if (!reg.live && (!taken || reg.unsettled !== undefined)) continue;
        if (!taken) {
          if (q.retry === undefined) {
            q.retry = setTimeout(() => {
              q.retry = undefined;
              void pump(q);
            }, RETRY_MS);
          }
          break;
        }
        q.head++;
        if (t.gone) continue;
        const facts = factsOf(bundle.value);
        if (reg.unsettled !== undefined) written(reg.unsettled, t, facts);
        else settled(t, facts);
      }
    } catch (e) {
      // The store failing under a delivery: logged; the queue goes on at the next registration or retry.
      log({ event: 'bpa.internal_error', where: 'delivery', agent: q.eid, message: e instanceof Error ? e.message : String(e) });
    } finally {
      q.running = false;
      compact(q);
    }
  }

  return {
    register(eid, sink, opts) {
      if (closed) return err('CONNECTION_CLOSED', 'the bundle processor is stopped');
      const role: Role = opts?.role ?? 'v1';
      const secret = opts?.secret ?? '';
      const list = registrations.get(eid) ?? [];
      for (const r of list) {
        if (receiving(r.role) === receiving(role)) return err('CONFLICT', `${eid} is already registered`);
        if (r.secret !== secret) return err('UNAUTHORIZED', `${eid} is registered with another secret`);
      }
      const unacknowledged = receiving(role) && sink !== null && sink.unacknowledged === true && settleMs > 0;
      const reg: Registration = { eid, role, secret, sink, live: true, unsettled: unacknowledged ? settleWindow(eid) : undefined };
      list.push(reg);
      registrations.set(eid, list);
      if (receiving(role) && sink !== null) {
        // Bundles kept for the endpoint go out after the caller's answer to the registration: the AAP v1
        // server writes its ACK right after register() returns, and a uD3TN client reads the ACK as the
        // next message after REGISTER (uD3TN never has a bundle waiting at that moment: it drops them).
        const q = queues.get(eid);
        if (q !== undefined) queueMicrotask(() => void pump(q));
      }
      return ok({
        release() {
          if (!reg.live) return;
          reg.live = false;
          const rest = (registrations.get(eid) ?? []).filter((r) => r !== reg);
          if (rest.length === 0) registrations.delete(eid);
          else registrations.set(eid, rest);
          // After close() the unsettled ones simply stay stored (see close()).
          if (closed || reg.unsettled === undefined) return;
          try {
            requeueUnsettled(eid, reg.unsettled);
          } catch (e) {
            // The store failing under a settle: logged, never thrown into the connection's close handler.
            log({ event: 'bpa.internal_error', where: 'delivery', agent: eid, message: e instanceof Error ? e.message : String(e) });
          }
        },
      });
    },

    hasReceiver: (eid) => receiverOf(eid) !== undefined,

    enqueue(t) {
      const q = queueOf(t.destination);
      q.items.push(t);
      void pump(q);
    },

    waiting() {
      const out = new Map<string, number>();
      for (const q of queues.values()) {
        let n = 0;
        for (let i = q.head; i < q.items.length; i++) if (!(q.items[i] as Tracked).gone) n++;
        if (n > 0) out.set(q.eid, n);
      }
      return out;
    },

    close() {
      // A clean stop (SIGTERM) leaves unsettled bundles stored, to be delivered again after the next
      // start, rather than settling those whose connection is still open: the stop tells nothing about
      // whether the application has them (a site shut down as a whole stops the application too, maybe
      // a moment later), and a repeated delivery is what an AAP v1 application must handle anyway
      // (docs/embedded-bpa.md), whereas a settled bundle the application never stored is lost.
      closed = true;
      for (const q of queues.values()) clearTimeout(q.retry);
      for (const list of registrations.values()) for (const r of list) r.unsettled?.close();
      queues.clear();
      registrations.clear();
    },
  };
}
