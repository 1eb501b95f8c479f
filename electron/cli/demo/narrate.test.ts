/**
 * The narrator fed with events as the components logged them in a demo run (BPA and gateway log lines,
 * Postfix 3.7 mail-log lines), in the order they came: the steps, their links to the message, and the
 * journey times the summary reads.
 */
import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../../bpa/types';
import { createJourneys } from './journeys';
import type { Journeys } from './journeys';
import type { MessageFacts } from './mail-facts';
import { createNarrator, personOf } from './narrate';
import type { DemoInput, Narrator, Step } from './narrate';
import { parsePostfixLine } from './postfix-log';
import type { SiteKey } from './site';

const ALICE = 'farside-demo-mwwky0do-c33e12-1@earth.example';
const DSN = '20261125202711.5019E21CDBE@mta.mars.example';
const BUNDLE = 'dtn://earth.dtn/email 848953619592 1';
const FRAG1 = `${BUNDLE} 0 262036`;
const FRAG2 = `${BUNDLE} 262036 262036`;
const FRAG9 = `${BUNDLE} 2096288 57129`;
const LINK = { owltMs: 3000, rateBytesPerSec: 262_144, durationMs: 3_600_000, maxBundleSize: 262_144 };
const SHA = 'b9a217d0aa11bb22cc33dd44ee55ff6600112233445566778899aabb44d7adc7';
/** The demo's start, Unix ms: a report's absolute times are shown relative to it. */
const STARTED_AT = Date.parse('2026-11-25T20:26:59.000Z');

function setup(): { j: Journeys; narrate: Narrator } {
  const j = createJourneys();
  j.expect({ messageId: ALICE, label: "Alice's mail", from: 'earth', to: 'mars', subject: 'Habitat survey from Earth', attachments: [{ filename: 'habitat-survey.bin', size: 1_572_864, sha256: SHA }] });
  const narrate = createNarrator({
    journeys: j,
    sites: {
      earth: { name: 'Earth', nodeId: 'dtn://earth.dtn/', gatewayEid: 'dtn://earth.dtn/email' },
      mars: { name: 'Mars', nodeId: 'dtn://mars.dtn/', gatewayEid: 'dtn://mars.dtn/email' },
    },
    link: LINK,
    startedAt: STARTED_AT,
    estimateArrival: (site, destination, bytes) => (site === 'earth' && destination === 'dtn://mars.dtn/email' && bytes === 2_153_494 ? 12_000 : undefined),
  });
  return { j, narrate };
}

let clock = 0;
const node = (site: SiteKey, e: LogEvent): DemoInput => ({ kind: 'node', at: (clock += 10), site, e });
const gateway = (site: SiteKey, e: LogEvent): DemoInput => ({ kind: 'gateway', at: (clock += 10), site, e });
const postfix = (site: SiteKey, line: string): DemoInput => {
  const e = parsePostfixLine(line);
  if (e === null) throw new Error(`not a Postfix line the demo reads: ${line}`);
  return { kind: 'postfix', at: (clock += 10), site, e };
};

function play(narrate: Narrator, inputs: readonly DemoInput[]): Step[] {
  return inputs.flatMap((i) => narrate(i));
}

/** Alice's mail from submission to Bob's mailbox, as logged. */
function outbound(): DemoInput[] {
  return [
    { kind: 'submitted', at: (clock += 10), site: 'earth', messageId: ALICE, reply: '250 2.0.0 Ok: queued as 463DA21C141', notify: 'SUCCESS,FAILURE' },
    gateway('earth', { event: 'outbound-queued', queueId: 1, destination: 'dtn://mars.dtn/email', messageId: ALICE, envid: 'demo-1', recipients: 1, size: 2153417 }),
    // the node stores and fragments before the gateway has read the node's confirmation
    node('earth', { event: 'bundle.stored', id: BUNDLE, source: 'dtn://earth.dtn/email', destination: 'dtn://mars.dtn/email', bytes: 2153494 }),
    node('earth', { event: 'bundle.fragmented', id: FRAG1, from: BUNDLE, n: 1, of: 9, bytes: 262119 }),
    node('earth', { event: 'bundle.fragmented', id: FRAG2, from: BUNDLE, n: 2, of: 9, bytes: 262123 }),
    node('earth', { event: 'bundle.fragmented', id: FRAG9, from: BUNDLE, n: 9, of: 9, bytes: 57214 }),
    gateway('earth', { event: 'bundle-handed-over', origin: 'mail', queueId: 1, destination: 'dtn://mars.dtn/email', messageId: ALICE, bundleId: BUNDLE, size: 2153417 }),
    node('earth', { event: 'link.opened', contact: 'c1', address: 'mtcp:127.0.0.1:38343', peer: 'dtn://mars.dtn/' }),
    node('earth', { event: 'bundle.forwarded', id: FRAG1, contact: 'c1', peer: 'dtn://mars.dtn/', cla: 'mtcp:127.0.0.1:38343', bytes: 262140 }),
    node('mars', { event: 'bundle.received', id: FRAG1, from: '127.0.0.1:48834', cla: 'mtcp', source: 'dtn://earth.dtn/email', destination: 'dtn://mars.dtn/email', bytes: 262140 }),
    node('earth', { event: 'bundle.forwarded', id: FRAG9, contact: 'c1', peer: 'dtn://mars.dtn/', cla: 'mtcp:127.0.0.1:38343', bytes: 57235 }),
    node('mars', { event: 'bundle.received', id: FRAG9, from: '127.0.0.1:48834', cla: 'mtcp', source: 'dtn://earth.dtn/email', destination: 'dtn://mars.dtn/email', bytes: 57235 }),
    node('mars', { event: 'bundle.reassembled', id: BUNDLE, fragments: 9, bytes: 2153417 }),
    gateway('mars', { event: 'inbound-accepted', bundle: BUNDLE, source: 'dtn://earth.dtn/email', form: 'bsmtp', transactions: 1, deliveries: 1 }),
    node('mars', { event: 'bundle.delivered', id: BUNDLE, agent: 'dtn://mars.dtn/email', bytes: 2153417, admin: false }),
    gateway('mars', { event: 'inbound-delivered', bundle: BUNDLE, kind: 'mail', messageId: ALICE, to: 'bob@mars.example', reply: '250 2.0.0 Ok: queued as 18B0B21CDAD', status: '2.0.0' }),
    postfix('mars', `Nov 25 20:27:11 mta postfix/cleanup[29287]: 18B0B21CDAD: message-id=<${ALICE}>`),
    postfix('mars', 'Nov 25 20:27:11 mta postfix/lmtp[29288]: 18B0B21CDAD: to=<bob@mars.example>, relay=127.0.0.1[127.0.0.1]:46101, delay=0.16, delays=0.12/0.01/0/0.03, dsn=2.0.0, status=sent (250 2.0.0 <bob@mars.example> 0KgpDZ9EB2tScQAAg+zDdQ Saved)'),
  ];
}

const cleanupDsn = `Nov 25 20:27:11 mta postfix/cleanup[29287]: 5019E21CDBE: message-id=<${DSN}>`;
const bounce = 'Nov 25 20:27:11 mta postfix/bounce[29289]: 18B0B21CDAD: sender delivery status notification: 5019E21CDBE';

describe('the narration of a mail from Earth to Mars', () => {
  it('tells each step in order, tied to the message', () => {
    const { narrate } = setup();
    const steps = play(narrate, outbound());
    expect(steps.map((s) => s.kind)).toEqual([
      'submitted',
      'queued',
      'node-accepted',
      'fragmented',
      'fragmented',
      'fragmented',
      'handed-over',
      'link',
      'forwarded',
      'received',
      'forwarded',
      'received',
      'reassembled',
      'gateway-accepted',
      'delivered-to-agent',
      'mta-accepted',
      'mailbox',
    ]);
    expect(steps.filter((s) => s.kind !== 'link').every((s) => s.message === ALICE)).toBe(true);
    expect(steps.every((s) => s.tone === 'plain')).toBe(true);
  });

  it('says what the identifiers are, in plain words', () => {
    const { narrate } = setup();
    const text = play(narrate, outbound()).map((s) => s.text);
    expect(text[0]).toBe(`Alice's mail "Habitat survey from Earth" submitted to Earth's Postfix over SMTP (NOTIFY=SUCCESS,FAILURE): 250 2.0.0 Ok: queued as 463DA21C141`);
    expect(text[2]).toBe(`node took Alice's mail from the gateway and stored it: bundle ${BUNDLE}, 2,153,494 bytes; by the contact plan it reaches Mars at the earliest at +12.00 s`);
    expect(text[3]).toBe("node fragmented Alice's mail to bundles of at most 256 KiB (proactive fragmentation): fragment 1 of 9, 262,119 bytes, payload from offset 0");
    // handed over is said as such, never as delivered (product.md, honest states)
    expect(text[6]).toBe(
      "gateway handed Alice's mail to the node, which confirmed it as bundle (source dtn://earth.dtn/email, creation time 2026-11-25T20:26:59.592Z = DTN 848953619592 ms, sequence 1): handed over, not delivered yet",
    );
    // 262,140 bytes at 256 KiB/s: 1.0 s on the link
    expect(text[8]).toBe("node forwarded fragment 1/9 of Alice's mail to Mars: 262,140 bytes, 1.0 s on the link, then 3.0 s light time");
    // Mars numbers the fragment as Earth cut it
    expect(text[11]).toBe("node received fragment 9/9 of Alice's mail over MTCP: 57,235 bytes");
    expect(text[16]).toBe("Postfix delivered Alice's mail into Bob's mailbox (LMTP to Dovecot): 250 2.0.0 <bob@mars.example> 0KgpDZ9EB2tScQAAg+zDdQ Saved");
  });

  it('records the timeline the summary reads', () => {
    const { j, narrate } = setup();
    const inputs = outbound();
    play(narrate, inputs);
    const journey = j.of(ALICE);
    const atOf = (i: number): number => inputs[i]?.at ?? NaN;
    expect(journey).toMatchObject({
      submittedAt: atOf(0),
      queuedAt: atOf(1),
      bsmtpBytes: 2153417,
      nodeAcceptedAt: atOf(2),
      bundleBytes: 2153494,
      estimatedArrivalAt: 12_000,
      fragments: 9,
      handedOverAt: atOf(6),
      bundleId: BUNDLE,
      forwarded: 2,
      arrived: 2,
      firstArrivalAt: atOf(9),
      reassembledAt: atOf(12),
      deliveredToAgentAt: atOf(14),
      mtaAcceptedAt: atOf(15),
      mailboxAt: atOf(17),
    });
  });
});

describe("the DSN Postfix writes about Alice's mail", () => {
  for (const [order, lines] of [
    ['cleanup line first', [cleanupDsn, bounce]],
    ['bounce line first', [bounce, cleanupDsn]],
  ] as const) {
    it(`is named after the mail it reports on (${order})`, () => {
      const { j, narrate } = setup();
      play(narrate, outbound());
      const steps = play(narrate, [
        ...lines.map((l) => postfix('mars', l)),
        gateway('mars', { event: 'outbound-queued', queueId: 1, destination: 'dtn://earth.dtn/email', messageId: DSN, envid: null, recipients: 1, size: 2909 }),
      ]);
      expect(steps.map((s) => [s.kind, s.message])).toEqual([
        ['dsn-written', DSN],
        ['queued', DSN],
      ]);
      expect(steps[0]?.text).toBe(`Postfix wrote a delivery status notification for Alice's mail to its sender (NOTIFY=SUCCESS): Message-ID <${DSN}>`);
      expect(steps[1]?.text).toContain("gateway took the DSN for Alice's mail from Postfix");
      expect(j.of(DSN)).toMatchObject({ about: ALICE, from: 'mars', to: 'earth' });
    });
  }
});

function facts(over: Partial<MessageFacts>): MessageFacts {
  return { messageId: ALICE, inReplyTo: '', subject: 'Habitat survey from Earth', from: 'alice@earth.example', size: 2153799, attachments: [], dsn: null, ...over };
}

describe('what the IMAP watchers find', () => {
  it('checks the attachment against what was sent', () => {
    const { j, narrate } = setup();
    const [good] = narrate({ kind: 'inbox', at: 5, site: 'mars', user: 'bob@mars.example', uid: 1, facts: facts({ attachments: [{ filename: 'habitat-survey.bin', size: 1_572_864, sha256: SHA }] }) });
    expect(good).toMatchObject({ kind: 'inbox', message: ALICE, tone: 'good' });
    expect(good?.text).toBe(
      `in Bob's IMAP inbox (UID 1): "Habitat survey from Earth" from alice@earth.example, 2,153,799 bytes; attachment habitat-survey.bin 1,572,864 bytes, SHA-256 b9a217d0…44d7adc7 = as sent`,
    );
    expect(j.of(ALICE).inbox?.intact).toBe(true);

    const other = `${SHA.slice(0, -1)}8`;
    const [bad] = narrate({ kind: 'inbox', at: 6, site: 'mars', user: 'bob@mars.example', uid: 2, facts: facts({ attachments: [{ filename: 'habitat-survey.bin', size: 1_572_864, sha256: other }] }) });
    expect(bad?.tone).toBe('fatal');
    expect(bad?.text).toContain('≠ sent b9a217d0…44d7adc7');
    const [missing] = narrate({ kind: 'inbox', at: 7, site: 'mars', user: 'bob@mars.example', uid: 3, facts: facts({}) });
    expect(missing?.tone).toBe('fatal');
    expect(missing?.text).toContain('habitat-survey.bin missing');
  });

  it('reads a DSN as the outcome of the mail it reports on', () => {
    const { j, narrate } = setup();
    const report = {
      reportingMta: { type: 'dns', value: 'mta.mars.example' },
      originalEnvelopeId: 'demo-1',
      returnedMessageId: ALICE,
      recipients: [{ finalRecipient: { type: 'rfc822', value: 'bob@mars.example' }, action: 'relayed' as const, status: '2.0.0' }],
    };
    const [s] = narrate({ kind: 'inbox', at: 9, site: 'earth', user: 'alice@earth.example', uid: 1, facts: facts({ messageId: DSN, dsn: report }) });
    expect(s).toMatchObject({ kind: 'dsn-in-inbox', message: ALICE, tone: 'good' });
    expect(s?.text).toContain(`in Alice's IMAP inbox (UID 1): delivery status notification from mta.mars.example about <${ALICE}> (ENVID demo-1) — bob@mars.example: Action relayed, Status 2.0.0`);
    expect(j.of(ALICE).dsn).toMatchObject({ at: 9, messageId: DSN });

    const failed = { ...report, recipients: [{ finalRecipient: { type: 'rfc822', value: 'bob@mars.example' }, action: 'failed' as const, status: '5.1.1' }] };
    const [f] = narrate({ kind: 'inbox', at: 10, site: 'earth', user: 'alice@earth.example', uid: 2, facts: facts({ messageId: 'x@y', dsn: failed }) });
    expect(f?.tone).toBe('fatal');
  });
});

describe('trouble and status reports', () => {
  it('makes a lost bundle fatal and a retried delivery a visible problem', () => {
    const { narrate } = setup();
    play(narrate, outbound().slice(0, 7));
    const [expired] = narrate(node('earth', { event: 'bundle.expired', id: FRAG2, reason: 'lifetime expired' }));
    expect(expired).toMatchObject({ kind: 'problem', tone: 'fatal', message: ALICE });
    const [deferred] = narrate(gateway('mars', { event: 'inbound-deferred', bundle: BUNDLE, messageId: ALICE, recipients: 1, attempt: 1, error: '421 try later' }));
    expect(deferred).toMatchObject({ kind: 'problem', tone: 'bad' });
    expect(deferred?.text).toContain('421 try later (it retries)');
  });

  it("tells a status report once, when it reaches the sending gateway, and not in the nodes' lines about the report bundle", () => {
    const { narrate } = setup();
    play(narrate, outbound().slice(0, 7));
    // as the BPA logs the bundles it makes itself (with its suffix)
    const REPORT = 'dtn://mars.dtn/ 848953620000 3 #fc08ed1e';
    const nodeLines = play(narrate, [
      node('mars', { event: 'report.sent', id: REPORT, about: FRAG1, status: 'received', reason: 0, to: 'dtn://earth.dtn/email' }),
      node('mars', { event: 'bundle.forwarded', id: REPORT, contact: 'c2', peer: 'dtn://earth.dtn/', cla: 'mtcp:127.0.0.1:1', bytes: 90 }),
      node('earth', { event: 'bundle.received', id: REPORT, from: '127.0.0.1:1', cla: 'mtcp', source: 'dtn://mars.dtn/', destination: 'dtn://earth.dtn/email', bytes: 90 }),
      node('earth', { event: 'bundle.delivered', id: REPORT, agent: 'dtn://earth.dtn/email', bytes: 40, admin: true }),
    ]);
    expect(nodeLines).toEqual([]);
    // a node's own log of a mail bundle is not a report
    expect(play(narrate, outbound().slice(7)).some((s) => s.kind === 'report-received')).toBe(false);
  });

  it("says what each report asserts about which fragment, when, and that 'delivered' is not the mailbox", () => {
    const { j, narrate } = setup();
    play(narrate, outbound());
    const linked = { subject: BUNDLE, subjectSource: 'dtn://earth.dtn/email', subjectCreationTime: 848953619592, subjectSequence: 1, reason: 0, reasonName: 'No additional information', reasonText: 'no further detail was given', queueId: 1, origin: 'mail', messageId: ALICE, destination: 'dtn://mars.dtn/email' };
    const steps = play(narrate, [
      gateway('earth', { event: 'report-received', reporter: 'dtn://earth.dtn/', report: 'dtn://earth.dtn/ 848953624000 1', ...linked, fragmentOffset: 262036, fragmentLength: 262036, assertions: 'forwarded', forwardedAt: '2026-11-25T20:27:03.680Z' }),
      gateway('earth', { event: 'report-received', reporter: 'dtn://mars.dtn/', report: 'dtn://mars.dtn/ 848953624000 2', ...linked, fragmentOffset: 2096288, fragmentLength: 57129, assertions: 'received', receivedAt: '2026-11-25T20:27:03.690Z' }),
      gateway('earth', { event: 'report-received', reporter: 'dtn://mars.dtn/', report: 'dtn://mars.dtn/ 848953632000 3', ...linked, assertions: 'delivered', deliveredAt: '2026-11-25T20:27:11.900Z' }),
      // about a bundle the demo does not know, from a node that gives no times, with a reason
      gateway('mars', { event: 'report-received', reporter: 'dtn://earth.dtn/', report: null, ...linked, subject: 'dtn://mars.dtn/email 5 1', queueId: null, messageId: null, destination: null, assertions: 'deleted', deletedAt: null, reason: 6, reasonName: 'No known route to destination from here', reasonText: 'the node knows no route towards the destination' }),
    ]);
    expect(steps.map((s) => [s.kind, s.message, s.tone, s.statuses])).toEqual([
      ['report-received', ALICE, 'plain', ['forwarded']],
      ['report-received', ALICE, 'plain', ['received']],
      ['report-received', ALICE, 'plain', ['delivered']],
      ['report-received', undefined, 'bad', ['deleted']],
    ]);
    expect(steps.map((s) => s.text)).toEqual([
      "← status report from dtn://earth.dtn/: forwarded fragment 2/9 of Alice's mail at +4.68 s (2026-11-25T20:27:03.680Z)",
      "← status report from dtn://mars.dtn/: received fragment 9/9 of Alice's mail at +4.69 s (2026-11-25T20:27:03.690Z)",
      "← status report from dtn://mars.dtn/: delivered Alice's mail to dtn://mars.dtn/email at +12.90 s (2026-11-25T20:27:11.900Z) — it reached Mars's mail gateway, not yet the mailbox: the DSN tells that",
      '← status report from dtn://earth.dtn/: deleted bundle dtn://mars.dtn/email 5 1 (the report gives no time); reason: No known route to destination from here (the node knows no route towards the destination)',
    ]);
    expect(j.of(ALICE).reports).toEqual({ received: 1, forwarded: 1, delivered: 1, deleted: 0 });
    expect(j.of(ALICE).deliveryReportAt).toBe(steps[2]?.at);
    expect(j.reportTotals()).toEqual({ received: 1, forwarded: 1, delivered: 1, deleted: 1 });
  });
});

describe('personOf', () => {
  it('names the mailbox owner', () => {
    expect(personOf('bob@mars.example')).toBe('Bob');
    expect(personOf('alice')).toBe('Alice');
  });
});
