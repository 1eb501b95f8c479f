/**
 * The store's intake journal: an append-only redo log beside the SQLite database (`<db>-intake`), so that
 * a put survives kill -9 after ONE write(2) instead of an SQLite commit. Why: an SQLite commit of one
 * 1 KiB row writes a WAL frame per dirty page (the row's leaf, the id and expiry index leaves, the pages
 * of batched deletes, two pwrite calls each) — measured in the BPA at about 60 µs per bundle, the largest
 * single cost of an AAP → MTCP → AAP hop. A journal record is one writev of a few hundred bytes plus the
 * bundle. The journal has two generations (`<db>-intake` and `<db>-intake.old`): every 2.5 s
 * (bundle-store.ts, JOURNAL_ROTATE_MS) the older one is applied to SQLite in one transaction and removed,
 * and the current one becomes the older, so a record reaches SQLite 2.5–5 s after it was written, or
 * sooner when the store applies both at once (a checkpoint). The database stays the store of record: the
 * journal only ever holds the last few seconds of work.
 *
 * Durability is the same as the database's with synchronous=NORMAL: a record is in the kernel's page
 * cache when the write returns, which survives the death of the process but not power loss. The
 * 'power' durability therefore does not use the journal (bundle-store.ts).
 *
 * Record layout (big-endian, like the wire formats):
 *   u8 type (1 = PUT, 2 = FORGET, 3 = SEEN) | u32 body length | u32 CRC-32C of the body | body
 *   PUT body:    u32 meta length | meta (UTF-8 JSON, JournalPutMeta as an array) | the encoded bundle
 *   FORGET body: UTF-8 JSON [id, expiresAt]: delete the row if there is one, remember the id as seen
 *   SEEN body:   UTF-8 JSON [id, expiresAt]: remember the id as seen (store.markSeen)
 * Replay reads records in order and stops at the first one that is short, over the size cap, of an
 * unknown type or fails its CRC: appends are sequential, so only the tail can be torn (a write cut short
 * by a full disk is cut back by the writer, see append()).
 */
import { closeSync, ftruncateSync, openSync, readFileSync, writevSync } from 'node:fs';
import { crc32c } from '@node-rs/crc32';
import { LIMITS } from '../../../shared/protocol/limits';
import type { BundleState, NewBundle } from './types';
import { BUNDLE_STATES } from './types';

export const JOURNAL_PUT = 1;
export const JOURNAL_FORGET = 2;
export const JOURNAL_SEEN = 3;
const HEADER_BYTES = 9;

/** What a PUT record says besides the bundle bytes: the row's columns the BPA chose. */
export type JournalPutMeta = Omit<NewBundle, 'bytes' | 'agent' | 'nextAttemptAt' | 'contactHint'> & {
  // The optional fields as the row stores them (null for absent), and when the put happened.
  readonly agent: string | null;
  readonly nextAttemptAt: number | null;
  readonly contactHint: string | null;
  readonly storedAt: number;
};

export type JournalRecord =
  | { readonly type: typeof JOURNAL_PUT; readonly meta: JournalPutMeta; readonly bytes: Uint8Array }
  | { readonly type: typeof JOURNAL_FORGET | typeof JOURNAL_SEEN; readonly id: string; readonly expiresAt: number };

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

function header(type: number, bodyLength: number, crc: number): Uint8Array {
  const h = new Uint8Array(HEADER_BYTES);
  const v = new DataView(h.buffer);
  v.setUint8(0, type);
  v.setUint32(1, bodyLength);
  v.setUint32(5, crc >>> 0);
  return h;
}

/** The buffers of a PUT record, the bundle bytes as given (no copy). */
export function putRecord(meta: JournalPutMeta, bytes: Uint8Array): Uint8Array[] {
  const m = utf8.encode(
    JSON.stringify([meta.id, meta.destination, meta.source, meta.createdAt, meta.expiresAt, meta.state, meta.agent, meta.nextAttemptAt, meta.contactHint, meta.reportFlags, meta.storedAt]),
  );
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, m.length);
  const crc = crc32c(bytes, crc32c(m, crc32c(len)));
  return [header(JOURNAL_PUT, 4 + m.length + bytes.length, crc), len, m, bytes];
}

/** FORGET (the row is deleted) or SEEN (markSeen: only the id is remembered). */
export function forgetRecord(id: string, expiresAt: number, type: typeof JOURNAL_FORGET | typeof JOURNAL_SEEN = JOURNAL_FORGET): Uint8Array[] {
  const body = utf8.encode(JSON.stringify([id, expiresAt]));
  return [header(type, body.length, crc32c(body)), body];
}

const isInt = (x: unknown): x is number => Number.isSafeInteger(x);
const isText = (x: unknown): x is string => typeof x === 'string';
const textOrNull = (x: unknown): x is string | null => x === null || typeof x === 'string';

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(fromUtf8.decode(bytes));
  } catch {
    return undefined;
  }
}

function parsePutMeta(bytes: Uint8Array): JournalPutMeta | undefined {
  const a = parseJson(bytes);
  if (!Array.isArray(a) || a.length !== 11) return undefined;
  const [id, destination, source, createdAt, expiresAt, state, agent, nextAttemptAt, contactHint, reportFlags, storedAt] = a as unknown[];
  if (!isText(id) || !isText(destination) || !isText(source) || !isInt(createdAt) || !isInt(expiresAt)) return undefined;
  if (!BUNDLE_STATES.includes(state as BundleState) || !textOrNull(agent) || !(nextAttemptAt === null || isInt(nextAttemptAt))) return undefined;
  if (!textOrNull(contactHint) || !isInt(reportFlags) || !isInt(storedAt)) return undefined;
  return { id, destination, source, createdAt, expiresAt, state: state as BundleState, agent, nextAttemptAt, contactHint, reportFlags, storedAt };
}

/**
 * The records of a journal's bytes, in order, up to the first damaged one; `validBytes` is where the
 * good part ends. What follows it is dropped with the rest: the store applies the records at open and
 * starts the journal empty (openJournal).
 */
export function parseJournal(data: Uint8Array): { readonly records: JournalRecord[]; readonly validBytes: number } {
  const records: JournalRecord[] = [];
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = 0;
  while (at + HEADER_BYTES <= data.length) {
    const type = view.getUint8(at);
    const length = view.getUint32(at + 1);
    const crc = view.getUint32(at + 5);
    if (length > LIMITS.bundleStoreJournalMaxRecordBytes || at + HEADER_BYTES + length > data.length) break;
    const body = data.subarray(at + HEADER_BYTES, at + HEADER_BYTES + length);
    if (crc32c(body) >>> 0 !== crc) break;
    let record: JournalRecord | undefined;
    if (type === JOURNAL_PUT && length >= 4) {
      const metaLength = view.getUint32(at + HEADER_BYTES);
      const meta = 4 + metaLength <= length ? parsePutMeta(body.subarray(4, 4 + metaLength)) : undefined;
      if (meta !== undefined) record = { type: JOURNAL_PUT, meta, bytes: body.subarray(4 + metaLength) };
    } else if (type === JOURNAL_FORGET || type === JOURNAL_SEEN) {
      const a = parseJson(body);
      if (Array.isArray(a) && a.length === 2 && isText(a[0]) && isInt(a[1])) record = { type, id: a[0], expiresAt: a[1] };
    }
    if (record === undefined) break;
    records.push(record);
    at += HEADER_BYTES + length;
  }
  return { records, validBytes: at };
}

export interface IntakeJournal {
  /** Append the buffers of whole records in one writev; throws (after cutting a partial write back) when the disk fails. */
  append(buffers: readonly Uint8Array[]): void;
  /** Empty the journal: everything in it was applied to the database. */
  truncate(): void;
  readonly bytes: number;
  close(): void;
}

/** The records an earlier run left in the journal at `path` (none when there is no file). */
export function readJournal(path: string): JournalRecord[] {
  let data: Uint8Array;
  try {
    data = readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return parseJournal(data).records;
}

/** Open the journal for appending; the caller has replayed and truncated it (an open store starts empty). */
export function openJournal(path: string): IntakeJournal {
  const fd = openSync(path, 'a');
  ftruncateSync(fd, 0);
  let length = 0;
  return {
    append(buffers) {
      let total = 0;
      for (const b of buffers) total += b.length;
      let written = 0;
      try {
        written = writevSync(fd, buffers as Uint8Array[]);
      } finally {
        if (written !== total) ftruncateSync(fd, length);
      }
      if (written !== total) throw new Error(`short write to the intake journal: ${written} of ${total} bytes`);
      length += total;
    },
    truncate() {
      ftruncateSync(fd, 0);
      length = 0;
    },
    get bytes() {
      return length;
    },
    close() {
      closeSync(fd);
    },
  };
}
