import { describe, expect, it } from 'vitest';
import { ascii } from '../test-support/vectors';
import { fieldValue, fieldValues, messageIdOf, parseHeader } from './header-fields';

describe('parseHeader', () => {
  it('unfolds a field folded with CRLF WSP (RFC 5322 §2.2.3) and finds the body after the empty line', () => {
    // the folding example of RFC 5322 §2.2.3
    const bytes = ascii('Subject: This\r\n is a test\r\nTo: a@b\r\n\r\nbody\r\n');
    const { fields, bodyStart, headerEnd } = parseHeader(bytes);
    expect(fields.map((f) => [f.name, f.value])).toEqual([['Subject', 'This is a test'], ['To', 'a@b']]);
    expect(new TextDecoder().decode(bytes.subarray(bodyStart))).toBe('body\r\n');
    expect(headerEnd).toBe(bodyStart - 2);
  });

  it('gives each field its byte span, so a caller can cut one out', () => {
    const bytes = ascii('To: a@b\r\nBcc: secret@x,\r\n other@y\r\nSubject: s\r\n\r\n');
    const bcc = parseHeader(bytes).fields[1]!;
    expect(new TextDecoder().decode(bytes.subarray(bcc.start, bcc.end))).toBe('Bcc: secret@x,\r\n other@y\r\n');
  });

  it('accepts LF line ends and WSP before the colon (RFC 5322 §4.5.3 obs-optional)', () => {
    const { fields, bodyStart } = parseHeader(ascii('From : a@b\nSubject: x\n\nbody'));
    expect(fields.map((f) => [f.name, f.value])).toEqual([['From', 'a@b'], ['Subject', 'x']]);
    expect(bodyStart).toBe(23);
  });

  it('treats a message without an empty line as all header', () => {
    const bytes = ascii('Subject: x\r\n');
    expect(parseHeader(bytes).bodyStart).toBe(bytes.length);
  });

  it('finds values case-insensitively (RFC 5322 §1.2.2)', () => {
    const { fields } = parseHeader(ascii('message-id: <a@b>\r\nCC: x@y\r\ncc: z@w\r\n\r\n'));
    expect(messageIdOf(fieldValue(fields, 'Message-ID'))).toBe('a@b');
    expect(fieldValues(fields, 'Cc')).toEqual(['x@y', 'z@w']);
    expect(fieldValue(fields, 'Date')).toBeUndefined();
  });

  it('messageIdOf takes the msg-id out of comments and white space (RFC 5322 §3.6.4)', () => {
    expect(messageIdOf(' (c) <1234@local.machine.example> ')).toBe('1234@local.machine.example');
    expect(messageIdOf('no id here')).toBeUndefined();
  });
});
