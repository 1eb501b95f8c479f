import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBundleStore, journalPathOf, olderJournalPathOf } from './bundle-store';
import { JOURNAL_FORGET, JOURNAL_PUT, JOURNAL_SEEN, forgetRecord, parseJournal, putRecord } from './intake-journal';
import type { JournalPutMeta } from './intake-journal';
import type { BundleStore, NewBundle } from './types';
import { crc32c as pureCrc32c } from '../../../shared/protocol/bpv7/crc';
import { concat } from '../../../shared/test-support/fuzz';

const T0 = Date.UTC(2026, 10, 25, 12);
const DAY = 86_400_000;

const meta = (id: string, extra: Partial<JournalPutMeta> = {}): JournalPutMeta => ({
  id,
  destination: 'dtn://mars.dtn/smtp',
  source: 'dtn://earth.dtn/smtp',
  createdAt: T0 - 1000,
  expiresAt: T0 + DAY,
  state: 'forward',
  agent: null,
  nextAttemptAt: null,
  contactHint: null,
  reportFlags: 0,
  storedAt: T0,
  ...extra,
});

const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

/** A bundle for store.put, 30 bytes. */
const entry = (id: string): NewBundle => ({ id, destination: 'dtn://mars.dtn/smtp', source: 'dtn://earth.dtn/smtp', createdAt: T0, expiresAt: T0 + DAY, state: 'forward', reportFlags: 0, bytes: bytes(30, id.length) });

/** The records of the journal file at `file` as "TYPE id" (none when there is no file). */
const records = (file: string): string[] =>
  existsSync(file) ? parseJournal(readFileSync(file)).records.map((r) => `${r.type === JOURNAL_PUT ? 'PUT' : r.type === JOURNAL_FORGET ? 'FORGET' : 'SEEN'} ${r.type === JOURNAL_PUT ? r.meta.id : r.id}`) : [];

const until = async (cond: () => boolean): Promise<void> => {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('intake journal records', () => {
  it('reads back PUT, FORGET and SEEN records in order, with their fields and bytes', () => {
    const withHints = meta('b', { state: 'deliver', agent: 'dtn://mars.dtn/smtp', nextAttemptAt: T0 + 5, contactHint: 'c1', reportFlags: 0x4000 });
    const data = concat([...putRecord(meta('a'), bytes(100, 1)), ...putRecord(withHints, bytes(0, 0)), ...forgetRecord('a', T0 + DAY), ...forgetRecord('x', T0 + 7, JOURNAL_SEEN)]);
    const { records, validBytes } = parseJournal(data);
    expect(validBytes).toBe(data.length);
    expect(records).toEqual([
      { type: JOURNAL_PUT, meta: meta('a'), bytes: bytes(100, 1) },
      { type: JOURNAL_PUT, meta: withHints, bytes: new Uint8Array(0) },
      { type: JOURNAL_FORGET, id: 'a', expiresAt: T0 + DAY },
      { type: JOURNAL_SEEN, id: 'x', expiresAt: T0 + 7 },
    ]);
  });

  it('the header is type, big-endian body length and the CRC-32C of the body', () => {
    const [header, body] = forgetRecord('a', 1);
    expect(new TextDecoder().decode(body)).toBe('["a",1]');
    const h = header ?? new Uint8Array(0);
    expect(Array.from(h.subarray(0, 5))).toEqual([2, 0, 0, 0, 7]);
    // the pure CRC-32C of shared/, checked against the RFC 3720 B.4 / RFC 9171 check values in its own tests
    expect(new DataView(h.buffer, h.byteOffset).getUint32(5)).toBe(pureCrc32c(body ?? new Uint8Array(0)) >>> 0);
  });

  it('stops at a torn tail: every cut of the last record keeps exactly the records before it', () => {
    const first = concat(putRecord(meta('a'), bytes(40, 3)));
    const second = concat(putRecord(meta('b'), bytes(40, 4)));
    const all = concat([first, second]);
    for (let cut = first.length; cut < all.length; cut++) {
      const r = parseJournal(all.subarray(0, cut));
      expect(r.records.map((x) => (x.type === JOURNAL_PUT ? x.meta.id : x.id))).toEqual(['a']);
      expect(r.validBytes).toBe(first.length);
    }
  });

  it('stops at a damaged record (CRC) and at an unknown type, keeping what came before', () => {
    const first = concat(forgetRecord('a', 1));
    const second = concat(putRecord(meta('b'), bytes(10, 1)));
    const damaged = concat([first, second]);
    damaged[damaged.length - 1] = (damaged[damaged.length - 1] ?? 0) ^ 1;
    expect(parseJournal(damaged).records).toHaveLength(1);
    const unknown = concat([first, second]);
    unknown[first.length] = 9;
    expect(parseJournal(unknown)).toEqual({ records: [{ type: JOURNAL_FORGET, id: 'a', expiresAt: 1 }], validBytes: first.length });
  });
});

describe('the store replays its journal at open', () => {
  let dir: string;
  let path: string;
  const opened: BundleStore[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'farside-journal-'));
    path = join(dir, 'bundles.db');
  });
  afterEach(() => {
    for (const s of opened.splice(0)) s.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const open = (journal = true, journalRotateMs?: number): BundleStore => {
    const r = createBundleStore({ path, maxBytes: 1 << 20, maxBundles: 100, clock: () => T0, journal, ...(journalRotateMs === undefined ? {} : { journalRotateMs }) });
    if (!r.ok) throw new Error(r.error.message);
    opened.push(r.value);
    return r.value;
  };
  const close = (s: BundleStore): void => {
    s.close();
    opened.splice(opened.indexOf(s), 1);
  };

  it('what a crash left (records written, no checkpoint) is applied in order; a torn tail is ignored', () => {
    close(open()); // creates the database
    const journal = concat([
      ...putRecord(meta('a'), bytes(50, 1)),
      ...putRecord(meta('b', { state: 'deliver', agent: 'dtn://mars.dtn/smtp' }), bytes(60, 2)),
      ...forgetRecord('a', T0 + DAY),
      ...forgetRecord('x', T0 + DAY, JOURNAL_SEEN),
    ]);
    const torn = concat(putRecord(meta('c'), bytes(70, 3))).subarray(0, 30);
    writeFileSync(journalPathOf(path), concat([journal, torn]));
    const s = open();
    expect(s.recovery.journalReplayed).toBe(4);
    expect(s.get('a').ok).toBe(false);
    const b = s.get('b');
    expect(b.ok && { bytes: b.value.bytes, state: b.value.state, agent: b.value.agent }).toEqual({ bytes: bytes(60, 2), state: 'deliver', agent: 'dtn://mars.dtn/smtp' });
    expect([s.has('a'), s.has('b'), s.has('x'), s.has('c')]).toEqual([true, true, true, false]);
    expect(s.usage().bundles).toBe(1);
    // applied and emptied at open
    expect(readFileSync(journalPathOf(path)).length).toBe(0);
  });

  it('replaying a journal that a checkpoint had applied already (crash before the truncate) changes nothing', () => {
    const s = open();
    s.put(entry('a'));
    s.put(entry('b'));
    s.delete('a');
    s.flushDeletes();
    const written = readFileSync(journalPathOf(path));
    expect(parseJournal(written).records.map((r) => r.type)).toEqual([JOURNAL_PUT, JOURNAL_PUT, JOURNAL_FORGET]);
    s.checkpoint();
    expect(readFileSync(journalPathOf(path)).length).toBe(0);
    close(s);
    appendFileSync(journalPathOf(path), written);
    const again = open();
    expect(again.recovery.journalReplayed).toBe(3);
    expect([again.get('a').ok, again.get('b').ok, again.has('a')]).toEqual([false, true, true]);
    expect(again.usage().bundles).toBe(1);
  });

  it('a store opened without the journal still applies one left by an earlier run, then removes it', () => {
    close(open());
    writeFileSync(journalPathOf(path), concat(putRecord(meta('a'), bytes(20, 1))));
    const s = open(false);
    expect(s.recovery.journalReplayed).toBe(1);
    expect(s.get('a').ok).toBe(true);
    expect(() => readFileSync(journalPathOf(path))).toThrow();
  });

  it('two generations: a record moves to the older file at a rotation and reaches SQLite at the next', async () => {
    const s = open(true, 100);
    s.put(entry('a'));
    expect(records(journalPathOf(path))).toEqual(['PUT a']);
    expect(records(olderJournalPathOf(path))).toEqual([]);
    await until(() => records(olderJournalPathOf(path)).length > 0);
    expect(records(olderJournalPathOf(path))).toEqual(['PUT a']);
    expect(records(journalPathOf(path))).toEqual([]);
    // deleted while in the older generation: its FORGET goes to the current one
    expect(s.delete('a')).toBe(true);
    s.flushDeletes();
    expect(records(journalPathOf(path))).toEqual(['FORGET a']);
    await until(() => !existsSync(olderJournalPathOf(path)) || records(olderJournalPathOf(path)).join() === 'FORGET a');
    expect([s.get('a').ok, s.has('a')]).toEqual([false, true]);
    close(s);
    const again = open();
    expect([again.get('a').ok, again.has('a'), again.recovery.journalReplayed]).toEqual([false, true, 0]);
  });

  it('a crash with both generations on disk replays the older first, then the current', () => {
    close(open());
    writeFileSync(olderJournalPathOf(path), concat([...putRecord(meta('a'), bytes(10, 1)), ...putRecord(meta('b'), bytes(10, 2))]));
    writeFileSync(journalPathOf(path), concat([...forgetRecord('a', T0 + DAY), ...putRecord(meta('c'), bytes(10, 3))]));
    const s = open();
    expect(s.recovery.journalReplayed).toBe(4);
    expect([s.get('a').ok, s.get('b').ok, s.get('c').ok, s.has('a')]).toEqual([false, true, true, true]);
    expect(existsSync(olderJournalPathOf(path))).toBe(false);
    expect(readFileSync(journalPathOf(path)).length).toBe(0);
  });
});
