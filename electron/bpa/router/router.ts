/**
 * The embedded BPA's router: the contact plan and the routing decisions over it (issue 3, "Router and
 * contact plan"). Pure logic: no timers, no sockets; the BPA passes `now` (Unix ms) into every call and
 * arms one timer for `nextEvent(now)`.
 *
 * Lookup follows uD3TN v0.13 (routing-key.ts): contacts whose node ID, node-level reachable EIDs or
 * contact-level reachable EIDs equal the destination's node ID, else its exact text. Among them the
 * router picks the contact that can start sending earliest (an active contact before a future one), then
 * the one that ends first (uD3TN orders candidates by end time), then by id. A contact qualifies when its
 * remaining volume (capacity.ts) holds the bundle, or, when the bundle may be fragmented, at least
 * `minFragmentBytes`: the caller then fragments to `maxBundleBytes`, consumes, and routes the rest, which
 * lands on the next contact once this one is full.
 */
import { err, ok } from '../../../shared/errors';
import type { Result } from '../../../shared/errors';
import type { ConfigCommand } from '../../../shared/protocol/ud3tn-config/types';
import { remainingVolume } from './capacity';
import { applyPlanCommand } from './commands';
import { planCommandOf } from './config-command';
import { createPlanState, lookupIndex, removeContact, snapshot } from './plan-state';
import type { ContactState } from './plan-state';
import { nodeIdOf } from './routing-key';
import type { ApplySummary, Contact, PlanCommand, RouteDecision, RouteOptions } from './types';

export interface Router {
  /**
   * Apply config-agent commands (uD3TN's text format) in order; contact times are DTN seconds. uD3TN's
   * contacts have no one-way light time: `owltMs` (default 0) is given to every contact of the commands.
   * Stops at the first refused command; the ones before it stay applied (each is applied whole or not).
   */
  applyConfig(commands: readonly ConfigCommand[], now: number, opts?: { owltMs?: number }): Result<ApplySummary>;
  /** Apply commands in ms with OWLT (plan files, plan-file.ts); `dropEnded` skips contacts already over. */
  applyPlan(commands: readonly PlanCommand[], now: number, opts?: { dropEnded?: boolean }): Result<ApplySummary>;
  route(destination: string, bundleBytes: number, now: number, opts?: RouteOptions): RouteDecision;
  /** Commit `bytes` of a contact's volume to a bundle (sent, or queued for it). */
  consume(contactId: string, bytes: number): Result<void>;
  /** Give volume back, e.g. when a bundle queued for a contact is routed elsewhere. */
  release(contactId: string, bytes: number): Result<void>;
  /** Volume left on a contact at `now` (Infinity when unlimited, 0 once over); undefined for an unknown id. */
  remaining(contactId: string, now: number): number | undefined;
  /**
   * Earliest arrival at the destination's next hop for `bytes` sent from `now` (Unix ms), or undefined
   * when no contacts can carry them: each contact used in turn starts sending at its start or now (after
   * the bytes already committed to it), sends at its rate, and adds its OWLT; fragments go over as many
   * contacts as needed (one, with mustNotFragment), and the last to arrive sets the time.
   */
  estimateArrival(destination: string, bytes: number, now: number, opts?: RouteOptions): number | undefined;
  /** The next contact start or end after `now`, for the BPA's single timer; undefined when none is left. */
  nextEvent(now: number): number | undefined;
  /** Contacts running at `now` (start ≤ now < end). */
  activeContacts(now: number): Contact[];
  /** Remove contacts that ended at or before `now` and return them (uD3TN routing_table_contact_passed). */
  dropExpired(now: number): Contact[];
  contact(id: string): Contact | undefined;
  /** Every contact, by start time. */
  contacts(): Contact[];
}

/** Candidates for a destination (uD3TN router_lookup_destination). */
function candidatesFor(index: Map<string, Set<ContactState>>, destination: string): Set<ContactState> | undefined {
  const key = nodeIdOf(destination);
  return (key === undefined ? undefined : index.get(key)) ?? index.get(destination);
}

function remainingOf(c: ContactState, now: number): number {
  return remainingVolume(c.start, c.end, c.capacity, c.consumed, now);
}

/** Usable contacts in the order the router prefers them. */
function usable(list: Set<ContactState>, bytes: number, now: number, opts: RouteOptions): ContactState[] {
  const whole = Math.max(1, bytes);
  let need: number | undefined = opts.mustNotFragment === true ? whole : undefined;
  const out: ContactState[] = [];
  for (const c of list) {
    if (c.end <= now) continue;
    if (opts.expiresAt !== undefined && c.start >= opts.expiresAt) continue;
    const room = remainingOf(c, now);
    if (room < whole) {
      if (need === undefined) {
        const floor = typeof opts.minFragmentBytes === 'function' ? opts.minFragmentBytes() : (opts.minFragmentBytes ?? 1);
        need = Math.max(1, Math.min(bytes, floor));
      }
      if (room < need) continue;
    }
    out.push(c);
  }
  out.sort((a, b) => Math.max(a.start, now) - Math.max(b.start, now) || a.end - b.end || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return out;
}

function checkBytes(bytes: number): Result<void> {
  return Number.isSafeInteger(bytes) && bytes >= 0 ? ok(undefined) : err('INVALID_ARGUMENT', `byte count must be a non-negative integer, got ${bytes}`);
}

export function createRouter(): Router {
  const state = createPlanState();

  function applyAll(commands: readonly PlanCommand[], now: number, dropEnded: boolean): Result<ApplySummary> {
    const added: Contact[] = [];
    const changed: Contact[] = [];
    const removed: Contact[] = [];
    for (const cmd of commands) {
      const r = applyPlanCommand(state, cmd, now, { dropEnded });
      if (!r.ok) return r;
      added.push(...r.value.added);
      changed.push(...r.value.changed);
      removed.push(...r.value.removed);
    }
    return ok({ added, changed, removed });
  }

  function find(contactId: string): Result<ContactState> {
    const c = state.contacts.get(contactId);
    return c === undefined ? err('NOT_FOUND', `no contact ${contactId}`) : ok(c);
  }

  return {
    applyConfig(commands, now, opts = {}) {
      const owltMs = opts.owltMs ?? 0;
      return applyAll(commands.map((c) => planCommandOf(c, owltMs)), now, false);
    },

    applyPlan(commands, now, opts = {}) {
      return applyAll(commands, now, opts.dropEnded ?? false);
    },

    route(destination, bundleBytes, now, opts = {}) {
      const list = candidatesFor(lookupIndex(state), destination);
      if (list === undefined) return { kind: 'no-route', reason: 'unknown-destination' };
      const best = usable(list, bundleBytes, now, opts)[0];
      if (best === undefined) return { kind: 'no-route', reason: 'no-usable-contact' };
      if (best.start > now) return { kind: 'wait', until: best.start, contact: snapshot(best), maxBundleBytes: remainingOf(best, now) };
      return { kind: 'forward-now', contact: snapshot(best), maxBundleBytes: remainingOf(best, now) };
    },

    consume(contactId, bytes) {
      const valid = checkBytes(bytes);
      if (!valid.ok) return valid;
      const c = find(contactId);
      if (!c.ok) return c;
      c.value.consumed += bytes;
      return ok(undefined);
    },

    release(contactId, bytes) {
      const valid = checkBytes(bytes);
      if (!valid.ok) return valid;
      const c = find(contactId);
      if (!c.ok) return c;
      c.value.consumed = Math.max(0, c.value.consumed - bytes);
      return ok(undefined);
    },

    remaining(contactId, now) {
      const c = state.contacts.get(contactId);
      return c === undefined ? undefined : remainingOf(c, now);
    },

    estimateArrival(destination, bytes, now, opts = {}) {
      const list = candidatesFor(lookupIndex(state), destination);
      if (list === undefined) return undefined;
      let left = bytes;
      let arrival = Number.NEGATIVE_INFINITY;
      for (const c of usable(list, bytes, now, opts)) {
        const room = remainingOf(c, now);
        const take = Math.min(left, room);
        // Bytes already committed to the contact go first, from its start.
        const sendFrom = Math.max(now, c.start + (c.rate > 0 ? (c.consumed * 1000) / c.rate : 0));
        const sendTime = c.rate > 0 ? (take * 1000) / c.rate : 0;
        arrival = Math.max(arrival, sendFrom + sendTime + c.owltMs);
        left -= take;
        if (left <= 0) return Math.ceil(arrival);
      }
      return undefined;
    },

    nextEvent(now) {
      let next: number | undefined;
      for (const c of state.contacts.values()) {
        const t = c.start > now ? c.start : c.end > now ? c.end : undefined;
        if (t !== undefined && (next === undefined || t < next)) next = t;
      }
      return next;
    },

    activeContacts(now) {
      const out: ContactState[] = [];
      for (const c of state.contacts.values()) if (c.start <= now && now < c.end) out.push(c);
      return out.sort((a, b) => a.start - b.start).map(snapshot);
    },

    dropExpired(now) {
      const over: ContactState[] = [];
      for (const c of state.contacts.values()) if (c.end <= now) over.push(c);
      for (const c of over) removeContact(state, c);
      return over.map(snapshot);
    },

    contact(id) {
      const c = state.contacts.get(id);
      return c === undefined ? undefined : snapshot(c);
    },

    contacts() {
      return [...state.contacts.values()].sort((a, b) => a.start - b.start || (a.id < b.id ? -1 : 1)).map(snapshot);
    },
  };
}
