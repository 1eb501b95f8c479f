import { describe, expect, it } from 'vitest';
import { ascii, ud3tnVector } from '../../test-support/vectors';
import { detectPayloadForm } from './detect';

describe('detectPayloadForm', () => {
  it('recognises the real uD3TN BSMTP payloads (HELO)', () => {
    expect(detectPayloadForm(ud3tnVector('aap1/bsmtp_payload.bin'))).toBe('bsmtp');
    expect(detectPayloadForm(ud3tnVector('fragments/bsmtp_long_payload.bin'))).toBe('bsmtp');
  });

  it('recognises BSMTP starting with EHLO, HELO or MAIL FROM:, in any case (RFC 5321 §2.4)', () => {
    for (const start of ['EHLO a.example\r\n', 'helo a\r\n', 'MAIL FROM:<a@b>\r\n', 'mail from:<>\r\n', 'Ehlo [192.0.2.1]\r\n']) {
      expect(detectPayloadForm(ascii(start))).toBe('bsmtp');
    }
  });

  it('recognises a plain RFC 5322 message, the draft -00 form the testbed sends', () => {
    // what `aap_send.py` forwards from Postfix in marcblanchet/apps-over-dtn (protocols.md §1.3)
    const message = 'Return-Path: <alice@earth.ssi>\r\nFrom: alice@earth.ssi\r\nTo: bob@mars.ssi\r\nSubject: hi\r\n\r\nhello\r\n';
    expect(detectPayloadForm(ascii(message))).toBe('rfc5322');
    expect(detectPayloadForm(ascii('From: a@b\nTo: c@d\n\nbare LF too\n'))).toBe('rfc5322');
    expect(detectPayloadForm(ascii('X-Mailer: x'))).toBe('rfc5322');
    expect(detectPayloadForm(ascii('Subject : obsolete white space before the colon (RFC 5322 §4.5.3)\r\n'))).toBe('rfc5322');
    expect(detectPayloadForm(ascii('Mail-From: not a command\r\n'))).toBe('rfc5322');
  });

  it('answers unknown for anything else', () => {
    const others = [
      '',
      '\r\n',
      ':no name\r\n',
      'EHLO\r\n', // EHLO needs an argument
      'MAIL FROM <a@b>\r\n',
      'From alice@earth.ssi Thu Jan  1 00:00:00 2026\r\n', // mbox separator, not a header field
      'no colon on this line\r\nX: y\r\n',
      'QUIT\r\n',
      '\u00ffbinary',
    ];
    for (const o of others) expect(detectPayloadForm(ascii(o))).toBe('unknown');
    expect(detectPayloadForm(new Uint8Array([0x9f, 0x89, 0x07]))).toBe('unknown');
  });

  it('looks only at the first line: a colon after 998 octets does not make a header field', () => {
    expect(detectPayloadForm(ascii(`${'X'.repeat(997)}: y`))).toBe('rfc5322');
    expect(detectPayloadForm(ascii(`${'X'.repeat(998)}: y`))).toBe('unknown');
  });
});
