/**
 * The durable bundle store on SQLite (better-sqlite3 12, WAL). Contract and options: types.ts.
 *
 * Durability: with durability 'process' (the default) a put of an inline bundle is one record appended
 * to the intake journal (intake-journal.ts) before it returns: a write(2), in the page cache, which
 * survives the death of the process, kill -9 included (store.int.test.ts checks it), but not power loss
 * or an OS crash. The journal reaches SQLite (journal_mode=WAL, synchronous=NORMAL) in two
 * generations, 2.5–5 s after the write (JOURNAL_ROTATE_MS below), or all at once (a checkpoint) when it
 * is full (LIMITS.bundleStoreJournalCheckpoint*), before every query that reads SQLite for more than one
 * bundle (the lists, expiry), before a put that commits its row at once (below), at an update() of a
 * bundle still in the journal, and at close(); an open replays what a crash left in it. Bundles stored in
 * blob files (or too large for a journal record), and every put with durability 'power', commit one
 * transaction before they return; 'power' sets synchronous=FULL (the WAL is fsynced at every commit) and
 * fsyncs blob files and their directory, at the price of an fsync per put.
 *
 * Deletes are deferred and batched: delete() takes the bundle out at once for every reader of this store
 * (get, update, the lists, usage, a new put of the same id), but its row is deleted, and its id
 * recorded in `seen`, by a later commit: a put's once DELETE_BATCH deletes are waiting, or at once
 * when a delete asked to go with the next write (`withNextWrite`), markSeen, flushDeletes, close, or a
 * timer DELETE_FLUSH_MS after the first waiting delete. With the journal, "commit" means a FORGET
 * record appended to the journal (every put appends the waiting ones first), applied with its
 * generation. Deleting rows that were put long before (a sender deletes 2 s after the write) touches
 * other pages than the put, so one commit of a run of them writes far fewer pages than a commit each. A delete lost to a crash brings the bundle back at the
 * next start, still a duplicate to `has`: the BPA sends it again (the receiver's durable seen-ids
 * suppress it) or delivers it again (at least once: see delivery.ts).
 *
 * `seen` holds the ids of bundles that left the store (and of bundles never stored, markSeen); a
 * stored bundle's id is its row's. So a put writes its row only, and `has` looks at both tables.
 *
 * Limits are checked before anything is written, from counters kept in memory (loaded at open): the store
 * is the only user of its database. It holds SQLite's exclusive lock from open to close
 * (locking_mode=EXCLUSIVE), so a second store, or a second `farside bpa` on the same directory, is
 * refused at open instead of writing beside it.
 */
import { dirname } from 'node:path';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { err, ok } from '../../../shared/errors';
import { LIMITS } from '../../../shared/protocol/limits';
import type { Result } from '../../../shared/errors';
import { nodeIdOf, routingKeyOf } from '../router/routing-key';
import { openBlobFiles } from './blob-files';
import { JOURNAL_FORGET, JOURNAL_PUT, JOURNAL_SEEN, forgetRecord, openJournal, putRecord, readJournal } from './intake-journal';
import type { IntakeJournal, JournalPutMeta } from './intake-journal';
import type { BlobFiles } from './blob-files';
import { META_COLUMNS, SCHEMA_SQL, SCHEMA_VERSION } from './schema';
import { BUNDLE_STATES } from './types';
import type { BundleMeta, BundleState, BundleStore, BundleStoreOptions, NewBundle, StoreRecovery } from './types';

const DEFAULT_INLINE_MAX_BYTES = 64 * 1024;
/** A put commits the deferred deletes with it once this many are waiting (see the file comment). */
const DELETE_BATCH = 64;
/** An idle store commits its deferred deletes this long after the first one. */
const DELETE_FLUSH_MS = 50;
/** More deferred deletes than this are committed at once, put or no put: one transaction stays small. */
const DELETE_FLUSH_COUNT = 4096;
/**
 * The journal is kept in two generations (files `-intake.old` and `-intake`): every JOURNAL_ROTATE_MS
 * the older one is applied to SQLite in one transaction and removed, and the current one becomes the
 * older. So a record reaches SQLite JOURNAL_ROTATE_MS to twice that after it was written, and a bundle
 * deleted within JOURNAL_ROTATE_MS of its put never does: its row is neither inserted nor deleted, only
 * its id goes to `seen`. That is the common case — a sender deletes a bundle 2 s after the write
 * (contact-session.ts sentConfirmMs), a receiver 2 s after an AAP v1 delivery (delivery.ts settleMs) or
 * at an AAP 2.0 confirmation — and the row's insert and delete were the largest part of the store's
 * cost per 1 KiB bundle. Hence a little more than those 2 s.
 */
const JOURNAL_ROTATE_MS = 2500;
/**
 * Room for a PUT record's metadata beside the bundle bytes (intake-journal.ts: the meta's length and its
 * JSON array). It holds five strings — the bundle id (the source EID and up to four numbers,
 * bundle-key.ts), the destination, the source, the agent (EIDs of at most LIMITS.eidMaxLength characters,
 * eid.ts) and a contact hint (shorter) — and six numbers. JSON writes a character as at most 6 bytes
 * (\uXXXX), so 8 × eidMaxLength bytes per string, and 1 KiB for the numbers, cover them.
 */
const JOURNAL_META_MARGIN = 5 * 8 * LIMITS.eidMaxLength + 1024;

interface MetaRow {
  id: string;
  destination: string;
  source: string;
  created_at: number;
  expires_at: number;
  size: number;
  state: BundleState;
  agent: string | null;
  next_attempt_at: number | null;
  contact_hint: string | null;
  report_flags: number;
  stored_at: number;
}

interface DataRow extends MetaRow {
  seq: number;
  in_file: number;
  data: Buffer | null;
}

interface FileRow {
  id: string;
  seq: number;
  size: number;
  in_file: number;
}

type InsertRow = [
  id: string,
  destination: string,
  destinationNode: string,
  source: string,
  createdAt: number,
  expiresAt: number,
  size: number,
  state: BundleState,
  agent: string | null,
  nextAttemptAt: number | null,
  contactHint: string | null,
  reportFlags: number,
  storedAt: number,
  seq: number,
  inFile: number,
  data: Buffer | null,
];

/** The columns and placeholders of an InsertRow, in its order (positional: binding by name looks every property up, per put). */
const INSERT_ROW =
  '(id, destination, destination_node, source, created_at, expires_at, size, state, agent, next_attempt_at, contact_hint, report_flags, stored_at, seq, in_file, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

/** SQLite's code for a UNIQUE constraint failure (the id is stored already). */
const SQLITE_CONSTRAINT_UNIQUE = 'SQLITE_CONSTRAINT_UNIQUE';

interface DeletedRow extends FileRow {
  expires_at: number;
}

function toMeta(r: MetaRow): BundleMeta {
  return {
    id: r.id,
    destination: r.destination,
    source: r.source,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    size: r.size,
    state: r.state,
    ...(r.agent === null ? {} : { agent: r.agent }),
    ...(r.next_attempt_at === null ? {} : { nextAttemptAt: r.next_attempt_at }),
    ...(r.contact_hint === null ? {} : { contactHint: r.contact_hint }),
    reportFlags: r.report_flags,
    storedAt: r.stored_at,
  };
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The bytes as one Buffer (better-sqlite3 binds Buffers as BLOBs): a view of a single part, else one copy. */
function inlineData(parts: readonly Uint8Array[]): Buffer {
  const only = parts.length === 1 ? parts[0] : undefined;
  if (only !== undefined) return Buffer.from(only.buffer, only.byteOffset, only.byteLength);
  return Buffer.concat(parts);
}

/** Encoded length of an entry's bytes (0 for malformed bytes, which checkNew refuses). */
function sizeOf(e: NewBundle): number {
  if (e.bytes instanceof Uint8Array) return e.bytes.length;
  if (!Array.isArray(e.bytes)) return 0;
  let size = 0;
  for (const p of e.bytes) size += p instanceof Uint8Array ? p.length : 0;
  return size;
}

/** A journaled row's metadata, as a SELECT of META_COLUMNS would give it. */
function metaOfRow(r: InsertRow): BundleMeta {
  return toMeta({
    id: r[0],
    destination: r[1],
    source: r[3],
    created_at: r[4],
    expires_at: r[5],
    size: r[6],
    state: r[7],
    agent: r[8],
    next_attempt_at: r[9],
    contact_hint: r[10],
    report_flags: r[11],
    stored_at: r[12],
  });
}

function checkNew(e: NewBundle): string | undefined {
  if (typeof e.id !== 'string' || e.id === '') return 'the bundle id is empty';
  if (!BUNDLE_STATES.includes(e.state)) return `unknown state ${JSON.stringify(e.state)}`;
  if (!Number.isSafeInteger(e.createdAt)) return `createdAt must be an integer, got ${e.createdAt}`;
  if (!Number.isSafeInteger(e.expiresAt)) return `expiresAt must be an integer, got ${e.expiresAt}`;
  if (!Number.isSafeInteger(e.reportFlags)) return `reportFlags must be an integer, got ${e.reportFlags}`;
  if (e.nextAttemptAt !== undefined && !Number.isSafeInteger(e.nextAttemptAt)) return `nextAttemptAt must be an integer, got ${e.nextAttemptAt}`;
  if (e.bytes instanceof Uint8Array) return undefined;
  if (!Array.isArray(e.bytes) || !e.bytes.every((p) => p instanceof Uint8Array)) return 'bytes must be a Uint8Array or an array of them';
  return undefined;
}

function openDatabase(path: string, durability: 'process' | 'power'): Database.Database {
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    // The BPA is the only user of its database: with the lock held for the connection's life, SQLite takes
    // no file locks per transaction and keeps the WAL index in its own memory instead of a shared -shm
    // file (https://sqlite.org/wal.html §"Use of WAL Without Shared-Memory"). Set before WAL is entered.
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${durability === 'power' ? 'FULL' : 'NORMAL'}`);
    // Checkpoint every ~40 MB of WAL instead of every 4 MB: puts write less often into the database file
    // (1 KiB put+delete went from 2,700/s to 5,000/s); the WAL is cut back to 64 MB after a checkpoint.
    db.pragma('wal_autocheckpoint = 10000');
    db.pragma('journal_size_limit = 67108864');
    const version = db.pragma('user_version', { simple: true });
    if (version === 0) {
      db.transaction(() => {
        db.exec(SCHEMA_SQL);
        db.pragma(`user_version = ${SCHEMA_VERSION}`);
      })();
    } else if (version !== SCHEMA_VERSION) {
      throw new Error(`the store at ${path} has schema version ${String(version)}; this Farside reads version ${SCHEMA_VERSION}`);
    }
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

/** Remove what a crash between a blob file and its row left behind (blob-files.ts). */
function recover(db: Database.Database, blobs: BlobFiles): Omit<StoreRecovery, 'journalReplayed'> {
  const fileRows = db.prepare<[], FileRow>('SELECT id, seq, size, in_file FROM bundles WHERE in_file = 1').all();
  const onDisk = blobs.list();
  const keep = new Set<number>();
  const rowsWithoutFile: string[] = [];
  for (const row of fileRows) {
    if (onDisk.has(row.seq)) keep.add(row.seq);
    else rowsWithoutFile.push(row.id);
  }
  if (rowsWithoutFile.length > 0) {
    const del = db.prepare<[string]>('DELETE FROM bundles WHERE id = ?');
    db.transaction(() => {
      for (const id of rowsWithoutFile) del.run(id);
    })();
  }
  return { orphanFilesRemoved: blobs.sweep(keep), rowsWithoutFile };
}

/** `fn` once, `ms` after the first arm() since it last ran or was cancelled; a throw is left for the next caller. */
function deferred(ms: number, fn: () => void): { arm(): void; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  return {
    arm() {
      if (timer !== undefined) return;
      timer = setTimeout(() => {
        timer = undefined;
        try {
          fn();
        } catch {
          // see the callers: the work stays where it was and is tried again
        }
      }, ms);
      timer.unref();
    },
    cancel() {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}

/** Where the intake journal of the database at `path` lives: the current generation … */
export const journalPathOf = (path: string): string => `${path}-intake`;
/** … and the older one, applied to SQLite at the next rotation (JOURNAL_ROTATE_MS). */
export const olderJournalPathOf = (path: string): string => `${path}-intake.old`;

/** A put appended to the intake journal and not applied to SQLite yet (or replayed at open). */
interface JournaledPut {
  readonly kind: 'put';
  readonly row: InsertRow;
  /** Deleted before it was applied: not inserted then (its FORGET follows, in this generation or the next). */
  deleted: boolean;
}
/** A delete or markSeen appended to the intake journal and not applied yet. */
interface JournaledForget {
  /** 'forget': a delete (row and id); 'seen': markSeen (the id only). */
  readonly kind: 'forget' | 'seen';
  readonly id: string;
  readonly expiresAt: number;
}
type JournaledOp = JournaledPut | JournaledForget;

/**
 * What a crash left in the intake journal, as operations for applyTx (replaying), the older generation
 * first: its records were written before the current one's. Puts are numbered on from `lastSeq`.
 */
function replayedOps(path: string, lastSeq: number): JournaledOp[] {
  let seq = lastSeq;
  return [...readJournal(olderJournalPathOf(path)), ...readJournal(journalPathOf(path))].map((r): JournaledOp => {
    if (r.type !== JOURNAL_PUT) return { kind: r.type === JOURNAL_FORGET ? 'forget' : 'seen', id: r.id, expiresAt: r.expiresAt };
    seq++;
    return { kind: 'put', row: rowOf(r.meta, r.bytes.length, seq, Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength)), deleted: false };
  });
}

/** The row of an inline bundle. */
function rowOf(m: JournalPutMeta, size: number, seq: number, data: Buffer): InsertRow {
  return [m.id, m.destination, routingKeyOf(m.destination), m.source, m.createdAt, m.expiresAt, size, m.state, m.agent, m.nextAttemptAt, m.contactHint, m.reportFlags, m.storedAt, seq, 0, data];
}

export function createBundleStore(options: BundleStoreOptions): Result<BundleStore> {
  const { path, maxBytes, maxBundles, clock } = options;
  const durability = options.durability ?? 'process';
  const inlineMaxBytes = options.inlineMaxBytes ?? DEFAULT_INLINE_MAX_BYTES;
  // Replay stops at the first record over LIMITS.bundleStoreJournalMaxRecordBytes (intake-journal.ts),
  // so a bundle whose record could be larger commits its row at once instead (inlineMaxBytes may be
  // larger: measure.ts keeps 1 MiB bundles inline); written to the journal, it and every record after
  // it would be lost to a crash.
  const journalMaxBytes = Math.min(inlineMaxBytes, LIMITS.bundleStoreJournalMaxRecordBytes - JOURNAL_META_MARGIN);
  if (!(maxBytes >= 0) || !(maxBundles >= 0)) return err('INVALID_ARGUMENT', `store limits must be non-negative (maxBytes ${maxBytes}, maxBundles ${maxBundles})`);

  const useJournal = durability === 'process' && options.journal !== false;
  const rotateMs = options.journalRotateMs ?? JOURNAL_ROTATE_MS;
  const cannotOpen = (e: unknown): Result<BundleStore> => err('IO_ERROR', `cannot open the bundle store at ${path}: ${message(e)}`);
  let db: Database.Database;
  let blobs: BlobFiles;
  let journal: IntakeJournal | null = null;
  try {
    db = openDatabase(path, durability);
    try {
      blobs = openBlobFiles(`${path}.blobs`, durability === 'power');
    } catch (e) {
      db.close();
      throw e;
    }
  } catch (e) {
    return cannotOpen(e);
  }

  const selectTotals = db.prepare<[], { n: number; bytes: number; seq: number }>('SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes, coalesce(max(seq), 0) AS seq FROM bundles');
  const insertBundle = db.prepare<InsertRow>(
    `INSERT INTO bundles ${INSERT_ROW}`,
  );
  const insertSeen = db.prepare<[string, number]>('INSERT OR IGNORE INTO seen (id, expires_at) VALUES (?, ?)');
  const raiseSeen = db.prepare<[number, string, number]>('UPDATE seen SET expires_at = ? WHERE id = ? AND expires_at < ?');
  const evictSeen = db.prepare<[number]>('DELETE FROM seen WHERE id IN (SELECT id FROM seen ORDER BY expires_at LIMIT ?)');
  const selectExists = db.prepare<[string], { one: number }>('SELECT 1 AS one FROM bundles WHERE id = ?');
  /** Seen or stored (has, replay): one statement, and a hit in `seen` ends it. */
  const selectKnown = db.prepare<[string, string], { one: number }>('SELECT 1 AS one FROM seen WHERE id = ? UNION ALL SELECT 1 FROM bundles WHERE id = ? LIMIT 1');
  const selectData = db.prepare<[string], DataRow>(`SELECT ${META_COLUMNS}, seq, in_file, data FROM bundles WHERE id = ?`);
  const selectDeleted = db.prepare<[string], DeletedRow>('SELECT id, seq, size, in_file, expires_at FROM bundles WHERE id = ?');
  const deleteRow = db.prepare<[number]>('DELETE FROM bundles WHERE seq = ?');
  const listState = db.prepare<[string], MetaRow>(`SELECT ${META_COLUMNS} FROM bundles WHERE state = ? ORDER BY seq`);
  const listNode = db.prepare<[string], MetaRow>(`SELECT ${META_COLUMNS} FROM bundles WHERE destination_node = ? ORDER BY seq`);
  const listAgent = db.prepare<[string], MetaRow>(`SELECT ${META_COLUMNS} FROM bundles WHERE agent = ? AND state = 'deliver' ORDER BY seq`);
  const listContact = db.prepare<[string], MetaRow>(`SELECT ${META_COLUMNS} FROM bundles WHERE contact_hint = ? ORDER BY seq`);
  const selectExpired = db.prepare<[number], MetaRow & { seq: number; in_file: number }>(`SELECT ${META_COLUMNS}, seq, in_file FROM bundles WHERE expires_at <= ? ORDER BY expires_at, seq`);
  const deleteExpired = db.prepare<[number]>('DELETE FROM bundles WHERE expires_at <= ?');
  const deleteSeenExpired = db.prepare<[number]>('DELETE FROM seen WHERE expires_at <= ?');
  const selectNextExpiry = db.prepare<[], { t: number | null }>('SELECT min(expires_at) AS t FROM bundles');

  let seenCount = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM seen').get()?.n ?? 0;
  const maxSeen = options.maxSeenIds ?? LIMITS.bundleStoreMaxSeenIds;

  /** Record an id as seen until `expiresAt` (the later expiry wins); forget the earliest-expiring 1% when over the limit. */
  function remember(id: string, expiresAt: number): void {
    if (insertSeen.run(id, expiresAt).changes === 0) {
      raiseSeen.run(expiresAt, id, expiresAt);
      return;
    }
    seenCount++;
    if (seenCount > maxSeen) seenCount -= evictSeen.run(seenCount - maxSeen + Math.ceil(maxSeen / 100)).changes;
  }

  /** Deleted, not yet committed (see the file comment). */
  let pending = new Map<string, DeletedRow>();
  /** A waiting delete asked to be committed with the next write. */
  let pendingSoon = false;

  function deletePending(): void {
    for (const row of pending.values()) {
      deleteRow.run(row.seq);
      remember(row.id, row.expires_at);
    }
  }

  /** After the commit that deleted the pending rows: their blob files go (a crash before leaves orphans for the sweep). */
  function deleted(): void {
    const rows = pending;
    pending = new Map();
    pendingSoon = false;
    flushSoon.cancel();
    for (const row of rows.values()) if (row.in_file === 1) removeFile(row.seq, row.size);
  }

  // ---- the intake journal (journal mode): operations appended, not yet applied to SQLite -------------

  /** The current generation's operations, in journal order … */
  let ops: JournaledOp[] = [];
  /** … and the older generation's, applied at the next rotation. */
  let older: JournaledOp[] = [];
  /** Bundle bytes held by both generations' puts (a deleted put's are released at its delete). */
  let opsBytes = 0;
  /** Journaled puts not applied yet and not deleted, by id. */
  const staged = new Map<string, JournaledPut>();
  /** Ids with a journaled FORGET not applied yet (seen; their rows, where they exist, are gone for readers). */
  const forgotten = new Map<string, JournaledForget>();
  /** Ids of journaled SEEN records not applied yet. */
  const seenSoon = new Map<string, JournaledForget>();

  const insertOrIgnore = db.prepare<InsertRow>(
    `INSERT OR IGNORE INTO bundles ${INSERT_ROW}`,
  );
  const deleteById = db.prepare<[string]>('DELETE FROM bundles WHERE id = ?');

  /**
   * Apply journaled operations, in order, in one transaction (and the waiting deletes when `withPending`).
   * `replaying`: what a crash left (replayedOps); a PUT whose id is stored or seen already was applied by a
   * checkpoint whose truncate the crash prevented (the BPA never puts a seen id: it drops duplicates
   * first), so it is skipped. A FORGET deletes the row (a blob file it leaves is swept by recover()) and
   * remembers the id.
   */
  const applyTx = db.transaction((lists: readonly (readonly JournaledOp[])[], withPending: boolean, replaying = false) => {
    for (const list of lists) {
      for (const op of list) {
        if (op.kind === 'put') {
          if (op.deleted || (replaying && selectKnown.get(op.row[0], op.row[0]) !== undefined)) continue;
          insertOrIgnore.run(...op.row);
        } else {
          if (op.kind === 'forget') deleteById.run(op.id);
          remember(op.id, op.expiresAt);
        }
      }
    }
    if (withPending) deletePending();
  });

  let recovery: StoreRecovery;
  try {
    // Replayed also when this open does not journal: an earlier run may have.
    const replayed = replayedOps(path, selectTotals.get()?.seq ?? 0);
    if (replayed.length > 0) applyTx([replayed], false, true);
    recovery = { ...recover(db, blobs), journalReplayed: replayed.length };
    rmSync(olderJournalPathOf(path), { force: true });
    if (useJournal) journal = openJournal(journalPathOf(path));
    else rmSync(journalPathOf(path), { force: true });
  } catch (e) {
    db.close();
    return cannotOpen(e);
  }

  const totals = selectTotals.get();
  let count = totals?.n ?? 0;
  let totalBytes = totals?.bytes ?? 0;
  let lastSeq = totals?.seq ?? 0;

  /** After `list` was applied: its operations leave the in-memory views. */
  function forgetApplied(list: readonly JournaledOp[]): void {
    for (const op of list) {
      if (op.kind === 'put') {
        if (staged.get(op.row[0]) === op) staged.delete(op.row[0]);
        if (!op.deleted) opsBytes -= op.row[6];
      } else {
        const view = op.kind === 'forget' ? forgotten : seenSoon;
        if (view.get(op.id) === op) view.delete(op.id);
      }
    }
  }

  /** The FORGET records of the waiting deletes, moved into `ops` once `append` succeeded. */
  function forgetsOfPending(): { readonly buffers: Uint8Array[]; readonly commit: () => void } {
    const buffers: Uint8Array[] = [];
    const rows = [...pending.values()];
    for (const row of rows) buffers.push(...forgetRecord(row.id, row.expires_at));
    return {
      buffers,
      commit() {
        for (const row of rows) {
          const op: JournaledForget = { kind: 'forget', id: row.id, expiresAt: row.expires_at };
          ops.push(op);
          forgotten.set(row.id, op);
          // The FORGET is durable now, and every reader already treats the row as gone: its blob file
          // can go at once rather than at the rotation that deletes the row (a crash in between replays
          // the FORGET before recover() looks for rows without files). Freed steadily like this, the
          // files are there to be reused by the next big bundles (blob-files.ts).
          if (row.in_file === 1) removeFile(row.seq, row.size);
        }
        pending = new Map();
        pendingSoon = false;
        flushSoon.cancel();
      },
    };
  }

  /** Apply both journal generations (and the deletes still waiting) to SQLite in one transaction, then empty them. Throws when the disk fails. */
  function checkpoint(): void {
    if (journal === null) {
      flushDeletes();
      return;
    }
    rotateLater.cancel();
    if (ops.length === 0 && older.length === 0 && pending.size === 0) return;
    const applied = [older, ops];
    applyTx(applied, true);
    older = [];
    ops = [];
    journal.truncate();
    rmSync(olderJournalPathOf(path), { force: true });
    for (const list of applied) forgetApplied(list);
    deleted();
  }

  /**
   * Apply the older generation, and make the current one the older (its file renamed, a new one begun).
   * Throws when the disk fails; then nothing moved, and the next rotation or checkpoint tries again.
   */
  function rotate(j: IntakeJournal): void {
    // Waiting deletes go into the current generation first, so that what is applied now is complete.
    flushDeletes();
    if (older.length > 0) {
      applyTx([older], false);
      rmSync(olderJournalPathOf(path), { force: true });
      forgetApplied(older);
      older = [];
    }
    if (ops.length === 0) return;
    // Renamed while open (the descriptor follows the file; nothing is written through it from now on).
    renameSync(journalPathOf(path), olderJournalPathOf(path));
    older = ops;
    ops = [];
    try {
      j.close();
    } finally {
      journal = openJournal(journalPathOf(path));
    }
  }

  /** After an append: a full journal is applied now, otherwise at the next rotation. Never throws. */
  function checkpointSoon(): void {
    rotateLater.arm();
    if (ops.length + older.length < LIMITS.bundleStoreJournalCheckpointOps && opsBytes < LIMITS.bundleStoreJournalCheckpointBytes) return;
    try {
      checkpoint();
    } catch {
      // What was appended is durable in the journal already, and the caller's operation succeeded: a
      // failing disk must not turn it into an error (an agent would resubmit a stored bundle). The
      // journal keeps everything; the armed rotation, a query or close tries again.
      rotateLater.arm();
    }
  }

  // A single put without deletes is one INSERT, its own transaction: no BEGIN and COMMIT statements around it.
  const insertAllTx = db.transaction((inserts: readonly { readonly row: InsertRow }[], withDeletes: boolean) => {
    if (withDeletes) deletePending();
    for (const i of inserts) insertBundle.run(...i.row);
  });
  const markSeenTx = db.transaction((id: string, expiresAt: number) => {
    deletePending();
    remember(id, expiresAt);
  });
  const deleteTx = db.transaction(deletePending);

  function flushDeletes(): void {
    if (pending.size === 0) return;
    if (journal !== null) {
      const forgets = forgetsOfPending();
      journal.append(forgets.buffers);
      forgets.commit();
      checkpointSoon();
      return;
    }
    deleteTx();
    deleted();
  }

  function flushLater(): void {
    if (pending.size >= DELETE_FLUSH_COUNT) flushDeletes();
    else flushSoon.arm();
  }

  // A failing disk leaves the work where it was (pending deletes, the journal): the next put, flush,
  // checkpoint, query or close tries again.
  const flushSoon = deferred(DELETE_FLUSH_MS, flushDeletes);
  const rotateLater = deferred(rotateMs, () => {
    if (journal === null) return;
    rotate(journal);
    if (ops.length > 0 || older.length > 0) rotateLater.arm();
  });

  function removeFile(seq: number, size: number): void {
    try {
      blobs.remove(seq, size);
    } catch {
      // Left for the sweep at the next open (blob-files.ts); the row is already gone.
    }
  }

  interface Insert {
    readonly at: number;
    readonly row: InsertRow;
    readonly seq: number;
    readonly size: number;
    readonly inFile: boolean;
  }

  /**
   * Each entry checked on its own (INVALID_ARGUMENT, EXPIRED, STORE_FULL); those that pass go in one
   * transaction, committed once (a receiver's group commit). A waiting delete of one of their ids, or
   * one asked to go with the next write, or a full batch of them goes in it too.
   */
  function putAll(entries: readonly NewBundle[]): Result<void>[] {
    if (journal !== null) {
      const journaled = entries.every((e) => sizeOf(e) <= journalMaxBytes) ? putAllJournaled(journal, entries) : undefined;
      if (journaled !== undefined) return journaled;
      // A blob-file bundle, or one too large for a journal record, commits its row at once: what the
      // journal holds goes first, in order.
      try {
        checkpoint();
      } catch (e) {
        return entries.map((e2) => err('IO_ERROR', `cannot store bundle ${String(e2.id)}: ${message(e)}`));
      }
    }
    return putAllCommitted(entries);
  }

  /** Why `entry` cannot be put with `held` bundles of `heldBytes` in the store, or undefined when it can. */
  function refusal(entry: NewBundle, now: number, held: number, heldBytes: number, size: number): Result<void> | undefined {
    const problem = checkNew(entry);
    if (problem !== undefined) return err('INVALID_ARGUMENT', problem);
    if (entry.expiresAt <= now) return err('EXPIRED', `bundle ${entry.id} expired at ${new Date(entry.expiresAt).toISOString()}`);
    if (held + 1 > maxBundles || heldBytes + size > maxBytes) {
      return err('STORE_FULL', `bundle store full: ${held} bundles, ${heldBytes} bytes held; limits ${maxBundles} bundles, ${maxBytes} bytes; refused ${size}-byte bundle ${entry.id}`);
    }
    return undefined;
  }

  /**
   * putAll with the journal: each entry checked as in putAllCommitted, the accepted ones appended in one
   * writev. Undefined, with nothing changed, when a record would be larger than replay reads (metadata
   * beyond JOURNAL_META_MARGIN: strings longer than the BPA's): then the caller commits them instead.
   */
  function putAllJournaled(j: IntakeJournal, entries: readonly NewBundle[]): Result<void>[] | undefined {
    const results: Result<void>[] = [];
    const puts: { readonly at: number; readonly op: JournaledPut }[] = [];
    const buffers: Uint8Array[] = [];
    const batch = new Set<string>();
    const now = clock();
    let seq = lastSeq;
    let addedBytes = 0;
    for (let at = 0; at < entries.length; at++) {
      const entry = entries[at] as NewBundle;
      const size = sizeOf(entry);
      const refused = refusal(entry, now, count + puts.length, totalBytes + addedBytes, size);
      results.push(refused ?? ok(undefined));
      if (refused !== undefined) continue;
      // A waiting or journaled delete of the id goes before this put (its FORGET is appended first).
      const stored = batch.has(entry.id) || staged.has(entry.id) || (!pending.has(entry.id) && !forgotten.has(entry.id) && selectExists.get(entry.id) !== undefined);
      if (stored) {
        results[at] = err('CONFLICT', `bundle ${entry.id} is already stored`);
        continue;
      }
      // A copy: the caller's parts may be views of buffers it reuses, and the row waits for the checkpoint.
      const data = Buffer.allocUnsafe(size);
      let o = 0;
      for (const p of entry.bytes instanceof Uint8Array ? [entry.bytes] : entry.bytes) {
        data.set(p, o);
        o += p.length;
      }
      const meta: JournalPutMeta = {
        id: entry.id,
        destination: entry.destination,
        source: entry.source,
        createdAt: entry.createdAt,
        expiresAt: entry.expiresAt,
        state: entry.state,
        agent: entry.agent ?? null,
        nextAttemptAt: entry.nextAttemptAt ?? null,
        contactHint: entry.contactHint ?? null,
        reportFlags: entry.reportFlags,
        storedAt: now,
      };
      seq++;
      addedBytes += size;
      batch.add(entry.id);
      const record = putRecord(meta, data);
      let recordBytes = 0;
      for (const b of record) recordBytes += b.length;
      if (recordBytes > LIMITS.bundleStoreJournalMaxRecordBytes) return undefined;
      for (const b of record) buffers.push(b);
      puts.push({ at, op: { kind: 'put', row: rowOf(meta, size, seq, data), deleted: false } });
    }
    if (puts.length === 0) return results;
    const forgets = pending.size > 0 ? forgetsOfPending() : null;
    try {
      j.append(forgets === null ? buffers : [...forgets.buffers, ...buffers]);
    } catch (e) {
      for (const p of puts) results[p.at] = err('IO_ERROR', `cannot store bundle ${p.op.row[0]}: ${message(e)}`);
      return results;
    }
    forgets?.commit();
    for (const p of puts) {
      ops.push(p.op);
      staged.set(p.op.row[0], p.op);
    }
    opsBytes += addedBytes;
    lastSeq = seq;
    count += puts.length;
    totalBytes += addedBytes;
    checkpointSoon();
    return results;
  }

  function putAllCommitted(entries: readonly NewBundle[]): Result<void>[] {
    const results: Result<void>[] = [];
    const inserts: Insert[] = [];
    const now = clock();
    let seq = lastSeq;
    let addedBytes = 0;
    let ownDelete = false;
    for (let at = 0; at < entries.length; at++) {
      const entry = entries[at] as NewBundle;
      const size = sizeOf(entry);
      const refused = refusal(entry, now, count + inserts.length, totalBytes + addedBytes, size);
      results.push(refused ?? ok(undefined));
      if (refused !== undefined) continue;
      const parts: readonly Uint8Array[] = entry.bytes instanceof Uint8Array ? [entry.bytes] : entry.bytes;
      const inFile = size > inlineMaxBytes;
      if (inFile) {
        try {
          blobs.write(seq + 1, parts);
        } catch (e) {
          removeFile(seq + 1, size);
          results[at] = err('IO_ERROR', `cannot store bundle ${entry.id}: ${message(e)}`);
          continue;
        }
      }
      seq++;
      addedBytes += size;
      // A put of an id whose delete is waiting must delete the old row first (the id is unique).
      if (pending.has(entry.id)) ownDelete = true;
      inserts.push({
        at,
        seq,
        size,
        inFile,
        row: [
          entry.id,
          entry.destination,
          routingKeyOf(entry.destination),
          entry.source,
          entry.createdAt,
          entry.expiresAt,
          size,
          entry.state,
          entry.agent ?? null,
          entry.nextAttemptAt ?? null,
          entry.contactHint ?? null,
          entry.reportFlags,
          now,
          seq,
          inFile ? 1 : 0,
          inFile ? null : inlineData(parts),
        ],
      });
    }
    if (inserts.length === 0) return results;
    const withDeletes = pending.size > 0 && (pendingSoon || pending.size >= DELETE_BATCH || ownDelete);
    try {
      const only = inserts.length === 1 ? inserts[0] : undefined;
      if (only !== undefined && !withDeletes) insertBundle.run(...only.row);
      else insertAllTx(inserts, withDeletes);
    } catch (e) {
      for (const i of inserts) if (i.inFile) removeFile(i.seq, i.size);
      // The id's UNIQUE constraint answers "already stored" without a lookup per put; a group is put
      // again one entry at a time, to tell which (and to count the limits without it).
      const unique = e instanceof Database.SqliteError && e.code === SQLITE_CONSTRAINT_UNIQUE;
      if (unique && inserts.length > 1) return entries.map((one) => putAllCommitted([one])[0] as Result<void>);
      for (const i of inserts) {
        const id = i.row[0];
        results[i.at] = unique ? err('CONFLICT', `bundle ${id} is already stored`) : err('IO_ERROR', `cannot store bundle ${id}: ${message(e)}`);
      }
      return results;
    }
    if (withDeletes) deleted();
    lastSeq = seq;
    count += inserts.length;
    totalBytes += addedBytes;
    return results;
  }

  const store: BundleStore = {
    recovery,

    put(entry) {
      return putAll([entry])[0] ?? err('INTERNAL', 'no result for the put');
    },

    putAll,

    get(id) {
      if (forgotten.has(id)) return err('NOT_FOUND', `no bundle ${id} in the store`);
      const journaled = staged.get(id);
      if (journaled !== undefined) {
        const data = journaled.row[15] ?? Buffer.alloc(0);
        return ok({ ...metaOfRow(journaled.row), bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
      }
      const row = pending.has(id) ? undefined : selectData.get(id);
      if (row === undefined) return err('NOT_FOUND', `no bundle ${id} in the store`);
      let bytes: Uint8Array;
      if (row.in_file === 1) {
        try {
          bytes = blobs.read(row.seq);
        } catch (e) {
          return err('IO_ERROR', `cannot read bundle ${id}: ${message(e)}`);
        }
      } else {
        const data = row.data ?? Buffer.alloc(0);
        bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      }
      return ok({ ...toMeta(row), bytes });
    },

    update(id, patch) {
      const sets: string[] = [];
      const values: (string | number | null)[] = [];
      if (patch.state !== undefined) {
        if (!BUNDLE_STATES.includes(patch.state)) return err('INVALID_ARGUMENT', `unknown state ${JSON.stringify(patch.state)}`);
        sets.push('state = ?');
        values.push(patch.state);
      }
      for (const [column, value] of [['agent', patch.agent], ['next_attempt_at', patch.nextAttemptAt], ['contact_hint', patch.contactHint]] as const) {
        if (value === undefined) continue;
        sets.push(`${column} = ?`);
        values.push(value);
      }
      if (pending.has(id) || forgotten.has(id)) return err('NOT_FOUND', `no bundle ${id} in the store`);
      try {
        // The row must be in SQLite to be updated there (rare: not on the BPA's per-bundle path).
        if (staged.has(id)) checkpoint();
      } catch (e) {
        return err('IO_ERROR', `cannot update bundle ${id}: ${message(e)}`);
      }
      if (sets.length === 0) return selectExists.get(id) === undefined ? err('NOT_FOUND', `no bundle ${id} in the store`) : ok(undefined);
      try {
        const r = db.prepare(`UPDATE bundles SET ${sets.join(', ')} WHERE id = ?`).run(...values, id);
        return r.changes === 0 ? err('NOT_FOUND', `no bundle ${id} in the store`) : ok(undefined);
      } catch (e) {
        return err('IO_ERROR', `cannot update bundle ${id}: ${message(e)}`);
      }
    },

    delete(id, opts) {
      if (pending.has(id) || forgotten.has(id)) return false;
      const journaled = staged.get(id);
      let row: DeletedRow | undefined;
      if (journaled === undefined) {
        row = selectDeleted.get(id);
      } else {
        // Not applied yet: it never will be (applyTx skips it), its FORGET records the id. Its bytes
        // are needed no more, so they leave memory now rather than with their generation.
        journaled.deleted = true;
        staged.delete(id);
        const r = journaled.row;
        row = { id, seq: r[13], size: r[6], in_file: 0, expires_at: r[5] };
        r[15] = null;
        opsBytes -= r[6];
      }
      if (row === undefined) return false;
      pending.set(id, row);
      if (opts?.withNextWrite === true) pendingSoon = true;
      count--;
      totalBytes -= row.size;
      flushLater();
      return true;
    },

    flushDeletes,

    checkpoint,

    has(id) {
      if (staged.has(id) || pending.has(id) || forgotten.has(id) || seenSoon.has(id)) return true;
      return selectKnown.get(id, id) !== undefined;
    },

    markSeen(id, expiresAt) {
      if (journal === null) {
        markSeenTx(id, expiresAt);
        deleted();
        return;
      }
      const forgets = forgetsOfPending();
      journal.append([...forgets.buffers, ...forgetRecord(id, expiresAt, JOURNAL_SEEN)]);
      forgets.commit();
      const op: JournaledForget = { kind: 'seen', id, expiresAt };
      ops.push(op);
      seenSoon.set(id, op);
      checkpointSoon();
    },

    listByState(state) {
      checkpoint();
      return listState.all(state).map(toMeta);
    },

    listForDestinationNode(nodeId) {
      checkpoint();
      return listNode.all(nodeIdOf(nodeId) ?? nodeId).map(toMeta);
    },

    listForAgent(agentEid) {
      checkpoint();
      return listAgent.all(agentEid).map(toMeta);
    },

    listForContact(contactId) {
      checkpoint();
      return listContact.all(contactId).map(toMeta);
    },

    expire(now) {
      checkpoint();
      const rows = selectExpired.all(now);
      db.transaction(() => {
        deleteExpired.run(now);
        seenCount -= deleteSeenExpired.run(now).changes;
      })();
      for (const row of rows) {
        count--;
        totalBytes -= row.size;
        if (row.in_file === 1) removeFile(row.seq, row.size);
      }
      return rows.map(toMeta);
    },

    nextExpiry() {
      checkpoint();
      return selectNextExpiry.get()?.t ?? undefined;
    },

    usage() {
      return { bundles: count, bytes: totalBytes, maxBytes, maxBundles };
    },

    close() {
      try {
        checkpoint();
      } finally {
        flushSoon.cancel();
        rotateLater.cancel();
        journal?.close();
        db.close();
      }
    },
  };
  return ok(store);
}
