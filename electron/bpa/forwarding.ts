/**
 * Forwarding (RFC 9171 §5.4) over the contact plan: the router (router/) decides, this file acts.
 *
 * For each bundle to forward, with its size as it would leave this node (forward-blocks.ts):
 * - `forward-now` over an active contact: the contact's volume is committed and the bundle joins that
 *   contact's session (contact-session.ts: lazy link, pacing, one-way light time);
 * - `wait` for a later contact: the volume is committed now (as uD3TN queues on a future contact) and the
 *   bundle waits in memory; the processor's single timer fires at the contact's start;
 * - `no-route`: the bundle stays stored and is routed again whenever the contact plan changes. uD3TN
 *   deletes it at once ("No Route Found", ud3tn-behaviour.md §3); here it waits until it expires.
 * Proactive fragmentation (§5.8): when the bundle exceeds the smaller of the configured maximum bundle
 * size and the contact's remaining volume, it is split (bpv7/fragment.ts, uD3TN's sizing) so that every
 * fragment, with the blocks this node adds when forwarding, fits; the fragments are stored as bundles of
 * their own, the original is deleted, and each fragment is routed: the first fits this contact, the
 * others go on it or on later contacts. A "must not fragment" bundle (flag 0x04) only goes over a contact
 * with room for all of it; one larger than the maximum bundle size can never go and is deleted with
 * reason 7 "no timely contact". When fragments that small would be too many, the bundle waits for the end
 * of the contact and is routed again.
 * When a contact ends, the bundles it did not start go back to the router; when the plan changes, every
 * bundle not yet handed to a link is routed again (a new contact may be earlier).
 */
import { type Result, err, toLogFormat } from '../../shared/errors';
import { encodeBundleParts } from '../../shared/protocol/bpv7/bundle';
import { canonicalBlockSizeOrProblem } from '../../shared/protocol/bpv7/canonical';
import type { CodecOptions } from '../../shared/protocol/bpv7/crc';
import { BundleFlag, hasFlag } from '../../shared/protocol/bpv7/flags';
import { fragmentBundle, fragmentHeaderSizes } from '../../shared/protocol/bpv7/fragment';
import { StatusReason } from '../../shared/protocol/bpv7/report-reasons';
import type { Bundle, CanonicalBlock, Eid } from '../../shared/protocol/bpv7/types';
import { LIMITS } from '../../shared/protocol/limits';
import type { BundleIndex, Tracked } from './bundle-index';
import { createContactSession, type ContactSession, type OutgoingBundle } from './contact-session';
import { prepareForForwarding } from './forward-blocks';
import type { Router } from './router/router';
import type { ApplySummary, Contact } from './router/types';
import type { Cla, ClaLink, ClaName, Clock, Log } from './types';

export interface ForwarderDeps {
  readonly nodeEid: Eid;
  readonly index: BundleIndex;
  readonly router: Router;
  readonly clas: ReadonlyMap<ClaName, Cla>;
  readonly clock: Clock;
  readonly log: Log;
  readonly codec: CodecOptions;
  /** Largest bundle sent, bytes (uD3TN's -m); Infinity for no maximum. */
  readonly maxBundleSize: number;
  readonly maxLinkBufferedBytes: number;
  /** contact-session.ts: how long a link must stay usable after a write before the bundle counts as sent. */
  readonly sentConfirmMs: number;
  /** The bundle was sent (written at `writtenAt` and confirmed): delete it, report. */
  forwarded(t: Tracked, contact: Contact, writtenAt: number): void;
  /** Delete the bundle with a status report reason. */
  drop(t: Tracked, reason: number, detail: string, bundle?: Bundle): void;
  /** Store `fragments` in place of `t` (deleted without a report); the stored fragments. */
  fragmented(t: Tracked, fragments: readonly Bundle[]): Result<Tracked[]>;
  /** A new wake-up time may be earlier than the armed timer. */
  reschedule(): void;
}

export interface Forwarder {
  /** Route a stored 'forward' bundle (`bundle` saves decoding it). */
  route(t: Tracked, bundle?: Bundle): void;
  /** Contacts started, ended, parked bundles due: call at every timer event. */
  tick(now: number): void;
  /** The contact plan changed: end removed contacts and route waiting bundles again. */
  planChanged(summary: ApplySummary): void;
  /** The bundle left the store (expired): give back the volume it held. */
  forget(t: Tracked): void;
  /** The earliest time a parked bundle is due. */
  nextWake(): number | undefined;
  /** Counts for logs and tests. */
  counts(): { readonly unrouted: number; readonly waiting: number; readonly sending: number; readonly parked: number };
  close(): Promise<void>;
}

/**
 * Bytes that forwarding adds: the encoded sizes of the blocks in `after` that are not in `before`
 * (updated or new), less those of the blocks of `before` that are not in `after` (replaced or dropped).
 * A string when a block cannot be encoded.
 */
function changedBytes(before: readonly CanonicalBlock[], after: readonly CanonicalBlock[]): number | string {
  let delta = 0;
  for (const b of after) {
    if (before.includes(b)) continue;
    const s = canonicalBlockSizeOrProblem(b);
    if (typeof s === 'string') return s;
    delta += s;
  }
  for (const b of before) {
    if (after.includes(b)) continue;
    const s = canonicalBlockSizeOrProblem(b);
    if (typeof s === 'string') return s;
    delta -= s;
  }
  return delta;
}

/** "mtcp:127.0.0.1:4224" → CLA name and "host:port". */
export function splitClaAddress(address: string): { readonly cla: string; readonly hostPort: string } {
  const colon = address.indexOf(':');
  return colon < 0 ? { cla: address, hostPort: '' } : { cla: address.slice(0, colon), hostPort: address.slice(colon + 1) };
}

export function createForwarder(deps: ForwarderDeps): Forwarder {
  const { index, router, clock, log } = deps;
  const unrouted = new Set<Tracked>();
  const waiting = new Map<string, Set<Tracked>>();
  const parked = new Map<Tracked, number>();
  const sessions = new Map<string, { readonly session: ContactSession; readonly contact: Contact }>();
  const draining = new Set<ContactSession>();
  let closed = false;

  function openLink(contact: Contact): Promise<Result<ClaLink>> {
    const { cla: name, hostPort } = splitClaAddress(contact.claAddress);
    const cla = deps.clas.get(name as ClaName);
    if (cla === undefined) return Promise.resolve(err('UNSUPPORTED', `no ${name} convergence layer is running for ${contact.claAddress}`));
    return cla.connect(hostPort, contact.peerNodeId);
  }

  function prepare(t: Tracked, elapsed?: number): OutgoingBundle | undefined {
    const bundle = index.decode(t);
    if (!bundle.ok) {
      deps.drop(t, StatusReason.NO_ADDITIONAL_INFORMATION, `unreadable: ${toLogFormat(bundle.error)}`);
      return undefined;
    }
    const elapsedMs = elapsed ?? clock() - t.receivedAt;
    const prep = prepareForForwarding(bundle.value, { nodeId: deps.nodeEid, elapsedMs });
    if (!prep.ok) {
      deps.drop(t, StatusReason.BLOCK_UNINTELLIGIBLE, toLogFormat(prep.error), bundle.value);
      return undefined;
    }
    if (prep.value.kind === 'hop-limit-exceeded') {
      deps.drop(t, StatusReason.HOP_LIMIT_EXCEEDED, `hop count would reach ${prep.value.count}, limit ${prep.value.limit}`, bundle.value);
      return undefined;
    }
    const out = prep.value.bundle;
    const parts = encodeBundleParts(out, deps.codec);
    let size = 0;
    for (const p of parts) size += p.length;
    return { bundle: out, parts, size, elapsedMs };
  }

  function sessionFor(contact: Contact): ContactSession {
    const existing = sessions.get(contact.id);
    if (existing !== undefined) return existing.session;
    const session = createContactSession({
      contactId: contact.id,
      clock,
      log,
      maxBufferedBytes: deps.maxLinkBufferedBytes,
      confirmMs: deps.sentConfirmMs,
      contact: () => router.contact(contact.id),
      openLink,
      prepare,
      written: (t, out) => {
        index.uncache(t);
        log({ event: 'bundle.forwarded', id: t.id, contact: contact.id, peer: contact.peerNodeId, cla: contact.claAddress, bytes: out.size });
      },
      sent: (t, writtenAt) => deps.forwarded(t, contact, writtenAt),
      returned: (ts) => {
        for (const t of ts) reroute(t);
      },
    });
    sessions.set(contact.id, { session, contact });
    log({ event: 'contact.started', contact: contact.id, peer: contact.peerNodeId, cla: contact.claAddress });
    return session;
  }

  function release(t: Tracked): void {
    if (t.contactId !== undefined && t.committed > 0) router.release(t.contactId, t.committed);
    t.contactId = undefined;
    t.committed = 0;
  }

  function reroute(t: Tracked): void {
    release(t);
    route(t);
  }

  /**
   * Size as the bundle would leave, flags; undefined when it was dropped. The size is the stored size
   * plus what forwarding changes (forward-blocks.ts: the blocks it updates or adds, against those they
   * replace; every other block is the stored one, shared): exact for a canonically encoded bundle, an
   * upper bound for one a peer encoded with longer integer forms (it leaves re-encoded, shorter).
   */
  function outgoingOf(t: Tracked, given: Bundle | undefined): { readonly bundle: Bundle | undefined } | undefined {
    if (t.outgoing !== undefined) return { bundle: given };
    const decoded = given === undefined ? index.decode(t) : { ok: true as const, value: given };
    if (!decoded.ok) {
      deps.drop(t, StatusReason.NO_ADDITIONAL_INFORMATION, `unreadable: ${toLogFormat(decoded.error)}`);
      return undefined;
    }
    const bundle = decoded.value;
    // The time it can spend here is below its lifetime here: size the bundle age for that.
    const prep = prepareForForwarding(bundle, { nodeId: deps.nodeEid, elapsedMs: Math.max(0, t.expiresAt - t.receivedAt) });
    if (!prep.ok) {
      deps.drop(t, StatusReason.BLOCK_UNINTELLIGIBLE, toLogFormat(prep.error), bundle);
      return undefined;
    }
    if (prep.value.kind === 'hop-limit-exceeded') {
      deps.drop(t, StatusReason.HOP_LIMIT_EXCEEDED, `hop count would reach ${prep.value.count}, limit ${prep.value.limit}`, bundle);
      return undefined;
    }
    const overhead = changedBytes(bundle.blocks, prep.value.bundle.blocks);
    if (typeof overhead === 'string') {
      deps.drop(t, StatusReason.BLOCK_UNINTELLIGIBLE, overhead, bundle);
      return undefined;
    }
    const mustNotFragment = hasFlag(bundle.primary.flags, BundleFlag.MUST_NOT_FRAGMENT);
    t.outgoing = { size: t.size + overhead, overhead, mustNotFragment, minFragmentBytes: mustNotFragment ? 1 : undefined };
    return { bundle };
  }

  /**
   * The smallest useful share of a contact when fragmenting: the first fragment's headers, what
   * forwarding adds, and the minimum payload (ud3tn-behaviour.md §9). Asked for by the router only when
   * a contact has less room than the whole bundle; kept once worked out.
   */
  function fragmentFloorOf(t: Tracked, given: Bundle | undefined): number {
    const o = t.outgoing;
    if (o === undefined) return 1;
    if (o.minFragmentBytes !== undefined) return o.minFragmentBytes;
    const decoded = given === undefined ? index.decode(t) : { ok: true as const, value: given };
    const headers = decoded.ok ? fragmentHeaderSizes(decoded.value) : undefined;
    o.minFragmentBytes = headers?.ok === true ? o.overhead + headers.value.first + LIMITS.fragmentMinPayloadBytes : 1;
    return o.minFragmentBytes;
  }

  function route(t: Tracked, given?: Bundle): void {
    if (t.gone || closed) return;
    const o = outgoingOf(t, given);
    if (o === undefined || t.outgoing === undefined) return;
    const { size, mustNotFragment } = t.outgoing;
    const now = clock();
    const decision = router.route(t.destination, size, now, { expiresAt: t.expiresAt, mustNotFragment, minFragmentBytes: () => fragmentFloorOf(t, o.bundle) });
    if (decision.kind === 'no-route') {
      unrouted.add(t);
      index.uncache(t);
      log({ event: 'bundle.no_route', id: t.id, destination: t.destination, reason: decision.reason });
      return;
    }
    const { contact } = decision;
    const limit = Math.min(deps.maxBundleSize, decision.maxBundleBytes);
    if (size > limit) {
      fragment(t, o.bundle, size, limit, contact, decision.maxBundleBytes < deps.maxBundleSize);
      return;
    }
    router.consume(contact.id, size);
    t.contactId = contact.id;
    t.committed = size;
    if (decision.kind === 'wait') {
      let set = waiting.get(contact.id);
      if (set === undefined) {
        set = new Set();
        waiting.set(contact.id, set);
      }
      set.add(t);
      index.uncache(t);
      log({ event: 'bundle.waiting', id: t.id, contact: contact.id, peer: contact.peerNodeId, until: new Date(decision.until).toISOString() });
      deps.reschedule();
      return;
    }
    sessionFor(contact).push(t);
  }

  function fragment(t: Tracked, given: Bundle | undefined, size: number, limit: number, contact: Contact, contactLimited: boolean): void {
    if (t.outgoing?.mustNotFragment === true) {
      deps.drop(t, StatusReason.NO_TIMELY_CONTACT, `must not be fragmented and ${size} bytes exceed the maximum bundle size ${deps.maxBundleSize}`);
      return;
    }
    const decoded = given === undefined ? index.decode(t) : { ok: true as const, value: given };
    if (!decoded.ok) {
      deps.drop(t, StatusReason.NO_ADDITIONAL_INFORMATION, `unreadable: ${toLogFormat(decoded.error)}`);
      return;
    }
    // The blocks this node adds when forwarding (previous node, bundle age growth) come on top of each
    // fragment: fragment to the limit minus that overhead.
    const overhead = t.outgoing?.overhead ?? 0;
    const split = limit - overhead > 0 ? fragmentBundle(decoded.value, limit - overhead) : err('LIMIT_EXCEEDED', `no room in ${limit} bytes`);
    // Fewer than two pieces would mean the bundle fit after all: never replace a bundle by itself.
    const pieces = split.ok && split.value.length < 2 ? err('INTERNAL', `fragmenting ${t.id} to ${limit - overhead} bytes gave one piece`) : split;
    if (!pieces.ok) {
      if (contactLimited) {
        parked.set(t, contact.end);
        index.uncache(t);
        log({ event: 'bundle.waiting', id: t.id, contact: contact.id, peer: contact.peerNodeId, until: new Date(contact.end).toISOString(), reason: toLogFormat(pieces.error) });
        deps.reschedule();
      } else {
        deps.drop(t, StatusReason.NO_TIMELY_CONTACT, toLogFormat(pieces.error), decoded.value);
      }
      return;
    }
    const stored = deps.fragmented(t, pieces.value);
    if (!stored.ok) return;
    for (const f of stored.value) route(f);
  }

  function endContact(id: string): void {
    const s = sessions.get(id);
    if (s !== undefined) {
      sessions.delete(id);
      draining.add(s.session);
      log({ event: 'contact.ended', contact: id, peer: s.contact.peerNodeId });
      for (const t of s.session.end()) reroute(t);
    }
    const w = waiting.get(id);
    if (w !== undefined) {
      waiting.delete(id);
      for (const t of w) if (!t.gone) reroute(t);
    }
  }

  function tick(now: number): void {
    if (closed) return;
    for (const s of draining) if (s.drained) draining.delete(s);
    for (const c of router.dropExpired(now)) endContact(c.id);
      for (const c of router.activeContacts(now)) {
        const w = waiting.get(c.id);
        if (w === undefined) continue;
        waiting.delete(c.id);
        const session = sessionFor(c);
        for (const t of w) if (!t.gone) session.push(t);
      }
    const due: Tracked[] = [];
    for (const [t, at] of parked) if (at <= now) due.push(t);
    for (const t of due) {
      parked.delete(t);
      route(t);
    }
  }

  return {
    route,
    tick,

    planChanged(summary) {
      if (closed) return;
      for (const c of summary.removed) endContact(c.id);
      const again: Tracked[] = [...unrouted, ...parked.keys()];
      unrouted.clear();
      parked.clear();
      for (const set of waiting.values()) for (const t of set) again.push(t);
      waiting.clear();
      for (const t of again) if (!t.gone) reroute(t);
      tick(clock());
    },

    forget(t) {
      unrouted.delete(t);
      parked.delete(t);
      if (t.contactId !== undefined) {
        const w = waiting.get(t.contactId);
        if (w?.delete(t) === true) release(t);
      }
    },

    nextWake() {
      let next: number | undefined;
      for (const at of parked.values()) if (next === undefined || at < next) next = at;
      return next;
    },

    counts() {
      let w = 0;
      for (const set of waiting.values()) w += set.size;
      let sending = 0;
      for (const s of sessions.values()) sending += s.session.queued;
      return { unrouted: unrouted.size, waiting: w, sending, parked: parked.size };
    },

    async close() {
      closed = true;
      const all = [...[...sessions.values()].map((s) => s.session), ...draining];
      sessions.clear();
      draining.clear();
      await Promise.all(all.map((s) => s.close()));
    },
  };
}
