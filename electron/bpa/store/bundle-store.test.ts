import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LIMITS } from '../../../shared/protocol/limits';
import { createBundleStore } from './bundle-store';
import type { BundleStore, BundleStoreOptions, NewBundle } from './types';

const T0 = Date.UTC(2026, 10, 25, 12);
const DAY = 86_400_000;

let dir: string;
let now: number;
const clock = (): number => now;
const open: BundleStore[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'farside-store-'));
  now = T0;
});

afterEach(() => {
  for (const s of open.splice(0)) s.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Every case runs with the intake journal (the default) and without it (each put its own commit). */
let journal = true;

function openStore(opts: Partial<BundleStoreOptions> = {}): BundleStore {
  // The journal's generations rotate every 20 ms here (2.5 s in the BPA), so that timed cases stay short.
  const r = createBundleStore({ path: join(dir, 'bundles.db'), maxBytes: 1 << 20, maxBundles: 100, clock, inlineMaxBytes: 64, journal, journalRotateMs: 20, ...opts });
  if (!r.ok) throw new Error(r.error.message);
  open.push(r.value);
  return r.value;
}

function reopen(store: BundleStore, opts: Partial<BundleStoreOptions> = {}): BundleStore {
  store.close();
  open.splice(open.indexOf(store), 1);
  return openStore(opts);
}

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

function bundle(id: string, extra: Partial<NewBundle> = {}): NewBundle {
  return {
    id,
    destination: 'dtn://mars.dtn/smtp',
    source: 'dtn://earth.dtn/smtp',
    createdAt: T0 - 1000,
    expiresAt: T0 + DAY,
    state: 'forward',
    reportFlags: 0,
    bytes: bytes(32, id.length),
    ...extra,
  };
}

/** With the journal, what was committed reaches SQLite at the next rotation or checkpoint; force it. */
function applied(store: BundleStore): void {
  if (journal) store.checkpoint();
}

const codeOf = (r: { ok: boolean; error?: { code: string } }): string => (r.ok ? 'ok' : (r.error?.code ?? '?'));

describe.each([true, false])('journal %s', (withJournal) => {
  beforeEach(() => {
    journal = withJournal;
  });

  describe('put and get', () => {
    it('keeps bytes and metadata, inside the database and in blob files', () => {
      const store = openStore();
      const small = bundle('a 1 1', { bytes: bytes(64, 1), agent: 'dtn://mars.dtn/smtp', state: 'deliver', reportFlags: 0x40000, nextAttemptAt: T0 + 5, contactHint: 'c1' });
      const large = bundle('a 1 2', { bytes: bytes(65, 2) });
      expect(codeOf(store.put(small))).toBe('ok');
      expect(codeOf(store.put(large))).toBe('ok');
      const a = store.get('a 1 1');
      const b = store.get('a 1 2');
      expect(a.ok && a.value).toEqual({
        id: 'a 1 1',
        destination: 'dtn://mars.dtn/smtp',
        source: 'dtn://earth.dtn/smtp',
        createdAt: T0 - 1000,
        expiresAt: T0 + DAY,
        size: 64,
        state: 'deliver',
        agent: 'dtn://mars.dtn/smtp',
        nextAttemptAt: T0 + 5,
        contactHint: 'c1',
        reportFlags: 0x40000,
        storedAt: T0,
        bytes: bytes(64, 1),
      });
      expect(b.ok && [b.value.size, b.value.bytes]).toEqual([65, bytes(65, 2)]);
      expect(b.ok && Object.getPrototypeOf(b.value.bytes)).toBe(Uint8Array.prototype);
      expect(readdirSync(join(dir, 'bundles.db.blobs'))).toEqual(['2.bundle']);
    });

    it('refuses a second put of the same id, an expired bundle and bad entries', () => {
      const store = openStore();
      expect(codeOf(store.put(bundle('x')))).toBe('ok');
      expect(codeOf(store.put(bundle('x')))).toBe('CONFLICT');
      expect(codeOf(store.put(bundle('y', { expiresAt: T0 })))).toBe('EXPIRED');
      expect(codeOf(store.put(bundle('', {})))).toBe('INVALID_ARGUMENT');
      expect(codeOf(store.put(bundle('z', { state: 'queued' as unknown as 'forward' })))).toBe('INVALID_ARGUMENT');
      expect(codeOf(store.put(bundle('z', { expiresAt: Number.NaN })))).toBe('INVALID_ARGUMENT');
      expect(store.usage().bundles).toBe(1);
    });

    it('takes the bytes as gather parts too: stored as their concatenation, inline and in blob files', () => {
      const store = openStore();
      const small = [bytes(10, 1), new Uint8Array(0), bytes(20, 2)];
      const large = [bytes(30, 3), bytes(5000, 4), bytes(3, 5)];
      expect(codeOf(store.put(bundle('small', { bytes: small })))).toBe('ok');
      expect(codeOf(store.put(bundle('large', { bytes: large })))).toBe('ok');
      const s = store.get('small');
      const l = store.get('large');
      expect(s.ok && [s.value.size, Buffer.from(s.value.bytes).equals(Buffer.concat(small))]).toEqual([30, true]);
      expect(l.ok && [l.value.size, Buffer.from(l.value.bytes).equals(Buffer.concat(large))]).toEqual([5033, true]);
      expect(readdirSync(join(dir, 'bundles.db.blobs'))).toEqual(['2.bundle']);
      expect(store.usage().bytes).toBe(5063);
    });

    it('putAll: one result per entry, in order; the accepted ones stored together', () => {
      let store = openStore({ maxBundles: 5 });
      expect(codeOf(store.put(bundle('old')))).toBe('ok');
      const results = store.putAll([
        bundle('a', { bytes: bytes(1000, 1) }),
        bundle('expired', { expiresAt: T0 }),
        bundle('old'),
        bundle('b'),
        bundle('c'),
        bundle('d'),
        bundle('e'),
      ]);
      // 'old' is stored already (CONFLICT: the group is put again entry by entry to tell which); the
      // store holds 5 at most, so the last one is refused.
      expect(results.map(codeOf)).toEqual(['ok', 'EXPIRED', 'CONFLICT', 'ok', 'ok', 'ok', 'STORE_FULL']);
      expect(store.usage().bundles).toBe(5);
      store = reopen(store, { maxBundles: 5 });
      expect(['old', 'a', 'b', 'c', 'd', 'e'].map((id) => store.get(id).ok)).toEqual([true, true, true, true, true, false]);
      const a = store.get('a');
      expect(a.ok && a.value.bytes).toEqual(bytes(1000, 1));
      expect(readdirSync(join(dir, 'bundles.db.blobs'))).toHaveLength(1);
    });

    it('get of a missing bundle is NOT_FOUND', () => {
      expect(codeOf(openStore().get('nope'))).toBe('NOT_FOUND');
    });

    it('survives close and reopen, counters included', () => {
      let store = openStore();
      store.put(bundle('a', { bytes: bytes(10, 1) }));
      store.put(bundle('b', { bytes: bytes(100, 2) }));
      store.delete('a');
      store = reopen(store);
      expect(store.usage()).toEqual({ bundles: 1, bytes: 100, maxBytes: 1 << 20, maxBundles: 100 });
      const b = store.get('b');
      expect(b.ok && b.value.bytes).toEqual(bytes(100, 2));
      expect(store.has('a')).toBe(true);
      expect(codeOf(store.put(bundle('c', { bytes: bytes(100, 3) })))).toBe('ok');
      expect(readdirSync(join(dir, 'bundles.db.blobs')).sort()).toEqual(['2.bundle', '3.bundle']);
    });
  });

  describe('limits', () => {
    it('STORE_FULL by count, with the numbers', () => {
      const store = openStore({ maxBundles: 2 });
      store.put(bundle('a'));
      store.put(bundle('b'));
      const r = store.put(bundle('c'));
      expect(r.ok || r.error).toEqual({
        code: 'STORE_FULL',
        message: 'bundle store full: 2 bundles, 64 bytes held; limits 2 bundles, 1048576 bytes; refused 32-byte bundle c',
      });
      store.delete('a');
      expect(codeOf(store.put(bundle('c')))).toBe('ok');
    });

    it('STORE_FULL by bytes; exactly full is allowed', () => {
      const store = openStore({ maxBytes: 100 });
      expect(codeOf(store.put(bundle('a', { bytes: bytes(60, 0) })))).toBe('ok');
      expect(codeOf(store.put(bundle('b', { bytes: bytes(41, 0) })))).toBe('STORE_FULL');
      expect(codeOf(store.put(bundle('b', { bytes: bytes(40, 0) })))).toBe('ok');
      expect(store.usage()).toEqual({ bundles: 2, bytes: 100, maxBytes: 100, maxBundles: 100 });
    });
  });

  describe('update, delete and lists', () => {
    it('lists by state, destination node, agent and contact, oldest first', () => {
      const store = openStore();
      store.put(bundle('1', { destination: 'dtn://mars.dtn/smtp', contactHint: 'c1' }));
      store.put(bundle('2', { destination: 'dtn://venus.dtn/smtp' }));
      store.put(bundle('3', { destination: 'dtn://mars.dtn/other', contactHint: 'c1' }));
      store.put(bundle('4', { destination: 'dtn://earth.dtn/smtp', state: 'deliver', agent: 'dtn://earth.dtn/smtp' }));
      store.put(bundle('5', { destination: 'ipn:2.25', state: 'reassembly' }));
      store.put(bundle('6', { destination: 'dtn://earth.dtn/smtp', state: 'deliver', agent: 'dtn://earth.dtn/smtp' }));
      const ids = (list: { id: string }[]): string[] => list.map((m) => m.id);
      expect(ids(store.listByState('forward'))).toEqual(['1', '2', '3']);
      expect(ids(store.listByState('reassembly'))).toEqual(['5']);
      expect(ids(store.listForDestinationNode('dtn://mars.dtn/'))).toEqual(['1', '3']);
      expect(ids(store.listForDestinationNode('dtn://mars.dtn'))).toEqual(['1', '3']);
      expect(ids(store.listForDestinationNode('ipn:2.0'))).toEqual(['5']);
      expect(ids(store.listForAgent('dtn://earth.dtn/smtp'))).toEqual(['4', '6']);
      expect(ids(store.listForContact('c1'))).toEqual(['1', '3']);
    });

    it('update changes state and hints, null clears them', () => {
      const store = openStore();
      store.put(bundle('1', { contactHint: 'c1', nextAttemptAt: T0 + 1 }));
      expect(codeOf(store.update('1', { state: 'deliver', agent: 'dtn://mars.dtn/smtp', contactHint: null, nextAttemptAt: null }))).toBe('ok');
      const r = store.get('1');
      expect(r.ok && [r.value.state, r.value.agent, r.value.contactHint, r.value.nextAttemptAt]).toEqual(['deliver', 'dtn://mars.dtn/smtp', undefined, undefined]);
      expect(codeOf(store.update('2', { state: 'deliver' }))).toBe('NOT_FOUND');
      expect(codeOf(store.update('2', {}))).toBe('NOT_FOUND');
      expect(codeOf(store.update('1', { state: 'gone' as unknown as 'forward' }))).toBe('INVALID_ARGUMENT');
    });

    it('delete removes row, counters and blob file (the file once the delete is committed)', () => {
      const store = openStore();
      store.put(bundle('big', { bytes: bytes(1000, 9) }));
      expect(store.delete('big')).toBe(true);
      expect(store.delete('big')).toBe(false);
      expect(store.usage().bytes).toBe(0);
      expect(codeOf(store.get('big'))).toBe('NOT_FOUND');
      expect(readdirSync(join(dir, 'bundles.db.blobs'))).toEqual(['1.bundle']);
      store.flushDeletes();
      expect(readdirSync(join(dir, 'bundles.db.blobs'))).toEqual([]);
    });

    it('a deferred delete is gone for every reader at once; a put of the same id commits it', () => {
      let store = openStore();
      store.put(bundle('a', { bytes: bytes(1000, 1) }));
      store.put(bundle('b'));
      expect(store.delete('a')).toBe(true);
      expect(codeOf(store.get('a'))).toBe('NOT_FOUND');
      expect(codeOf(store.update('a', { state: 'deliver' }))).toBe('NOT_FOUND');
      expect(store.has('a')).toBe(true);
      expect(store.listByState('forward').map((m) => m.id)).toEqual(['b']);
      // The same id may be stored again before the delete was committed: no CONFLICT, the new bytes win.
      expect(store.delete('b')).toBe(true);
      expect(codeOf(store.put(bundle('b', { bytes: bytes(2000, 2) })))).toBe('ok');
      expect(readdirSync(join(dir, 'bundles.db.blobs'))).toEqual(['3.bundle']);
      store = reopen(store);
      expect(codeOf(store.get('a'))).toBe('NOT_FOUND');
      const b = store.get('b');
      expect(b.ok && b.value.bytes).toEqual(bytes(2000, 2));
      expect(store.usage().bundles).toBe(1);
    });

    it('a delete asked to go with the next write is committed by the next put', () => {
      const store = openStore();
      store.put(bundle('kept-for-later', { bytes: bytes(1000, 1) }));
      store.put(bundle('delivered', { bytes: bytes(1000, 2) }));
      store.delete('kept-for-later');
      store.put(bundle('c'));
      // Without the journal a lone put leaves an ordinary delete waiting (batched, DELETE_BATCH); with it,
      // every put appends the waiting FORGETs first, and a blob file goes once its FORGET is written.
      expect(readdirSync(join(dir, 'bundles.db.blobs')).sort()).toEqual(journal ? ['2.bundle'] : ['1.bundle', '2.bundle']);
      store.delete('delivered', { withNextWrite: true });
      store.put(bundle('d'));
      expect(readdirSync(join(dir, 'bundles.db.blobs'))).toEqual([]);
      expect([store.has('kept-for-later'), store.has('delivered'), store.has('c'), store.has('e')]).toEqual([true, true, true, false]);
    });

    it('an idle store commits its deferred deletes within a moment', async () => {
      const store = openStore();
      store.put(bundle('big', { bytes: bytes(1000, 9) }));
      store.delete('big');
      expect(readdirSync(join(dir, 'bundles.db.blobs'))).toEqual(['1.bundle']);
      const deadline = Date.now() + 2000;
      while (readdirSync(join(dir, 'bundles.db.blobs')).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(readdirSync(join(dir, 'bundles.db.blobs'))).toEqual([]);
    });
  });

  describe('expiry and duplicates', () => {
    it('expire returns and deletes what has expired, and nextExpiry tells when the next one does', () => {
      const store = openStore();
      store.put(bundle('short', { expiresAt: T0 + 1000, reportFlags: 0x40000, bytes: bytes(500, 1) }));
      store.put(bundle('long', { expiresAt: T0 + DAY }));
      expect(store.nextExpiry()).toBe(T0 + 1000);
      expect(store.expire(T0 + 999)).toEqual([]);
      const gone = store.expire(T0 + 1000);
      expect(gone.map((m) => [m.id, m.reportFlags, m.size])).toEqual([['short', 0x40000, 500]]);
      expect(codeOf(store.get('short'))).toBe('NOT_FOUND');
      expect(store.usage()).toEqual({ bundles: 1, bytes: 32, maxBytes: 1 << 20, maxBundles: 100 });
      expect(store.nextExpiry()).toBe(T0 + DAY);
      expect(readdirSync(join(dir, 'bundles.db.blobs'))).toEqual([]);
    });

    it('has() suppresses duplicates after delivery until the bundle would have expired', () => {
      let store = openStore();
      store.put(bundle('b1', { expiresAt: T0 + 5000 }));
      expect(store.has('b1')).toBe(true);
      store.delete('b1');
      expect(store.has('b1')).toBe(true);
      store.markSeen('reassembled 0 3113', T0 + 7000);
      store = reopen(store);
      expect([store.has('b1'), store.has('reassembled 0 3113'), store.has('other')]).toEqual([true, true, false]);
      store.expire(T0 + 5000);
      expect([store.has('b1'), store.has('reassembled 0 3113')]).toEqual([false, true]);
      store.expire(T0 + 7000);
      expect(store.has('reassembled 0 3113')).toBe(false);
    });

    it('forgets the earliest-expiring ids beyond maxSeenIds', () => {
      const store = openStore({ maxSeenIds: 100 });
      for (let i = 0; i < 100; i++) store.markSeen(`id ${i}`, T0 + 1000 + i);
      expect([store.has('id 0'), store.has('id 99')]).toEqual([true, true]);
      store.markSeen('id 100', T0 + 1000 + 100);
      applied(store);
      // One over the limit: the earliest-expiring 1% plus the excess go.
      expect([store.has('id 0'), store.has('id 1'), store.has('id 2'), store.has('id 100')]).toEqual([false, false, true, true]);
    });

    it('seen keeps the latest expiry', () => {
      const store = openStore();
      store.markSeen('x', T0 + 9000);
      store.markSeen('x', T0 + 1000);
      store.expire(T0 + 5000);
      expect(store.has('x')).toBe(true);
    });
  });

  describe('opening', () => {
    it('removes blob files without rows and drops rows without files', () => {
      let store = openStore();
      store.put(bundle('kept', { bytes: bytes(100, 1) }));
      store.put(bundle('lost', { bytes: bytes(100, 2) }));
      store.close();
      open.splice(0);
      const blobs = join(dir, 'bundles.db.blobs');
      rmSync(join(blobs, '2.bundle'));
      writeFileSync(join(blobs, '7.bundle'), 'orphan');
      writeFileSync(join(blobs, '8.tmp'), 'half');
      store = openStore();
      expect(store.recovery).toEqual({ orphanFilesRemoved: 2, rowsWithoutFile: ['lost'], journalReplayed: 0 });
      expect(readdirSync(blobs)).toEqual(['1.bundle']);
      expect(store.usage().bundles).toBe(1);
      const kept = store.get('kept');
      expect(kept.ok && kept.value.bytes).toEqual(bytes(100, 1));
    });

    it('refuses a database of another schema version and a path it cannot create', () => {
      const db = new Database(join(dir, 'bundles.db'));
      db.pragma('user_version = 99');
      db.close();
      const r = createBundleStore({ path: join(dir, 'bundles.db'), maxBytes: 1, maxBundles: 1, clock });
      expect(r.ok || r.error.code).toBe('IO_ERROR');
      writeFileSync(join(dir, 'file'), '');
      const s = createBundleStore({ path: join(dir, 'file', 'bundles.db'), maxBytes: 1, maxBundles: 1, clock });
      expect(s.ok || s.error.code).toBe('IO_ERROR');
    });

    it('is the only user of its database while open: a second store on the same path is refused', () => {
      const first = openStore();
      expect(codeOf(first.put(bundle('a')))).toBe('ok');
      const second = createBundleStore({ path: join(dir, 'bundles.db'), maxBytes: 1 << 20, maxBundles: 100, clock });
      expect(second.ok || second.error.code).toBe('IO_ERROR');
      const again = reopen(first);
      expect(again.get('a').ok).toBe(true);
    });

    it('an inline bundle too large for one journal record survives a crash, and so does the put after it', () => {
      const big = bytes(LIMITS.bundleStoreJournalMaxRecordBytes + 1, 7);
      const store = openStore({ inlineMaxBytes: Number.POSITIVE_INFINITY, maxBytes: 2 * big.length });
      expect(codeOf(store.put(bundle('big', { bytes: big })))).toBe('ok');
      expect(codeOf(store.put(bundle('after')))).toBe('ok');
      // A copy of the files taken while the store is open is what kill -9 would leave: the database, its
      // WAL and the intake journal as written, nothing closed or checkpointed.
      const crashed = join(dir, 'crashed');
      for (const name of readdirSync(dir)) cpSync(join(dir, name), join(crashed, name), { recursive: true });
      const again = openStore({ path: join(crashed, 'bundles.db'), inlineMaxBytes: Number.POSITIVE_INFINITY, maxBytes: 2 * big.length });
      const b = again.get('big');
      expect(b.ok && b.value.size).toBe(big.length);
      expect(b.ok && Buffer.compare(b.value.bytes, big)).toBe(0);
      expect(again.get('after').ok).toBe(true);
      expect(again.usage().bundles).toBe(2);
    });

    it("durability 'power' works the same (synchronous=FULL, fsynced blob files)", () => {
      const store = openStore({ durability: 'power' });
      expect(codeOf(store.put(bundle('a', { bytes: bytes(1000, 4) })))).toBe('ok');
      const a = store.get('a');
      expect(a.ok && a.value.bytes).toEqual(bytes(1000, 4));
    });
  });
});
