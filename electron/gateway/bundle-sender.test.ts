import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { err, ok } from '../../shared/errors';
import type { Result } from '../../shared/errors';
import { ascii } from '../../shared/test-support/vectors';
import type { BundleId } from '../services/aap-client/types';
import { createBundleSender } from './bundle-sender';
import { createGatewayStore } from './store/gateway-store';
import type { GatewayStore } from './store/gateway-store';
import type { GatewayLogEvent } from './types';

let dir: string;
let store: GatewayStore;

function setup(): void {
  dir = mkdtempSync(join(tmpdir(), 'farside-gw-sender-'));
  const s = createGatewayStore({ path: join(dir, 'gateway.db') });
  if (!s.ok) throw new Error(s.error.message);
  store = s.value;
}

afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const row = (origin: 'mail' | 'dsn', n: number) => ({ origin, destination: 'dtn://earth.dtn/email', messageId: `m${n}@x`, envid: null, recipients: 1, bsmtp: ascii(`EHLO x\r\nQUIT\r\n${n}`) });

describe('bundle sender', () => {
  it('hands every queued bundle of its origin to the node in order and records the bundle ID', async () => {
    setup();
    store.enqueueBundles([row('mail', 1), row('dsn', 2), row('mail', 3)], Date.now());
    const sent: string[] = [];
    const logs: GatewayLogEvent[] = [];
    const sender = createBundleSender({
      store,
      origin: 'mail',
      log: (e) => logs.push(e),
      sendBundle: (destination, payload): Promise<Result<BundleId>> => {
        sent.push(`${destination} ${new TextDecoder().decode(payload).slice(-1)}`);
        return Promise.resolve(ok({ source: 'dtn://mars.dtn/email', creationTime: 5, sequence: sent.length }));
      },
    });
    await sender.idle();
    expect(sent).toEqual(['dtn://earth.dtn/email 1', 'dtn://earth.dtn/email 3']);
    expect(store.getBundle(1)?.bundleId).toBe('dtn://mars.dtn/email 5 1');
    expect(store.getBundle(3)?.bundleId).toBe('dtn://mars.dtn/email 5 2');
    // the DSN row belongs to another sender
    expect(store.getBundle(2)?.bundleId).toBeNull();
    expect(logs.filter((e) => e.event === 'bundle-handed-over').map((e) => e['queueId'])).toEqual([1, 3]);
    await sender.stop();
  });

  it('retries a failed send with backoff and sends what is queued later after a kick', async () => {
    setup();
    store.enqueueBundles([row('dsn', 1)], Date.now());
    let calls = 0;
    const sender = createBundleSender({
      store,
      origin: 'dsn',
      log: () => undefined,
      retry: { initialMs: 50, maxMs: 100 },
      sendBundle: (): Promise<Result<BundleId>> => {
        calls++;
        return Promise.resolve(calls < 3 ? err('CONNECTION_CLOSED', 'node down') : ok({ source: 'dtn://m/', creationTime: 1, sequence: calls }));
      },
    });
    const deadline = Date.now() + 5_000;
    while (store.getBundle(1)?.bundleId === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(calls).toBe(3);
    expect(store.getBundle(1)).toMatchObject({ bundleId: 'dtn://m/ 1 3', attempts: 3 });
    store.enqueueBundles([row('dsn', 2)], Date.now());
    sender.kick();
    await sender.idle();
    expect(store.getBundle(2)?.bundleId).toBe('dtn://m/ 1 4');
    await sender.stop();
  });
});
