/**
 * The embedded BPA's durable bundle store (issue 3: "a bundle confirmed by SENDCONFIRM or received on a
 * CLA survives kill -9 and a restart; bundles expire at their lifetime; the store is bounded and refuses
 * clearly when full"). Bundles are opaque encoded bytes; the BPA encodes and decodes them and keeps the
 * metadata it routes and delivers by in columns.
 */
import type { Result } from '../../../shared/errors';
import type { Clock } from '../types';

/** 'forward': waiting for a contact; 'deliver': for a local agent; 'reassembly': a fragment awaiting its siblings. */
export type BundleState = 'forward' | 'deliver' | 'reassembly';

export const BUNDLE_STATES: readonly BundleState[] = ['forward', 'deliver', 'reassembly'];

export interface BundleMeta {
  /** The BPv7 bundle ID as text (bundle-key.ts). */
  readonly id: string;
  readonly destination: string;
  readonly source: string;
  /** The bundle's creation time in Unix ms (0 when the creator had no clock, RFC 9171 §4.2.7). */
  readonly createdAt: number;
  /** Unix ms (expiry.ts). */
  readonly expiresAt: number;
  /** Length of the encoded bundle in bytes. */
  readonly size: number;
  readonly state: BundleState;
  /** The local agent EID a 'deliver' bundle is for. */
  readonly agent?: string;
  /** When the BPA wants to look at the bundle again (Unix ms), e.g. a contact's start. */
  readonly nextAttemptAt?: number;
  /** The contact the bundle was routed to (router contact id). */
  readonly contactHint?: string;
  /**
   * The bundle's status-report request flags (RFC 9171 §4.2.3: 0x4000 reception, 0x10000 forwarding,
   * 0x20000 delivery, 0x40000 deletion); 0 when it asks for none.
   */
  readonly reportFlags: number;
  /** When it was put (Unix ms, from the store's clock). */
  readonly storedAt: number;
}

export interface NewBundle {
  readonly id: string;
  readonly destination: string;
  readonly source: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly state: BundleState;
  readonly agent?: string;
  readonly nextAttemptAt?: number;
  readonly contactHint?: string;
  readonly reportFlags: number;
  /**
   * The encoded bundle, whole or as gather parts to be concatenated (e.g. encodeBundleParts: header,
   * payload view, trailer): a bundle that goes to a blob file is written from its parts, never copied
   * into one buffer first.
   */
  readonly bytes: Uint8Array | readonly Uint8Array[];
}

export interface StoredBundle extends BundleMeta {
  readonly bytes: Uint8Array;
}

/** Fields the BPA changes as a bundle moves on; `null` clears an optional field. */
export interface BundlePatch {
  readonly state?: BundleState;
  readonly agent?: string | null;
  readonly nextAttemptAt?: number | null;
  readonly contactHint?: string | null;
}

export interface StoreUsage {
  readonly bundles: number;
  readonly bytes: number;
  readonly maxBytes: number;
  readonly maxBundles: number;
}

export interface BundleStoreOptions {
  /**
   * The SQLite database file (with its WAL, `<path>-wal`). Beside it: the intake journal's two generations,
   * `<path>-intake` and `<path>-intake.old` (intake-journal.ts); bundles larger than `inlineMaxBytes` in
   * files in `<path>.blobs/`, and files of deleted ones kept for reuse in `<path>.blobs-free/` (blob-files.ts).
   */
  readonly path: string;
  /** Total encoded bytes held at most. */
  readonly maxBytes: number;
  /** Bundles held at most. */
  readonly maxBundles: number;
  readonly clock: Clock;
  /**
   * 'process' (default): a put survives a crash or kill -9 of the process once put() returned (an inline
   * bundle's record written to the intake journal; otherwise, and with `journal: false`, an SQLite commit
   * with synchronous=NORMAL, a blob file written before its row commits). 'power': it also survives power
   * loss or an OS crash (no journal, synchronous=FULL, blob files and their directory fsynced): much slower.
   */
  readonly durability?: 'process' | 'power';
  /** Bundles up to this size are kept inside the database, larger ones in files (default 64 KiB). */
  readonly inlineMaxBytes?: number;
  /** Bundle ids remembered for duplicate suppression (default LIMITS.bundleStoreMaxSeenIds). */
  readonly maxSeenIds?: number;
  /**
   * With durability 'process': puts of inline bundles, deletes and markSeen go to the intake journal
   * (intake-journal.ts) and reach SQLite 2.5–5 s later, or at a checkpoint (default true). false: every put
   * commits its own SQLite transaction, as with 'power'.
   */
  readonly journal?: boolean;
  /** How often the journal's older generation is applied to SQLite, ms (default JOURNAL_ROTATE_MS, bundle-store.ts). */
  readonly journalRotateMs?: number;
}

/** What opening the store had to clean up after a crash. */
export interface StoreRecovery {
  /** Blob files without a row (a crash between writing the file and committing the row, or after the row's deletion). */
  readonly orphanFilesRemoved: number;
  /** Rows whose blob file was missing (only after power loss with durability 'process'); dropped. */
  readonly rowsWithoutFile: readonly string[];
  /** Intake-journal records a crash left, applied to the database at open (bundle-store.ts). */
  readonly journalReplayed: number;
}

export interface BundleStore {
  readonly recovery: StoreRecovery;
  /**
   * Store a bundle durably (see `durability`). Refuses with STORE_FULL over maxBytes/maxBundles, CONFLICT
   * when the id is stored already, EXPIRED when it has expired, IO_ERROR when the disk fails. Also records
   * the id as seen until it expires.
   */
  put(entry: NewBundle): Result<void>;
  /**
   * put() for several bundles, one result each, in order: those accepted are committed together, once
   * (a group commit, e.g. every bundle of one read from a CLA).
   */
  putAll(entries: readonly NewBundle[]): Result<void>[];
  /** NOT_FOUND when absent; IO_ERROR when its blob file cannot be read. */
  get(id: string): Result<StoredBundle>;
  /** Change state and hints; NOT_FOUND when absent. */
  update(id: string, patch: BundlePatch): Result<void>;
  /**
   * Remove a bundle (it stays "seen" until it expires); false when it was not there. Gone at once for
   * every reader of the store; committed in a batch shortly after (bundle-store.ts), or with the next
   * put or markSeen when `withNextWrite`: a crash just after a delete may bring the bundle back.
   */
  delete(id: string, opts?: { readonly withNextWrite?: boolean }): boolean;
  /** Commit the deletes made so far now, to the journal or to SQLite (throws when the disk fails). */
  flushDeletes(): void;
  /**
   * Apply the intake journal to SQLite now and empty it, removing the blob files of deleted bundles;
   * without a journal, flushDeletes(). Throws when the disk fails. The store does this by itself.
   */
  checkpoint(): void;
  /** True when the bundle is stored or was seen before and has not expired since (duplicate suppression). */
  has(id: string): boolean;
  /** Remember an id without storing a bundle, e.g. a reassembled ADU's original bundle after delivery. */
  markSeen(id: string, expiresAt: number): void;
  /** Metadata of stored bundles, oldest put first. */
  listByState(state: BundleState): BundleMeta[];
  /** Bundles whose destination has this node ID ("dtn://mars.dtn/", "ipn:2.0"). */
  listForDestinationNode(nodeId: string): BundleMeta[];
  /** 'deliver' bundles for a local agent, oldest first. */
  listForAgent(agentEid: string): BundleMeta[];
  /** Bundles routed to a contact. */
  listForContact(contactId: string): BundleMeta[];
  /** Delete every bundle with expiresAt ≤ now and return them (the BPA sends deletion reports); forgets seen ids past expiry. */
  expire(now: number): BundleMeta[];
  /** The earliest expiresAt of a stored bundle, for the BPA's timer. */
  nextExpiry(): number | undefined;
  usage(): StoreUsage;
  close(): void;
}
