import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../protocol/limits';
import { ascii } from '../../test-support/vectors';
import { buildDsn, sanitizeFieldText } from './build';
import type { BuildDsnInput } from './build';

const original = ascii('From: alice@earth.example\r\nTo: bob@mars.example\r\nMessage-ID: <m1@earth.example>\r\nSubject: hello\r\n\r\nbody line\r\n');

const base: BuildDsnInput = {
  report: {
    reportingMta: { type: 'dns', value: 'gw.mars.example' },
    originalEnvelopeId: 'farside-env-1',
    arrivalDate: 'Wed, 25 Nov 2026 19:55:08 +0000',
    recipients: [
      {
        originalRecipient: { type: 'rfc822', value: 'bob@mars.example' },
        finalRecipient: { type: 'rfc822', value: 'bob@mars.example' },
        action: 'failed',
        status: '5.1.1',
        remoteMta: { type: 'dns', value: 'mta.mars.example' },
        diagnosticCode: { type: 'smtp', value: '550 5.1.1 <bob@mars.example>: Recipient address rejected' },
      },
    ],
  },
  from: 'MAILER-DAEMON@mars.example',
  to: 'alice@earth.example',
  date: Date.UTC(2026, 10, 25, 19, 55, 9),
  messageId: 'dsn-1@gw.mars.example',
  boundary: 'farside-dsn-1',
  original: { message: original, ret: 'HDRS' },
};

function text(input: BuildDsnInput): string {
  const r = buildDsn(input);
  if (!r.ok) throw new Error(r.error.message);
  return new TextDecoder().decode(r.value.message);
}

describe('buildDsn', () => {
  it('writes the RFC 3464 §2.2/§2.3 groups: per-message, blank line, per-recipient', () => {
    const t = text(base);
    const status = t.slice(t.indexOf('Content-Type: message/delivery-status\r\n\r\n') + 41, t.indexOf('\r\n--farside-dsn-1\r\nContent-Description: Message Headers'));
    expect(status).toBe(
      'Reporting-MTA: dns; gw.mars.example\r\n' +
        'Original-Envelope-Id: farside-env-1\r\n' +
        'Arrival-Date: Wed, 25 Nov 2026 19:55:08 +0000\r\n' +
        '\r\n' +
        'Original-Recipient: rfc822;bob@mars.example\r\n' +
        'Final-Recipient: rfc822; bob@mars.example\r\n' +
        'Action: failed\r\n' +
        'Status: 5.1.1\r\n' +
        'Remote-MTA: dns; mta.mars.example\r\n' +
        'Diagnostic-Code: smtp; 550 5.1.1 <bob@mars.example>: Recipient address\r\n' +
        ' rejected\r\n',
    );
  });

  it('is a multipart/report; report-type=delivery-status an independent MIME parser reads (RFC 6522 §3)', async () => {
    const t = text(base);
    expect(t).toMatch(/^Content-Type: multipart\/report; report-type=delivery-status;\r\n\tboundary="farside-dsn-1"\r\n/m);
    expect(t).toMatch(/^Auto-Submitted: auto-replied\r$/m); // RFC 3834 §5
    expect(t).toMatch(/^Subject: Delivery Status Notification \(Failure\)\r$/m);
    expect(t).toMatch(/^Date: Wed, 25 Nov 2026 19:55:09 \+0000\r$/m);
    const mail = await simpleParser(Buffer.from(t));
    expect(mail.messageId).toBe('<dsn-1@gw.mars.example>');
    expect(mail.to && !Array.isArray(mail.to) && mail.to.value[0]?.address).toBe('alice@earth.example');
    expect(mail.text).toContain('could not be delivered to <bob@mars.example> (5.1.1)');
    // mailparser shows message/delivery-status as text and the header part as an attachment; it reads
    // Postfix's own DSNs (parse.test.ts) the same way
    expect(mail.text).toContain('Reporting-MTA: dns; gw.mars.example');
    expect(mail.attachments.map((a) => a.contentType)).toEqual(['text/rfc822-headers']);
    // RET=HDRS: the header of the original, not its body
    const headers = mail.attachments[0]?.content.toString() ?? '';
    expect(headers).toContain('Message-ID: <m1@earth.example>');
    expect(headers).not.toContain('body line');
  });

  it('returns the whole message as message/rfc822 for RET=FULL, headers only above the size limit', () => {
    expect(text({ ...base, original: { message: original, ret: 'FULL' } })).toContain('Content-Type: message/rfc822\r\n\r\nFrom: alice@earth.example\r\nTo: bob@mars.example\r\nMessage-ID: <m1@earth.example>\r\nSubject: hello\r\n\r\nbody line\r\n\r\n--farside-dsn-1--\r\n');
    const big = ascii(`Subject: big\r\n\r\n${'x'.repeat(LIMITS.dsnMaxReturnedBytes)}\r\n`);
    const t = text({ ...base, original: { message: big, ret: 'FULL' } });
    expect(t).toContain('Content-Type: text/rfc822-headers\r\n\r\nSubject: big\r\n\r\n--farside-dsn-1--');
  });

  it('marks 8-bit returned content (RFC 6152) and labels the part 8bit (RFC 2045 §6.2)', () => {
    const r = buildDsn({ ...base, original: { message: new TextEncoder().encode('Subject: x\r\n\r\nGrüße\r\n'), ret: 'FULL' } });
    expect(r.ok && r.value.eightBit).toBe(true);
    expect(r.ok && new TextDecoder().decode(r.value.message)).toContain('Content-Type: message/rfc822\r\nContent-Transfer-Encoding: 8bit\r\n');
    expect(buildDsn(base).ok && buildDsn(base)).toMatchObject({ value: { eightBit: false } });
  });

  it('picks another boundary when the returned content holds the seed (RFC 2046 §5.1.1)', () => {
    const t = text({ ...base, original: { message: ascii('Subject: x\r\n\r\n--farside-dsn-1\r\n'), ret: 'FULL' } });
    expect(t).toContain('boundary="farside-dsn-1.1"');
  });

  it('writes a Subject after the most telling action', () => {
    const r0 = base.report.recipients[0]!;
    const subject = (actions: readonly ('delayed' | 'delivered' | 'relayed')[]): string | undefined =>
      /^Subject: (.*)\r$/m.exec(text({ ...base, report: { ...base.report, recipients: actions.map((action) => ({ ...r0, action, status: action === 'delayed' ? '4.4.1' : '2.0.0' })) } }))?.[1];
    expect(subject(['delayed', 'delivered'])).toBe('Delivery Status Notification (Delay)');
    expect(subject(['delivered'])).toBe('Delivery Status Notification (Success)');
    expect(subject(['relayed'])).toBe('Delivery Status Notification (Relayed)');
  });

  it.each([
    ['no recipients', { ...base, report: { ...base.report, recipients: [] } }],
    ['a CR LF in the ENVID (field injection)', { ...base, report: { ...base.report, originalEnvelopeId: 'x\r\nBcc: eve@x' } }],
    ['a malformed Status', { ...base, report: { ...base.report, recipients: [{ ...base.report.recipients[0]!, status: '5.1' }] } }],
    ['an address type that is not an atom', { ...base, report: { ...base.report, recipients: [{ ...base.report.recipients[0]!, finalRecipient: { type: 'rfc 822', value: 'x@y' } }] } }],
    ['a boundary with characters outside bchars', { ...base, boundary: 'a"b' }],
  ])('refuses %s with INVALID_ARGUMENT', (_name, input: BuildDsnInput) => {
    const r = buildDsn(input);
    expect(r.ok ? 'ok' : r.error.code).toBe('INVALID_ARGUMENT');
  });

  it('sanitizeFieldText makes SMTP reply text one printable line', () => {
    expect(sanitizeFieldText('550 5.1.1 caf\u00e9\r\nnext\tline\x00')).toBe('550 5.1.1 caf? next line?');
  });
});
