/**
 * The outbound half against a real Postfix (issue 4, "Outbound: mail to bundles"): Postfix relays mail for
 * remote domains to the gateway's listener through its transport map; the queued BSMTP decodes to the
 * envelope that was sent, DSN parameters included; an unroutable domain is refused at RCPT and Postfix
 * bounces it; a message too big for its route is refused during the dialogue, counting the Received field
 * the gateway prepends (RFC 5321 §4.4); only configured peers may connect.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDsn } from '../../shared/mail/dsn';
import { fieldValue, parseHeader } from '../../shared/mail/header-fields';
import { decodeBsmtp } from '../../shared/protocol/bsmtp';
import { ascii } from '../../shared/test-support/vectors';
import { openSmtpSession } from '../services/smtp/smtp-client';
import type { SmtpEnvelope, SmtpSession } from '../services/smtp/smtp-client';
import { createOutboundListener } from './outbound-listener';
import type { OutboundListener } from './outbound-listener';
import { createRouteTable } from './routes';
import { createGatewayStore } from './store/gateway-store';
import type { GatewayStore, QueuedBundle } from './store/gateway-store';
import { relayReceivedMaxChars } from './trace-fields';
import { waitForInbox } from './test-support/mailstack/imap';
import { startMailStack } from './test-support/mailstack/mailstack';
import type { MailStack } from './test-support/mailstack/mailstack';
import { LOOPBACK, freePort } from './test-support/mailstack/processes';
import type { GatewayLogEvent } from './types';

const MARS_MAX = 200_000;
const VENUS_MAX = 50_000;
/** What the listener keeps in every limit for its Received field. */
const RESERVE = relayReceivedMaxChars('gw.earth.example');

let dir: string;
let store: GatewayStore;
let listener: OutboundListener;
let stack: MailStack;
const queued: QueuedBundle[] = [];
const logs: GatewayLogEvent[] = [];

function routes() {
  const t = createRouteTable([
    { domain: 'mars.example', eid: 'dtn://mars.dtn/email', maxMessageBytes: MARS_MAX },
    { domain: 'venus.example', eid: 'ipn:3.25', maxMessageBytes: VENUS_MAX },
  ]);
  if (!t.ok) throw new Error(t.error.message);
  return t.value;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'farside-gw-out-'));
  const s = createGatewayStore({ path: join(dir, 'gateway.db') });
  if (!s.ok) throw new Error(s.error.message);
  store = s.value;
  const l = await createOutboundListener({ store, routes: routes(), log: (e) => logs.push(e), onQueued: (b) => queued.push(b), hostname: 'gw.earth.example', endpoint: () => 'dtn://earth.dtn/email' });
  if (!l.ok) throw new Error(l.error.message);
  listener = l.value;
  // pluto.example is relayed to the gateway too, but the gateway has no route for it
  const relay = ['mars.example', 'venus.example', 'pluto.example'].map((domain) => ({ domain, host: LOOPBACK, port: listener.port }));
  stack = await startMailStack({ domain: 'earth.example', relay });
});

afterAll(async () => {
  await stack?.stop();
  await listener?.close();
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function session(port: number): Promise<SmtpSession> {
  const s = await openSmtpSession({ host: LOOPBACK, port, ehloName: 'client.earth.example', replyTimeoutMs: 10_000 });
  if (!s.ok) throw new Error(s.error.message);
  return s.value;
}

/** Send one message into Postfix and return its reply to the data. */
async function sendToPostfix(envelope: SmtpEnvelope, message: string): Promise<number | undefined> {
  const s = await session(stack.smtpPort);
  try {
    const r = await s.send(envelope, ascii(message));
    if (!r.ok) throw new Error(r.error.message);
    return r.value.data?.code;
  } finally {
    await s.quit();
  }
}

async function waitQueued(count: number, timeoutMs = 10_000): Promise<QueuedBundle[]> {
  const deadline = Date.now() + timeoutMs;
  while (queued.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  if (queued.length < count) throw new Error(`only ${queued.length} of ${count} bundles queued; logs: ${JSON.stringify(logs.slice(-5))}`);
  return queued.splice(0, count);
}

/** A message of exactly `n` octets: a Subject, then lines of at most 78 octets. */
function exactly(n: number, subject: string): string {
  const head = `Subject: ${subject}\r\n\r\n`;
  const rest = n - head.length - 2;
  const full = Math.floor(rest / 78);
  const m = `${head}${`${'y'.repeat(76)}\r\n`.repeat(full)}${'z'.repeat(rest - 78 * full)}\r\n`;
  if (m.length !== n) throw new Error(`built ${m.length} octets, not ${n}`);
  return m;
}

/** `n` octets of text in 78-octet lines (RFC 5322 §2.1.1), so that only the size matters. */
function filler(n: number): string {
  const line = `${'y'.repeat(76)}\r\n`;
  return line.repeat(Math.ceil(n / line.length)).slice(0, n);
}

function decodedPayload(b: QueuedBundle) {
  const bytes = store.bundlePayload(b.id);
  if (bytes === undefined) throw new Error(`no payload for ${b.id}`);
  const d = decodeBsmtp(bytes);
  if (!d.ok) throw new Error(d.error.message);
  return d.value;
}

describe('outbound: site MTA → gateway → BSMTP bundle queue', () => {
  it('queues one BSMTP object per destination gateway, with the DSN parameters the sender gave', async () => {
    const message = 'From: alice@earth.example\r\nTo: bob@mars.example\r\nSubject: to mars\r\nMessage-ID: <out-1@earth.example>\r\n\r\nHello Mars.\r\n.leading dot\r\n';
    const code = await sendToPostfix(
      {
        mailFrom: 'alice@earth.example',
        mailParams: { BODY: '8BITMIME', RET: 'HDRS', ENVID: 'farside-out-1' },
        rcptTo: [
          { address: 'bob@mars.example', params: { NOTIFY: 'SUCCESS,FAILURE', ORCPT: 'rfc822;bob@mars.example' } },
          // a Bcc recipient: in the envelope only
          { address: 'carol@mars.example', params: { NOTIFY: 'FAILURE' } },
          { address: 'x@venus.example', params: {} },
        ],
      },
      message,
    );
    expect(code).toBe(250);
    const bundles = (await waitQueued(2)).sort((a, b) => a.destination.localeCompare(b.destination));
    expect(bundles.map((b) => [b.destination, b.recipients, b.messageId, b.envid])).toEqual([
      ['dtn://mars.dtn/email', 2, 'out-1@earth.example', 'farside-out-1'],
      ['ipn:3.25', 1, 'out-1@earth.example', 'farside-out-1'],
    ]);
    const mars = decodedPayload(bundles[0]!);
    expect(mars.ehlo).toBe('gw.earth.example');
    expect(mars.transactions).toHaveLength(1);
    const tx = mars.transactions[0]!;
    const body = new TextDecoder().decode(tx.message);
    expect(tx.envelope.mailFrom).toBe('alice@earth.example');
    // Postfix passed BODY, RET and ENVID on; SIZE is the exact size of what the gateway sends
    expect(tx.envelope.mailParams).toEqual({ BODY: '8BITMIME', SIZE: String(tx.message.length), RET: 'HDRS', ENVID: 'farside-out-1' });
    expect(tx.envelope.rcptTo).toEqual([
      { address: 'bob@mars.example', params: { NOTIFY: 'SUCCESS,FAILURE', ORCPT: 'rfc822;bob@mars.example' } },
      // Postfix adds an ORCPT of its own when the sender gave none (RFC 3461 §4.2 allows it)
      { address: 'carol@mars.example', params: { NOTIFY: 'FAILURE', ORCPT: 'rfc822;carol@mars.example' } },
    ]);
    // the gateway's Received field (RFC 5321 §4.4) first, then Postfix's own, then the message as Postfix sent it
    const id = logs.find((e) => e.event === 'outbound-queued' && e['queueId'] === bundles[0]?.id)?.['receivedId'];
    expect(id).toMatch(/^[0-9a-v]{16}-1$/);
    const stamp = /^Received: from mta\.earth\.example \(\[127\.0\.0\.1\]\) by gw\.earth\.example\r\n \(dtn:\/\/earth\.dtn\/email\) with ESMTP id ([0-9a-v-]+); (\w{3}, \d{1,2} \w{3}\r\n \d{4} \d\d:\d\d:\d\d \+0000|\w{3}, \d{1,2} \w{3} \d{4}\r\n \d\d:\d\d:\d\d \+0000)\r\nReceived: from client\.earth\.example /;
    expect(body).toMatch(stamp);
    expect(stamp.exec(body)?.[1]).toBe(id);
    const first = fieldValue(parseHeader(tx.message).fields, 'Received') ?? '';
    // accepted just now, and no FOR clause: carol is a Bcc recipient
    expect(Math.abs(Date.parse(first.split('; ')[1] ?? '') - Date.now())).toBeLessThan(60_000);
    expect(first).not.toMatch(/ for /i);
    expect(body).toContain('Subject: to mars\r\n');
    expect(body).toContain('\r\n.leading dot\r\n');
    expect(body).not.toContain('carol');
    const venus = decodedPayload(bundles[1]!);
    expect(venus.transactions[0]?.envelope.rcptTo.map((r) => r.address)).toEqual(['x@venus.example']);
  });

  it('has committed the rows before the 250 reply (another connection to the database sees them)', async () => {
    const s = await session(listener.port);
    const r = await s.send({ mailFrom: 'alice@earth.example', mailParams: {}, rcptTo: [{ address: 'bob@mars.example', params: {} }] }, ascii('Subject: direct\r\n\r\nx\r\n'));
    await s.quit();
    expect(r.ok && r.value.data?.code).toBe(250);
    const [b] = await waitQueued(1);
    const other = new Database(store.path, { readonly: true });
    try {
      expect(other.prepare('SELECT destination FROM outbound WHERE id = ?').get(b?.id)).toEqual({ destination: 'dtn://mars.dtn/email' });
    } finally {
      other.close();
    }
  });

  it('refuses an unroutable domain at RCPT, so the site MTA bounces it (never an open relay)', async () => {
    const s = await session(listener.port);
    const r = await s.send(
      { mailFrom: 'alice@earth.example', mailParams: {}, rcptTo: [{ address: 'zed@pluto.example', params: {} }, { address: 'eve@elsewhere.example', params: {} }] },
      ascii('Subject: x\r\n\r\nx\r\n'),
    );
    await s.quit();
    expect(r.ok && r.value.rcpt.map((x) => [x.code, x.enhanced])).toEqual([
      [550, '5.1.2'],
      [550, '5.1.2'],
    ]);
    expect(r.ok && r.value.data?.code).not.toBe(250);

    // through Postfix: the refusal becomes a bounce to the sender with the gateway's status code
    expect(await sendToPostfix({ mailFrom: 'alice@earth.example', mailParams: { ENVID: 'farside-pluto' }, rcptTo: [{ address: 'zed@pluto.example', params: { NOTIFY: 'FAILURE' } }] }, 'Subject: to pluto\r\n\r\nx\r\n')).toBe(250);
    const inbox = await waitForInbox(stack, 'alice', 1);
    const dsn = parseDsn(ascii(inbox[0]?.source ?? ''));
    expect(dsn.ok && dsn.value?.originalEnvelopeId).toBe('farside-pluto');
    expect(dsn.ok && dsn.value?.recipients.map((x) => [x.finalRecipient.value, x.action, x.status])).toEqual([['zed@pluto.example', 'failed', '5.1.2']]);
    expect(logs.some((e) => e.event === 'outbound-refused' && e['to'] === 'zed@pluto.example')).toBe(true);
    expect(queued).toEqual([]);
  });

  it('refuses a message too big for its route during the dialogue (RFC 1870), never after accepting it', async () => {
    const s = await session(listener.port);
    // the largest route's limit, less the room for the gateway's Received field
    expect(s.extensions.get('SIZE')).toBe(String(MARS_MAX - RESERVE));
    // declared SIZE over that: 552 at MAIL FROM
    const overAll = await s.send({ mailFrom: 'alice@earth.example', mailParams: { SIZE: String(MARS_MAX - RESERVE + 1) }, rcptTo: [{ address: 'bob@mars.example', params: {} }] }, ascii('x\r\n'));
    expect(overAll.ok && overAll.value.mail.code).toBe(552);
    // declared SIZE over one route's limit: 552 5.3.4 at that RCPT only
    const perRoute = await s.send(
      { mailFrom: 'alice@earth.example', mailParams: { SIZE: String(VENUS_MAX + 1) }, rcptTo: [{ address: 'x@venus.example', params: {} }, { address: 'bob@mars.example', params: {} }] },
      ascii(`Subject: sized\r\n\r\n${filler(VENUS_MAX)}\r\n`),
    );
    expect(perRoute.ok && perRoute.value.rcpt.map((x) => [x.code, x.enhanced])).toEqual([
      [552, '5.3.4'],
      [250, null],
    ]);
    expect(perRoute.ok && perRoute.value.data?.code).toBe(250);
    expect((await waitQueued(1))[0]?.destination).toBe('dtn://mars.dtn/email');
    // no SIZE declared and too big: 552 5.3.4 at the end of the data, nothing queued
    const undeclared = await s.send({ mailFrom: 'alice@earth.example', mailParams: {}, rcptTo: [{ address: 'x@venus.example', params: {} }] }, ascii(`Subject: big\r\n\r\n${filler(VENUS_MAX)}\r\n`));
    expect(undeclared.ok && [undeclared.value.data?.code, undeclared.value.data?.enhanced]).toEqual([552, '5.3.4']);

    // exactly the route's limit: it would pass it once the Received field is added, so 552 5.3.4 in the
    // dialogue, at RCPT when declared and at the end of the data when not
    const atRouteLimit = exactly(VENUS_MAX, 'at the route limit');
    const declaredAtLimit = await s.send({ mailFrom: 'alice@earth.example', mailParams: { SIZE: String(VENUS_MAX) }, rcptTo: [{ address: 'x@venus.example', params: {} }] }, ascii(atRouteLimit));
    expect(declaredAtLimit.ok && declaredAtLimit.value.rcpt.map((x) => [x.code, x.enhanced])).toEqual([[552, '5.3.4']]);
    const undeclaredAtLimit = await s.send({ mailFrom: 'alice@earth.example', mailParams: {}, rcptTo: [{ address: 'x@venus.example', params: {} }] }, ascii(atRouteLimit));
    expect(undeclaredAtLimit.ok && [undeclaredAtLimit.value.data?.code, undeclaredAtLimit.value.data?.enhanced]).toEqual([552, '5.3.4']);
    // one octet over the reduced limit: refused at the end of the data too
    const overByOne = await s.send({ mailFrom: 'alice@earth.example', mailParams: {}, rcptTo: [{ address: 'x@venus.example', params: {} }] }, ascii(exactly(VENUS_MAX - RESERVE + 1, 'one over')));
    expect(overByOne.ok && overByOne.value.data?.code).toBe(552);
    await new Promise((r) => setTimeout(r, 100));
    expect(queued).toEqual([]);
    // exactly the reduced limit, declared: accepted, and carried within the route's limit with SIZE its exact size
    const fits = await s.send({ mailFrom: 'alice@earth.example', mailParams: { SIZE: String(VENUS_MAX - RESERVE) }, rcptTo: [{ address: 'x@venus.example', params: {} }] }, ascii(exactly(VENUS_MAX - RESERVE, 'fits')));
    expect(fits.ok && fits.value.data?.code).toBe(250);
    const [venus] = await waitQueued(1);
    const carried = decodedPayload(venus!).transactions[0]!;
    expect(carried.message.length).toBeLessThanOrEqual(VENUS_MAX);
    expect(carried.message.length).toBeGreaterThan(VENUS_MAX - RESERVE);
    expect(carried.envelope.mailParams['SIZE']).toBe(String(carried.message.length));
    expect(new TextDecoder().decode(carried.message)).toMatch(/^Received: from client\.earth\.example \(\[127\.0\.0\.1\]\) by gw\.earth\.example\r\n[^]*\r\nSubject: fits\r\n/);
    await s.quit();
    await new Promise((r) => setTimeout(r, 100));
    expect(queued).toEqual([]);

    // through Postfix, which declares SIZE: bounced with 5.3.4
    expect(await sendToPostfix({ mailFrom: 'carol@earth.example', mailParams: {}, rcptTo: [{ address: 'x@venus.example', params: {} }] }, `Subject: too big for venus\r\n\r\n${filler(VENUS_MAX)}\r\n`)).toBe(250);
    const bounce = parseDsn(ascii((await waitForInbox(stack, 'carol', 1))[0]?.source ?? ''));
    expect(bounce.ok && bounce.value?.recipients.map((x) => [x.finalRecipient.value, x.action, x.status])).toEqual([['x@venus.example', 'failed', '5.3.4']]);
  });

  it('refuses at MAIL and RCPT an address that Batch SMTP cannot carry (8-bit, protocols.md §2.4)', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const c = createConnection({ host: LOOPBACK, port: listener.port });
      let text = '';
      c.setEncoding('utf8');
      c.on('data', (d: string) => {
        text += d;
        if (text.startsWith('220 ') && !text.includes('250-')) c.write('EHLO x.example\r\nMAIL FROM:<j\u00f6e@earth.example>\r\nMAIL FROM:<joe@earth.example>\r\nRCPT TO:<b\u00f8b@mars.example>\r\nQUIT\r\n');
        if (text.includes('221 ')) resolve(text);
      });
      c.on('error', reject);
    });
    expect(reply).toMatch(/^553 5\.1\.7 /m);
    expect(reply).toMatch(/^553 5\.1\.3 /m);
  });

  it('refuses a peer that is not configured', async () => {
    const l = await createOutboundListener({ store, routes: routes(), log: (e) => logs.push(e), onQueued: () => undefined, hostname: 'gw.earth.example', allowedPeers: ['192.0.2.1'], port: await freePort() });
    if (!l.ok) throw new Error(l.error.message);
    try {
      const s = await openSmtpSession({ host: LOOPBACK, port: l.value.port, ehloName: 'x.example', replyTimeoutMs: 5_000 });
      expect(s.ok ? 'ok' : s.error.message).toMatch(/554 5\.7\.1/);
      expect(logs.some((e) => e.event === 'outbound-peer-refused' && e['peer'] === '127.0.0.1')).toBe(true);
    } finally {
      await l.value.close();
    }
  });
});
