/**
 * parseDsn against real DSNs from Postfix 3.7.11 (shared/test-support/postfix-dsn.ts), DSNs written by
 * buildDsn, and messages that are not DSNs or claim to be one without what RFC 3464 requires.
 */
import { describe, expect, it } from 'vitest';
import { ascii } from '../../test-support/vectors';
import { buildDsn } from './build';
import { parseDsn } from './parse';
import { POSTFIX_FAILED, POSTFIX_RELAYED } from '../../test-support/postfix-dsn';

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
