/**
 * The inbound half of the gateway (issue 4, "Inbound: bundles to mail"): a received ADU becomes mail in
 * the site MTA, exactly once, with the RFC 2442 processor duties (protocols.md §2.6):
 *
 * 1. receive() — synchronous, one commit: an ADU already taken (same bundle ID, or same payload digest
 *    when the node gives no ID) is a duplicate; an unauthorised source is refused and logged; otherwise
 *    the payload is read (inbound-intake.ts) and every transaction stored with its recipients' state,
 *    (Message-ID, recipient) pairs already delivered from another bundle are dropped, refused recipients
 *    get their non-delivery report queued, and an unreadable object becomes a notice to the postmaster.
 *    When receive() returns ok the ADU survives the death of the process (a synchronous=NORMAL commit);
 *    once durable() resolves ok it survives power loss as well, and the BP side may acknowledge the
 *    bundle: nothing is lost after that. The fsync runs off the event loop (store.sync(), wal-sync.ts),
 *    so the MTA's replies to deliveries in flight are read meanwhile rather than queued behind it (see
 *    "Exactly once" below).
 *    Each transaction is stored with its trace fields (trace-fields.ts: Received, and X-Farside-Transaction
 *    with the transaction's tag, keyed by the store's secret), written once here so that every replay
 *    carries the same bytes.
 * 2. A worker replays the stored transactions into the MTA over SMTP (replay.ts), records each
 *    recipient's outcome, and queues DSNs for failures (and "relayed"/"delayed" where NOTIFY asks), in the
 *    same commit as the outcome. A 4yz or an MTA outage leaves recipients pending, retried with
 *    exponential backoff; a "delayed" DSN after delayNoticeAfterMs, a failure after giveUpAfterMs.
 * 3. A bundle sender (bundle-sender.ts) hands the queued DSN bundles to the BP node and marks them with
 *    the bundle ID.
 *
 * Unauthorised sources get no DSN: the gateway does not send bundles to nodes it does not trust (a forged
 * source would otherwise turn it into a reflector), and the refusal is logged. DATA with no valid
 * recipient is accepted and simply has nothing to deliver (RFC 2442). RSET and several messages per
 * object come from decodeBsmtp as separate transactions.
 *
 * Exactly once: the one window that remains is between the MTA's reply to the end of the data and the
 * commit that records it; a crash there replays the transaction again (at-least-once is chosen over
 * losing mail; RFC 1047: no SMTP client can close it). Everything before and after is in SQLite. The
 * repeat carries the same X-Farside-Transaction field, by which the mailbox's delivery agent discards it
 * (Dovecot Sieve `duplicate`, mailbox-dedupe.ts, docs/gateway-exactly-once.md). The window
 * is as long as the reply waits to be read: an fsync on the event loop would stretch it to the fsync's
 * length (5–30 ms here), which is why intake commits do not fsync inline. A delivery may be replayed
 * before its intake is fsynced; power loss in that gap can repeat it, never lose it.
 */
import { createHash } from 'node:crypto';
import { err, ok } from '../../shared/errors';
import type { Result } from '../../shared/errors';
import { backoffDelay } from '../services/aap-client/backoff';
import { openSmtpSession } from '../services/smtp/smtp-client';
import type { SmtpSession } from '../services/smtp/smtp-client';
import { createBundleSender } from './bundle-sender';
import { buildDsnBundle } from './dsn-bundle';
import type { ReportedRecipient } from './dsn-bundle';
import { intakePayload } from './inbound-intake';
import type { IntakeTransaction } from './inbound-intake';
import { buildPostmasterNotice } from './postmaster-notice';
import type { RelayPolicy } from './relay-policy';
import { applyReplies, planReplay } from './replay';
import type { Delivery, DeliveryRecipient, GatewayStore } from './store/gateway-store';
import { traceFields, transactionField } from './trace-fields';
import type { GatewayLog, ReceivedAdu, SendBundle } from './types';

export interface InboundRetry {
  /** First retry after a transient failure or MTA outage; doubles per attempt. Default 1 s. */
  readonly initialMs: number;
  /** Longest pause between attempts. Default 5 min. */
  readonly maxMs: number;
  /** Send a "delayed" DSN (where NOTIFY asks) once a message waited this long. Default 4 h. */
  readonly delayNoticeAfterMs: number;
  /** Fail what is still pending after this long (status 4.4.7). Default 5 days (Postfix's maximal_queue_lifetime). */
  readonly giveUpAfterMs: number;
  /** How long received bundle keys and Message-IDs are remembered for de-duplication. Default 30 days. */
  readonly dedupeWindowMs: number;
}

export interface InboundProcessorOptions {
  /** The site MTA's SMTP listener. */
  readonly mta: { readonly host: string; readonly port: number };
  readonly store: GatewayStore;
  readonly policy: RelayPolicy;
  readonly log: GatewayLog;
  /** Hands DSN bundles to the BP node (AapClient.send). */
  readonly sendBundle: SendBundle;
  /** This gateway's host name: EHLO to the MTA, Reporting-MTA, the domain of its Message-IDs. */
  readonly hostname: string;
  readonly retry?: Partial<InboundRetry>;
  /** How long each SMTP reply may take; default 60 s. */
  readonly replyTimeoutMs?: number;
  /** Unix ms; default Date.now. */
  readonly clock?: () => number;
}

export type ReceiveOutcome = 'accepted' | 'duplicate' | 'refused' | 'invalid';

export interface ReceiveResult {
  readonly outcome: ReceiveOutcome;
  /** The de-duplication key: the bundle ID, or "sha256:<hex>" of the payload. */
  readonly key: string;
  /** Transactions stored for delivery (a notice to the postmaster counts as one). */
  readonly deliveries: number;
}

export interface InboundProcessor {
  /** Take one ADU; when it returns ok, the ADU is recorded (it survives the death of the process). */
  receive(adu: ReceivedAdu): Result<ReceiveResult>;
  /**
   * Resolves ok once every ADU received so far survives power loss too: only then may the BP side
   * acknowledge them to the node. Overlapping calls share one fsync.
   */
  durable(): Promise<Result<void>>;
  /** Resolves once nothing is due now: every delivery and DSN done or waiting for a later retry. */
  idle(): Promise<void>;
  stats(): { readonly pendingDeliveries: number; readonly queuedDsns: number };
  /** Finish the attempt in progress, close the MTA session, stop the timers. */
  stop(): Promise<void>;
}

const DEFAULT_RETRY: InboundRetry = {
  initialMs: 1_000,
  maxMs: 300_000,
  delayNoticeAfterMs: 4 * 3_600_000,
  giveUpAfterMs: 5 * 86_400_000,
  dedupeWindowMs: 30 * 86_400_000,
};

/** Deliveries taken per worker round; the round repeats while work is due. */
const BATCH = 64;
/** How long an idle MTA session is kept for the next delivery (Postfix's smtpd waits 300 s for a command). */
const SESSION_IDLE_MS = 2_000;

export function createInboundProcessor(opts: InboundProcessorOptions): InboundProcessor {
  const retry: InboundRetry = { ...DEFAULT_RETRY, ...opts.retry };
  const clock = opts.clock ?? Date.now;
  const { store, policy, log } = opts;
  const domain = policy.localDomains[0] ?? 'localhost';
  const backoff = (attempt: number): number => backoffDelay(attempt, { initialMs: retry.initialMs, maxMs: retry.maxMs });

  const dsnSender = createBundleSender({ store, origin: 'dsn', sendBundle: opts.sendBundle, log, retry: { initialMs: retry.initialMs, maxMs: retry.maxMs }, clock });
  let session: SmtpSession | null = null;
  let mtaFailures = 0;
  let mtaBlockedUntil = 0;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  /** The worker run in progress, if any: the one guard against two runs at once. */
  let current: Promise<void> | null = null;
  let idleTimer: ReturnType<typeof setTimeout> | null = null;
  let idleWaiters: (() => void)[] = [];

  // ---- DSN queueing (inside the caller's transaction) ----

  const queueDsn = (d: Pick<Delivery, 'mailFrom' | 'mailParams' | 'message' | 'receivedAt' | 'source' | 'messageId'>, recipients: readonly ReportedRecipient[], now: number): void => {
    const built = buildDsnBundle({ hostname: opts.hostname, domain, mailFrom: d.mailFrom, mailParams: d.mailParams, message: d.message, recipients, arrivedAt: d.receivedAt, now });
    if (!built.ok) {
      log({ event: 'dsn-not-built', to: d.mailFrom, messageId: d.messageId, error: built.error.message });
      return;
    }
    if (built.value === null) return;
    const [row] = store.enqueueBundles([{ origin: 'dsn', destination: d.source, messageId: built.value.messageId, envid: null, recipients: 1, bsmtp: built.value.bsmtp }], now);
    log({
      event: 'dsn-queued',
      queueId: row?.id,
      destination: d.source,
      to: d.mailFrom,
      about: d.messageId,
      action: recipients[0]?.action,
      recipients: built.value.recipients.join(','),
    });
  };

  // ---- receive ----

  const storeTransaction = (adu: ReceivedAdu, key: string, form: 'bsmtp' | 'rfc5322', t: IntakeTransaction, index: number, now: number): number => {
    let local = t.local;
    if (t.messageId !== null && local.length > 0) {
      const seen = store.seenRecipients(t.messageId, local.map((r) => r.address));
      if (seen.size > 0) {
        log({ event: 'inbound-duplicate-message', bundle: key, messageId: t.messageId, recipients: [...seen].join(',') });
        local = local.filter((r) => !seen.has(r.address.toLowerCase()));
      }
      store.recordSeen(t.messageId, local.map((r) => r.address), now);
    }
    const base = { mailFrom: t.mailFrom, mailParams: t.mailParams, message: t.message, receivedAt: now, source: adu.source, messageId: t.messageId };
    if (t.refused.length > 0) {
      log({ event: 'inbound-refused-recipients', bundle: key, source: adu.source, messageId: t.messageId, recipients: t.refused.map((r) => r.recipient.address).join(',') });
      queueDsn(base, t.refused.map((r) => ({ address: r.recipient.address, params: r.recipient.params, action: 'failed', status: r.status, reply: r.reply })), now);
    }
    if (local.length === 0) {
      // RFC 2442: DATA is accepted even with no valid recipient left; there is simply nothing to deliver
      return 0;
    }
    store.addDelivery({
      bundleKey: key,
      source: adu.source,
      kind: 'mail',
      mailFrom: t.mailFrom,
      mailParams: t.mailParams,
      recipients: local.map((r) => ({ address: r.address, params: r.params, state: 'pending' })),
      message: t.message,
      messageId: t.messageId,
      receivedAt: now,
      nextAttemptAt: now,
      trace: traceFields({ secret: store.transactionSecret, bundleKey: key, index, source: adu.source, destination: adu.destination ?? null, hostname: opts.hostname, form, receivedAt: now }),
    });
    return 1;
  };

  const receive = (adu: ReceivedAdu): Result<ReceiveResult> => {
    try {
      return receiveOrThrow(adu);
    } catch (e) {
      // a storage failure: nothing was committed, so the BP side must not acknowledge the bundle
      log({ event: 'inbound-store-error', source: adu.source, bundle: adu.bundleId, error: e instanceof Error ? e.message : String(e) });
      return err('IO_ERROR', `the gateway could not store the bundle: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  const receiveOrThrow = (adu: ReceivedAdu): Result<ReceiveResult> => {
    const now = clock();
    const key = adu.bundleId ?? `sha256:${createHash('sha256').update(adu.payload).digest('hex')}`;
    if (store.wasReceived(key)) {
      log({ event: 'inbound-duplicate-bundle', bundle: key, source: adu.source });
      return ok({ outcome: 'duplicate', key, deliveries: 0 });
    }
    if (!policy.isAuthorisedSource(adu.source)) {
      store.transaction(() => store.recordReceived(key, adu.source, 'refused', now), 'process');
      log({ event: 'inbound-refused-source', bundle: key, source: adu.source, size: adu.payload.length });
      return ok({ outcome: 'refused', key, deliveries: 0 });
    }
    const intake = intakePayload(adu.payload, policy);
    let deliveries = 0;
    store.transaction(() => {
      if (intake.kind === 'invalid') {
        store.recordReceived(key, adu.source, 'invalid', now);
        const notice = buildPostmasterNotice({ hostname: opts.hostname, postmaster: policy.postmaster, source: adu.source, bundleKey: key, form: intake.form, error: intake.error, payload: adu.payload, now });
        store.addDelivery({
          bundleKey: key,
          source: adu.source,
          kind: 'notice',
          mailFrom: '',
          mailParams: {},
          recipients: [{ address: policy.postmaster, params: {}, state: 'pending' }],
          message: notice.message,
          messageId: notice.messageId,
          receivedAt: now,
          nextAttemptAt: now,
          // the gateway writes the notice itself (no Received); the key lets the mailbox drop a repeat
          trace: transactionField(store.transactionSecret, key, 0),
        });
        deliveries = 1;
        log({ event: 'inbound-invalid-object', bundle: key, source: adu.source, form: intake.form, code: intake.error.code, error: intake.error.message, offset: intake.error.offset, to: policy.postmaster });
        return;
      }
      store.recordReceived(key, adu.source, 'accepted', now);
      intake.transactions.forEach((t, index) => {
        deliveries += storeTransaction(adu, key, intake.form, t, index, now);
      });
      log({ event: 'inbound-accepted', bundle: key, source: adu.source, form: intake.form, transactions: intake.transactions.length, deliveries });
    }, 'process');
    // DSNs queued above are committed now: only now may they go to the node
    dsnSender.kick();
    kick();
    return ok({ outcome: intake.kind === 'invalid' ? 'invalid' : 'accepted', key, deliveries });
  };

  // ---- delivery ----

  const mtaSession = async (): Promise<SmtpSession | null> => {
    if (session !== null && session.usable) return session;
    session = null;
    const s = await openSmtpSession({ host: opts.mta.host, port: opts.mta.port, ehloName: opts.hostname, replyTimeoutMs: opts.replyTimeoutMs ?? 60_000 });
    if (!s.ok) {
      mtaBlockedUntil = clock() + backoff(mtaFailures);
      if (mtaFailures === 0) log({ event: 'mta-unavailable', host: opts.mta.host, port: opts.mta.port, error: s.error.message });
      mtaFailures++;
      return null;
    }
    if (mtaFailures > 0) log({ event: 'mta-available', host: opts.mta.host, port: opts.mta.port, after: mtaFailures });
    mtaFailures = 0;
    session = s.value;
    return session;
  };

  /** Commit one delivery's new recipient states with the DSNs they call for. */
  const settle = (d: Delivery, recipients: readonly DeliveryRecipient[], now: number, lastError: string | null, relayedToNonDsn: boolean): void => {
    const before = d.recipients;
    const newly = (state: 'delivered' | 'failed'): DeliveryRecipient[] => recipients.filter((r, i) => r.state === state && before[i]?.state === 'pending');
    const failed = newly('failed');
    const delivered = newly('delivered');
    const pending = recipients.filter((r) => r.state === 'pending');
    const age = now - d.receivedAt;
    store.transaction(() => {
      if (d.kind === 'mail' && failed.length > 0) {
        queueDsn(d, failed.map((r) => ({ address: r.address, params: r.params, action: 'failed', status: r.status ?? '5.0.0', ...(r.reply === undefined ? {} : { reply: r.reply }), ...(r.fromMta === true ? { remoteMta: opts.mta.host } : {}) })), now);
      }
      if (d.kind === 'mail' && relayedToNonDsn && delivered.length > 0) {
        queueDsn(d, delivered.map((r) => ({ address: r.address, params: r.params, action: 'relayed', status: '2.0.0', ...(r.reply === undefined ? {} : { reply: r.reply }), remoteMta: opts.mta.host })), now);
      }
      let delayNotified = d.delayNotified;
      if (d.kind === 'mail' && pending.length > 0 && !delayNotified && age >= retry.delayNoticeAfterMs) {
        delayNotified = true;
        const until = d.receivedAt + retry.giveUpAfterMs;
        queueDsn(d, pending.map((r) => ({ address: r.address, params: r.params, action: 'delayed', status: r.status?.startsWith('4.') === true ? r.status : '4.0.0', ...(r.reply === undefined ? {} : { reply: r.reply }), willRetryUntil: until })), now);
      }
      if (pending.length === 0) store.finishDelivery(d.id);
      else store.updateDelivery(d.id, { recipients, attempts: d.attempts + 1, nextAttemptAt: now + backoff(d.attempts), delayNotified, lastError });
      // progress, not a hand-over: lost to power loss, the delivery is replayed and its DSN made again
    }, 'process');
    dsnSender.kick();
    for (const r of [...delivered, ...failed]) {
      log({ event: r.state === 'delivered' ? 'inbound-delivered' : 'inbound-failed', bundle: d.bundleKey, kind: d.kind, messageId: d.messageId, to: r.address, reply: r.reply, status: r.status });
    }
    if (d.kind === 'notice' && failed.length > 0) log({ event: 'postmaster-notice-failed', bundle: d.bundleKey, reply: failed[0]?.reply });
    if (pending.length > 0) log({ event: 'inbound-deferred', bundle: d.bundleKey, messageId: d.messageId, recipients: pending.length, attempt: d.attempts + 1, error: lastError });
  };

  /** One attempt for one delivery; false when the MTA is unreachable (stop this round). */
  const attempt = async (d: Delivery): Promise<boolean> => {
    const now = clock();
    if (now - d.receivedAt >= retry.giveUpAfterMs) {
      const expired = d.recipients.map((r) => (r.state === 'pending' ? { ...r, state: 'failed' as const, status: '4.4.7', reply: `delivery time expired${r.reply === undefined ? '' : `; last reply: ${r.reply}`}` } : r));
      settle(d, expired, now, 'expired', false);
      return true;
    }
    const s = await mtaSession();
    if (s === null) {
      // the delay notice is due even while the MTA cannot be reached (RFC 3461 §4.1 DELAY)
      if (!d.delayNotified && now - d.receivedAt >= retry.delayNoticeAfterMs) settle(d, d.recipients, clock(), 'the MTA is unreachable', false);
      return false;
    }
    const plan = planReplay(d, s.extensions);
    if (plan.dropped.length > 0) log({ event: 'inbound-params-dropped', bundle: d.bundleKey, messageId: d.messageId, params: plan.dropped.join(',') });
    if (plan.refusal !== null) {
      const refusal = plan.refusal;
      settle(d, d.recipients.map((r) => (r.state === 'pending' ? { ...r, state: 'failed' as const, status: refusal.status, reply: refusal.reply } : r)), clock(), null, false);
      return true;
    }
    const result = await s.send(plan.envelope, plan.message);
    if (!result.ok) {
      // the connection failed mid-transaction: nothing is known to be delivered; retry the whole delivery
      session = null;
      settle(d, d.recipients, clock(), result.error.message, false);
      return true;
    }
    const notifiesSuccess = plan.envelope.rcptTo.length > 0 && !s.extensions.has('DSN');
    settle(d, applyReplies(d, plan, result.value), clock(), null, notifiesSuccess);
    return true;
  };

  // ---- the worker ----

  let prunedAt = 0;
  /** Forget keys and Message-IDs outside the de-duplication window (at start, then hourly). */
  const pruneIfDue = (now: number): void => {
    if (now - prunedAt < 3_600_000) return;
    prunedAt = now;
    const pruned = store.prune(now - retry.dedupeWindowMs);
    if (pruned.received + pruned.seen > 0) log({ event: 'inbound-pruned', ...pruned });
  };

  const round = async (): Promise<boolean> => {
    let worked = false;
    const now = clock();
    pruneIfDue(now);
    if (now >= mtaBlockedUntil) {
      for (const d of store.dueDeliveries(now, BATCH)) {
        if (stopped) return false;
        worked = true;
        if (!(await attempt(d))) break;
      }
    }
    return worked;
  };

  const nextDue = (): number | null => {
    const d = store.nextDeliveryDueAt();
    return d === null ? null : Math.max(d, mtaBlockedUntil);
  };

  const schedule = (): void => {
    if (stopped) return;
    if (timer !== null) clearTimeout(timer);
    timer = null;
    const due = nextDue();
    if (due === null || due > clock()) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    }
    if (due === null) return;
    timer = setTimeout(kick, Math.max(0, due - clock()));
  };

  const pump = async (): Promise<void> => {
    try {
      while (!stopped && (await round()));
    } catch (e) {
      log({ event: 'inbound-worker-error', error: e instanceof Error ? e.message : String(e) });
    }
    if (!stopped && session !== null && store.nextDeliveryDueAt() === null) closeWhenIdle();
  };

  /**
   * Nothing left to deliver: close the MTA session unless more mail comes within SESSION_IDLE_MS. Closing
   * at once cost each message of a steady trickle a new connection, greeting and EHLO (p50 arrival → 250
   * 6.4 → 3.2 ms at 100 messages/s into Postfix, bench/gateway.bench.ts).
   */
  function closeWhenIdle(): void {
    if (idleTimer !== null) clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      idleTimer = null;
      // a run in progress uses the session; it closes it again when it ends idle
      if (current !== null || session === null) return;
      const s = session;
      session = null;
      void s.quit();
    }, SESSION_IDLE_MS);
    idleTimer.unref();
  }

  function kick(): void {
    if (stopped || current !== null) return;
    if (timer !== null) clearTimeout(timer);
    timer = null;
    // cleared in a continuation, never synchronously, so that the guard holds for the whole run
    current = pump().then(() => {
      current = null;
      schedule();
    });
  }

  // resume what a restart left
  const pendingAtStart = store.pendingDeliveries();
  if (pendingAtStart > 0) log({ event: 'inbound-resumed', pendingDeliveries: pendingAtStart });
  kick();

  return {
    receive,
    durable: () => store.sync(),
    async idle() {
      // deliveries queue DSNs and DSNs are sent after deliveries: idle when both are, one after the other
      for (;;) {
        if (current !== null || (nextDue() ?? Infinity) <= clock()) await new Promise<void>((resolve) => idleWaiters.push(resolve));
        await dsnSender.idle();
        if (stopped || (current === null && (nextDue() ?? Infinity) > clock())) return;
      }
    },
    stats: () => ({ pendingDeliveries: store.pendingDeliveries(), queuedDsns: store.queuedBundles('dsn') }),
    async stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      if (idleTimer !== null) clearTimeout(idleTimer);
      idleTimer = null;
      await current;
      await dsnSender.stop();
      const s = session;
      session = null;
      await s?.quit();
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    },
  };
}
