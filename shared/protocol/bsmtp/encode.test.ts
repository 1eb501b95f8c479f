import { describe, expect, it } from 'vitest';
import { LIMITS } from '../limits';
import type { ErrorCode } from '../../errors';
import { ascii } from '../../test-support/vectors';
import { encodeBsmtp, encodeBsmtpMessage } from './encode';
import type { EncodeEnvelope, EncodeInput } from './types';

const text = (bytes: Uint8Array): string => new TextDecoder('latin1').decode(bytes);

function encoded(input: EncodeInput): string {
  const r = encodeBsmtp(input);
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`);
  return text(r.value);
}

function encodedMessage(message: string): string {
  const r = encodeBsmtpMessage({ ehlo: 'a', envelope: { mailFrom: 'a@b', rcptTo: [{ address: 'c@d' }] }, message: ascii(message) });
  if (!r.ok) throw new Error(r.error.message);
  const all = text(r.value);
  return all.slice(all.indexOf('DATA\r\n') + 6, all.length - 'QUIT\r\n'.length);
}

describe('encodeBsmtp: byte-exact against the RFC grammar', () => {
  it('two transactions: DSN and 8BITMIME parameters, Bcc recipient, normalisation, stuffing, RSET, QUIT', () => {
    const out = encoded({
      ehlo: 'earth.dtn',
      transactions: [
        {
          envelope: {
            mailFrom: 'alice@earth.dtn',
            body: '8BITMIME',
            size: 'auto',
            ret: 'HDRS',
            envid: 'id+1 =x',
            rcptTo: [
              { address: 'bob@mars.dtn', notify: ['FAILURE', 'SUCCESS'], orcpt: 'bob@mars.dtn' },
              { address: 'carol@mars.dtn', notify: 'NEVER' }, // the Bcc recipient: only in the envelope
            ],
          },
          // bare LF and bare CR line ends, a line starting with ".", no final line end
          message: ascii('Subject: t\r\n\r\n.hidden\nbare\rx'),
        },
        { envelope: { mailFrom: '', rcptTo: [{ address: 'alice@earth.dtn' }] }, message: ascii('.\r\n') },
      ],
    });
    // Written by hand from RFC 5321 §4.1.1 (commands), §4.5.2 (stuffing), §2.3.8 (CRLF), RFC 6152 (BODY),
    // RFC 1870 (SIZE = 12 + 2 + 9 + 6 + 3 octets of "Subject: t", "", ".hidden", "bare", "x" with CRLFs),
    // RFC 3461 §4 (ENVID "id+1 =x" as xtext: "+" → +2B, SP → +20, "=" → +3D; NOTIFY; ORCPT=rfc822;xtext).
    expect(out).toBe(
      'EHLO earth.dtn\r\n' +
        'MAIL FROM:<alice@earth.dtn> BODY=8BITMIME SIZE=32 RET=HDRS ENVID=id+2B1+20+3Dx\r\n' +
        'RCPT TO:<bob@mars.dtn> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@mars.dtn\r\n' +
        'RCPT TO:<carol@mars.dtn> NOTIFY=NEVER\r\n' +
        'DATA\r\n' +
        'Subject: t\r\n' +
        '\r\n' +
        '..hidden\r\n' +
        'bare\r\n' +
        'x\r\n' +
        '.\r\n' +
        'RSET\r\n' +
        'MAIL FROM:<>\r\n' +
        'RCPT TO:<alice@earth.dtn>\r\n' +
        'DATA\r\n' +
        '..\r\n' +
        '.\r\n' +
        'QUIT\r\n',
    );
  });

  it('re-creates the real uD3TN vector payload byte for byte (apart from its HELO)', () => {
    // vectors README: aap1/bsmtp_payload.bin is HELO earth.dtn / alice → bob / the message / . / QUIT
    const message =
      'From: Alice <alice@earth.dtn>\r\nTo: Bob <bob@mars.dtn>\r\nSubject: Hello from Earth\r\n' +
      'Date: Thu, 01 Jan 2026 00:00:00 +0000\r\nMessage-ID: <vec-0001@earth.dtn>\r\nMIME-Version: 1.0\r\n' +
      'Content-Type: text/plain; charset=us-ascii\r\n\r\nHi Bob,\r\n\r\nthis message travelled as a BPv7 bundle.\r\n\r\n-- Alice\r\n';
    const out = encoded({
      ehlo: 'earth.dtn',
      transactions: [{ envelope: { mailFrom: 'alice@earth.dtn', rcptTo: [{ address: 'bob@mars.dtn' }] }, message: ascii(message) }],
    });
    expect(out).toBe(`EHLO earth.dtn\r\nMAIL FROM:<alice@earth.dtn>\r\nRCPT TO:<bob@mars.dtn>\r\nDATA\r\n${message}.\r\nQUIT\r\n`);
    expect(out.length).toBe(369); // EHLO and HELO have the same length
  });

  it('writes NOTIFY conditions in the order SUCCESS, FAILURE, DELAY and extra parameters after the typed ones', () => {
    const out = encoded({
      ehlo: 'a',
      transactions: [
        {
          envelope: {
            mailFrom: 'a@b',
            size: 1234,
            extraParams: { 'x-Trace': 'abc', SMTPUTF8: null },
            rcptTo: [{ address: 'c@d', notify: ['DELAY', 'SUCCESS', 'FAILURE'], extraParams: { 'X-Prio': '1' } }],
          },
          message: ascii('x\r\n'),
        },
      ],
    });
    expect(out).toBe('EHLO a\r\nMAIL FROM:<a@b> SIZE=1234 X-TRACE=abc SMTPUTF8\r\nRCPT TO:<c@d> NOTIFY=SUCCESS,FAILURE,DELAY X-PRIO=1\r\nDATA\r\nx\r\n.\r\nQUIT\r\n');
  });

  it('accepts a decoded envelope\'s params as extraParams (known keywords checked by their RFC rules)', () => {
    const out = encoded({
      ehlo: 'a',
      transactions: [
        {
          envelope: { mailFrom: 'a@b', extraParams: { BODY: '8bitmime', ENVID: 'x+2B' }, rcptTo: [{ address: 'c@d', extraParams: { NOTIFY: 'never', ORCPT: 'rfc822;c@d' } }] },
          message: new Uint8Array(0),
        },
      ],
    });
    expect(out).toBe('EHLO a\r\nMAIL FROM:<a@b> BODY=8bitmime ENVID=x+2B\r\nRCPT TO:<c@d> NOTIFY=never ORCPT=rfc822;c@d\r\nDATA\r\n.\r\nQUIT\r\n');
  });
});

describe('encodeBsmtp: message normalisation (RFC 5321 §2.3.8) and dot-stuffing (§4.5.2)', () => {
  const cases: [string, string, string][] = [
    ['empty message: no line at all', '', '.\r\n'],
    ['CRLF message copied as is', 'a\r\nb\r\n', 'a\r\nb\r\n.\r\n'],
    ['final CRLF added', 'a\r\nb', 'a\r\nb\r\n.\r\n'],
    ['bare LF → CRLF', 'a\nb\n', 'a\r\nb\r\n.\r\n'],
    ['bare CR → CRLF', 'a\rb\r', 'a\r\nb\r\n.\r\n'],
    ['CR CR LF is a bare CR then CRLF', 'a\r\r\nb', 'a\r\n\r\nb\r\n.\r\n'],
    ['LF CR is two line ends', 'a\n\rb', 'a\r\n\r\nb\r\n.\r\n'],
    ['a lone "." line', '.', '..\r\n.\r\n'],
    ['stuffing at the start and after every kind of line end', '.a\r\n.b\n.c\r.d', '..a\r\n..b\r\n..c\r\n..d\r\n.\r\n'],
    ['".." becomes "..."', '..\r\n', '...\r\n.\r\n'],
    ['a "." inside a line is left alone', 'a.\r\n a\r\n', 'a.\r\n a\r\n.\r\n'],
    ['smuggling look-alikes in the input are neutralised', 'x\n.\nMAIL FROM:<e@x>\r\n.\r\n', 'x\r\n..\r\nMAIL FROM:<e@x>\r\n..\r\n.\r\n'],
    ['a lone CRLF', '\r\n', '\r\n.\r\n'],
  ];
  for (const [name, input, expected] of cases) it(name, () => expect(encodedMessage(input)).toBe(expected));

  it('SIZE auto is the RFC 1870 size: CRLF line ends and final CRLF counted, stuffing dots and terminator not', () => {
    const r = encodeBsmtpMessage({ ehlo: 'a', envelope: { mailFrom: 'a@b', size: 'auto', rcptTo: [{ address: 'c@d' }] }, message: ascii('.a\n.b') });
    expect(r.ok && text(r.value)).toContain('MAIL FROM:<a@b> SIZE=8\r\n'); // ".a" CRLF ".b" CRLF
    const empty = encodeBsmtpMessage({ ehlo: 'a', envelope: { mailFrom: 'a@b', size: 'auto', rcptTo: [{ address: 'c@d' }] }, message: new Uint8Array(0) });
    expect(empty.ok && text(empty.value)).toContain('SIZE=0\r\n');
  });

  it('does not modify its input', () => {
    const message = ascii('.a\nb\r');
    const copy = message.slice();
    encodeBsmtpMessage({ ehlo: 'a', envelope: { mailFrom: 'a@b', rcptTo: [{ address: 'c@d' }] }, message });
    expect(message).toEqual(copy);
  });

  it('handles a 20 MiB message with stuffing and bare line ends', () => {
    const line = ascii('.0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0\n');
    const message = new Uint8Array(20 * 1024 * 1024 - ((20 * 1024 * 1024) % line.length));
    for (let o = 0; o < message.length; o += line.length) message.set(line, o);
    const lines = message.length / line.length;
    const r = encodeBsmtpMessage({ ehlo: 'a', envelope: { mailFrom: 'a@b', size: 'auto', rcptTo: [{ address: 'c@d' }] }, message });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const head = `EHLO a\r\nMAIL FROM:<a@b> SIZE=${message.length + lines}\r\nRCPT TO:<c@d>\r\nDATA\r\n`;
    expect(text(r.value.subarray(0, head.length))).toBe(head);
    expect(r.value.length).toBe(head.length + message.length + 2 * lines + '.\r\nQUIT\r\n'.length);
    expect(text(r.value.subarray(head.length, head.length + line.length + 2))).toBe(`.${text(line.subarray(0, line.length - 1))}\r\n`);
  });
});

describe('encodeBsmtp: refuses what would inject commands or break the grammar', () => {
  const ok: EncodeEnvelope = { mailFrom: 'a@b', rcptTo: [{ address: 'c@d' }] };
  const attempt = (envelope: EncodeEnvelope, ehlo = 'a', message = ascii('x')) => encodeBsmtp({ ehlo, transactions: [{ envelope, message }] });
  const cases: [string, () => ReturnType<typeof encodeBsmtp>, ErrorCode][] = [
    ['CRLF in an address', () => attempt({ ...ok, mailFrom: 'a@b>\r\nRCPT TO:<evil@x' }), 'INVALID_ARGUMENT'],
    ['LF in a recipient', () => attempt({ ...ok, rcptTo: [{ address: 'c@d\nDATA' }] }), 'INVALID_ARGUMENT'],
    ['NUL in an address', () => attempt({ ...ok, mailFrom: 'a\0@b' }), 'INVALID_ARGUMENT'],
    ['SP in an address', () => attempt({ ...ok, mailFrom: 'a b@c' }), 'INVALID_ARGUMENT'],
    ['">" in an address', () => attempt({ ...ok, rcptTo: [{ address: 'c@d> NOTIFY=NEVER' }] }), 'INVALID_ARGUMENT'],
    ['"<" in an address', () => attempt({ ...ok, rcptTo: [{ address: '<c@d' }] }), 'INVALID_ARGUMENT'],
    ['non-ASCII in an address', () => attempt({ ...ok, mailFrom: 'café@b' }), 'INVALID_ARGUMENT'],
    ['an empty recipient', () => attempt({ ...ok, rcptTo: [{ address: '' }] }), 'INVALID_ARGUMENT'],
    ['no recipient', () => attempt({ ...ok, rcptTo: [] }), 'INVALID_ARGUMENT'],
    ['CRLF in the EHLO name', () => attempt(ok, 'a\r\nVRFY root'), 'INVALID_ARGUMENT'],
    ['an empty EHLO name', () => attempt(ok, ''), 'INVALID_ARGUMENT'],
    ['SP in the EHLO name', () => attempt(ok, 'a b'), 'INVALID_ARGUMENT'],
    ['CRLF in a parameter value', () => attempt({ ...ok, extraParams: { X: 'a\r\nRSET' } }), 'INVALID_ARGUMENT'],
    ['SP in a parameter value', () => attempt({ ...ok, extraParams: { X: 'a b' } }), 'INVALID_ARGUMENT'],
    ['"=" in a parameter value', () => attempt({ ...ok, extraParams: { X: 'a=b' } }), 'INVALID_ARGUMENT'],
    ['an empty parameter value', () => attempt({ ...ok, extraParams: { X: '' } }), 'INVALID_ARGUMENT'],
    ['a malformed keyword', () => attempt({ ...ok, extraParams: { 'X_Y': 'a' } }), 'INVALID_ARGUMENT'],
    ['a keyword both typed and extra', () => attempt({ ...ok, size: 1, extraParams: { size: '1' } }), 'INVALID_ARGUMENT'],
    ['a keyword twice in extras (case-insensitive)', () => attempt({ ...ok, extraParams: { 'x-a': '1', 'X-A': '2' } }), 'INVALID_ARGUMENT'],
    ['a known keyword with a bad value in extras', () => attempt({ ...ok, extraParams: { RET: 'ALL' } }), 'INVALID_ARGUMENT'],
    ['a negative SIZE', () => attempt({ ...ok, size: -1 }), 'INVALID_ARGUMENT'],
    ['a fractional SIZE', () => attempt({ ...ok, size: 1.5 }), 'INVALID_ARGUMENT'],
    ['an ENVID of more than 100 xtext characters', () => attempt({ ...ok, envid: ' '.repeat(34) }), 'INVALID_ARGUMENT'],
    ['a non-ASCII ENVID', () => attempt({ ...ok, envid: 'é' }), 'INVALID_ARGUMENT'],
    ['an empty NOTIFY list', () => attempt({ ...ok, rcptTo: [{ address: 'c@d', notify: [] }] }), 'INVALID_ARGUMENT'],
    ['a NOTIFY condition twice', () => attempt({ ...ok, rcptTo: [{ address: 'c@d', notify: ['DELAY', 'DELAY'] }] }), 'INVALID_ARGUMENT'],
    ['an empty ORCPT', () => attempt({ ...ok, rcptTo: [{ address: 'c@d', orcpt: '' }] }), 'INVALID_ARGUMENT'],
    ['an ORCPT over 500 characters', () => attempt({ ...ok, rcptTo: [{ address: 'c@d', orcpt: 'o'.repeat(494) }] }), 'INVALID_ARGUMENT'],
    ['a text line over LIMITS.smtpMaxTextLine', () => attempt(ok, 'a', ascii(`a\r\n${'b'.repeat(LIMITS.smtpMaxTextLine - 1)}\r\n`)), 'LIMIT_EXCEEDED'],
    ['a command line over LIMITS.smtpMaxCommandLine', () => attempt({ ...ok, mailFrom: `${'a'.repeat(LIMITS.smtpMaxCommandLine)}@b` }), 'LIMIT_EXCEEDED'],
    ['more than LIMITS.smtpMaxRecipients recipients', () => attempt({ ...ok, rcptTo: Array.from({ length: LIMITS.smtpMaxRecipients + 1 }, (_, i) => ({ address: `r${i}@d` })) }), 'LIMIT_EXCEEDED'],
  ];
  for (const [name, run, code] of cases) {
    it(name, () => {
      const r = run();
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe(code);
    });
  }

  it('accepts limits exactly: a 1000-octet line, a stuffed line of 998 octets, an ORCPT of 500 characters', () => {
    expect(attempt(ok, 'a', ascii(`${'b'.repeat(LIMITS.smtpMaxTextLine - 2)}\r\n.${'b'.repeat(LIMITS.smtpMaxTextLine - 3)}`)).ok).toBe(true);
    expect(attempt({ ...ok, rcptTo: [{ address: 'c@d', orcpt: 'o'.repeat(493) }] }).ok).toBe(true);
    expect(attempt({ ...ok, envid: ' '.repeat(33) }).ok).toBe(true);
  });

  it(`refuses more than LIMITS.bsmtpMaxTransactions (${LIMITS.bsmtpMaxTransactions}) transactions`, () => {
    const t = { envelope: ok, message: ascii('x') };
    expect(encodeBsmtp({ ehlo: 'a', transactions: Array.from({ length: LIMITS.bsmtpMaxTransactions }, () => t) }).ok).toBe(true);
    const r = encodeBsmtp({ ehlo: 'a', transactions: Array.from({ length: LIMITS.bsmtpMaxTransactions + 1 }, () => t) });
    expect(!r.ok && r.error.code).toBe('LIMIT_EXCEEDED');
  });
});
