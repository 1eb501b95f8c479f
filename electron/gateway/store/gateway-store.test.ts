import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ascii } from '../../../shared/test-support/vectors';
import { createGatewayStore } from './gateway-store';
import type { GatewayStore, NewDelivery } from './gateway-store';

const dirs: string[] = [];
const open: GatewayStore[] = [];

function fresh(): string {
  const dir = mkdtempSync(join(tmpdir(), 'farside-gw-store-'));
  dirs.push(dir);
  return join(dir, 'gateway.db');
}

function openStore(path: string): GatewayStore {
  const s = createGatewayStore({ path });
  if (!s.ok) throw new Error(s.error.message);
  open.push(s.value);
  return s.value;
}

afterEach(() => {
  for (const s of open.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const delivery: NewDelivery = {
  bundleKey: 'dtn://earth.dtn/email 1000 1',
  source: 'dtn://earth.dtn/email',
  kind: 'mail',
  mailFrom: 'alice@earth.example',
  mailParams: { SIZE: '12', ENVID: 'e1' },
  recipients: [{ address: 'bob@mars.example', params: { NOTIFY: 'FAILURE' }, state: 'pending' }],
  message: ascii('Subject: x\r\n\r\nhi\r\n'),
  messageId: 'm1@earth.example',
  receivedAt: 1000,
  nextAttemptAt: 1000,
  // as trace-fields.ts writes it: the tag is an HMAC of the transaction's name, never the name itself
  trace:
    'Received: from earth.dtn (dtn://earth.dtn/email) by gw.mars.example\r\n' +
    ' (dtn://mars.dtn/email) with BSMTP id 3f2a9c1e7b5d4a60b1c2; Thu, 1 Jan 1970\r\n' +
    ' 00:00:01 +0000\r\n' +
    'X-Farside-Transaction: 9c0f5e2a7d41b38e6a0c1d2e3f405162\r\n',
};

describe('gateway store', () => {
  it('commits with synchronous=FULL in WAL mode (fsync before the 250 reply)', () => {
    // SQLite: synchronous 2 = FULL, the WAL is synced at every commit
    expect(openStore(fresh()).durability()).toEqual({ journalMode: 'wal', synchronous: 2 });
  });

  it('commits progress with synchronous=NORMAL only for that commit, and is back at FULL after it', () => {
    const s = openStore(fresh());
    let inside = -1;
    s.transaction(() => {
      s.recordReceived('k', 'src', 'accepted', 1);
      inside = s.durability().synchronous;
    }, 'process');
    // SQLite: 1 = NORMAL
    expect(inside).toBe(1);
    expect(s.durability().synchronous).toBe(2);
    expect(s.wasReceived('k')).toBe(true);
    s.transaction(() => {
      inside = s.durability().synchronous;
    });
    expect(inside).toBe(2);
  });

  it('queues bundles, hands them over once, and keeps everything across a reopen', () => {
    const path = fresh();
    const s = openStore(path);
    const [a, b] = s.enqueueBundles(
      [
        { origin: 'mail', destination: 'dtn://mars.dtn/email', messageId: 'm1@x', envid: 'e1', recipients: 2, bsmtp: ascii('EHLO a\r\nQUIT\r\n') },
        { origin: 'dsn', destination: 'dtn://earth.dtn/email', messageId: null, envid: null, recipients: 1, bsmtp: ascii('EHLO b\r\nQUIT\r\n') },
      ],
      500,
    );
    expect(a).toMatchObject({ origin: 'mail', destination: 'dtn://mars.dtn/email', size: 14, recipients: 2, queuedAt: 500, attempts: 0, bundleId: null });
    expect(s.dueBundles('mail', 500, 10).map((x) => x.id)).toEqual([a?.id]);
    expect(s.dueBundles('dsn', 499, 10)).toEqual([]);
    expect(s.nextBundleDueAt('dsn')).toBe(500);
    s.deferBundle(b!.id, 900);
    expect(s.dueBundles('dsn', 800, 10)).toEqual([]);
    s.markHandedOver(a!.id, 'dtn://earth.dtn/ 1000 1', 600);
    expect(s.queueDepth()).toEqual({ queued: 1, handedOver: 1 });
    s.close();

    const again = openStore(path);
    expect(again.getBundle(a!.id)?.bundleId).toBe('dtn://earth.dtn/ 1000 1');
    expect(new TextDecoder().decode(again.bundlePayload(b!.id))).toBe('EHLO b\r\nQUIT\r\n');
    expect(again.pendingBundles(10).map((x) => x.id)).toEqual([b?.id]);
    expect(again.getBundle(b!.id)?.attempts).toBe(1);
  });

  it('finds a handed-over bundle by the bundle ID recorded at hand-over (what a status report names), with an index', () => {
    const path = fresh();
    const s = openStore(path);
    const [a, b] = s.enqueueBundles(
      [
        { origin: 'mail', destination: 'dtn://mars.dtn/email', messageId: 'm1@x', envid: 'e1', recipients: 1, bsmtp: ascii('EHLO a\r\nQUIT\r\n') },
        { origin: 'dsn', destination: 'dtn://mars.dtn/email', messageId: null, envid: null, recipients: 1, bsmtp: ascii('EHLO b\r\nQUIT\r\n') },
      ],
      500,
    );
    expect(s.handedOverBundle('dtn://earth.dtn/email 1000 1')).toBeUndefined();
    s.markHandedOver(a!.id, 'dtn://earth.dtn/email 1000 1', 600);
    s.markHandedOver(b!.id, 'dtn://earth.dtn/email 1000 2', 600);
    expect(s.handedOverBundle('dtn://earth.dtn/email 1000 1')).toMatchObject({ id: a!.id, messageId: 'm1@x', origin: 'mail' });
    expect(s.handedOverBundle('dtn://earth.dtn/email 1000 2')).toMatchObject({ id: b!.id, origin: 'dsn' });
    expect(s.handedOverBundle('dtn://earth.dtn/email 1000 3')).toBeUndefined();
    s.close();
    const db = new Database(path, { readonly: true });
    const plan = db.prepare("EXPLAIN QUERY PLAN SELECT id FROM outbound WHERE bundle_id = 'x'").all() as { detail: string }[];
    db.close();
    expect(plan.map((p) => p.detail).join()).toContain('outbound_by_bundle');
  });

  it('adds the bundle ID index to a version-1 store written before it existed', () => {
    const path = fresh();
    openStore(path).close();
    const raw = new Database(path);
    raw.exec('DROP INDEX outbound_by_bundle');
    raw.close();
    openStore(path).close();
    const db = new Database(path, { readonly: true });
    const names = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").all() as { name: string }[]).map((r) => r.name);
    db.close();
    expect(names).toContain('outbound_by_bundle');
  });

  it('adds the trace column to a version-1 store written before it existed; its deliveries have no trace', () => {
    const path = fresh();
    openStore(path).close();
    const raw = new Database(path);
    raw.exec('ALTER TABLE deliveries DROP COLUMN trace');
    raw
      .prepare('INSERT INTO deliveries (bundle_key, source, kind, mail_from, mail_params, recipients, message, message_id, received_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run('k', 'dtn://earth.dtn/email', 'mail', '', '{}', '[]', Buffer.from('x'), null, 1, 1);
    raw.close();
    const s = openStore(path);
    expect(s.dueDeliveries(1, 10).map((d) => d.trace)).toEqual(['']);
    const id = s.addDelivery(delivery);
    expect(s.dueDeliveries(1000, 10).find((d) => d.id === id)?.trace).toBe(delivery.trace);
  });

  it('remembers received keys and (Message-ID, recipient) pairs across a reopen, case-insensitively', () => {
    const path = fresh();
    const s = openStore(path);
    s.transaction(() => {
      s.recordReceived('k1', 'dtn://earth.dtn/email', 'accepted', 100);
      s.recordSeen('m1@x', ['Bob@Mars.Example'], 100);
    });
    s.close();
    const again = openStore(path);
    expect(again.wasReceived('k1')).toBe(true);
    expect(again.wasReceived('k2')).toBe(false);
    expect([...again.seenRecipients('m1@x', ['bob@mars.example', 'carol@mars.example'])]).toEqual(['bob@mars.example']);
    expect(again.prune(101)).toEqual({ received: 1, seen: 1 });
    expect(again.wasReceived('k1')).toBe(false);
  });

  it('keeps deliveries with their recipient states until finished', () => {
    const path = fresh();
    const s = openStore(path);
    const id = s.addDelivery(delivery);
    expect(s.dueDeliveries(999, 10)).toEqual([]);
    const [d] = s.dueDeliveries(1000, 10);
    expect(d).toMatchObject({ ...delivery, id, attempts: 0, delayNotified: false, lastError: null });
    s.updateDelivery(id, {
      recipients: [{ ...delivery.recipients[0]!, state: 'failed', reply: '550 5.1.1 no', status: '5.1.1', fromMta: true }],
      attempts: 1,
      nextAttemptAt: 2000,
      delayNotified: true,
      lastError: 'x',
    });
    s.close();
    const again = openStore(path);
    expect(again.nextDeliveryDueAt()).toBe(2000);
    const [e] = again.dueDeliveries(2000, 10);
    expect(e?.recipients[0]).toEqual({ address: 'bob@mars.example', params: { NOTIFY: 'FAILURE' }, state: 'failed', reply: '550 5.1.1 no', status: '5.1.1', fromMta: true });
    expect(e?.delayNotified).toBe(true);
    expect(again.pendingDeliveries()).toBe(1);
    again.finishDelivery(id);
    expect(again.pendingDeliveries()).toBe(0);
    expect(again.nextDeliveryDueAt()).toBeNull();
  });

  it('rolls a failed transaction back whole', () => {
    const s = openStore(fresh());
    expect(() =>
      s.transaction(() => {
        s.recordReceived('k1', 'src', 'accepted', 1);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(s.wasReceived('k1')).toBe(false);
  });

  it('makes a 32-byte transaction secret at the first open and keeps it across reopens; each store has its own', () => {
    const path = fresh();
    const first = openStore(path);
    const secret = first.transactionSecret;
    expect(secret).toHaveLength(32);
    first.close();
    expect(openStore(path).transactionSecret).toEqual(secret);
    expect(openStore(fresh()).transactionSecret).not.toEqual(secret);
  });

  it('gives a store written before the secret existed one at its next open, and leaves its stored deliveries and their trace alone', () => {
    const path = fresh();
    const s = openStore(path);
    s.addDelivery(delivery);
    s.close();
    const raw = new Database(path);
    raw.exec('DROP TABLE secrets');
    raw.close();
    const again = openStore(path);
    expect(again.transactionSecret).toHaveLength(32);
    expect(again.dueDeliveries(1000, 10).map((d) => d.trace)).toEqual([delivery.trace]);
    again.close();
    expect(openStore(path).transactionSecret).toEqual(again.transactionSecret);
  });

  it('refuses a store whose transaction secret was damaged rather than make a new one', () => {
    const path = fresh();
    openStore(path).close();
    const raw = new Database(path);
    raw.prepare("UPDATE secrets SET value = ? WHERE name = 'transaction-tag'").run(Buffer.alloc(5));
    raw.close();
    const s = createGatewayStore({ path });
    expect(s.ok ? 'ok' : s.error.code).toBe('IO_ERROR');
  });

  it('refuses a store of another schema version', () => {
    const path = fresh();
    const db = new Database(path);
    db.pragma('user_version = 99');
    db.close();
    const s = createGatewayStore({ path });
    expect(s.ok ? 'ok' : s.error.code).toBe('UNSUPPORTED');
  });
});
