import { describe, expect, it } from 'vitest';
import { ascii, chunks } from '../../../shared/test-support/vectors';
import { LIMITS } from '../../../shared/protocol/limits';
import { createReplyDecoder, formatReply, replyClass } from './reply-decoder';
import type { SmtpReply } from './reply-decoder';

/** Postfix 3.7's replies to one pipelined BSMTP replay, exactly as environment.md §5 records them. */
const POSTFIX_SESSION =
  '220 localhost ESMTP Postfix\r\n' +
  '250-localhost\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250 CHUNKING\r\n' +
  '250 2.1.0 Ok\r\n' +
  '550 5.1.1 <nosuchuser@localhost>: Recipient address rejected: User unknown in local recipient table\r\n' +
  '554 5.7.1 <someone@elsewhere.example>: Relay access denied\r\n' +
  '250 2.1.5 Ok\r\n' +
  '354 End data with <CR><LF>.<CR><LF>\r\n' +
  '250 2.0.0 Ok: queued as 01AE220C29F\r\n' +
  '221 2.0.0 Bye\r\n';

function decodeAll(parts: readonly Uint8Array[]): SmtpReply[] {
  const d = createReplyDecoder();
  const out: SmtpReply[] = [];
  for (const p of parts) {
    const r = d.push(p);
    if (!r.ok) throw new Error(r.error.message);
    out.push(...r.value);
  }
  expect(d.idle).toBe(true);
  return out;
}

describe('SMTP reply decoder', () => {
  it('decodes a real Postfix session: codes, multi-line EHLO, enhanced status codes', () => {
    const replies = decodeAll([ascii(POSTFIX_SESSION)]);
    expect(replies.map((r) => r.code)).toEqual([220, 250, 250, 550, 554, 250, 354, 250, 221]);
    expect(replies[1]?.lines).toEqual(['localhost', 'PIPELINING', 'SIZE 10240000', 'VRFY', 'ETRN', 'ENHANCEDSTATUSCODES', '8BITMIME', 'DSN', 'CHUNKING']);
    expect(replies.map((r) => r.enhanced)).toEqual([null, null, '2.1.0', '5.1.1', '5.7.1', '2.1.5', null, '2.0.0', '2.0.0']);
    expect(formatReply(replies[3]!)).toBe('550 5.1.1 <nosuchuser@localhost>: Recipient address rejected: User unknown in local recipient table');
    expect(replies.map(replyClass)).toEqual([2, 2, 2, 5, 5, 2, 3, 2, 2]);
  });

  it('gives the same replies for every chunk size (design.md principle 2)', () => {
    const bytes = ascii(POSTFIX_SESSION);
    const whole = decodeAll([bytes]);
    for (let size = 1; size <= bytes.length; size++) expect(decodeAll(chunks(bytes, size))).toEqual(whole);
  });

  it('keeps a pending reply until its last line arrives', () => {
    const d = createReplyDecoder();
    const first = d.push(ascii('250-a\r\n250-b\r'));
    expect(first).toEqual({ ok: true, value: [] });
    expect(d.idle).toBe(false);
    const rest = d.push(ascii('\n250 c\r\n'));
    expect(rest.ok && rest.value[0]?.lines).toEqual(['a', 'b', 'c']);
  });

  it('accepts a code alone on its line (RFC 5321 §4.2: the text is optional)', () => {
    expect(decodeAll([ascii('250\r\n')])).toEqual([{ code: 250, enhanced: null, lines: [''] }]);
  });

  it('ignores an enhanced code whose class differs from the reply code (RFC 3463 §2)', () => {
    expect(decodeAll([ascii('250 5.1.1 odd\r\n')])[0]?.enhanced).toBeNull();
  });

  it.each([
    ['bare LF', '250 ok\n', 'MALFORMED'],
    ['bare CR inside the text', '250 o\rk\r\n', 'MALFORMED'],
    ['code out of range', '650 no\r\n', 'MALFORMED'],
    ['second digit out of range', '260 no\r\n', 'MALFORMED'],
    ['letters for a code', 'abc def\r\n', 'MALFORMED'],
    ['short line', '25\r\n', 'MALFORMED'],
    ['wrong separator', '250_x\r\n', 'MALFORMED'],
    ['code changes inside a multi-line reply', '250-a\r\n251 b\r\n', 'MALFORMED'],
  ])('refuses %s', (_name, text, code) => {
    const r = createReplyDecoder().push(ascii(text));
    expect(r.ok ? 'ok' : r.error.code).toBe(code);
  });

  it('refuses a line over the limit before buffering it, in any chunking', () => {
    const long = ascii(`250 ${'x'.repeat(LIMITS.smtpMaxReplyLine)}\r\n`);
    for (const size of [1, 7, 100, long.length]) {
      const d = createReplyDecoder();
      let code = 'ok';
      for (const c of chunks(long, size)) {
        const r = d.push(c);
        if (!r.ok) {
          code = r.error.code;
          break;
        }
      }
      expect(code).toBe('LIMIT_EXCEEDED');
    }
  });

  it('refuses a multi-line reply with too many lines', () => {
    const r = createReplyDecoder({ maxLines: 3 }).push(ascii('250-a\r\n250-b\r\n250-c\r\n250 d\r\n'));
    expect(r.ok ? 'ok' : r.error.code).toBe('LIMIT_EXCEEDED');
  });

  it('stays failed after an error (the stream is out of step)', () => {
    const d = createReplyDecoder();
    expect(d.push(ascii('bad\r\n')).ok).toBe(false);
    expect(d.push(ascii('250 ok\r\n')).ok).toBe(false);
  });
});
