/**
 * Two whole sites, Earth and Mars (issue 4, "Must show"): at each a real Postfix and Dovecot (the
 * mailstack harness), an embedded BPA (startBpa in-process, MTCP contacts both ways, bundles above 1 MiB
 * fragmented) and a gateway (createGateway). Earth's gateway speaks AAP 2.0 to its node (bundle IDs
 * known on receipt), Mars's AAP v1 (no bundle ID in RECVBUNDLE: the payload digest stands in), so both
 * inbound paths run. Mail is submitted to Earth's Postfix with nodemailer and read from the IMAP inboxes
 * with imapflow; a third node, Venus, and extra agents on Earth's node play the sources that are not
 * authorised, and a "testbed" agent injects hostile BSMTP objects.
 *
 * The delivery-evidence path under test: Mars's gateway replays NOTIFY=SUCCESS into Mars's Postfix, which
 * sends its own DSN to alice@earth.example; earth.example is in Mars's transport map, so Postfix relays the
 * DSN to Mars's gateway listener, which routes it over BP to Earth's gateway, which replays it into
 * Earth's Postfix and so into Alice's inbox. Both nodes send BPv7 status reports (-r), so the bundles of
 * Earth's gateway (AAP 2.0: it asks for them) come back reported: forwarded by Earth's node, received
 * and delivered by Mars's, each linked to its message in Earth's gateway log.
 */
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDsn } from '../../shared/mail/dsn';
import type { ParsedDsn } from '../../shared/mail/dsn';
import { encodeBsmtpMessage } from '../../shared/protocol/bsmtp';
import { ascii } from '../../shared/test-support/vectors';
import { startFarsideBpa } from '../bpa/test-support/farside-bpa';
import type { FarsideBpa } from '../bpa/test-support/farside-bpa';
import { contactTo } from '../bpa/test-support/unit-fixtures';
import { createAapClient } from '../services/aap-client/client';
import type { AapClient, AapTransport, ReceivedBundle } from '../services/aap-client/types';
import { parseGatewayConfig } from './config';
import { createGateway } from './gateway';
import type { Gateway, GatewayAddresses } from './gateway';
import { inboxCount, readInbox } from './test-support/mailstack/imap';
import type { InboxMessage } from './test-support/mailstack/imap';
import { startMailStack } from './test-support/mailstack/mailstack';
import type { MailStack } from './test-support/mailstack/mailstack';
import { LOOPBACK, freePort, sleep } from './test-support/mailstack/processes';
import type { GatewayLogEvent } from './types';

const MiB = 1024 * 1024;
const EARTH_GW = 'dtn://earth.dtn/email';
const MARS_GW = 'dtn://mars.dtn/email';

interface Site {
  readonly domain: string;
  readonly dir: string;
  readonly stack: MailStack;
  readonly bpa: FarsideBpa;
  readonly gateway: Gateway;
  readonly addresses: GatewayAddresses;
  readonly logs: GatewayLogEvent[];
}

let earth: Site;
let mars: Site;
let venus: FarsideBpa;
const clients: AapClient[] = [];
const cleanups: (() => Promise<void> | void)[] = [];

function link(from: FarsideBpa, to: FarsideBpa): void {
  const mtcp = to.cla['mtcp'];
  if (mtcp === undefined) throw new Error(`${to.nodeId} has no MTCP listener`);
  const r = from.running.bpa.applyPlan([contactTo(to.nodeId, mtcp)]);
  if (!r.ok) throw new Error(r.error.message);
}

function aapAddress(t: AapTransport): string {
  return t.kind === 'unix' ? `unix:${t.path}` : `tcp:${t.host}:${t.port}`;
}

async function startSite(opts: {
  domain: string;
  bpa: FarsideBpa;
  protocol: 'aap1' | 'aap2';
  listenPort: number;
  stack: MailStack;
  routes: { domain: string; eid: string }[];
  sources: string[];
}): Promise<Site> {
  const dir = mkdtempSync(join(tmpdir(), `farside-gw-${opts.domain}-`));
  const config = parseGatewayConfig(
    JSON.stringify({
      node: { aap: aapAddress(opts.protocol === 'aap1' ? opts.bpa.aap1 : opts.bpa.aap2), protocol: opts.protocol, reconnect: { initialMs: 50, maxMs: 500 } },
      mta: { host: LOOPBACK, port: opts.stack.smtpPort },
      listen: { host: LOOPBACK, port: opts.listenPort },
      routes: opts.routes,
      localDomains: [opts.domain],
      authorisedSources: opts.sources,
      store: { dir: 'state' },
      metrics: { host: LOOPBACK, port: 0 },
      retry: { bp: { initialMs: 100, maxMs: 1000 }, mta: { initialMs: 100, maxMs: 1000 } },
    }),
    dir,
  );
  if (!config.ok) throw new Error(config.error.message);
  const logs: GatewayLogEvent[] = [];
  // each line with the time it was written, for the timings the tests print
  const gateway = createGateway({ config: config.value, log: (e) => logs.push({ ...e, at: Date.now() }) });
  const started = await gateway.start();
  if (!started.ok) throw new Error(started.error.message);
  cleanups.push(async () => {
    await gateway.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { domain: opts.domain, dir, stack: opts.stack, bpa: opts.bpa, gateway, addresses: started.value, logs };
}

async function until<T>(what: string, f: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) {
      const tail = (s: Site): string => JSON.stringify(s.logs.slice(-8));
      throw new Error(`timed out waiting for ${what}; earth: ${tail(earth)}; mars: ${tail(mars)}`);
    }
    await sleep(50);
  }
}

function logged(site: Site, event: string, match: (e: GatewayLogEvent) => boolean = () => true): GatewayLogEvent | undefined {
  return site.logs.find((e) => e.event === event && match(e));
}

/** The first message in `user`'s inbox whose source satisfies `match`, waiting for it. */
async function arrived(site: Site, user: string, match: (source: string) => boolean, timeoutMs = 15_000): Promise<InboxMessage> {
  return until(`a message for ${user}@${site.domain}`, async () => (await readInbox(site.stack, user)).find((m) => match(m.source)), timeoutMs);
}

const withSubject = (subject: string) => (source: string) => source.includes(`\r\nSubject: ${subject}\r\n`);

function dsnOf(m: InboxMessage): ParsedDsn {
  const d = parseDsn(ascii(m.source));
  if (!d.ok || d.value === null) throw new Error(`not a DSN: ${m.source.slice(0, 400)}`);
  return d.value;
}

function headerOf(source: string): string {
  const end = source.indexOf('\r\n\r\n');
  return end < 0 ? source : source.slice(0, end);
}

async function submit(mail: Mail.Options): Promise<void> {
  const t = nodemailer.createTransport({ host: LOOPBACK, port: earth.stack.smtpPort, secure: false, ignoreTLS: true });
  try {
    const info = await t.sendMail({ from: 'Alice <alice@earth.example>', ...mail });
    expect(info.rejected).toEqual([]);
  } finally {
    t.close();
  }
}

/** An AAP v1 agent on `bpa` (a test source of bundles). */
async function agent(bpa: FarsideBpa, agentId: string): Promise<AapClient> {
  const c = createAapClient({ transport: bpa.aap1, protocol: 'aap1', agentId, receive: true, requestTimeoutMs: 10_000, reconnect: { initialMs: 50, maxMs: 500 }, log: () => undefined });
  clients.push(c);
  const r = await c.connect();
  if (!r.ok) throw new Error(r.error.message);
  return c;
}

function bsmtp(mailFrom: string, rcpt: string[], message: string): Uint8Array {
  const b = encodeBsmtpMessage({ ehlo: 'gw.earth.example', envelope: { mailFrom, rcptTo: rcpt.map((address) => ({ address })) }, message: ascii(message) });
  if (!b.ok) throw new Error(b.error.message);
  return b.value;
}

function httpGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ host: LOOPBACK, port, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    })
      .on('error', reject)
      .end();
  });
}

beforeAll(async () => {
  const t0 = Date.now();
  const [earthBpa, marsBpa, venusBpa, earthListen, marsListen] = await Promise.all([
    startFarsideBpa('dtn://earth.dtn/', { maxBundleSize: MiB, statusReports: true }),
    startFarsideBpa('dtn://mars.dtn/', { maxBundleSize: MiB, statusReports: true }),
    startFarsideBpa('dtn://venus.dtn/'),
    freePort(),
    freePort(),
  ]);
  venus = venusBpa;
  cleanups.push(() => earthBpa.stop(), () => marsBpa.stop(), () => venusBpa.stop());
  link(earthBpa, marsBpa);
  link(marsBpa, earthBpa);
  link(venusBpa, marsBpa);
  link(marsBpa, venusBpa);
  // each site's Postfix relays the other site's domain to its own gateway (transport map)
  const [earthStack, marsStack] = await Promise.all([
    startMailStack({ domain: 'earth.example', users: ['alice'], relay: [{ domain: 'mars.example', host: LOOPBACK, port: earthListen }] }),
    startMailStack({ domain: 'mars.example', users: ['bob', 'carol', 'dave'], relay: [{ domain: 'earth.example', host: LOOPBACK, port: marsListen }] }),
  ]);
  cleanups.push(() => earthStack.stop(), () => marsStack.stop());
  [earth, mars] = await Promise.all([
    startSite({ domain: 'earth.example', bpa: earthBpa, protocol: 'aap2', listenPort: earthListen, stack: earthStack, routes: [{ domain: 'mars.example', eid: MARS_GW }], sources: [MARS_GW] }),
    startSite({
      domain: 'mars.example',
      bpa: marsBpa,
      protocol: 'aap1',
      listenPort: marsListen,
      stack: marsStack,
      routes: [{ domain: 'earth.example', eid: EARTH_GW }],
      // Earth's gateway, and the draft author's testbed tool on Earth's node; nothing else
      sources: [EARTH_GW, 'dtn://earth.dtn/testbed'],
    }),
  ]);
  await until('both gateways registered', () => (logged(earth, 'gateway-registered') && logged(mars, 'gateway-registered') ? true : undefined));
  console.log(`two sites up in ${Date.now() - t0} ms`);
});

afterAll(async () => {
  for (const c of clients) await c.close();
  // gateways first (they hold AAP connections), then the BPAs and the mail stacks (stopped by pid)
  while (cleanups.length > 0) await cleanups.pop()?.();
});

describe('two sites: Earth and Mars, each Postfix + Dovecot + embedded BPA + gateway', () => {
  it('registers the mail agent of each gateway on its node', () => {
    expect(earth.gateway.status()).toMatchObject({ node: 'connected', nodeId: 'dtn://earth.dtn/', endpoint: EARTH_GW });
    expect(mars.gateway.status()).toMatchObject({ node: 'connected', nodeId: 'dtn://mars.dtn/', endpoint: MARS_GW });
  });

  it("delivers Alice's mail into Bob's IMAP inbox at Mars, and the MTA's DSN (NOTIFY=SUCCESS) back into Alice's inbox", async () => {
    const t0 = Date.now();
    await submit({
      to: 'Bob <bob@mars.example>',
      subject: 'hello mars',
      text: 'First mail over BP.\n.leading dot\n',
      messageId: '<two-sites-1@earth.example>',
      dsn: { id: 'farside-two-sites-1', return: 'headers', notify: ['success', 'failure'] },
    });
    const m = await arrived(mars, 'bob', withSubject('hello mars'));
    const tDelivered = Date.now() - t0;
    expect(m.source).toMatch(/^Return-Path: <alice@earth\.example>\r\n/);
    expect(m.source).toContain('\r\n.leading dot\r\n');
    const dsnMail = await arrived(earth, 'alice', (s) => s.includes('farside-two-sites-1'));
    const tDsn = Date.now() - t0;
    const dsn = dsnOf(dsnMail);
    expect(dsn.originalEnvelopeId).toBe('farside-two-sites-1');
    // Dovecot's LMTP has no DSN extension, so Postfix reports "relayed" into the mailbox store (RFC 3464 §2.3.3)
    expect(dsn.recipients.map((r) => [r.finalRecipient.value, r.action, r.status])).toEqual([['bob@mars.example', 'relayed', '2.0.0']]);
    expect(dsn.returnedMessageId).toBe('two-sites-1@earth.example');

    // the bundle path, as the logs tell it: Earth handed the message to its node, Mars took it and
    // delivered it; Mars's listener queued Postfix's DSN, whose bundle ID (AAP v1 SENDCONFIRM at Mars) is
    // the one Earth's AAP 2.0 subscriber saw
    const out = logged(earth, 'bundle-handed-over', (e) => e['origin'] === 'mail' && e['messageId'] === 'two-sites-1@earth.example');
    expect(out?.['bundleId']).toMatch(/^dtn:\/\/earth\.dtn\/email \d+ \d+$/);
    expect(logged(mars, 'inbound-delivered', (e) => e['messageId'] === 'two-sites-1@earth.example' && e['to'] === 'bob@mars.example')).toBeDefined();
    const back = logged(mars, 'bundle-handed-over', (e) => e['origin'] === 'mail' && e['destination'] === EARTH_GW);
    expect(back).toBeDefined();
    expect(logged(earth, 'inbound-accepted', (e) => e['bundle'] === back?.['bundleId'])).toBeDefined();

    // BPv7 status reports about the mail's bundle reached Earth's gateway, linked to the message: Earth's
    // node forwarded it, Mars's node received it and delivered it to Mars's gateway (not the mailbox: the
    // DSN above says that)
    const aboutAlice = (e: GatewayLogEvent): boolean => e['subject'] === out?.['bundleId'];
    const delivered = await until('the delivery report at Earth', () => logged(earth, 'report-received', (e) => aboutAlice(e) && e['assertions'] === 'delivered'));
    expect(delivered).toMatchObject({ reporter: 'dtn://mars.dtn/', reason: 0, queueId: out?.['queueId'], origin: 'mail', messageId: 'two-sites-1@earth.example', destination: MARS_GW });
    expect(Date.parse(String(delivered['deliveredAt']))).toBeGreaterThanOrEqual(t0);
    // the forwarding report comes once Earth's node counts the bundle as sent (the link stayed up a while)
    const reports = await until('three reports about the mail', () => {
      const r = earth.logs.filter((e) => e.event === 'report-received' && aboutAlice(e));
      return r.length >= 3 ? r : undefined;
    });
    expect(reports.map((e) => `${String(e['reporter'])} ${String(e['assertions'])}`).sort()).toEqual(['dtn://earth.dtn/ forwarded', 'dtn://mars.dtn/ delivered', 'dtn://mars.dtn/ received']);
    expect(reports.every((e) => e['messageId'] === 'two-sites-1@earth.example')).toBe(true);
    // the reports were no mail: nothing reached Earth's postmaster
    expect(logged(earth, 'inbound-invalid-object')).toBeUndefined();
    expect(logged(earth, 'admin-record-dropped')).toBeUndefined();
    console.log(`Earth Postfix → Bob's inbox ${tDelivered} ms; DSN in Alice's inbox ${tDsn} ms`);
  });

  it('delivers to Bcc recipients and discloses them to nobody', async () => {
    await submit({ to: 'bob@mars.example', bcc: ['carol@mars.example', 'dave@mars.example'], subject: 'with bcc', text: 'bcc test\n', messageId: '<two-sites-bcc@earth.example>' });
    const [bob, carol, dave] = await Promise.all(['bob', 'carol', 'dave'].map((u) => arrived(mars, u, withSubject('with bcc'))));
    for (const m of [bob, carol, dave]) {
      expect(m?.source).toContain('bcc test');
      expect(headerOf(m?.source ?? '')).not.toMatch(/^Bcc:/im);
    }
    expect(headerOf(bob?.source ?? '')).not.toMatch(/carol|dave/i);
    expect(headerOf(carol?.source ?? '')).not.toMatch(/dave/i);
    expect(headerOf(dave?.source ?? '')).not.toMatch(/carol/i);
    // one bundle carried the three recipients
    const handed = earth.logs.filter((e) => e.event === 'bundle-handed-over' && e['messageId'] === 'two-sites-bcc@earth.example');
    expect(handed).toHaveLength(1);
  });

  it("returns a DSN for an unknown recipient at Mars into Alice's inbox (status 5.1.1)", async () => {
    await submit({ to: 'nobody@mars.example', subject: 'to nobody', text: 'x\n', messageId: '<two-sites-unknown@earth.example>', dsn: { id: 'farside-two-sites-unknown', notify: ['failure'] } });
    const dsn = dsnOf(await arrived(earth, 'alice', (s) => s.includes('farside-two-sites-unknown')));
    expect(dsn.reportingMta).toEqual({ type: 'dns', value: 'gw.mars.example' });
    expect(dsn.recipients.map((r) => [r.finalRecipient.value, r.action, r.status])).toEqual([['nobody@mars.example', 'failed', '5.1.1']]);
    expect(dsn.recipients[0]?.diagnosticCode?.value).toMatch(/^550 5\.1\.1 <nobody@mars\.example>/);
    expect(logged(mars, 'bundle-handed-over', (e) => e['origin'] === 'dsn' && e['destination'] === EARTH_GW)).toBeDefined();
  });

  it('refuses and logs bundles from a node that is not authorised and from an unauthorised endpoint of an authorised node', async () => {
    const bobBefore = await inboxCount(mars.stack, 'bob');
    const dsnsBefore = mars.logs.filter((e) => e.event === 'dsn-queued').length;
    const fromVenus = await agent(venus, 'email');
    const intruder = await agent(earth.bpa, 'intruder');
    const spam = (n: number) => bsmtp('mallory@venus.example', ['bob@mars.example'], `From: mallory@venus.example\r\nSubject: unauthorised ${n}\r\nMessage-ID: <unauth-${n}@venus.example>\r\n\r\nx\r\n`);
    expect((await fromVenus.send(MARS_GW, spam(1))).ok).toBe(true);
    expect((await intruder.send(MARS_GW, spam(2))).ok).toBe(true);
    await until('both refusals', () => (logged(mars, 'inbound-refused-source', (e) => e['source'] === 'dtn://venus.dtn/email') && logged(mars, 'inbound-refused-source', (e) => e['source'] === 'dtn://earth.dtn/intruder') ? true : undefined));
    await mars.gateway.idle();
    expect(await inboxCount(mars.stack, 'bob')).toBe(bobBefore);
    // no DSN: the gateway never sends bundles to a source it does not trust (a forged source would make it a reflector)
    expect(mars.logs.filter((e) => e.event === 'dsn-queued')).toHaveLength(dsnsBefore);
    const seenByVenus: ReceivedBundle[] = [];
    const iterator = fromVenus.bundles();
    const next = iterator.next().then((r) => {
      if (r.done !== true) seenByVenus.push(r.value);
    });
    await Promise.race([next, sleep(500)]);
    expect(seenByVenus).toEqual([]);
  });

  it('carries a 20 MiB attachment intact through fragmentation (1 MiB bundles)', async () => {
    const attachment = randomBytes(20 * MiB);
    const digest = createHash('sha256').update(attachment).digest('hex');
    const t0 = Date.now();
    await submit({ to: 'bob@mars.example', subject: 'big attachment', text: 'see attached\n', messageId: '<two-sites-big@earth.example>', attachments: [{ filename: 'big.bin', content: attachment }] });
    const m = await arrived(mars, 'bob', withSubject('big attachment'), 60_000);
    const ms = Date.now() - t0;
    const parsed = await simpleParser(Buffer.from(m.source, 'utf8'));
    const got = parsed.attachments.find((a) => a.filename === 'big.bin');
    expect(got?.content.length).toBe(attachment.length);
    expect(createHash('sha256').update(got?.content ?? Buffer.alloc(0)).digest('hex')).toBe(digest);
    const handed = logged(earth, 'bundle-handed-over', (e) => e['messageId'] === 'two-sites-big@earth.example');
    const size = Number(handed?.['size']);
    expect(size).toBeGreaterThan(20 * MiB);
    const fragments = earth.bpa.events.filter((e) => e.event === 'bundle.fragmented' && typeof e['bytes'] === 'number');
    expect(fragments.length).toBeGreaterThanOrEqual(20);
    expect(fragments.every((e) => (e['bytes'] as number) <= MiB)).toBe(true);
    expect(mars.bpa.events.find((e) => e.event === 'bundle.reassembled' && e['bytes'] === size)).toBeDefined();
    // a report about each fragment Mars received, linked to the message by its source and creation timestamp
    const fragmentReports = await until('a reception report for every fragment', () => {
      const r = earth.logs.filter((e) => e.event === 'report-received' && e['assertions'] === 'received' && e['subject'] === handed?.['bundleId']);
      return r.length >= fragments.length ? r : undefined;
    });
    expect(fragmentReports.every((e) => typeof e['fragmentOffset'] === 'number' && e['messageId'] === 'two-sites-big@earth.example')).toBe(true);
    expect(new Set(fragmentReports.map((e) => e['fragmentOffset'])).size).toBe(fragments.length);
    const at = (site: Site, event: string, match: (e: GatewayLogEvent) => boolean): number => Number(logged(site, event, match)?.['at']) - t0;
    const isBig = (e: GatewayLogEvent): boolean => e['messageId'] === 'two-sites-big@earth.example';
    console.log(
      `20 MiB attachment (${size} octets of BSMTP, ${fragments.length} fragments), ms after submission: ` +
        `queued at Earth ${at(earth, 'outbound-queued', isBig)}, handed to Earth's node ${at(earth, 'bundle-handed-over', isBig)}, ` +
        `accepted by Mars's gateway ${at(mars, 'inbound-accepted', (e) => Number(e['at']) > t0 && e['source'] === EARTH_GW)}, ` +
        `delivered into Postfix ${at(mars, 'inbound-delivered', isBig)}, read from Bob's inbox ${ms}`,
    );
  }, 90_000);

  it('refuses every BSMTP smuggling variant whole: nothing delivered, one postmaster notice each', async () => {
    const testbed = await agent(earth.bpa, 'testbed');
    const head = 'EHLO gw.earth.example\r\nMAIL FROM:<alice@earth.example>\r\nRCPT TO:<bob@mars.example>\r\nDATA\r\nSubject: innocent\r\n\r\n';
    const smuggled = 'MAIL FROM:<ceo@mars.example>\r\nRCPT TO:<carol@mars.example>\r\nDATA\r\nSubject: smuggled\r\n\r\nspoofed\r\n';
    // end-of-data look-alikes and stray line ends in the data (the decoder's refusal list, decode.ts)
    const inData: [string, string][] = [
      ['<LF>.<LF>', `text\n.\n${smuggled}`],
      ['<CR><LF>.<LF>', `text\r\n.\n${smuggled}`],
      ['<LF>.<CR><LF>', `text\n.\r\n${smuggled}`],
      ['<CR>.<CR>', `text\r.\r${smuggled}`],
      ['<CR>.<CR><LF>', `text\r.\r\n${smuggled}`],
      ['<CR><LF>.<CR>', `text\r\n.\r${smuggled}`],
      ['bare LF in a text line', 'one\ntwo\r\n'],
      ['bare CR in a text line', 'one\rtwo\r\n'],
      ['CR CR LF', 'one\r\r\n'],
      ['NUL before the dot', `text\r\n\0.\r\n${smuggled}`],
      ['NUL in a text line', 'a\0b\r\n'],
    ];
    const objects = inData.map(([name, data]) => [name, `${head}${data}.\r\n${smuggled}.\r\nQUIT\r\n`] as const);
    const inCommands: [string, string][] = [
      ['bare LF ending a command', 'EHLO a\nMAIL FROM:<alice@earth.example>\r\n'],
      ['bare CR ending a command', 'EHLO a\rMAIL FROM:<alice@earth.example>\r\n'],
      ['bare CR inside a path', 'EHLO a\r\nMAIL FROM:<alice\r@earth.example>\r\n'],
      ['NUL inside a command', 'EHLO a\r\nMAIL FROM:<alice\0@earth.example>\r\n'],
      ['bare LF after the data', 'EHLO a\r\nMAIL FROM:<alice@earth.example>\r\nRCPT TO:<carol@mars.example>\r\nDATA\r\nx\r\n.\r\nQUIT\n'],
    ];
    const all = [...objects, ...inCommands.map(([name, stream]) => [name, `${stream}RCPT TO:<bob@mars.example>\r\nDATA\r\nSubject: innocent\r\n\r\nx\r\n.\r\nQUIT\r\n`] as const)];
    const before = { bob: await inboxCount(mars.stack, 'bob'), carol: await inboxCount(mars.stack, 'carol'), postmaster: await inboxCount(mars.stack, 'postmaster') };
    const invalidBefore = mars.logs.filter((e) => e.event === 'inbound-invalid-object').length;
    for (const [name, object] of all) {
      const sent = await testbed.send(MARS_GW, ascii(object));
      expect(sent.ok, name).toBe(true);
    }
    await until('every object refused', () => (mars.logs.filter((e) => e.event === 'inbound-invalid-object').length >= invalidBefore + all.length ? true : undefined));
    const refusals = mars.logs.filter((e) => e.event === 'inbound-invalid-object').slice(invalidBefore);
    expect(refusals.map((e) => [e['source'], e['code']])).toEqual(all.map(() => ['dtn://earth.dtn/testbed', 'BSMTP_SMUGGLING']));
    await until('the postmaster notices', async () => ((await inboxCount(mars.stack, 'postmaster')) >= before.postmaster + all.length ? true : undefined));
    await mars.gateway.idle();
    await sleep(300);
    expect(await inboxCount(mars.stack, 'postmaster')).toBe(before.postmaster + all.length);
    expect(await inboxCount(mars.stack, 'bob')).toBe(before.bob);
    expect(await inboxCount(mars.stack, 'carol')).toBe(before.carol);
    const notices = (await readInbox(mars.stack, 'postmaster')).filter((m) => m.source.includes('Subject: Invalid mail object from dtn://earth.dtn/testbed'));
    expect(notices).toHaveLength(all.length);
    for (const n of notices) expect(n.source).toContain('BSMTP_SMUGGLING');
  });

  it('shows the traffic on the metrics endpoints, with empty queues at the end', async () => {
    await Promise.all([earth.gateway.idle(), mars.gateway.idle()]);
    // status reports still on their way change Earth's counters: wait until none came for longer than
    // a node takes to confirm a forwarding (2 s)
    let seen = -1;
    let since = Date.now();
    await until('the status reports to settle', () => {
      const n = earth.logs.filter((e) => e.event === 'report-received').length;
      if (n !== seen) [seen, since] = [n, Date.now()];
      return Date.now() - since > 2500 ? true : undefined;
    });
    const marsPort = mars.addresses.metrics?.port ?? 0;
    const text = await httpGet(marsPort, '/metrics');
    const value = (name: string): number => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
    expect(value('farside_gateway_delivered_total')).toBeGreaterThanOrEqual(5);
    expect(value('farside_gateway_refused_total')).toBeGreaterThanOrEqual(18);
    expect(value('farside_gateway_dsn_sent_total')).toBeGreaterThanOrEqual(1);
    expect(value('farside_gateway_queued_total')).toBeGreaterThanOrEqual(1);
    expect(text).toContain('farside_gateway_queue_depth{queue="outbound"} 0\n');
    expect(text).toContain('farside_gateway_queue_depth{queue="inbound"} 0\n');
    expect(text).toContain(`farside_gateway_node_connected{state="connected",endpoint="${MARS_GW}"} 1\n`);
    const json = JSON.parse(await httpGet(earth.addresses.metrics?.port ?? 0, '/metrics.json')) as { counters: Record<string, number> };
    expect(json.counters['handed_over']).toBeGreaterThanOrEqual(4);
    expect(json.counters['received']).toBeGreaterThanOrEqual(2);
    expect(json.counters['status_reports_linked']).toBeGreaterThanOrEqual(3);
    expect(earth.gateway.metrics().counters).toEqual(json.counters);
  });
});
