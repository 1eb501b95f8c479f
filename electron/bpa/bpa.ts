/**
 * The embedded BPA's bundle processor (RFC 9171 §4–§6; issue 3): it ties the durable store (store/), the
 * router and contact plan (router/), the convergence layers (cla/, through `sink` and Cla.connect) and
 * the application agents (aap/, agents/, through AgentHost) together.
 *
 * Every bundle, whatever its way in, is stored durably BEFORE anything else happens to it: a bundle an
 * agent submits is confirmed (SENDCONFIRM) only after store.put returned, and a bundle received over a CLA
 * is stored before it is reported, delivered or forwarded. It leaves the store only when it is done with:
 * written to a link, taken by an agent, expired, or deleted for a reason (with a deletion status report
 * when it asked for one). So a confirmed bundle survives kill -9; after a restart every stored bundle is
 * dispatched again (forward, deliver, reassemble).
 *
 * The parts:
 * - reception.ts judges what a CLA brought (CRCs, validation, unknown blocks, hop count);
 * - submitted-bundle.ts builds what an agent submits, creation-clock.ts stamps it;
 * - delivery.ts delivers to agents (bundles wait for absent agents), reassembly.ts puts fragments together;
 * - forwarding.ts routes and sends (contact-session.ts: lazy links, pacing, one-way light time),
 *   forward-blocks.ts updates previous node, hop count and bundle age;
 * - reports.ts sends status reports, saved-plan.ts keeps run-time contacts across restarts.
 *
 * One timer serves the contact plan (router.nextEvent), expiry (store.nextExpiry) and parked bundles.
 * Every bundle event is one log line (`bundle.*`, `report.sent`); payload bytes never reach the log.
 */
import { join } from 'node:path';
import { err, ok, toLogFormat, type Result } from '../../shared/errors';
import { encodeBundle, encodeBundleParts, payloadBlockOf } from '../../shared/protocol/bpv7/bundle';
import type { CodecOptions } from '../../shared/protocol/bpv7/crc';
import { formatEid, isNodeId, parseEid } from '../../shared/protocol/bpv7/eid';
import { BundleFlag, REPORT_REQUEST_FLAGS, hasFlag } from '../../shared/protocol/bpv7/flags';
import type { ReassemblyLimits } from '../../shared/protocol/bpv7/reassemble';
import { StatusReason, describeStatusReason } from '../../shared/protocol/bpv7/report-reasons';
import type { Bundle } from '../../shared/protocol/bpv7/types';
import { LIMITS } from '../../shared/protocol/limits';
import type { ConfigCommand } from '../../shared/protocol/ud3tn-config/types';
import { nodeCodecOptions } from '../services/codec/native-crc32c';
import { createBundleIndex, type Tracked, type TrackedInit } from './bundle-index';
import { bundleAgeOf, bundleIdOf, createdAtOf, expiryOf, wholeBundleIdOf } from './bundle-facts';
import { createCreationClock } from './creation-clock';
import { createDelivery } from './delivery';
import { createForwarder } from './forwarding';
import { createReassembly } from './reassembly';
import { examineReceived } from './reception';
import { createReporter } from './reports';
import { createRouter, type Router } from './router/router';
import { nodeIdOf } from './router/routing-key';
import type { ApplySummary, Contact, PlanCommand } from './router/types';
import { planCommandOf } from './router/config-command';
import { openSavedPlan, type SavedPlan } from './saved-plan';
import type { BundleState, BundleStore, NewBundle, StoreUsage } from './store/types';
import { DEFAULT_LIFETIME_MS, bundleForSubmit } from './submitted-bundle';
import type { AgentHost, BundleSink, Cla, ClaName, ClaOrigin, Clock, Log, SubmittedBundle } from './types';

export interface BpaOptions {
  /** Lifetime of bundles agents submit without one, ms (uD3TN -l, in seconds there). Default 86 400 000. */
  readonly lifetimeMs?: number;
  /** Largest bundle sent; larger ones are fragmented (uD3TN -m). Default: no maximum. */
  readonly maxBundleSize?: number;
  /** Generate status reports when bundles request them (uD3TN -r). Default false. */
  readonly statusReports?: boolean;
  /**
   * Directory for the processor's own small state: the creation-clock reservation and the contacts
   * configured at run time. Without one, neither survives a restart (tests).
   */
  readonly stateDir?: string;
  /** A static contact plan (the config file's), applied at every start before the saved run-time commands. */
  readonly plan?: readonly PlanCommand[];
  readonly reassemblyLimits?: Partial<ReassemblyLimits>;
  /** Default LIMITS.bpaCacheMaxBytes. */
  readonly cacheMaxBytes?: number;
  /** Default LIMITS.bpaLinkMaxBufferedBytes. */
  readonly linkMaxBufferedBytes?: number;
  /**
   * How long a link must stay usable after a bundle's bytes were written before the bundle is deleted
   * (contact-session.ts: MTCP has no acknowledgement; a peer killed before it read the bytes would lose
   * them). Default DEFAULT_SENT_CONFIRM_MS.
   */
  readonly sentConfirmMs?: number;
  /**
   * How long an AAP v1 connection must stay registered after a bundle was written to it before the
   * bundle is deleted as delivered (delivery.ts: AAP v1 has no acknowledgement). Default
   * DEFAULT_DELIVERY_SETTLE_MS (delivery.ts); 0 deletes it once written.
   */
  readonly deliverySettleMs?: number;
}

/** Long enough for the RST of a killed peer to come back on a loaded machine, short enough not to hold the store. */
export const DEFAULT_SENT_CONFIRM_MS = 2000;

export interface CreateBpaDeps {
  /** This node's ID: "dtn://node/" or "ipn:N.0". */
  readonly nodeId: string;
  readonly store: BundleStore;
  /** The convergence layers, for outgoing links; they hand received bundles to `bpa.sink`. */
  readonly clas: readonly Cla[];
  readonly clock: Clock;
  readonly log: Log;
  readonly options?: BpaOptions;
  /** BPv7 codec options; default the native CRC-32C. */
  readonly codec?: CodecOptions;
}

export interface BpaStatus {
  readonly nodeId: string;
  readonly bundles: number;
  readonly store: StoreUsage;
  readonly unrouted: number;
  readonly waitingForContact: number;
  readonly sending: number;
  readonly waitingForAgent: Readonly<Record<string, number>>;
  readonly reassembling: number;
  readonly contacts: readonly Contact[];
}

export interface Bpa extends AgentHost {
  /** Give this to every CLA: each complete bundle read off the wire. */
  readonly sink: BundleSink;
  readonly router: Router;
  /** The config agent's callback (agents/config-agent.ts): apply uD3TN config commands, keep them across restarts. */
  configure(commands: readonly ConfigCommand[], source: string): Result<void>;
  /** Apply contact-plan commands (ms, with OWLT); `persist` keeps them across restarts (default true). */
  applyPlan(commands: readonly PlanCommand[], opts?: { persist?: boolean }): Result<ApplySummary>;
  status(): BpaStatus;
  /** Stop timers, sessions and links; the store stays open (its owner closes it). */
  stop(): Promise<void>;
}

const TIMER_MAX_MS = 0x7fff_ffff;
const STATES: readonly BundleState[] = ['reassembly', 'deliver', 'forward'];

function sizeOf(bytes: Uint8Array | readonly Uint8Array[]): number {
  if (bytes instanceof Uint8Array) return bytes.length;
  let n = 0;
  for (const p of bytes) n += p.length;
  return n;
}

function originOf(hint: string | undefined): 'local' | 'cla' {
  return hint === ORIGIN_CLA ? 'cla' : 'local';
}
/**
 * Where a 'deliver'/'reassembly' bundle came from is kept in the store's contactHint column, which only
 * 'forward' bundles use for a contact (and this processor keeps contact assignments in memory): the config
 * agent needs it after a restart to refuse remote configuration (DeliveredAdu.receivedFrom).
 */
const ORIGIN_CLA = 'origin:cla';
const ORIGIN_LOCAL = 'origin:local';

export function createBpa(deps: CreateBpaDeps): Result<Bpa> {
  const { store, clock, log } = deps;
  const parsedNode = parseEid(deps.nodeId);
  if (!parsedNode.ok) return parsedNode;
  if (!isNodeId(parsedNode.value)) return err('INVALID_EID', `the node ID must be dtn://node/ or ipn:N.0, not ${deps.nodeId}`);
  const nodeEid = parsedNode.value;
  const nodeId = formatEid(nodeEid);
  const options = deps.options ?? {};
  const lifetimeMs = options.lifetimeMs ?? DEFAULT_LIFETIME_MS;
  const maxBundleSize = options.maxBundleSize ?? Number.POSITIVE_INFINITY;
  const codec = deps.codec ?? nodeCodecOptions;
  const stateDir = options.stateDir;

  const creationClock = createCreationClock({ clock, ...(stateDir === undefined ? {} : { path: join(stateDir, 'creation-clock.json') }) });
  const index = createBundleIndex(store, codec, options.cacheMaxBytes ?? LIMITS.bpaCacheMaxBytes);
  const router = createRouter();
  const clas = new Map<ClaName, Cla>(deps.clas.map((c) => [c.name, c]));
  let savedPlan: SavedPlan | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let timerAt: number | undefined;
  let expiryAt: number | undefined;

  const isLocal = (destination: string): boolean => nodeIdOf(destination) === nodeId;

  // ---- storing ----------------------------------------------------------------------------------

  interface StoreRequest {
    /** Encoded, whole or as gather parts (store/types.ts NewBundle.bytes). */
    readonly bytes: Uint8Array | readonly Uint8Array[];
    readonly bundle: Bundle;
    readonly origin: 'local' | 'cla';
    readonly receivedAt: number;
    /** Keep this expiry (fragments of a bundle keep the bundle's). */
    readonly expiresAt?: number;
  }

  /** The processor's view of a request and the store's entry for it. */
  function entryOf(req: StoreRequest): { readonly init: TrackedInit; readonly entry: NewBundle } {
    const { bundle, bytes } = req;
    const p = bundle.primary;
    const destination = formatEid(p.destination);
    const local = isLocal(destination);
    const state: BundleState = !local ? 'forward' : p.fragment !== undefined ? 'reassembly' : 'deliver';
    const init: TrackedInit = {
      id: bundleIdOf(bundle),
      source: formatEid(p.source),
      destination,
      expiresAt: req.expiresAt ?? expiryOf(bundle, req.receivedAt),
      reportFlags: hasFlag(p.flags, REPORT_REQUEST_FLAGS) ? p.flags % 0x1_0000_0000 & REPORT_REQUEST_FLAGS : 0,
      receivedAt: req.receivedAt,
      origin: req.origin,
      size: sizeOf(bytes),
      state,
    };
    const entry: NewBundle = {
      id: init.id,
      destination,
      source: init.source,
      createdAt: createdAtOf(bundle),
      expiresAt: init.expiresAt,
      state,
      ...(local ? { agent: destination, contactHint: req.origin === 'cla' ? ORIGIN_CLA : ORIGIN_LOCAL } : {}),
      reportFlags: init.reportFlags,
      bytes,
    };
    return { init, entry };
  }

  /** Store the bundles, committed together (store.putAll), and track those stored. */
  function putAll(reqs: readonly StoreRequest[]): Result<Tracked>[] {
    const made = reqs.map(entryOf);
    return store.putAll(made.map((m) => m.entry)).map((r, i) => {
      if (!r.ok) return r;
      const { init } = made[i] as { readonly init: TrackedInit };
      if (expiryAt === undefined || init.expiresAt < expiryAt) {
        expiryAt = init.expiresAt;
        arm();
      }
      return ok(index.add(init, (reqs[i] as StoreRequest).bundle));
    });
  }

  function put(req: StoreRequest): Result<Tracked> {
    return putAll([req])[0] ?? err('INTERNAL', 'no result for the put');
  }

  // ---- leaving the store ------------------------------------------------------------------------

  function drop(t: Tracked, reason: number, detail: string, bundle?: Bundle): void {
    if (t.gone) return;
    let subject = bundle;
    if (subject === undefined && reporter.wants(t.reportFlags, 'deleted')) {
      const d = index.decode(t);
      if (d.ok) subject = d.value;
    }
    forwarder.forget(t);
    index.remove(t);
    log({ event: 'bundle.deleted', id: t.id, reason, reasonText: describeStatusReason(reason).name, detail });
    if (subject !== undefined) reporter.report(subject, t.id, 'deleted', reason);
  }

  /** A report (or another bundle this node makes) enters like a submitted one. */
  function originate(bundle: Bundle): Result<Tracked> {
    let bytes: Uint8Array;
    try {
      bytes = encodeBundle(bundle, codec);
    } catch (e) {
      return err('INVALID_ARGUMENT', e instanceof Error ? e.message : String(e));
    }
    const t = put({ bytes, bundle, origin: 'local', receivedAt: clock() });
    if (t.ok) setImmediate(() => safely('dispatch', () => dispatch(t.value, bundle)));
    return t;
  }

  // ---- the parts --------------------------------------------------------------------------------

  const reporter = createReporter({
    enabled: options.statusReports ?? false,
    nodeEid,
    clock,
    creationClock,
    lifetimeMs,
    log,
    originate(report, subjectId, status) {
      const t = originate(report);
      if (t.ok) return t.value.id;
      log({ event: 'report.failed', about: subjectId, status, error: toLogFormat(t.error) });
      return undefined;
    },
  });

  const delivery = createDelivery({
    index,
    log,
    ...(options.deliverySettleMs === undefined ? {} : { settleMs: options.deliverySettleMs }),
    delivered(t, facts) {
      // Settled (delivery.ts): the bundle is read again only for a report it asked for.
      const subject = reporter.wants(t.reportFlags, 'delivered') ? index.decode(t) : undefined;
      // delivery.ts commits removals before the next hand-over; in a stream the next put does it.
      index.remove(t, { withNextWrite: true });
      log({ event: 'bundle.delivered', id: t.id, agent: t.destination, bytes: facts.bytes, admin: facts.admin });
      if (subject?.ok === true) reporter.report(subject.value, t.id, 'delivered', StatusReason.NO_ADDITIONAL_INFORMATION);
    },
    unreadable: (t, error) => drop(t, StatusReason.NO_ADDITIONAL_INFORMATION, `unreadable: ${error}`),
  });

  const reassembly = createReassembly({
    clock,
    ...(options.reassemblyLimits === undefined ? {} : { limits: options.reassemblyLimits }),
    complete(whole, fragments) {
      const id = bundleIdOf(whole);
      const first = fragments[0];
      if (first === undefined) return;
      if (index.get(id) !== undefined || store.has(id)) {
        for (const f of fragments) index.remove(f);
        log({ event: 'bundle.duplicate', id, detail: 'reassembled again' });
        return;
      }
      const t = put({ bytes: encodeBundle(whole, codec), bundle: whole, origin: first.origin, receivedAt: first.receivedAt, expiresAt: first.expiresAt });
      if (!t.ok) {
        for (const f of fragments) drop(f, StatusReason.DEPLETED_STORAGE, `reassembled ADU not stored: ${toLogFormat(t.error)}`);
        return;
      }
      for (const f of fragments) index.remove(f);
      log({ event: 'bundle.reassembled', id, fragments: fragments.length, bytes: payloadBlockOf(whole)?.data.length ?? 0 });
      dispatch(t.value, whole);
    },
    dropped(fragments, why) {
      const reason = why === 'expired' ? StatusReason.LIFETIME_EXPIRED : StatusReason.DEPLETED_STORAGE;
      for (const f of fragments) drop(f, reason, `reassembly gave up: ${why}`);
    },
    rejected: (t, error) => drop(t, StatusReason.NO_ADDITIONAL_INFORMATION, `fragment refused: ${toLogFormat(error)}`),
  });

  const forwarder = createForwarder({
    nodeEid,
    index,
    router,
    clas,
    clock,
    log,
    codec,
    maxBundleSize,
    maxLinkBufferedBytes: options.linkMaxBufferedBytes ?? LIMITS.bpaLinkMaxBufferedBytes,
    sentConfirmMs: options.sentConfirmMs ?? DEFAULT_SENT_CONFIRM_MS,
    forwarded(t, _contact, writtenAt) {
      // Expired or deleted while its bytes were on the way: that was reported already.
      if (t.gone) return;
      const subject = reporter.wants(t.reportFlags, 'forwarded') ? index.decode(t) : undefined;
      index.remove(t);
      if (subject?.ok === true) reporter.report(subject.value, t.id, 'forwarded', StatusReason.NO_ADDITIONAL_INFORMATION, false, writtenAt);
    },
    drop,
    fragmented(t, pieces) {
      const stored: Tracked[] = [];
      for (const piece of pieces) {
        let r: Result<Tracked>;
        try {
          r = put({ bytes: encodeBundle(piece, codec), bundle: piece, origin: t.origin, receivedAt: t.receivedAt, expiresAt: t.expiresAt });
        } catch (e) {
          r = err('INVALID_ARGUMENT', e instanceof Error ? e.message : String(e));
        }
        if (!r.ok && r.error.code === 'CONFLICT') {
          // Stored before a crash that came before the original's deletion; that copy is dispatched already.
          continue;
        }
        if (!r.ok) {
          for (const s of stored) index.remove(s);
          log({ event: 'bundle.fragment_failed', id: t.id, error: toLogFormat(r.error) });
          return r;
        }
        stored.push(r.value);
      }
      index.remove(t);
      stored.forEach((f, i) => log({ event: 'bundle.fragmented', id: f.id, from: t.id, n: i + 1, of: pieces.length, bytes: f.size }));
      return ok(stored);
    },
    reschedule: () => arm(),
  });

  // ---- dispatch ---------------------------------------------------------------------------------

  /** Work started from a timer or an event: an exception (the store's disk failing) is logged, never thrown. */
  function safely(where: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      log({ event: 'bpa.internal_error', where, message: e instanceof Error ? e.message : String(e) });
    }
  }

  function isAdminRecord(t: Tracked, bundle: Bundle | undefined): boolean {
    const b = bundle === undefined ? index.decode(t) : ok(bundle);
    return b.ok && hasFlag(b.value.primary.flags, BundleFlag.ADMIN_RECORD);
  }

  function dispatch(t: Tracked, bundle?: Bundle): void {
    if (t.gone || closed) return;
    switch (t.state) {
      case 'forward':
        forwarder.route(t, bundle);
        return;
      case 'deliver':
        if (t.destination === nodeId && !delivery.hasReceiver(nodeId) && isAdminRecord(t, bundle)) {
          // An administrative record for the node itself (its administrative endpoint) while no agent
          // registered the node ID (an AAP v1 client can, with the empty agent ID): consumed, as uD3TN does.
          index.remove(t);
          log({ event: 'bundle.consumed', id: t.id, destination: t.destination, reason: 'administrative record for the node ID, no agent registered' });
          return;
        }
        delivery.enqueue(t);
        return;
      case 'reassembly': {
        const b = bundle === undefined ? index.decode(t) : ok(bundle);
        if (!b.ok) {
          drop(t, StatusReason.NO_ADDITIONAL_INFORMATION, `unreadable: ${toLogFormat(b.error)}`);
          return;
        }
        reassembly.add(t, b.value);
        return;
      }
    }
  }

  // ---- reception (BundleSink) -------------------------------------------------------------------

  function receive(bytes: Uint8Array, origin: ClaOrigin): void {
    if (closed) return;
    try {
      receiveBundle(bytes, origin);
    } catch (e) {
      log({ event: 'bpa.internal_error', where: 'reception', from: origin.remote, message: e instanceof Error ? e.message : String(e) });
    }
  }

  /** A received bundle judged acceptable, waiting for the commit of its read (storeArrivals). */
  interface Arrival {
    readonly id: string;
    readonly from: string;
    readonly origin: ClaOrigin;
    readonly discardedBlocks: readonly number[];
    readonly blockReport: boolean;
    readonly req: StoreRequest;
  }
  let arrivals: Arrival[] = [];
  const arriving = new Set<string>();

  function receiveBundle(bytes: Uint8Array, origin: ClaOrigin): void {
    const from = origin.peerNodeId ?? origin.remote;
    const examined = examineReceived(bytes, codec);
    if (!examined.ok) {
      log({ event: 'bundle.dropped', from, cla: origin.cla, bytes: bytes.length, error: toLogFormat(examined.error) });
      return;
    }
    const o = examined.value;
    const bundle = o.bundle;
    const id = bundleIdOf(bundle);
    const local = isLocal(formatEid(bundle.primary.destination));
    if (arriving.has(id) || store.has(id) || (local && bundle.primary.fragment !== undefined && store.has(wholeBundleIdOf(bundle)))) {
      log({ event: 'bundle.duplicate', id, from, cla: origin.cla });
      return;
    }
    const now = clock();
    const expiresAt = expiresAtOfReceived(bundle, now, o.kind === 'accept' ? o.bundleAgeMs : bundleAgeOf(bundle));
    if (o.kind === 'delete') {
      store.markSeen(id, Math.max(expiresAt, now + 1));
      log({ event: 'bundle.deleted', id, from, reason: o.reason, reasonText: describeStatusReason(o.reason).name, detail: o.detail });
      reporter.report(bundle, id, 'received', o.blockReport ? StatusReason.BLOCK_UNINTELLIGIBLE : StatusReason.NO_ADDITIONAL_INFORMATION, o.blockReport);
      reporter.report(bundle, id, 'deleted', o.reason);
      return;
    }
    if (expiresAt <= now) {
      store.markSeen(id, now + 1);
      log({ event: 'bundle.expired', id, from, detail: 'expired on arrival' });
      reporter.report(bundle, id, 'deleted', StatusReason.LIFETIME_EXPIRED);
      return;
    }
    // Stored with the other bundles of the same read, before anything else is done with it (below).
    arrivals.push({ id, from, origin, discardedBlocks: o.discardedBlocks, blockReport: o.blockReport, req: { bytes: o.bytes, bundle, origin: 'cla', receivedAt: now, expiresAt } });
    arriving.add(id);
    if (arrivals.length === 1) queueMicrotask(storeArrivals);
  }

  /**
   * Group commit: every bundle a CLA read hands over in one go (its sink calls come in one turn of the
   * event loop) is stored in one transaction, at the end of that turn, before it is reported,
   * delivered or forwarded; nothing is done with a received bundle before the commit that makes it
   * survive kill -9. Then, in arrival order, what the processor does for each.
   */
  function storeArrivals(): void {
    const batch = arrivals;
    arrivals = [];
    arriving.clear();
    let results: Result<Tracked>[];
    try {
      results = putAll(batch.map((a) => a.req));
    } catch (e) {
      log({ event: 'bpa.internal_error', where: 'reception', bundles: batch.length, message: e instanceof Error ? e.message : String(e) });
      return;
    }
    batch.forEach((a, i) => {
      try {
        afterArrival(a, results[i] ?? err('INTERNAL', 'no result for the put'));
      } catch (e) {
        log({ event: 'bpa.internal_error', where: 'reception', from: a.origin.remote, message: e instanceof Error ? e.message : String(e) });
      }
    });
  }

  function afterArrival(a: Arrival, stored: Result<Tracked>): void {
    const { id, from, origin } = a;
    const bundle = a.req.bundle;
    if (!stored.ok) {
      if (stored.error.code === 'CONFLICT') {
        log({ event: 'bundle.duplicate', id, from, cla: origin.cla });
        return;
      }
      const reason = stored.error.code === 'STORE_FULL' ? StatusReason.DEPLETED_STORAGE : StatusReason.NO_ADDITIONAL_INFORMATION;
      log({ event: 'bundle.deleted', id, from, reason, reasonText: describeStatusReason(reason).name, detail: toLogFormat(stored.error) });
      reporter.report(bundle, id, 'deleted', reason);
      return;
    }
    const t = stored.value;
    log({
      event: 'bundle.received',
      id,
      from,
      cla: origin.cla,
      source: t.source,
      destination: t.destination,
      bytes: t.size,
      ...(a.discardedBlocks.length > 0 ? { discardedBlockTypes: a.discardedBlocks.join(',') } : {}),
    });
    if (a.blockReport) reporter.report(bundle, id, 'received', StatusReason.BLOCK_UNINTELLIGIBLE, true);
    else reporter.report(bundle, id, 'received', StatusReason.NO_ADDITIONAL_INFORMATION);
    dispatch(t, bundle);
  }

  function expiresAtOfReceived(bundle: Bundle, now: number, ageMs: number): number {
    return bundle.primary.creation.time === 0 ? now + bundle.primary.lifetime - ageMs : expiryOf(bundle, now);
  }

  // ---- timer: contacts, expiry, parked bundles --------------------------------------------------

  /**
   * `now`: the reading the timer's work used, when called from onTimer. router.nextEvent(now) returns a
   * contact's end once now has reached its start, taking the start as handled; with a second, later
   * reading (the clock had just turned, or a timer fired a millisecond before Date.now() reached its
   * time), a start that tick() did not yet see would be skipped and its waiting bundles left until the
   * contact's end.
   */
  function arm(now = clock()): void {
    if (closed) return;
    let next = router.nextEvent(now);
    for (const t of [expiryAt, forwarder.nextWake()]) if (t !== undefined && (next === undefined || t < next)) next = t;
    if (next === undefined) return;
    if (timer !== undefined && timerAt !== undefined && timerAt <= next) return;
    clearTimeout(timer);
    timerAt = next;
    timer = setTimeout(onTimer, Math.min(TIMER_MAX_MS, Math.max(0, next - now)));
  }

  function onTimer(): void {
    timer = undefined;
    timerAt = undefined;
    if (closed) return;
    const now = clock();
    try {
      runExpiry(now);
      reassembly.expire();
      forwarder.tick(now);
    } catch (e) {
      log({ event: 'bpa.internal_error', where: 'timer', message: e instanceof Error ? e.message : String(e) });
    }
    arm(now);
  }

  function runExpiry(now: number): void {
    if (expiryAt === undefined || expiryAt > now) return;
    // The store deletes expired rows in one go: read the subjects of deletion reports first.
    const subjects = new Map<string, Bundle>();
    for (const t of index.all()) {
      if (t.expiresAt > now || !reporter.wants(t.reportFlags, 'deleted')) continue;
      const b = index.decode(t);
      if (b.ok) subjects.set(t.id, b.value);
    }
    for (const m of store.expire(now)) {
      const t = index.get(m.id);
      if (t !== undefined) {
        forwarder.forget(t);
        index.forget(t);
      }
      log({ event: 'bundle.expired', id: m.id, destination: m.destination, state: m.state });
      const subject = subjects.get(m.id);
      if (subject !== undefined) reporter.report(subject, m.id, 'deleted', StatusReason.LIFETIME_EXPIRED);
    }
    expiryAt = store.nextExpiry();
  }

  // ---- contact plan -----------------------------------------------------------------------------

  function merge(into: { added: Contact[]; changed: Contact[]; removed: Contact[] }, s: ApplySummary): void {
    into.added.push(...s.added);
    into.changed.push(...s.changed);
    into.removed.push(...s.removed);
  }

  function applyCommands(commands: readonly PlanCommand[], persist: boolean, source: string): Result<ApplySummary> {
    if (closed) return err('CONNECTION_CLOSED', 'the bundle processor is stopped');
    const now = clock();
    const summary = { added: [] as Contact[], changed: [] as Contact[], removed: [] as Contact[] };
    let failure: Result<never> | undefined;
    for (const c of commands) {
      const r = router.applyPlan([c], now);
      if (!r.ok) {
        failure = r;
        break;
      }
      merge(summary, r.value);
      if (persist && savedPlan !== undefined) {
        const saved = savedPlan.append(c, now);
        if (!saved.ok) log({ event: 'plan.not_saved', source, node: c.nodeId, error: toLogFormat(saved.error) });
      }
    }
    if (summary.added.length + summary.changed.length + summary.removed.length > 0) {
      log({ event: 'plan.changed', source, added: summary.added.length, changed: summary.changed.length, removed: summary.removed.length });
      forwarder.planChanged(summary);
      arm();
    }
    return failure ?? ok(summary);
  }

  // ---- startup ----------------------------------------------------------------------------------

  const startedAt = clock();
  if (options.plan !== undefined && options.plan.length > 0) {
    const r = router.applyPlan(options.plan, startedAt, { dropEnded: true });
    if (!r.ok) return r;
  }
  if (stateDir !== undefined) {
    savedPlan = openSavedPlan(stateDir, (message) => log({ event: 'plan.saved_unreadable', message }));
    for (const c of savedPlan.commands()) {
      const r = router.applyPlan([c], startedAt, { dropEnded: true });
      if (!r.ok) log({ event: 'plan.saved_skipped', node: c.nodeId, command: c.command, error: toLogFormat(r.error) });
    }
  }
  // Track every stored bundle first, so that those that expired while the node was down get their
  // deletion reports; then dispatch the rest: fragments first (their whole bundle may be stored already).
  const loaded: Tracked[] = [];
  for (const state of STATES) {
    for (const m of store.listByState(state)) {
      loaded.push(
        index.add({
          id: m.id,
          source: m.source,
          destination: m.destination,
          expiresAt: m.expiresAt,
          reportFlags: m.reportFlags,
          receivedAt: m.storedAt,
          origin: originOf(m.contactHint),
          size: m.size,
          state,
        }),
      );
    }
  }
  expiryAt = store.nextExpiry();
  runExpiry(startedAt);
  for (const t of loaded) {
    if (t.gone) continue;
    if (t.state !== 'reassembly') {
      dispatch(t);
      continue;
    }
    const b = index.decode(t);
    if (!b.ok) {
      drop(t, StatusReason.NO_ADDITIONAL_INFORMATION, `unreadable: ${toLogFormat(b.error)}`);
      continue;
    }
    if (store.has(wholeBundleIdOf(b.value))) {
      // The whole bundle was stored (or delivered) before a crash left its fragments behind.
      index.remove(t);
      continue;
    }
    dispatch(t, b.value);
  }
  log({ event: 'bpa.started', nodeId, bundles: index.size, contacts: router.contacts().length, statusReports: options.statusReports ?? false });
  arm();

  // ---- the processor ----------------------------------------------------------------------------

  const bpa: Bpa = {
    nodeId,
    sink: receive,
    router,

    register(eid, sink, opts) {
      return delivery.register(eid, sink, opts);
    },

    async submit(req): Promise<Result<SubmittedBundle>> {
      if (closed) return err('CONNECTION_CLOSED', 'the bundle processor is stopped');
      // Agents send from their own endpoint on this node (the AAP servers register only those).
      if (nodeIdOf(req.source) !== nodeId) return err('INVALID_EID', `source ${req.source} is not an endpoint of ${nodeId}`);
      const creation = creationClock.next();
      const shape = bundleForSubmit(req, creation, lifetimeMs);
      if (!shape.ok) return shape;
      const { bundle } = shape.value;
      // As parts (header, the ADU itself, trailer): a large ADU goes to its blob file without being
      // copied into one buffer first.
      let bytes: Uint8Array[];
      try {
        bytes = encodeBundleParts(bundle, codec);
      } catch (e) {
        return err('INVALID_ARGUMENT', e instanceof Error ? e.message : String(e));
      }
      const t = put({ bytes, bundle, origin: 'local', receivedAt: clock() });
      if (!t.ok) {
        log({ event: 'bundle.refused', source: shape.value.source, destination: shape.value.destination, bytes: sizeOf(bytes), error: toLogFormat(t.error) });
        return t;
      }
      log({ event: 'bundle.stored', id: t.value.id, source: t.value.source, destination: t.value.destination, bytes: t.value.size });
      // After the caller's confirmation, as uD3TN sends SENDCONFIRM before it delivers locally.
      setImmediate(() => safely('dispatch', () => dispatch(t.value, bundle)));
      return ok({
        source: shape.value.source,
        destination: shape.value.destination,
        creationTime: creation.time,
        sequence: creation.sequence,
        lifetimeMs: bundle.primary.lifetime,
        payloadLength: payloadBlockOf(bundle)?.data.length ?? 0,
      });
    },

    configure(commands, source) {
      const r = applyCommands(
        commands.map((c) => planCommandOf(c)),
        true,
        source,
      );
      return r.ok ? ok(undefined) : r;
    },

    applyPlan(commands, opts) {
      return applyCommands(commands, opts?.persist ?? true, 'api');
    },

    status() {
      const counts = forwarder.counts();
      return {
        nodeId,
        bundles: index.size,
        store: store.usage(),
        unrouted: counts.unrouted,
        waitingForContact: counts.waiting + counts.parked,
        sending: counts.sending,
        waitingForAgent: Object.fromEntries(delivery.waiting()),
        reassembling: reassembly.pending().length,
        contacts: router.contacts(),
      };
    },

    async stop() {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      delivery.close();
      await forwarder.close();
      log({ event: 'bpa.stopped', nodeId, bundles: index.size });
    },
  };
  return ok(bpa);
}
