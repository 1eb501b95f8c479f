/**
 * parseDsn against real DSNs from Postfix 3.7.11 (produced by the private mail stack of
 * electron/gateway/test-support on this project's machine and copied byte for byte), DSNs written by
 * buildDsn, and messages that are not DSNs or claim to be one without what RFC 3464 requires.
 */
import { describe, expect, it } from 'vitest';
import { ascii } from '../../test-support/vectors';
import { buildDsn } from './build';
import { parseDsn } from './parse';

/** Postfix 3.7.11: NOTIFY=SUCCESS for a local recipient delivered over LMTP ("relayed": Dovecot LMTP has no DSN), as stored by Dovecot. */
const POSTFIX_RELAYED = [
  'Return-Path: <>',
  'Delivered-To: carol@earth.example',
  'Received: from mta.earth.example ([127.0.0.1])',
  '\tby vm with LMTP',
  '\tid 0PI7Adk+B2tTMwAAg+zDdQ',
  '\t(envelope-from <>)',
  '\tfor <carol@earth.example>; Wed, 25 Nov 2026 20:02:33 +0000',
  'Received: by mta.earth.example (Postfix)',
  '\tid 04B4820C602; Wed, 25 Nov 2026 20:02:33 +0000 (UTC)',
  'Date: Wed, 25 Nov 2026 20:02:33 +0000 (UTC)',
  'From: Mail Delivery System <MAILER-DAEMON@earth.example>',
  'Subject: Successful Mail Delivery Report',
  'To: carol@earth.example',
  'Auto-Submitted: auto-replied',
  'MIME-Version: 1.0',
  'Content-Type: multipart/report; report-type=delivery-status;',
  '\tboundary="E6FE520C654.1795636953/mta.earth.example"',
  'Message-Id: <20261125200233.04B4820C602@mta.earth.example>',
  '',
  'This is a MIME-encapsulated message.',
  '',
  '--E6FE520C654.1795636953/mta.earth.example',
  'Content-Description: Notification',
  'Content-Type: text/plain; charset=us-ascii',
  '',
  'This is the mail system at host mta.earth.example.',
  '',
  'Your message was successfully delivered to the destination(s)',
  'listed below. If the message was delivered to mailbox you will',
  'receive no further notifications. Otherwise you may still receive',
  'notifications of mail delivery errors from other systems.',
  '',
  '                   The mail system',
  '',
  '<alice@earth.example>: delivery via 127.0.0.1[127.0.0.1]:35979: 250 2.0.0',
  '    <alice@earth.example> KC+QO9g+B2tTMwAAg+zDdQ Saved',
  '',
  '--E6FE520C654.1795636953/mta.earth.example',
  'Content-Description: Delivery report',
  'Content-Type: message/delivery-status',
  '',
  'Reporting-MTA: dns; mta.earth.example',
  'Original-Envelope-Id: farside-env-7',
  'X-Postfix-Queue-ID: E6FE520C654',
  'X-Postfix-Sender: rfc822; carol@earth.example',
  'Arrival-Date: Wed, 25 Nov 2026 20:02:32 +0000 (UTC)',
  '',
  'Final-Recipient: rfc822; alice@earth.example',
  'Original-Recipient: rfc822;alice@earth.example',
  'Action: relayed',
  'Status: 2.0.0',
  'Remote-MTA: dns; 127.0.0.1',
  'Diagnostic-Code: smtp; 250 2.0.0 <alice@earth.example> KC+QO9g+B2tTMwAAg+zDdQ',
  '    Saved',
  '',
  '--E6FE520C654.1795636953/mta.earth.example',
  'Content-Description: Message Headers',
  'Content-Type: text/rfc822-headers',
  '',
  'Return-Path: <carol@earth.example>',
  'Received: from [127.0.0.1] (localhost [127.0.0.1])',
  '\tby mta.earth.example (Postfix) with ESMTP id E6FE520C654',
  '\tfor <alice@earth.example>; Wed, 25 Nov 2026 20:02:32 +0000 (UTC)',
  'From: carol@earth.example',
  'To: alice@earth.example',
  'Subject: dsn test',
  'Message-ID: <94888f9e-0d76-99f2-9e06-15b99f27a7d7@earth.example>',
  'Content-Transfer-Encoding: 7bit',
  'Date: Wed, 25 Nov 2026 20:02:32 +0000',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  '',
  '--E6FE520C654.1795636953/mta.earth.example--',
].join('\r\n') + '\r\n';

/** Postfix 3.7.11: two recipients refused with 550 by the next hop, RET=HDRS, as stored by Dovecot. */
const POSTFIX_FAILED = [
  'Return-Path: <>',
  'Delivered-To: carol@earth.example',
  'Received: from mta.earth.example ([127.0.0.1])',
  '\tby vm with LMTP',
  '\tid gDwiK90+B2v5MwAAg+zDdQ',
  '\t(envelope-from <>)',
  '\tfor <carol@earth.example>; Wed, 25 Nov 2026 20:02:37 +0000',
  'Received: by mta.earth.example (Postfix)',
  '\tid AD29920C6E8; Wed, 25 Nov 2026 20:02:37 +0000 (UTC)',
  'Date: Wed, 25 Nov 2026 20:02:37 +0000 (UTC)',
  'From: Mail Delivery System <MAILER-DAEMON@earth.example>',
  'Subject: Undelivered Mail Returned to Sender',
  'To: carol@earth.example',
  'Auto-Submitted: auto-replied',
  'MIME-Version: 1.0',
  'Content-Type: multipart/report; report-type=delivery-status;',
  '\tboundary="6B74820C6CB.1795636957/mta.earth.example"',
  'Message-Id: <20261125200237.AD29920C6E8@mta.earth.example>',
  '',
  'This is a MIME-encapsulated message.',
  '',
  '--6B74820C6CB.1795636957/mta.earth.example',
  'Content-Description: Notification',
  'Content-Type: text/plain; charset=us-ascii',
  '',
  'This is the mail system at host mta.earth.example.',
  '',
  'I\'m sorry to have to inform you that your message could not',
  'be delivered to one or more recipients. It\'s attached below.',
  '',
  'For further assistance, please send mail to postmaster.',
  '',
  'If you do so, please include this problem report. You can',
  'delete your own text from the attached returned message.',
  '',
  '                   The mail system',
  '',
  '<yan@mars.example>: host 127.0.0.1[127.0.0.1] said: 550 5.1.1 5.1.1',
  '    <yan@mars.example>: Recipient address rejected: User unknown (in reply to',
  '    RCPT TO command)',
  '',
  '<zed@mars.example>: host 127.0.0.1[127.0.0.1] said: 550 5.1.1 5.1.1',
  '    <zed@mars.example>: Recipient address rejected: User unknown (in reply to',
  '    RCPT TO command)',
  '',
  '--6B74820C6CB.1795636957/mta.earth.example',
  'Content-Description: Delivery report',
  'Content-Type: message/delivery-status',
  '',
  'Reporting-MTA: dns; mta.earth.example',
  'Original-Envelope-Id: farside-env-8',
  'X-Postfix-Queue-ID: 6B74820C6CB',
  'X-Postfix-Sender: rfc822; carol@earth.example',
  'Arrival-Date: Wed, 25 Nov 2026 20:02:37 +0000 (UTC)',
  '',
  'Final-Recipient: rfc822; yan@mars.example',
  'Original-Recipient: rfc822;yan@mars.example',
  'Action: failed',
  'Status: 5.1.1',
  'Remote-MTA: dns; 127.0.0.1',
  'Diagnostic-Code: smtp; 550 5.1.1 5.1.1 <yan@mars.example>: Recipient address',
  '    rejected: User unknown',
  '',
  'Final-Recipient: rfc822; zed@mars.example',
  'Original-Recipient: rfc822;zed@mars.example',
  'Action: failed',
  'Status: 5.1.1',
  'Remote-MTA: dns; 127.0.0.1',
  'Diagnostic-Code: smtp; 550 5.1.1 5.1.1 <zed@mars.example>: Recipient address',
  '    rejected: User unknown',
  '',
  '--6B74820C6CB.1795636957/mta.earth.example',
  'Content-Description: Undelivered Message Headers',
  'Content-Type: text/rfc822-headers',
  '',
  'Return-Path: <carol@earth.example>',
  'Received: from [127.0.0.1] (localhost [127.0.0.1])',
  '\tby mta.earth.example (Postfix) with ESMTP id 6B74820C6CB;',
  '\tWed, 25 Nov 2026 20:02:37 +0000 (UTC)',
  'From: carol@earth.example',
  'To: zed@mars.example, yan@mars.example',
  'Subject: fail test',
  'Message-ID: <738597d0-5340-6a64-093f-533c0cfd5573@earth.example>',
  'Content-Transfer-Encoding: 7bit',
  'Date: Wed, 25 Nov 2026 20:02:37 +0000',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  '',
  '--6B74820C6CB.1795636957/mta.earth.example--',
].join('\r\n') + '\r\n';

function parsed(text: string) {
  const r = parseDsn(ascii(text));
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

describe('parseDsn', () => {
  it('reads a Postfix success report (Action relayed) with its ENVID, ORCPT and returned Message-ID', () => {
    expect(parsed(POSTFIX_RELAYED)).toEqual({
      reportingMta: { type: 'dns', value: 'mta.earth.example' },
      originalEnvelopeId: 'farside-env-7',
      arrivalDate: 'Wed, 25 Nov 2026 20:02:32 +0000 (UTC)',
      recipients: [
        {
          originalRecipient: { type: 'rfc822', value: 'alice@earth.example' },
          finalRecipient: { type: 'rfc822', value: 'alice@earth.example' },
          action: 'relayed',
          status: '2.0.0',
          remoteMta: { type: 'dns', value: '127.0.0.1' },
          // a folded field is unfolded (RFC 5322 §2.2.3)
          diagnosticCode: { type: 'smtp', value: '250 2.0.0 <alice@earth.example> KC+QO9g+B2tTMwAAg+zDdQ    Saved' },
        },
      ],
      returnedMessageId: '94888f9e-0d76-99f2-9e06-15b99f27a7d7@earth.example',
    });
  });

  it('reads a Postfix failure report with two recipient groups', () => {
    const dsn = parsed(POSTFIX_FAILED);
    expect(dsn?.originalEnvelopeId).toBe('farside-env-8');
    expect(dsn?.recipients.map((r) => [r.finalRecipient.value, r.originalRecipient?.value, r.action, r.status])).toEqual([
      ['yan@mars.example', 'yan@mars.example', 'failed', '5.1.1'],
      ['zed@mars.example', 'zed@mars.example', 'failed', '5.1.1'],
    ]);
    expect(dsn?.recipients[1]?.diagnosticCode?.value).toBe('550 5.1.1 5.1.1 <zed@mars.example>: Recipient address    rejected: User unknown');
    expect(dsn?.returnedMessageId).toBe('738597d0-5340-6a64-093f-533c0cfd5573@earth.example');
  });

  it('gives null for mail that is not a delivery-status report', () => {
    expect(parsed('From: a@b\r\nSubject: hi\r\n\r\nbody\r\n')).toBeNull();
    expect(parsed('Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\nhi\r\n--x--\r\n')).toBeNull();
    // RFC 6522: other report types (e.g. disposition-notification, RFC 8098) are not DSNs
    expect(parsed(POSTFIX_FAILED.replace('report-type=delivery-status', 'report-type=disposition-notification'))).toBeNull();
  });

  it.each([
    ['no boundary', POSTFIX_FAILED.replace(/\tboundary="[^"]+"/, '\tx=y')],
    ['no Reporting-MTA', POSTFIX_FAILED.replace('Reporting-MTA: dns; mta.earth.example\r\n', '')],
    ['no Final-Recipient', POSTFIX_FAILED.replace('Final-Recipient: rfc822; zed@mars.example\r\n', '')],
    ['an unknown Action', POSTFIX_FAILED.replace('Action: failed\r\nStatus: 5.1.1\r\nRemote-MTA: dns; 127.0.0.1\r\nDiagnostic-Code: smtp; 550 5.1.1 5.1.1 <zed', 'Action: exploded\r\nStatus: 5.1.1\r\nRemote-MTA: dns; 127.0.0.1\r\nDiagnostic-Code: smtp; 550 5.1.1 5.1.1 <zed')],
    ['a malformed Status', POSTFIX_FAILED.replace('Status: 5.1.1\r\nRemote-MTA: dns; 127.0.0.1\r\nDiagnostic-Code: smtp; 550 5.1.1 5.1.1 <zed', 'Status: 5.1\r\nRemote-MTA: dns; 127.0.0.1\r\nDiagnostic-Code: smtp; 550 5.1.1 5.1.1 <zed')],
  ])('refuses a DSN with %s as MALFORMED', (_name, text) => {
    const r = parseDsn(ascii(text));
    expect(r.ok ? 'ok' : r.error.code).toBe('MALFORMED');
  });

  it('reads a base64-encoded delivery-status part (RFC 2045 §6.8)', () => {
    const status = 'Reporting-MTA: dns; gw.mars.example\r\nOriginal-Envelope-Id: e1\r\n\r\nFinal-Recipient: rfc822; bob@mars.example\r\nAction: delivered\r\nStatus: 2.0.0\r\n';
    const b64 = btoa(status).replace(/.{1,60}/g, '$&\r\n');
    const text = `Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64}--b--\r\n`;
    expect(parsed(text)?.recipients[0]).toEqual({ finalRecipient: { type: 'rfc822', value: 'bob@mars.example' }, action: 'delivered', status: '2.0.0' });
  });

  it('reads back what buildDsn wrote', () => {
    const built = buildDsn({
      report: {
        reportingMta: { type: 'dns', value: 'gw.mars.example' },
        originalEnvelopeId: 'env-42',
        recipients: [
          { originalRecipient: { type: 'rfc822', value: 'bob@mars.example' }, finalRecipient: { type: 'rfc822', value: 'bob@mars.example' }, action: 'failed', status: '5.1.1', diagnosticCode: { type: 'smtp', value: '550 5.1.1 no such user' } },
          { finalRecipient: { type: 'rfc822', value: 'carol@mars.example' }, action: 'delayed', status: '4.4.1', willRetryUntil: 'Thu, 26 Nov 2026 20:00:00 +0000' },
        ],
      },
      from: 'MAILER-DAEMON@mars.example',
      to: 'alice@earth.example',
      date: 0,
      messageId: 'dsn-1@gw.mars.example',
      boundary: 'b1',
      original: { message: ascii('Message-ID: <orig-1@earth.example>\r\nSubject: x\r\n\r\nbody\r\n'), ret: 'HDRS' },
    });
    if (!built.ok) throw new Error(built.error.message);
    const dsn = parseDsn(built.value.message);
    expect(dsn.ok && dsn.value).toMatchObject({
      reportingMta: { type: 'dns', value: 'gw.mars.example' },
      originalEnvelopeId: 'env-42',
      recipients: [
        { originalRecipient: { type: 'rfc822', value: 'bob@mars.example' }, action: 'failed', status: '5.1.1', diagnosticCode: { type: 'smtp', value: '550 5.1.1 no such user' } },
        { finalRecipient: { type: 'rfc822', value: 'carol@mars.example' }, action: 'delayed', status: '4.4.1', willRetryUntil: 'Thu, 26 Nov 2026 20:00:00 +0000' },
      ],
      returnedMessageId: 'orig-1@earth.example',
    });
  });
});
