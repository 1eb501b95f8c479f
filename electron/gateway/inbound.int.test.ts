/**
 * The inbound half against a real Postfix and Dovecot at site Mars (issue 4, "Inbound: bundles to mail"):
 * BSMTP bundles from Earth's gateway are replayed into Postfix with their DSN parameters and land in the
 * IMAP inboxes; Bcc recipients are delivered and not disclosed; an unknown recipient comes back to Earth
 * as an RFC 3464 DSN in a BSMTP bundle with MAIL FROM:<>; an unauthorised source is refused and logged;
 * a duplicate bundle is processed once across a restart; an MTA outage delays mail without losing or
 * doubling it; an invalid object reaches the postmaster. Mars's outbound listener is there too, so that
 * Postfix's own DSNs for Earth travel back as bundles (delivery evidence).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok } from '../../shared/errors';
import type { Result } from '../../shared/errors';
import { parseDsn } from '../../shared/mail/dsn';
import { decodeBsmtp, encodeBsmtp, encodeBsmtpMessage } from '../../shared/protocol/bsmtp';
import type { EncodeEnvelope } from '../../shared/protocol/bsmtp';
import { ascii } from '../../shared/test-support/vectors';
import type { BundleId } from '../services/aap-client/types';
import { createInboundProcessor } from './inbound-processor';
import type { InboundProcessor, InboundProcessorOptions } from './inbound-processor';
import { createOutboundListener } from './outbound-listener';
import type { OutboundListener } from './outbound-listener';
import { createRelayPolicy } from './relay-policy';
import type { RelayPolicyConfig } from './relay-policy';
import { createRouteTable } from './routes';
import { createGatewayStore } from './store/gateway-store';
import type { GatewayStore, QueuedBundle } from './store/gateway-store';
import { inboxCount, readInbox, waitForInbox } from './test-support/mailstack/imap';
import { startMailStack } from './test-support/mailstack/mailstack';
import type { MailStack } from './test-support/mailstack/mailstack';
import { LOOPBACK } from './test-support/mailstack/processes';
import type { GatewayLogEvent, ReceivedAdu } from './types';

const EARTH = 'dtn://earth.dtn/email';

let dir: string;
let stack: MailStack;
let listener: OutboundListener;
let store: GatewayStore;
let processor: InboundProcessor;
const sent: { destination: string; payload: Uint8Array }[] = [];
const queued: QueuedBundle[] = [];
const logs: GatewayLogEvent[] = [];
let bundleSeq = 0;

/** Stands in for the BP node: takes every ADU and confirms it with a bundle ID. */
function sendBundle(destination: string, payload: Uint8Array): Promise<Result<BundleId>> {
  sent.push({ destination, payload });
  return Promise.resolve(ok({ source: 'dtn://mars.dtn/email', creationTime: 1_000, sequence: sent.length }));
}

function openStore(path: string): GatewayStore {
  const s = createGatewayStore({ path });
  if (!s.ok) throw new Error(s.error.message);
  return s.value;
}

function policy(extra: Partial<RelayPolicyConfig> = {}) {
  const p = createRelayPolicy({ sources: ['dtn://earth.dtn/'], localDomains: ['mars.example'], ...extra });
  if (!p.ok) throw new Error(p.error.message);
  return p.value;
}

function processorOptions(s: GatewayStore, extra: Partial<InboundProcessorOptions> = {}): InboundProcessorOptions {
  return {
    mta: { host: LOOPBACK, port: stack.smtpPort },
    store: s,
    policy: policy(),
    log: (e) => logs.push(e),
    sendBundle,
    hostname: 'gw.mars.example',
    retry: { initialMs: 100, maxMs: 400 },
    replyTimeoutMs: 10_000,
    ...extra,
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'farside-gw-in-'));
  store = openStore(join(dir, 'gateway.db'));
  const routes = createRouteTable([{ domain: 'earth.example', eid: EARTH }]);
  if (!routes.ok) throw new Error(routes.error.message);
  const l = await createOutboundListener({ store, routes: routes.value, log: (e) => logs.push(e), onQueued: (b) => queued.push(b), hostname: 'gw.mars.example' });
  if (!l.ok) throw new Error(l.error.message);
  listener = l.value;
  stack = await startMailStack({ domain: 'mars.example', users: ['bob', 'carol', 'dave'], relay: [{ domain: 'earth.example', host: LOOPBACK, port: listener.port }] });
  processor = createInboundProcessor(processorOptions(store));
});

afterAll(async () => {
  await processor?.stop();
  await stack?.stop();
  await listener?.close();
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

function adu(payload: Uint8Array, source = EARTH): ReceivedAdu {
  bundleSeq++;
  return { source, bundleId: `${source} 848946031000 ${bundleSeq}`, payload };
}

function bsmtp(envelope: EncodeEnvelope, message: string): Uint8Array {
  const b = encodeBsmtpMessage({ ehlo: 'gw.earth.example', envelope, message: ascii(message) });
  if (!b.ok) throw new Error(b.error.message);
  return b.value;
}

function receive(a: ReceivedAdu, p: InboundProcessor = processor) {
  const r = p.receive(a);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

async function until<T>(what: string, f: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last logs: ${JSON.stringify(logs.slice(-6))}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The source of the first message in `user`'s inbox with this Subject, waiting for it to arrive. */
async function withSubject(user: string, subject: string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = (await readInbox(stack, user)).find((x) => x.source.includes(`\r\nSubject: ${subject}\r\n`));
    if (m !== undefined) return m.source;
    if (Date.now() > deadline) throw new Error(`no "${subject}" for ${user}; last logs: ${JSON.stringify(logs.slice(-6))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The DSN inside a BSMTP bundle the gateway handed to the node. */
function dsnIn(payload: Uint8Array) {
  const d = decodeBsmtp(payload);
  if (!d.ok) throw new Error(d.error.message);
  const tx = d.value.transactions[0]!;
  const dsn = parseDsn(tx.message);
  if (!dsn.ok || dsn.value === null) throw new Error('not a DSN');
  return { envelope: tx.envelope, dsn: dsn.value };
}

describe('inbound: bundle → site MTA → IMAP', () => {
  it('replays the envelope into Postfix with its DSN parameters and delivers into the IMAP inbox', async () => {
    const r = receive(
      adu(
        bsmtp(
          {
            mailFrom: 'alice@earth.example',
            size: 'auto',
            ret: 'HDRS',
            envid: 'farside-in-1',
            rcptTo: [{ address: 'bob@mars.example', notify: ['SUCCESS', 'FAILURE'], orcpt: 'bob@mars.example' }],
          },
          'From: alice@earth.example\r\nTo: bob@mars.example\r\nSubject: hello mars\r\nMessage-ID: <in-1@earth.example>\r\n\r\nFirst mail over BP.\r\n.leading dot\r\n',
        ),
      ),
    );
    expect(r).toMatchObject({ outcome: 'accepted', deliveries: 1 });
    const m = await withSubject('bob', 'hello mars');
    expect(m).toMatch(/^Return-Path: <alice@earth\.example>\r\n/);
    expect(m).toContain('\r\n.leading dot\r\n');
    await processor.idle();
    expect(logs.some((e) => e.event === 'inbound-delivered' && e['to'] === 'bob@mars.example')).toBe(true);

    // NOTIFY=SUCCESS reached Postfix: its own DSN for alice goes to the outbound listener, as a bundle to Earth
    const evidence = await until('the success DSN bundle', () => queued.find((b) => b.destination === EARTH && b.envid === null));
    const payload = store.bundlePayload(evidence.id);
    if (payload === undefined) throw new Error('no payload');
    const { envelope, dsn } = dsnIn(payload);
    expect(envelope.mailFrom).toBe('');
    expect(envelope.rcptTo.map((x) => x.address)).toEqual(['alice@earth.example']);
    expect(dsn.originalEnvelopeId).toBe('farside-in-1');
    expect(dsn.recipients.map((x) => [x.originalRecipient?.value, x.finalRecipient.value, x.status])).toEqual([['bob@mars.example', 'bob@mars.example', '2.0.0']]);
    // Dovecot's LMTP has no DSN, so Postfix reports "relayed" into the mailbox store
    expect(dsn.recipients[0]?.action).toBe('relayed');
    expect(dsn.returnedMessageId).toBe('in-1@earth.example');
  });

  it('delivers to Bcc recipients without disclosing them in the headers', async () => {
    receive(
      adu(
        bsmtp(
          { mailFrom: 'alice@earth.example', rcptTo: [{ address: 'bob@mars.example' }, { address: 'dave@mars.example' }] },
          'From: alice@earth.example\r\nTo: bob@mars.example\r\nSubject: with bcc\r\nMessage-ID: <in-bcc@earth.example>\r\n\r\nbcc test\r\n',
        ),
      ),
    );
    expect(await withSubject('dave', 'with bcc')).toContain('bcc test');
    expect(await withSubject('bob', 'with bcc')).not.toMatch(/dave/i);
  });

  it('sends a DSN for an unknown recipient back to the source gateway as BSMTP with MAIL FROM:<> (status 5.1.1)', async () => {
    const before = sent.length;
    receive(
      adu(
        bsmtp(
          {
            mailFrom: 'alice@earth.example',
            envid: 'farside-in-unknown',
            rcptTo: [
              { address: 'nobody@mars.example', notify: ['FAILURE'], orcpt: 'nobody@mars.example' },
              { address: 'carol@mars.example', notify: ['FAILURE'] },
            ],
          },
          'From: alice@earth.example\r\nTo: nobody@mars.example, carol@mars.example\r\nSubject: partly unknown\r\nMessage-ID: <in-unknown@earth.example>\r\n\r\nx\r\n',
        ),
      ),
    );
    const handed = await until('the DSN handed to sendBundle', () => (sent.length > before ? sent[sent.length - 1] : undefined));
    expect(handed.destination).toBe(EARTH);
    const { envelope, dsn } = dsnIn(handed.payload);
    expect(envelope.mailFrom).toBe('');
    expect(envelope.rcptTo.map((x) => x.address)).toEqual(['alice@earth.example']);
    expect(dsn.reportingMta).toEqual({ type: 'dns', value: 'gw.mars.example' });
    expect(dsn.originalEnvelopeId).toBe('farside-in-unknown');
    expect(dsn.recipients).toHaveLength(1);
    expect(dsn.recipients[0]).toMatchObject({
      originalRecipient: { type: 'rfc822', value: 'nobody@mars.example' },
      finalRecipient: { type: 'rfc822', value: 'nobody@mars.example' },
      action: 'failed',
      status: '5.1.1',
      remoteMta: { type: 'dns', value: LOOPBACK },
    });
    expect(dsn.recipients[0]?.diagnosticCode?.value).toMatch(/^550 5\.1\.1 <nobody@mars\.example>: Recipient address rejected/);
    expect(dsn.returnedMessageId).toBe('in-unknown@earth.example');
    // the valid recipient got the message all the same
    await withSubject('carol', 'partly unknown');
    await processor.idle();
    expect(logs.some((e) => e.event === 'bundle-handed-over' && e['origin'] === 'dsn' && e['destination'] === EARTH)).toBe(true);
  });

  it('refuses an unauthorised source whole and logs it; refuses a non-local recipient with a DSN (never an open relay)', async () => {
    const before = sent.length;
    const bobBefore = await inboxCount(stack, 'bob');
    const refused = receive(adu(bsmtp({ mailFrom: 'mallory@venus.example', rcptTo: [{ address: 'bob@mars.example' }] }, 'Subject: spam\r\n\r\nx\r\n'), 'dtn://venus.dtn/email'));
    expect(refused.outcome).toBe('refused');
    expect(logs.find((e) => e.event === 'inbound-refused-source')).toMatchObject({ source: 'dtn://venus.dtn/email', bundle: refused.key });

    const relay = receive(adu(bsmtp({ mailFrom: 'alice@earth.example', rcptTo: [{ address: 'eve@venus.example' }] }, 'Subject: relay attempt\r\n\r\nx\r\n')));
    expect(relay).toMatchObject({ outcome: 'accepted', deliveries: 0 });
    const handed = await until('the relay refusal DSN', () => (sent.length > before ? sent[sent.length - 1] : undefined));
    expect(dsnIn(handed.payload).dsn.recipients.map((x) => [x.finalRecipient.value, x.action, x.status])).toEqual([['eve@venus.example', 'failed', '5.7.1']]);
    await processor.idle();
    // nothing from the refused source was delivered, and only the one DSN went out
    expect(await inboxCount(stack, 'bob')).toBe(bobBefore);
    expect(sent.length).toBe(before + 1);
  });

  it('sends no DSN for a failed recipient of a message with MAIL FROM:<> (RFC 3461 loop rule)', async () => {
    const before = sent.length;
    receive(adu(bsmtp({ mailFrom: '', rcptTo: [{ address: 'nobody@mars.example', notify: ['FAILURE'] }] }, 'Subject: a bounce\r\n\r\nx\r\n')));
    await until('the failure', () => logs.find((e) => e.event === 'inbound-failed' && e['to'] === 'nobody@mars.example' && e['status'] === '5.1.1' && e['messageId'] === null));
    await processor.idle();
    expect(sent.length).toBe(before);
  });

  it('processes several messages of one object (RSET between them) and accepts DATA with no recipient', async () => {
    const payload = encodeBsmtp({
      ehlo: 'gw.earth.example',
      transactions: [
        { envelope: { mailFrom: 'alice@earth.example', rcptTo: [{ address: 'carol@mars.example' }] }, message: ascii('Subject: batch one\r\nMessage-ID: <batch-1@earth.example>\r\n\r\n1\r\n') },
        { envelope: { mailFrom: 'alice@earth.example', rcptTo: [{ address: 'carol@mars.example' }] }, message: ascii('Subject: batch two\r\nMessage-ID: <batch-2@earth.example>\r\n\r\n2\r\n') },
      ],
    });
    if (!payload.ok) throw new Error(payload.error.message);
    expect(receive(adu(payload.value))).toMatchObject({ outcome: 'accepted', deliveries: 2 });
    await withSubject('carol', 'batch one');
    await withSubject('carol', 'batch two');

    const empty = receive(adu(ascii('EHLO gw.earth.example\r\nMAIL FROM:<alice@earth.example>\r\nDATA\r\nSubject: nobody\r\n\r\nx\r\n.\r\nQUIT\r\n')));
    expect(empty).toMatchObject({ outcome: 'accepted', deliveries: 0 });
  });

  it('gives an invalid object (SMTP smuggling) to the postmaster with the object attached, delivering none of it', async () => {
    const smuggled = ascii(
      'EHLO gw.earth.example\r\nMAIL FROM:<alice@earth.example>\r\nRCPT TO:<bob@mars.example>\r\nDATA\r\nSubject: innocent\r\n\r\nhi\n.\nMAIL FROM:<ceo@mars.example>\r\nRCPT TO:<carol@mars.example>\r\nDATA\r\nSubject: smuggled\r\n\r\nx\r\n.\r\nQUIT\r\n',
    );
    const bob = await inboxCount(stack, 'bob');
    const carol = await inboxCount(stack, 'carol');
    expect(receive(adu(smuggled))).toMatchObject({ outcome: 'invalid', deliveries: 1 });
    const notice = await withSubject('postmaster', 'Invalid mail object from dtn://earth.dtn/email');
    expect(notice).toContain('BSMTP_SMUGGLING');
    expect(notice).toContain(Buffer.from(smuggled).toString('base64').slice(0, 76));
    await processor.idle();
    expect(await inboxCount(stack, 'bob')).toBe(bob);
    expect(await inboxCount(stack, 'carol')).toBe(carol);
    expect(logs.some((e) => e.event === 'inbound-invalid-object' && e['code'] === 'BSMTP_SMUGGLING')).toBe(true);
  });

  it('processes a duplicate bundle once across a restart, and the same message in another bundle once', async () => {
    const payload = bsmtp({ mailFrom: 'alice@earth.example', rcptTo: [{ address: 'dave@mars.example' }] }, 'Subject: exactly once\r\nMessage-ID: <once@earth.example>\r\n\r\nx\r\n');
    const first = adu(payload);
    expect(receive(first).outcome).toBe('accepted');
    await until('delivery', () => logs.find((e) => e.event === 'inbound-delivered' && e['messageId'] === 'once@earth.example'));
    await processor.stop();
    store.close();

    store = openStore(join(dir, 'gateway.db'));
    processor = createInboundProcessor(processorOptions(store));
    expect(receive(first).outcome).toBe('duplicate');
    // the sender's gateway retried with a new bundle: same Message-ID, nothing delivered twice
    expect(receive(adu(payload))).toMatchObject({ outcome: 'accepted', deliveries: 0 });
    await processor.idle();
    await new Promise((r) => setTimeout(r, 300));
    const copies = (await readInbox(stack, 'dave')).filter((m) => m.source.includes('Subject: exactly once'));
    expect(copies).toHaveLength(1);
    expect(logs.some((e) => e.event === 'inbound-duplicate-bundle' && e['bundle'] === first.bundleId)).toBe(true);
    expect(logs.some((e) => e.event === 'inbound-duplicate-message' && e['messageId'] === 'once@earth.example')).toBe(true);
  });

  it('survives an MTA outage: retries with backoff, then delivers every message exactly once', async () => {
    await stack.stopPostfix();
    const before = await inboxCount(stack, 'bob');
    const count = 5;
    for (let i = 0; i < count; i++) {
      receive(adu(bsmtp({ mailFrom: 'alice@earth.example', rcptTo: [{ address: 'bob@mars.example' }] }, `Subject: outage ${i}\r\nMessage-ID: <outage-${i}@earth.example>\r\n\r\n${i}\r\n`)));
    }
    await until('the outage noticed', () => logs.find((e) => e.event === 'mta-unavailable'));
    await new Promise((r) => setTimeout(r, 500));
    expect(processor.stats().pendingDeliveries).toBe(count);
    await stack.startPostfix();
    const inbox = await waitForInbox(stack, 'bob', before + count, 15_000);
    await processor.idle();
    expect(processor.stats().pendingDeliveries).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    const outage = (await readInbox(stack, 'bob')).filter((m) => /Subject: outage \d/.test(m.source));
    expect(outage.map((m) => /Subject: outage (\d)/.exec(m.source)?.[1]).sort()).toEqual(['0', '1', '2', '3', '4']);
    expect(inbox.length).toBe(before + count);
    expect(logs.some((e) => e.event === 'mta-available')).toBe(true);
  });

  it('sends a "delayed" DSN while the MTA stays away and a failure (4.4.7) when the message expires', async () => {
    const other = openStore(join(dir, 'expiry.db'));
    let offset = 0;
    const hour = 3_600_000;
    const p = createInboundProcessor(processorOptions(other, { clock: () => Date.now() + offset, retry: { initialMs: 50, maxMs: 100, delayNoticeAfterMs: 4 * hour, giveUpAfterMs: 24 * hour } }));
    await stack.stopPostfix();
    try {
      const before = sent.length;
      receive(
        adu(bsmtp({ mailFrom: 'alice@earth.example', envid: 'farside-slow', rcptTo: [{ address: 'bob@mars.example', notify: ['FAILURE', 'DELAY'] }] }, 'Subject: slow\r\nMessage-ID: <slow@earth.example>\r\n\r\nx\r\n')),
        p,
      );
      offset = 5 * hour;
      const delayed = dsnIn((await until('the delayed DSN', () => (sent.length > before ? sent[before] : undefined))).payload).dsn;
      expect(delayed.originalEnvelopeId).toBe('farside-slow');
      expect(delayed.recipients.map((x) => [x.finalRecipient.value, x.action, x.status.startsWith('4.')])).toEqual([['bob@mars.example', 'delayed', true]]);
      expect(delayed.recipients[0]?.willRetryUntil).toMatch(/\+0000$/);
      offset = 25 * hour;
      const failed = dsnIn((await until('the expiry DSN', () => (sent.length > before + 1 ? sent[before + 1] : undefined))).payload).dsn;
      expect(failed.recipients.map((x) => [x.finalRecipient.value, x.action, x.status])).toEqual([['bob@mars.example', 'failed', '4.4.7']]);
      await p.idle();
      expect(p.stats()).toEqual({ pendingDeliveries: 0, queuedDsns: 0 });
    } finally {
      await p.stop();
      other.close();
      await stack.startPostfix();
    }
  });

  it('takes the plain RFC 5322 form of draft -00 when configured: recipients from the headers, Bcc not disclosed', async () => {
    const other = openStore(join(dir, 'plain.db'));
    const plain = createInboundProcessor(processorOptions(other, { policy: policy({ acceptPlainRfc5322: true }) }));
    try {
      const r = plain.receive(adu(ascii('From: alice@earth.example\r\nTo: carol@mars.example\r\nBcc: dave@mars.example\r\nSubject: testbed form\r\nMessage-ID: <plain-1@earth.example>\r\n\r\nfrom the -00 testbed\r\n')));
      expect(r.ok && r.value).toMatchObject({ outcome: 'accepted', deliveries: 1 });
      const dave = await withSubject('dave', 'testbed form');
      const carol = await withSubject('carol', 'testbed form');
      expect(dave).toContain('from the -00 testbed');
      expect(carol).not.toMatch(/^Bcc:/im);
      expect(carol).not.toContain('dave');
    } finally {
      await plain.stop();
      other.close();
    }
  });
});
