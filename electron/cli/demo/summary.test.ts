import { describe, expect, it } from 'vitest';
import { createJourneys } from './journeys';
import { createStyle } from './style';
import { renderSummary } from './summary';

const KIB256 = 256 * 1024;

function journeys() {
  const j = createJourneys();
  const mail = j.expect({ messageId: 'm1@earth.example', label: "Alice's mail", from: 'earth', to: 'mars', subject: 's', attachments: [{ filename: 'a.bin', size: 1_572_864, sha256: 'x' }] });
  Object.assign(mail, { submittedAt: 1190, queuedAt: 1510, bsmtpBytes: 2_153_573, handedOverAt: 2010, fragments: 9, forwarded: 9, estimatedArrivalAt: 12_930, firstArrivalAt: 6010, reassembledAt: 13_260, mtaAcceptedAt: 13_460 });
  mail.inbox = { at: 14_380, uid: 1, intact: true, facts: { messageId: 'm1@earth.example', inReplyTo: '', subject: 's', from: 'alice@earth.example', size: 1, attachments: [], dsn: null } };
  mail.dsn = {
    at: 17_490,
    messageId: 'd1@mta.mars.example',
    report: { reportingMta: { type: 'dns', value: 'mta.mars.example' }, recipients: [{ finalRecipient: { type: 'rfc822', value: 'bob@mars.example' }, action: 'relayed', status: '2.0.0' }] },
  };
  const reply = j.expect({ messageId: 'm2@mars.example', label: "Bob's reply", from: 'mars', to: 'earth', subject: 'Re: s', attachments: [{ filename: 'b.bin', size: 98_304, sha256: 'y' }] });
  mail.reports = { received: 9, forwarded: 9, delivered: 1, deleted: 0 };
  mail.deliveryReportAt = 16_210;
  Object.assign(reply, { submittedAt: 17_640, forwarded: 1 });
  return { mail, reply };
}

describe('renderSummary', () => {
  it('has a column per mail and a row per step, with "—" for what did not happen', () => {
    const { mail, reply } = journeys();
    const lines = renderSummary(
      [
        { journey: mail, route: 'Earth → Mars' },
        { journey: reply, route: 'Mars → Earth' },
      ],
      KIB256,
      createStyle(false),
    );
    const row = (label: string): string => lines.find((l) => l.trimStart().startsWith(label)) ?? '';
    expect(lines[0]).toMatch(/^\s+Alice's mail\s+Bob's reply$/);
    expect(lines[1]).toMatch(/^\s+Earth → Mars\s+Mars → Earth$/);
    expect(row('Submitted to Postfix')).toMatch(/\+1\.19 s\s+\+17\.64 s$/);
    expect(row('Queued at the gateway')).toMatch(/\+1\.51 s, 2,153,573 bytes\s+—$/);
    expect(row('Bundle(s) on the link')).toMatch(/9 fragments of ≤ 256 KiB\s+1 bundle, not fragmented$/);
    expect(row('Reassembled at the far node')).toMatch(/\+13\.26 s\s+not needed$/);
    expect(row("In the recipient's IMAP inbox")).toMatch(/\+14\.38 s \(13\.2 s after submission\)\s+—$/);
    expect(row('Attachment size and SHA-256 as sent')).toMatch(/yes, 1\.5 MiB\s+—$/);
    expect(row('BPv7 status reports received')).toMatch(/9 forwarded, 9 received, 1 delivered \(delivery report \+16\.21 s\)\s+—$/);
    expect(row("DSN back in the sender's inbox")).toMatch(/\+17\.49 s \(16\.3 s after submission\), relayed 2\.0\.0\s+—$/);
    // every row has the same layout: the columns line up
    const at = lines[0]?.indexOf("Bob's reply");
    expect(row('Submitted to Postfix').indexOf('+17.64 s')).toBe(at);
  });

  it('says NO when the inbox copy differs from what was sent', () => {
    const { mail } = journeys();
    if (mail.inbox !== undefined) mail.inbox = { ...mail.inbox, intact: false };
    const lines = renderSummary([{ journey: mail, route: 'Earth → Mars' }], KIB256, createStyle(false));
    expect(lines.find((l) => l.includes('Attachment size'))).toMatch(/NO$/);
  });
});
