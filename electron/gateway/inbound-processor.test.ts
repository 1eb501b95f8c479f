/**
 * The trace fields as the inbound processor stores them (trace-fields.ts): written once at intake, so two
 * replays of one stored transaction — also across a restart — send the same bytes, while two transactions
 * differ; the X-Farside-Transaction tag is keyed by the store's own secret. The MTA is a port nothing
 * listens on: every delivery stays pending, as after a crash.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ok } from '../../shared/errors';
import { fieldValue, parseHeader } from '../../shared/mail/header-fields';
import { encodeBsmtp } from '../../shared/protocol/bsmtp';
import { ascii } from '../../shared/test-support/vectors';
import { LOOPBACK, freePort } from '../test-support/processes';
import { createInboundProcessor } from './inbound-processor';
import { createRelayPolicy } from './relay-policy';
import { planReplay } from './replay';
import { transactionTag } from './trace-fields';
import { createGatewayStore } from './store/gateway-store';
import type { GatewayStore } from './store/gateway-store';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function openStore(path: string): GatewayStore {
  const s = createGatewayStore({ path });
  if (!s.ok) throw new Error(s.error.message);
  return s.value;
}

const POSTFIX = new Map([['SIZE', '10240000'], ['8BITMIME', ''], ['DSN', '']]);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('inbound processor: trace fields of stored transactions', () => {
  it('replays one stored transaction byte for byte the same, across a restart, and two transactions differently', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'farside-gw-trace-'));
    dirs.push(dir);
    const path = join(dir, 'gateway.db');
    const policy = createRelayPolicy({ sources: ['dtn://earth.dtn/'], localDomains: ['mars.example'] });
    if (!policy.ok) throw new Error(policy.error.message);
    // the same Message-ID in both: the key is the transaction, not the message
    const message = 'Subject: twice\r\nMessage-ID: <same@earth.example>\r\n\r\nx\r\n';
    const payload = encodeBsmtp({
      ehlo: 'gw.earth.example',
      transactions: [
        { envelope: { mailFrom: 'alice@earth.example', size: 'auto', rcptTo: [{ address: 'bob@mars.example' }] }, message: ascii(message) },
        { envelope: { mailFrom: 'alice@earth.example', size: 'auto', rcptTo: [{ address: 'carol@mars.example' }] }, message: ascii(message) },
      ],
    });
    if (!payload.ok) throw new Error(payload.error.message);

    // a port bound a moment ago and closed again: it refuses connections
    const mta = { host: LOOPBACK, port: await freePort() };
    /** Take the bundle into the store at `at` and stop. */
    const take = async (at: GatewayStore): Promise<void> => {
      const processor = createInboundProcessor({
        mta,
        store: at,
        policy: policy.value,
        log: () => undefined,
        sendBundle: () => Promise.resolve(ok({ source: 'dtn://mars.dtn/email', creationTime: 1, sequence: 1 })),
        hostname: 'gw.mars.example',
        retry: { initialMs: 60_000, maxMs: 60_000 },
      });
      const r = processor.receive({ source: 'dtn://earth.dtn/email', bundleId: 'dtn://earth.dtn/email 848946031000 7', payload: payload.value, destination: 'dtn://mars.dtn/email' });
      expect(r.ok && r.value).toMatchObject({ outcome: 'accepted', deliveries: 2 });
      await processor.stop();
    };
    let store = openStore(path);
    await take(store);

    const replays = (s: GatewayStore): string[] => s.dueDeliveries(Number.MAX_SAFE_INTEGER, 10).map((d) => text(planReplay(d, POSTFIX).message));
    const first = replays(store);
    const second = replays(store);
    store.close();
    store = openStore(path);
    const afterRestart = replays(store);
    // the secret is the store's: a tag made after the reopen is the one stored before it
    const tags = [0, 1].map((i) => transactionTag(store.transactionSecret, 'dtn://earth.dtn/email 848946031000 7', i));
    store.close();

    expect(first).toHaveLength(2);
    expect(second).toEqual(first);
    expect(afterRestart).toEqual(first);
    const keys = first.map((m) => fieldValue(parseHeader(ascii(m)).fields, 'X-Farside-Transaction'));
    expect(keys).toEqual(tags);
    for (const k of keys) expect(k).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(keys).size).toBe(2);
    for (const m of first) {
      // the dedup field names no EID: the source is in the Received field only
      const field = m.split('\r\n').find((l) => l.startsWith('X-Farside-Transaction:'));
      expect(field).not.toContain('earth');
      expect(field).not.toContain('848946031000');
      // prepended, the message itself unchanged after it
      expect(m.startsWith('Received: from earth.dtn (dtn://earth.dtn/email) by gw.mars.example')).toBe(true);
      expect(m.endsWith(`\r\n${message}`)).toBe(true);
    }
    expect(first[0]).not.toBe(first[1]);
    // SIZE=auto announced the exact size (RFC 1870 §4); the replay announces the exact size of what it sends
    store = openStore(path);
    for (const d of store.dueDeliveries(Number.MAX_SAFE_INTEGER, 10)) {
      const plan = planReplay(d, POSTFIX);
      expect(plan.envelope.mailParams['SIZE']).toBe(String(plan.message.length));
    }
    store.close();

    // another gateway (its own store, so its own secret) taking the same bundle writes other tags
    const elsewhere = openStore(join(dir, 'elsewhere.db'));
    await take(elsewhere);
    const theirs = replays(elsewhere).map((m) => fieldValue(parseHeader(ascii(m)).fields, 'X-Farside-Transaction'));
    elsewhere.close();
    expect(theirs).toHaveLength(2);
    for (const t of theirs) expect(keys).not.toContain(t);
  });
});
