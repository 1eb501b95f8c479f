/**
 * The gateway's durable state on SQLite (better-sqlite3 12, WAL): the outbound bundle queue and the
 * inbound de-duplication and delivery state (schema.ts).
 *
 * Durability: synchronous=FULL, so every commit fsyncs the WAL before it returns. The gateway's commits
 * are hand-overs of responsibility that cannot be taken back: the outbound listener commits before its
 * 250 reply to DATA, after which the site MTA deletes its copy (RFC 5321 §6.1: a server that accepted a
 * message MUST NOT lose it); the inbound processor commits before the BP side acknowledges the bundle to
 * its node, which then forgets it. With synchronous=NORMAL (what the BPA store uses by default) a commit
 * survives the death of the process but not power loss or an OS crash: the last messages would be gone
 * with both sides believing the other has them. One fsync per message is the price (the BPA store's
 * 'power' durability is the same trade, electron/bpa/store/bundle-store.ts).
 *
 * Commits that only record progress use synchronous=NORMAL instead (transaction(fn, 'process'),
 * markHandedOver, deferBundle): losing one of those to power loss makes the gateway repeat work — replay a
 * delivery, resend a bundle — which the far side's de-duplication absorbs, never lose mail. In WAL mode
 * both levels survive kill -9 alike (the WAL is written before the commit returns). Measured on this
 * 2-core machine: a FULL commit ~5 ms, a NORMAL one well under 1 ms.
 *
 * A hand-over may also commit with NORMAL and then await sync() before it answers (wal-sync.ts): the same
 * power-loss guarantee as FULL, but the fsync runs on libuv's thread pool, so the event loop is not held
 * for it, and hand-overs that overlap share one fsync.
 *
 * All methods are synchronous (better-sqlite3) and run in the caller's event loop turn, so a method's
 * writes are never interleaved with another's; transaction() groups several into one commit.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { err, ok } from '../../../shared/errors';
import type { Result } from '../../../shared/errors';
import type { EsmtpParams } from '../../../shared/protocol/bsmtp';
import { SCHEMA_ADDED_COLUMNS, SCHEMA_ADDED_SQL, SCHEMA_SQL, SCHEMA_VERSION, TRANSACTION_SECRET } from './schema';
import { createWalSync } from './wal-sync';

export type BundleOrigin = 'mail' | 'dsn';

/** 'power': synchronous=FULL (survives power loss); 'process': synchronous=NORMAL (survives kill -9). */
export type Durability = 'power' | 'process';

export interface NewQueuedBundle {
  readonly origin: BundleOrigin;
  /** The destination gateway's EID. */
  readonly destination: string;
  /** Message-ID of the carried message (without brackets), for logs and the sender's tracker. */
  readonly messageId: string | null;
  readonly envid: string | null;
  readonly recipients: number;
  readonly bsmtp: Uint8Array;
}

export interface QueuedBundle {
  readonly id: number;
  readonly origin: BundleOrigin;
  readonly destination: string;
  readonly messageId: string | null;
  readonly envid: string | null;
  readonly recipients: number;
  /** Length of the BSMTP object. */
  readonly size: number;
  readonly queuedAt: number;
  readonly attempts: number;
  /** The node's bundle ID once handed over, else null. */
  readonly bundleId: string | null;
}

export type RecipientState = 'pending' | 'delivered' | 'failed';

export interface DeliveryRecipient {
  readonly address: string;
  /** RCPT parameters as received (NOTIFY, ORCPT, …). */
  readonly params: EsmtpParams;
  readonly state: RecipientState;
  /** What settled it: the MTA's reply or the gateway's reason, e.g. "550 5.1.1 <bob@…>: User unknown". */
  readonly reply?: string;
  /** RFC 3463 status for the DSN, e.g. "5.1.1". */
  readonly status?: string;
  /** The reply came from the MTA (it is the DSN's Remote-MTA) rather than from the gateway's policy. */
  readonly fromMta?: boolean;
}

export type DeliveryKind = 'mail' | 'notice';

export interface NewDelivery {
  readonly bundleKey: string;
  /** Source EID of the bundle: where notifications about this delivery go. */
  readonly source: string;
  /** 'notice': a message to the postmaster about an invalid object (never answered with a DSN). */
  readonly kind: DeliveryKind;
  readonly mailFrom: string;
  readonly mailParams: EsmtpParams;
  readonly recipients: readonly DeliveryRecipient[];
  readonly message: Uint8Array;
  readonly messageId: string | null;
  readonly receivedAt: number;
  readonly nextAttemptAt: number;
  /**
   * Header fields written at intake and prepended to every replay (trace-fields.ts), so that each replay
   * of the transaction is byte-identical; '' for a delivery stored before trace fields existed.
   */
  readonly trace: string;
}

export interface Delivery extends NewDelivery {
  readonly id: number;
  readonly attempts: number;
  readonly delayNotified: boolean;
  readonly lastError: string | null;
}

export interface DeliveryUpdate {
  readonly recipients: readonly DeliveryRecipient[];
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly delayNotified: boolean;
  readonly lastError: string | null;
}

export interface GatewayStore {
  readonly path: string;
  /**
   * This gateway's key for X-Farside-Transaction values (trace-fields.ts transactionTag): 32 random bytes
   * made when the store is first opened by a Farside that has it, the same at every later open. Never logged.
   */
  readonly transactionSecret: Uint8Array;
  /** The connection's journal mode and synchronous level as SQLite reports them ('wal', 2 = FULL). */
  durability(): { readonly journalMode: string; readonly synchronous: number };
  /** Queue bundles in one commit; returns them with their ids. */
  enqueueBundles(rows: readonly NewQueuedBundle[], now: number): QueuedBundle[];
  /** Bundles of `origin` not yet handed over whose next attempt is due, oldest first. */
  dueBundles(origin: BundleOrigin, now: number, limit: number): QueuedBundle[];
  /** Bundles not yet handed over, for every origin, oldest first (what the BP side sends after a restart). */
  pendingBundles(limit: number): QueuedBundle[];
  getBundle(id: number): QueuedBundle | undefined;
  bundlePayload(id: number): Uint8Array | undefined;
  markHandedOver(id: number, bundleId: string, now: number): void;
  /** The bundle handed over as `bundleId` (bundleIdText form), if any: what a status report is about. */
  handedOverBundle(bundleId: string): QueuedBundle | undefined;
  deferBundle(id: number, nextAttemptAt: number): void;
  /** Earliest next attempt among `origin`'s bundles not handed over, or null. */
  nextBundleDueAt(origin: BundleOrigin): number | null;
  queueDepth(): { readonly queued: number; readonly handedOver: number };
  /** Bundles of `origin` not yet handed over. */
  queuedBundles(origin: BundleOrigin): number;

  wasReceived(key: string): boolean;
  recordReceived(key: string, source: string, outcome: string, now: number): void;
  /** Which of `recipients` (compared in lower case) were already taken for this Message-ID. */
  seenRecipients(messageId: string, recipients: readonly string[]): Set<string>;
  recordSeen(messageId: string, recipients: readonly string[], now: number): void;
  addDelivery(d: NewDelivery): number;
  dueDeliveries(now: number, limit: number): Delivery[];
  nextDeliveryDueAt(): number | null;
  updateDelivery(id: number, u: DeliveryUpdate): void;
  finishDelivery(id: number): void;
  pendingDeliveries(): number;
  /** Forget received keys and seen Message-IDs older than `before` (bounds the tables). */
  prune(before: number): { readonly received: number; readonly seen: number };

  /**
   * Run `fn` as one commit. 'power' (default): fsynced before returning, for hand-overs of
   * responsibility; 'process': survives the death of the process but not power loss, for progress that
   * may be repeated.
   */
  transaction<T>(fn: () => T, durability?: Durability): T;
  /**
   * fsync the WAL off the event loop (wal-sync.ts): once it resolves ok, every commit made before the call
   * survives power loss, as a 'power' commit does; overlapping calls share an fsync.
   */
  sync(): Promise<Result<void>>;
  close(): void;
}

interface OutboundRow {
  id: number;
  origin: BundleOrigin;
  destination: string;
  message_id: string | null;
  envid: string | null;
  recipients: number;
  size: number;
  queued_at: number;
  attempts: number;
  bundle_id: string | null;
}

interface DeliveryRow {
  id: number;
  bundle_key: string;
  source: string;
  kind: DeliveryKind;
  mail_from: string;
  mail_params: string;
  recipients: string;
  message: Buffer;
  message_id: string | null;
  received_at: number;
  attempts: number;
  next_attempt_at: number;
  delay_notified: number;
  last_error: string | null;
  trace: string;
}

const OUTBOUND_COLUMNS = 'id, origin, destination, message_id, envid, recipients, size, queued_at, attempts, bundle_id';

function toQueued(r: OutboundRow): QueuedBundle {
  return {
    id: r.id,
    origin: r.origin,
    destination: r.destination,
    messageId: r.message_id,
    envid: r.envid,
    recipients: r.recipients,
    size: r.size,
    queuedAt: r.queued_at,
    attempts: r.attempts,
    bundleId: r.bundle_id,
  };
}

function toDelivery(r: DeliveryRow): Delivery {
  return {
    id: r.id,
    bundleKey: r.bundle_key,
    source: r.source,
    kind: r.kind,
    mailFrom: r.mail_from,
    mailParams: JSON.parse(r.mail_params) as EsmtpParams,
    recipients: JSON.parse(r.recipients) as DeliveryRecipient[],
    message: new Uint8Array(r.message.buffer, r.message.byteOffset, r.message.byteLength),
    messageId: r.message_id,
    receivedAt: r.received_at,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    delayNotified: r.delay_notified !== 0,
    lastError: r.last_error,
    trace: r.trace,
  };
}

/** A Buffer view of the bytes (better-sqlite3 binds Buffers as BLOBs), without copying. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The X-Farside-Transaction key: made at the first open (a new store, or one written before the key
 * existed) and read at every later one. INSERT OR IGNORE in one commit, so two processes opening one store
 * at once agree on the key. A key of another length means the row was damaged: the store is refused
 * rather than a new key made, which would give every repeat a new value.
 */
function transactionSecretOf(db: Database.Database): Result<Uint8Array> {
  try {
    db.prepare('INSERT OR IGNORE INTO secrets (name, value) VALUES (?, ?)').run(TRANSACTION_SECRET.name, randomBytes(TRANSACTION_SECRET.bytes));
    const row = db.prepare('SELECT value FROM secrets WHERE name = ?').get(TRANSACTION_SECRET.name) as { value: unknown } | undefined;
    const value = row?.value;
    if (!(value instanceof Uint8Array) || value.length !== TRANSACTION_SECRET.bytes) return err('IO_ERROR', `its ${TRANSACTION_SECRET.name} secret is not ${TRANSACTION_SECRET.bytes} bytes`);
    return ok(new Uint8Array(value));
  } catch (e) {
    return err('IO_ERROR', `cannot read its ${TRANSACTION_SECRET.name} secret: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export function createGatewayStore(opts: { readonly path: string }): Result<GatewayStore> {
  let db: Database.Database;
  try {
    mkdirSync(dirname(opts.path), { recursive: true });
    db = new Database(opts.path);
  } catch (e) {
    return err('IO_ERROR', `cannot open the gateway store at ${opts.path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    const version = db.pragma('user_version', { simple: true });
    if (version === 0) {
      db.transaction(() => {
        db.exec(SCHEMA_SQL);
        db.pragma(`user_version = ${SCHEMA_VERSION}`);
      })();
    } else if (version !== SCHEMA_VERSION) {
      db.close();
      return err('UNSUPPORTED', `the gateway store at ${opts.path} has schema version ${String(version)}; this Farside reads version ${SCHEMA_VERSION}`);
    }
    db.exec(SCHEMA_ADDED_SQL);
    for (const [table, columns] of Object.entries(SCHEMA_ADDED_COLUMNS)) {
      const present = new Set((db.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name));
      for (const [column, definition] of Object.entries(columns)) if (!present.has(column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
    }
  } catch (e) {
    db.close();
    return err('IO_ERROR', `cannot prepare the gateway store at ${opts.path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const secret = transactionSecretOf(db);
  if (!secret.ok) {
    db.close();
    return err(secret.error.code, `the gateway store at ${opts.path}: ${secret.error.message}`);
  }

  const q = {
    insertBundle: db.prepare(
      'INSERT INTO outbound (origin, destination, message_id, envid, recipients, size, bsmtp, queued_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    getBundle: db.prepare(`SELECT ${OUTBOUND_COLUMNS} FROM outbound WHERE id = ?`),
    payload: db.prepare('SELECT bsmtp FROM outbound WHERE id = ?'),
    due: db.prepare(`SELECT ${OUTBOUND_COLUMNS} FROM outbound WHERE bundle_id IS NULL AND origin = ? AND next_attempt_at <= ? ORDER BY id LIMIT ?`),
    pending: db.prepare(`SELECT ${OUTBOUND_COLUMNS} FROM outbound WHERE bundle_id IS NULL ORDER BY id LIMIT ?`),
    handedOver: db.prepare('UPDATE outbound SET bundle_id = ?, handed_at = ?, attempts = attempts + 1 WHERE id = ?'),
    byBundleId: db.prepare(`SELECT ${OUTBOUND_COLUMNS} FROM outbound WHERE bundle_id = ? ORDER BY id DESC LIMIT 1`),
    deferBundle: db.prepare('UPDATE outbound SET next_attempt_at = ?, attempts = attempts + 1 WHERE id = ?'),
    nextBundle: db.prepare('SELECT MIN(next_attempt_at) AS t FROM outbound WHERE bundle_id IS NULL AND origin = ?'),
    queuedOf: db.prepare('SELECT COUNT(*) AS n FROM outbound WHERE bundle_id IS NULL AND origin = ?'),
    depth: db.prepare('SELECT SUM(bundle_id IS NULL) AS queued, SUM(bundle_id IS NOT NULL) AS handed FROM outbound'),
    wasReceived: db.prepare('SELECT 1 FROM received WHERE key = ?'),
    recordReceived: db.prepare('INSERT OR IGNORE INTO received (key, source, outcome, received_at) VALUES (?, ?, ?, ?)'),
    seen: db.prepare('SELECT 1 FROM seen_messages WHERE message_id = ? AND recipient = ?'),
    recordSeen: db.prepare('INSERT OR IGNORE INTO seen_messages (message_id, recipient, seen_at) VALUES (?, ?, ?)'),
    addDelivery: db.prepare(
      'INSERT INTO deliveries (bundle_key, source, kind, mail_from, mail_params, recipients, message, message_id, received_at, next_attempt_at, trace) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    dueDeliveries: db.prepare('SELECT * FROM deliveries WHERE next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?'),
    nextDelivery: db.prepare('SELECT MIN(next_attempt_at) AS t FROM deliveries'),
    updateDelivery: db.prepare('UPDATE deliveries SET recipients = ?, attempts = ?, next_attempt_at = ?, delay_notified = ?, last_error = ? WHERE id = ?'),
    finishDelivery: db.prepare('DELETE FROM deliveries WHERE id = ?'),
    countDeliveries: db.prepare('SELECT COUNT(*) AS n FROM deliveries'),
    pruneReceived: db.prepare('DELETE FROM received WHERE received_at < ?'),
    pruneSeen: db.prepare('DELETE FROM seen_messages WHERE seen_at < ?'),
  };

  /** synchronous cannot change inside a transaction, so it is set around one; FULL is the resting level. */
  const withDurability = <T>(durability: Durability, fn: () => T): T => {
    if (durability === 'power' || db.inTransaction) return fn();
    db.pragma('synchronous = NORMAL');
    try {
      return fn();
    } finally {
      db.pragma('synchronous = FULL');
    }
  };

  const walSync = createWalSync(opts.path);

  const enqueue = db.transaction((rows: readonly NewQueuedBundle[], now: number): QueuedBundle[] =>
    rows.map((r) => {
      const info = q.insertBundle.run(r.origin, r.destination, r.messageId, r.envid, r.recipients, r.bsmtp.length, asBuffer(r.bsmtp), now, now);
      return toQueued(q.getBundle.get(Number(info.lastInsertRowid)) as OutboundRow);
    }),
  );

  return ok({
    path: opts.path,
    transactionSecret: secret.value,
    durability: () => ({ journalMode: String(db.pragma('journal_mode', { simple: true })), synchronous: Number(db.pragma('synchronous', { simple: true })) }),
    enqueueBundles: (rows, now) => enqueue(rows, now),
    dueBundles: (origin, now, limit) => (q.due.all(origin, now, limit) as OutboundRow[]).map(toQueued),
    pendingBundles: (limit) => (q.pending.all(limit) as OutboundRow[]).map(toQueued),
    getBundle(id) {
      const r = q.getBundle.get(id) as OutboundRow | undefined;
      return r === undefined ? undefined : toQueued(r);
    },
    bundlePayload(id) {
      const r = q.payload.get(id) as { bsmtp: Buffer } | undefined;
      return r === undefined ? undefined : new Uint8Array(r.bsmtp.buffer, r.bsmtp.byteOffset, r.bsmtp.byteLength);
    },
    markHandedOver(id, bundleId, now) {
      withDurability('process', () => q.handedOver.run(bundleId, now, id));
    },
    handedOverBundle(bundleId) {
      const r = q.byBundleId.get(bundleId) as OutboundRow | undefined;
      return r === undefined ? undefined : toQueued(r);
    },
    deferBundle(id, nextAttemptAt) {
      withDurability('process', () => q.deferBundle.run(nextAttemptAt, id));
    },
    nextBundleDueAt: (origin) => (q.nextBundle.get(origin) as { t: number | null }).t,
    queuedBundles: (origin) => (q.queuedOf.get(origin) as { n: number }).n,
    queueDepth() {
      const r = q.depth.get() as { queued: number | null; handed: number | null };
      return { queued: r.queued ?? 0, handedOver: r.handed ?? 0 };
    },

    wasReceived: (key) => q.wasReceived.get(key) !== undefined,
    recordReceived(key, source, outcome, now) {
      q.recordReceived.run(key, source, outcome, now);
    },
    seenRecipients(messageId, recipients) {
      const out = new Set<string>();
      for (const r of recipients) {
        const lower = r.toLowerCase();
        if (q.seen.get(messageId, lower) !== undefined) out.add(lower);
      }
      return out;
    },
    recordSeen(messageId, recipients, now) {
      for (const r of recipients) q.recordSeen.run(messageId, r.toLowerCase(), now);
    },
    addDelivery(d) {
      const info = q.addDelivery.run(d.bundleKey, d.source, d.kind, d.mailFrom, JSON.stringify(d.mailParams), JSON.stringify(d.recipients), asBuffer(d.message), d.messageId, d.receivedAt, d.nextAttemptAt, d.trace);
      return Number(info.lastInsertRowid);
    },
    dueDeliveries: (now, limit) => (q.dueDeliveries.all(now, limit) as DeliveryRow[]).map(toDelivery),
    nextDeliveryDueAt: () => (q.nextDelivery.get() as { t: number | null }).t,
    updateDelivery(id, u) {
      q.updateDelivery.run(JSON.stringify(u.recipients), u.attempts, u.nextAttemptAt, u.delayNotified ? 1 : 0, u.lastError, id);
    },
    finishDelivery(id) {
      q.finishDelivery.run(id);
    },
    pendingDeliveries: () => (q.countDeliveries.get() as { n: number }).n,
    prune(before) {
      return { received: q.pruneReceived.run(before).changes, seen: q.pruneSeen.run(before).changes };
    },

    transaction: <T>(fn: () => T, durability: Durability = 'power'): T => withDurability(durability, () => db.transaction(fn)()),
    sync: () => walSync.sync(),
    close() {
      if (db.open) db.close();
      void walSync.close();
    },
  });
}
