/**
 * SMTP's hand-off window (RFC 1047) closed at the mailbox, with the real Postfix and Dovecot (Pigeonhole
 * Sieve, mailbox-dedupe.ts) of a mail stack: the same stored transaction handed to Postfix twice lands once
 * in the IMAP inbox; two transactions that share a Message-ID both land; mail that did not come through the
 * gateway is left alone.
 *
 * The crash is simulated by its effect on the store, not by timing a kill: a crash after the MTA's 250 and
 * before the commit that records it leaves the store as it was before the attempt (settle() never
 * committed). So the store is copied while the delivery is pending (Postfix stopped), the delivery is made
 * from the original, and then a new processor — the restarted gateway — opens the copy and replays the
 * same row through the ordinary replay path. crash.int.test.ts does the same with real kill -9.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok } from '../../shared/errors';
import { encodeBsmtpMessage } from '../../shared/protocol/bsmtp';
import { ascii } from '../../shared/test-support/vectors';
import { createInboundProcessor } from './inbound-processor';
import type { InboundProcessor } from './inbound-processor';
import { createRelayPolicy } from './relay-policy';
import { createGatewayStore } from './store/gateway-store';
import type { GatewayStore } from './store/gateway-store';
import { transactionTag } from './trace-fields';
import { readInbox } from './test-support/mailstack/imap';
import { readPostfixLedger, readSieveDiscards } from './test-support/mailstack/logs';
import { startMailStack } from './test-support/mailstack/mailstack';
import type { MailStack } from './test-support/mailstack/mailstack';
import { LOOPBACK, sleep } from './test-support/mailstack/processes';
import type { GatewayLogEvent } from './types';

const EARTH = 'dtn://earth.dtn/email';

let dir: string;
let stack: MailStack;
const logs: GatewayLogEvent[] = [];
const open: { processor: InboundProcessor; store: GatewayStore }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'farside-gw-dedupe-'));
  stack = await startMailStack({ domain: 'mars.example', users: ['bob', 'carol'] });
});

afterAll(async () => {
  for (const g of open.splice(0)) {
    await g.processor.stop();
    g.store.close();
  }
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A gateway's inbound half on the store at `path` (a restart is a new one on the same file). */
function gateway(path: string): { processor: InboundProcessor; store: GatewayStore } {
  const s = createGatewayStore({ path });
  if (!s.ok) throw new Error(s.error.message);
  const policy = createRelayPolicy({ sources: ['dtn://earth.dtn/'], localDomains: ['mars.example'] });
  if (!policy.ok) throw new Error(policy.error.message);
  const processor = createInboundProcessor({
    mta: { host: LOOPBACK, port: stack.smtpPort },
    store: s.value,
    policy: policy.value,
    log: (e) => logs.push(e),
    sendBundle: () => Promise.resolve(ok({ source: 'dtn://mars.dtn/email', creationTime: 1, sequence: 1 })),
    hostname: 'gw.mars.example',
    retry: { initialMs: 100, maxMs: 400 },
    replyTimeoutMs: 10_000,
  });
  const g = { processor, store: s.value };
  open.push(g);
  return g;
}

async function close(g: { processor: InboundProcessor; store: GatewayStore }): Promise<void> {
  open.splice(open.indexOf(g), 1);
  await g.processor.stop();
  g.store.close();
}

function bsmtp(to: string, subject: string, messageId: string): Uint8Array {
  const b = encodeBsmtpMessage({
    ehlo: 'gw.earth.example',
    envelope: { mailFrom: 'alice@earth.example', size: 'auto', rcptTo: [{ address: to }] },
    message: ascii(`From: alice@earth.example\r\nTo: ${to}\r\nSubject: ${subject}\r\nMessage-ID: <${messageId}>\r\n\r\n${subject}\r\n`),
  });
  if (!b.ok) throw new Error(b.error.message);
  return b.value;
}

async function withSubject(user: string, subject: string): Promise<string[]> {
  return (await readInbox(stack, user)).filter((m) => m.source.includes(`\r\nSubject: ${subject}\r\n`)).map((m) => m.source);
}

async function until(what: string, f: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await f())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last logs: ${JSON.stringify(logs.slice(-6))}`);
    await sleep(50);
  }
}

/** Postfix's LMTP deliveries (status=sent) of the message with this Message-ID, to each of its recipients, from its log. */
function lmtpDeliveries(messageId: string): number {
  let n = 0;
  for (const [key, copies] of readPostfixLedger(stack.logs.postfix).copies) if (key.startsWith(`<${messageId}> `)) n += copies.length;
  return n;
}

/** Dovecot's Sieve discards of the message with this Message-ID, for each of its recipients, from its log. */
function sieveDiscards(messageId: string): number {
  let n = 0;
  for (const [key, count] of readSieveDiscards(stack.logs.dovecot)) if (key.startsWith(`<${messageId}> `)) n += count;
  return n;
}

/** Copy a closed store (with the WAL left beside it, if there is one). */
function copyStore(from: string, to: string): void {
  for (const suffix of ['', '-wal', '-shm']) if (existsSync(from + suffix)) copyFileSync(from + suffix, to + suffix);
}

describe('mailbox de-duplication of gateway transactions (Postfix → LMTP → Dovecot Sieve duplicate)', () => {
  it('lands a transaction replayed after a crash between the MTA 250 and the commit once in the inbox, though Postfix delivered it twice', async () => {
    const path = join(dir, 'gateway.db');
    const snapshot = join(dir, 'crashed.db');
    // the delivery stored and pending: Postfix is away, so the first attempt fails before a hand-off
    await stack.stopPostfix();
    let g = gateway(path);
    const tag = transactionTag(g.store.transactionSecret, `${EARTH} 848946031000 1`, 0);
    const r = g.processor.receive({ source: EARTH, bundleId: `${EARTH} 848946031000 1`, payload: bsmtp('bob@mars.example', 'crash window', 'window@earth.example'), destination: 'dtn://mars.dtn/email' });
    expect(r.ok && r.value.outcome).toBe('accepted');
    await until('the outage noticed', () => logs.some((e) => e.event === 'mta-unavailable'));
    await close(g);
    // what the store holds if the gateway dies after the MTA's 250 and before recording it
    copyStore(path, snapshot);
    await stack.startPostfix();

    g = gateway(path);
    await until('the first delivery', () => logs.some((e) => e.event === 'inbound-delivered' && e['messageId'] === 'window@earth.example'));
    await close(g);
    await until('the first copy in the inbox', async () => (await withSubject('bob', 'crash window')).length === 1);

    // the restarted gateway: the same stored transaction, replayed through the ordinary path
    g = gateway(snapshot);
    await until('the replay', () => logs.filter((e) => e.event === 'inbound-delivered' && e['messageId'] === 'window@earth.example').length === 2);
    await g.processor.idle();
    await until('Postfix delivered both copies to LMTP', () => lmtpDeliveries('window@earth.example') === 2);
    await until('Dovecot discarded the second', () => sieveDiscards('window@earth.example') === 1);
    await close(g);

    const copies = await withSubject('bob', 'crash window');
    expect(copies).toHaveLength(1);
    // the trace fields the gateway prepended, above the message as it was sent
    expect(copies[0]).toMatch(/\r\nReceived: from earth\.dtn \(dtn:\/\/earth\.dtn\/email\) by gw\.mars\.example\r\n \(dtn:\/\/mars\.dtn\/email\) with BSMTP id [0-9a-f]{20};/);
    expect(copies[0]).toContain(`\r\nX-Farside-Transaction: ${tag}\r\nFrom: alice@earth.example\r\n`);
  });

  it('lands two transactions with the same Message-ID both: the key is the transaction, not the message', async () => {
    // two gateways of the site (or one after its 30-day de-duplication window) each take a bundle with the same Message-ID
    const first = gateway(join(dir, 'first.db'));
    const second = gateway(join(dir, 'second.db'));
    first.processor.receive({ source: EARTH, bundleId: `${EARTH} 848946032000 1`, payload: bsmtp('carol@mars.example', 'same id', 'shared@earth.example') });
    second.processor.receive({ source: EARTH, bundleId: `${EARTH} 848946032000 2`, payload: bsmtp('carol@mars.example', 'same id', 'shared@earth.example') });
    await until('both in the inbox', async () => (await withSubject('carol', 'same id')).length === 2);
    await Promise.all([first.processor.idle(), second.processor.idle()]);
    await close(first);
    await close(second);
    expect(sieveDiscards('shared@earth.example')).toBe(0);
    expect(lmtpDeliveries('shared@earth.example')).toBe(2);
  });

  it('leaves mail that did not come through the gateway alone, the same message twice included', async () => {
    const smtp = nodemailer.createTransport({ host: LOOPBACK, port: stack.smtpPort, secure: false, ignoreTLS: true });
    const mail = { from: 'alice@mars.example', to: 'bob@mars.example', subject: 'local twice', messageId: '<local@mars.example>', text: 'same\n' };
    await smtp.sendMail(mail);
    await smtp.sendMail(mail);
    smtp.close();
    await until('both in the inbox', async () => (await withSubject('bob', 'local twice')).length === 2);
    expect(sieveDiscards('local@mars.example')).toBe(0);
  });
});
