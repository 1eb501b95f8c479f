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
 * Delivery is at least once: a crash between the hand-over and the commit of the bundle's deletion
 * delivers it again after the restart. The store defers deletes (store/bundle-store.ts), so before each
 * hand-over the removals made so far are committed: at most the one ADU in hand-over per endpoint can
 * come twice. A delivered bundle's deletion goes with the next put (bpa.ts), so in a stream the next
 * received bundle's commit has done that already.
 */
import { err, ok, toLogFormat, type Result } from '../../shared/errors';
import { decodeAdminRecord } from '../../shared/protocol/bpv7/admin-record';
import { payloadBlockOf } from '../../shared/protocol/bpv7/bundle';
import { formatEid } from '../../shared/protocol/bpv7/eid';
import { BundleFlag, hasFlag } from '../../shared/protocol/bpv7/flags';
import type { Bundle } from '../../shared/protocol/bpv7/types';
import type { BundleIndex, Tracked } from './bundle-index';
import type { AgentSink, DeliveredAdu, Log } from './types';

/** Wait before retrying a sink that refused while still registered. */
export const RETRY_MS = 1000;

/** BIBE PDU record types: 3 (draft-ietf-dtn-bibect), 7 (uD3TN's compatibility mode), protocols.md §3.11. */
const BIBE_RECORD_TYPES: ReadonlySet<number> = new Set([3, 7]);

type Role = 'v1' | 'active' | 'subscriber';

interface Registration {
  readonly eid: string;
  readonly role: Role;
  readonly secret: string;
  readonly sink: AgentSink | null;
  live: boolean;
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
  /** The agent has the ADU: delete the bundle, report, log. */
  delivered(t: Tracked, bundle: Bundle): void;
  /** The stored bundle cannot be read or decoded any more: drop it. */
  unreadable(t: Tracked, error: string): void;
}

export interface Delivery {
  register(eid: string, sink: AgentSink | null, opts?: { secret?: string; role?: Role }): Result<{ release(): void }>;
  /** True when a receiving sink is registered for `eid`. */
  hasReceiver(eid: string): boolean;
  /** Queue a 'deliver' bundle for its agent (t.destination) and deliver when one is registered. */
  enqueue(t: Tracked): void;
  /** Bundles waiting per endpoint (for logs and tests). */
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
        if (!taken) {
          if (reg.live && q.retry === undefined) {
            q.retry = setTimeout(() => {
              q.retry = undefined;
              void pump(q);
            }, RETRY_MS);
          }
          break;
        }
        q.head++;
        if (!t.gone) deps.delivered(t, bundle.value);
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
      const reg: Registration = { eid, role, secret, sink, live: true };
      list.push(reg);
      registrations.set(eid, list);
      if (receiving(role) && sink !== null) {
        const q = queues.get(eid);
        if (q !== undefined) void pump(q);
      }
      return ok({
        release() {
          if (!reg.live) return;
          reg.live = false;
          const rest = (registrations.get(eid) ?? []).filter((r) => r !== reg);
          if (rest.length === 0) registrations.delete(eid);
          else registrations.set(eid, rest);
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
      closed = true;
      for (const q of queues.values()) clearTimeout(q.retry);
      queues.clear();
      registrations.clear();
    },
  };
}
