import { describe, expect, it } from 'vitest';
import { LIMITS } from '../limits';
import type { ErrorCode, Result } from '../../errors';
import { ascii, ud3tnVector } from '../../test-support/vectors';
import { decodeBsmtp } from './decode';
import type { DecodedBsmtp } from './types';

/** Lines joined with CRLF, each one terminated: the way protocols.md and environment.md print streams. */
const crlf = (...lines: string[]): string => lines.map((l) => `${l}\r\n`).join('');
const text = (bytes: Uint8Array): string => new TextDecoder('latin1').decode(bytes);

function decoded(input: string | Uint8Array): DecodedBsmtp {
  const r = decodeBsmtp(typeof input === 'string' ? ascii(input) : input);
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`);
  return r.value;
}

/** Rejected whole: an error with `code` and no value at all. */
function expectRejected(input: string | Uint8Array, code: ErrorCode): void {
  const r: Result<DecodedBsmtp> = decodeBsmtp(typeof input === 'string' ? ascii(input) : input);
  expect(r.ok).toBe(false);
  expect('value' in r).toBe(false);
  if (!r.ok) expect(r.error.code).toBe(code);
}

const HEAD = crlf('EHLO earth.dtn', 'MAIL FROM:<alice@earth.dtn>', 'RCPT TO:<bob@mars.dtn>', 'DATA');
const TAIL = crlf('.', 'QUIT');

describe('decodeBsmtp: real uD3TN payloads (vectors README)', () => {
  it('aap1/bsmtp_payload.bin: HELO earth.dtn, alice → bob, 285-octet message', () => {
    const bytes = ud3tnVector('aap1/bsmtp_payload.bin');
    expect(bytes.length).toBe(369);
    const v = decoded(bytes);
    expect(v.ehlo).toBe('earth.dtn');
    expect(v.transactions).toHaveLength(1);
    const t = v.transactions[0]!;
    expect(t.envelope).toEqual({ mailFrom: 'alice@earth.dtn', mailParams: {}, rcptTo: [{ address: 'bob@mars.dtn', params: {} }] });
    // 369 minus the lines around the data: HELO (16) MAIL (29) RCPT (24) DATA (6) "." (3) QUIT (6)
    expect(t.message.length).toBe(369 - 84);
    const m = text(t.message);
    expect(m.startsWith('From: Alice <alice@earth.dtn>\r\nTo: Bob <bob@mars.dtn>\r\nSubject: Hello from Earth\r\n')).toBe(true);
    expect(m).toContain('\r\nDate: Thu, 01 Jan 2026 00:00:00 +0000\r\n');
    expect(m).toContain('\r\nMessage-ID: <vec-0001@earth.dtn>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n');
    // header block, blank line, 5 body lines; final CRLF included
    expect(m.split('\r\n\r\n').slice(1).join('\r\n\r\n').split('\r\n')).toEqual(['Hi Bob,', '', 'this message travelled as a BPv7 bundle.', '', '-- Alice', '']);
  });

  it('the message is a view into the input when no line was stuffed (zero copy)', () => {
    const bytes = ud3tnVector('aap1/bsmtp_payload.bin');
    const t = decoded(bytes).transactions[0]!;
    expect(t.message.buffer).toBe(bytes.buffer);
    expect(t.message.byteOffset).toBe(bytes.byteOffset + 16 + 29 + 24 + 6);
  });

  it('decodes views at any byte offset and of any small size (payloads are views into bundles)', () => {
    const stream = ascii(crlf('EHLO a', 'MAIL FROM:<a@b>', 'RCPT TO:<c@d>', 'DATA', '.x', 'y', '.', 'QUIT'));
    for (let shift = 0; shift < 8; shift++) {
      const backing = new Uint8Array(stream.length + shift);
      backing.set(stream, shift);
      const t = decoded(backing.subarray(shift)).transactions[0]!;
      expect(text(t.message)).toBe('x\r\ny\r\n');
      // every shorter prefix is refused (empty or TRUNCATED), except the bare greeting "EHLO a" CRLF
      for (let end = 0; end < stream.length - 'QUIT\r\n'.length; end++) {
        expect(decodeBsmtp(backing.subarray(shift, shift + end)).ok).toBe(end === 'EHLO a\r\n'.length);
      }
    }
  });

  it('fragments/bsmtp_long_payload.bin: 3113 octets, a 50-line body', () => {
    const bytes = ud3tnVector('fragments/bsmtp_long_payload.bin');
    expect(bytes.length).toBe(3113);
    const v = decoded(bytes);
    expect(v.ehlo).toBe('earth.dtn');
    const t = v.transactions[0]!;
    expect(t.envelope.mailFrom).toBe('alice@earth.dtn');
    expect(t.envelope.rcptTo.map((r) => r.address)).toEqual(['bob@mars.dtn']);
    expect(t.message.length).toBe(3113 - 84);
    const m = text(t.message);
    expect(m).toContain('\r\nSubject: Long message (fragmented)\r\n');
    const body = m.slice(m.indexOf('\r\n\r\n') + 4);
    const lines = body.split('\r\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(50);
    lines.forEach((l, i) => expect(l).toBe(`Line ${String(i + 1).padStart(3, '0')}: the quick brown fox jumps over the lazy dog.`));
  });
});

describe('decodeBsmtp: environment.md §5 stream (accepted by Postfix sendmail -bs)', () => {
  const stream = crlf(
    'HELO gateway.test',
    'MAIL FROM:<carol@remote.test>',
    'RCPT TO:<alice@localhost>',
    'RCPT TO:<bob@example.test>',
    'DATA',
    'From: Carol <carol@remote.test>',
    'To: alice@localhost, bob@example.test',
    'Subject: BSMTP injected',
    'Message-ID: <bsmtp-1@remote.test>',
    '',
    'Hello via sendmail -bs.',
    '..leading dot line (dot-stuffed)',
    '.',
    'QUIT',
  );

  it('decodes the envelope and dot-unstuffs the message', () => {
    const v = decoded(stream);
    expect(v.ehlo).toBe('gateway.test');
    expect(v.transactions).toHaveLength(1);
    const t = v.transactions[0]!;
    expect(t.envelope).toEqual({
      mailFrom: 'carol@remote.test',
      mailParams: {},
      rcptTo: [
        { address: 'alice@localhost', params: {} },
        { address: 'bob@example.test', params: {} },
      ],
    });
    expect(text(t.message)).toBe(
      'From: Carol <carol@remote.test>\r\nTo: alice@localhost, bob@example.test\r\nSubject: BSMTP injected\r\n' +
        'Message-ID: <bsmtp-1@remote.test>\r\n\r\nHello via sendmail -bs.\r\n.leading dot line (dot-stuffed)\r\n',
    );
  });

  it('environment.md §5 notes Postfix accepts bare-LF streams; this decoder refuses them (smuggling)', () => {
    expectRejected(stream.replace(/\r\n/g, '\n'), 'BSMTP_SMUGGLING');
  });
});

describe('decodeBsmtp: envelopes and sequencing', () => {
  it('keeps ESMTP parameters: keywords upper-cased, values as written, unknown ones too', () => {
    const v = decoded(
      crlf(
        'EHLO a.example',
        'MAIL FROM:<a@a.example> body=8bitmime SIZE=42 RET=hdrs ENVID=QQ+2B1 X-Custom=Foo;bar SMTPUTF8',
        'RCPT TO:<b@b.example> NOTIFY=success,DELAY ORCPT=rfc822;b@b.example x-prio=3',
        'RCPT TO:<Postmaster>',
        'DATA',
        'x',
        '.',
        'QUIT',
      ),
    );
    const e = v.transactions[0]!.envelope;
    expect(e.mailParams).toEqual({ BODY: '8bitmime', SIZE: '42', RET: 'hdrs', ENVID: 'QQ+2B1', 'X-CUSTOM': 'Foo;bar', SMTPUTF8: null });
    expect(e.rcptTo).toEqual([
      { address: 'b@b.example', params: { NOTIFY: 'success,DELAY', ORCPT: 'rfc822;b@b.example', 'X-PRIO': '3' } },
      { address: 'Postmaster', params: {} },
    ]);
  });

  it('decodes the null reverse-path <> to ""', () => {
    expect(decoded(crlf('EHLO a', 'MAIL FROM:<>', 'RCPT TO:<b@c>', 'DATA', '.', 'QUIT')).transactions[0]!.envelope.mailFrom).toBe('');
  });

  it('verbs and the FROM:/TO: keywords are case-insensitive (RFC 5321 §2.4)', () => {
    const v = decoded(crlf('ehlo a.example', 'Mail From:<a@b>', 'rcpt to:<c@d>', 'data', 'hi', '.', 'noop', 'quit'));
    expect(v.ehlo).toBe('a.example');
    expect(v.transactions[0]!.envelope.rcptTo[0]!.address).toBe('c@d');
  });

  it('returns several transactions; RSET discards an open transaction', () => {
    const v = decoded(
      crlf(
        'EHLO a',
        'MAIL FROM:<one@a>',
        'RCPT TO:<x@b>',
        'DATA',
        'first',
        '.',
        'RSET',
        'MAIL FROM:<dropped@a>',
        'RCPT TO:<dropped@b>',
        'RSET',
        'MAIL FROM:<>',
        'RCPT TO:<y@b>',
        'DATA',
        'second',
        '.',
        'MAIL FROM:<three@a>',
        'RCPT TO:<z@b>',
        'DATA',
        '.',
        'QUIT',
      ),
    );
    expect(v.transactions.map((t) => [t.envelope.mailFrom, t.envelope.rcptTo.map((r) => r.address), text(t.message)])).toEqual([
      ['one@a', ['x@b'], 'first\r\n'],
      ['', ['y@b'], 'second\r\n'],
      ['three@a', ['z@b'], ''],
    ]);
  });

  it('accepts MAIL without a greeting (ehlo: null)', () => {
    const v = decoded(crlf('MAIL FROM:<a@b>', 'RCPT TO:<c@d>', 'DATA', 'x', '.', 'QUIT'));
    expect(v.ehlo).toBeNull();
    expect(v.transactions).toHaveLength(1);
  });

  it('reports DATA without RCPT as a transaction with no recipients (RFC 2442: DATA is accepted anyway)', () => {
    const v = decoded(crlf('EHLO a', 'MAIL FROM:<a@b>', 'DATA', 'RCPT TO:<not-a-command@x>', '.', 'QUIT'));
    expect(v.transactions[0]!.envelope.rcptTo).toEqual([]);
    expect(text(v.transactions[0]!.message)).toBe('RCPT TO:<not-a-command@x>\r\n');
  });

  it('tolerates a missing QUIT, and a stream with no transaction', () => {
    expect(decoded(crlf('EHLO a', 'MAIL FROM:<a@b>', 'RCPT TO:<c@d>', 'DATA', '.')).transactions).toHaveLength(1);
    expect(decoded(crlf('EHLO a', 'QUIT'))).toEqual({ ehlo: 'a', transactions: [] });
  });

  it('unstuffs every line that begins with "." and keeps a lone "." inside a line', () => {
    const v = decoded(HEAD + crlf('..', '...two', '.x', 'a.b', '', '. ') + TAIL);
    expect(text(v.transactions[0]!.message)).toBe(crlf('.', '..two', 'x', 'a.b', '', ' '));
  });

  it('passes 8-bit octets in the data through untouched', () => {
    const bytes = new Uint8Array([...ascii(HEAD), 0x63, 0x61, 0x66, 0xc3, 0xa9, 0x80, 0xff, 0x0d, 0x0a, ...ascii(TAIL)]);
    expect([...decoded(bytes).transactions[0]!.message]).toEqual([0x63, 0x61, 0x66, 0xc3, 0xa9, 0x80, 0xff, 0x0d, 0x0a]);
  });
});

describe('decodeBsmtp: SMTP smuggling is rejected whole', () => {
  const first = crlf('EHLO a', 'MAIL FROM:<a@b>', 'RCPT TO:<c@d>', 'DATA', 'first message', '.');
  const smuggled = 'MAIL FROM:<evil@x>\r\nRCPT TO:<victim@y>\r\nDATA\r\nspoofed\r\n';
  const cases: [string, string][] = [
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
  for (const [name, data] of cases) {
    it(`in the mail data: ${name}`, () => {
      // after a valid first transaction, so a partial result would be possible
      expectRejected(`${first}MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n${data}.\r\nQUIT\r\n`, 'BSMTP_SMUGGLING');
    });
  }

  it('names the variant and points at the bare LF', () => {
    const stream = `${HEAD}text\r\n.\nMAIL FROM:<x@y>\r\n${TAIL}`;
    const r = decodeBsmtp(ascii(stream));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.message).toContain('<CR><LF>.<LF>');
      expect(r.error.offset).toBe(stream.indexOf('.\n') + 1);
    }
  });

  const commandCases: [string, string][] = [
    ['bare LF ending a command', 'EHLO a\nMAIL FROM:<a@b>\r\n'],
    ['bare CR ending a command', 'EHLO a\rMAIL FROM:<a@b>\r\n'],
    ['bare CR inside a path', 'EHLO a\r\nMAIL FROM:<a\r@b>\r\n'],
    ['NUL inside a command', 'EHLO a\r\nMAIL FROM:<a\0@b>\r\n'],
    ['bare LF after the data', `${HEAD}x\r\n.\r\nQUIT\n`],
  ];
  for (const [name, stream] of commandCases) {
    it(`in commands: ${name}`, () => expectRejected(stream + 'RCPT TO:<c@d>\r\nDATA\r\n.\r\nQUIT\r\n', 'BSMTP_SMUGGLING'));
  }
});

describe('decodeBsmtp: commands RFC 2442 has no place for', () => {
  for (const command of ['VRFY bob', 'EXPN staff', 'ETRN mars.dtn', 'AUTH PLAIN AGJvYgBwdw==', 'STARTTLS', 'BDAT 10 LAST', 'TURN', 'HELP', 'vrfy bob', 'XCLIENT ADDR=1.2.3.4']) {
    it(command, () => expectRejected(crlf('EHLO a', command, 'MAIL FROM:<a@b>', 'RCPT TO:<c@d>', 'DATA', '.', 'QUIT'), 'BSMTP_COMMAND_NOT_ALLOWED'));
  }

  it('as the very first line', () => expectRejected(crlf('STARTTLS', 'EHLO a'), 'BSMTP_COMMAND_NOT_ALLOWED'));

  it('EHLO or HELO after the start', () => {
    expectRejected(crlf('EHLO a', 'EHLO b', 'QUIT'), 'BSMTP_COMMAND_NOT_ALLOWED');
    expectRejected(crlf('MAIL FROM:<a@b>', 'RCPT TO:<c@d>', 'DATA', '.', 'HELO b', 'QUIT'), 'BSMTP_COMMAND_NOT_ALLOWED');
  });

  it('even after a complete transaction (no partial result)', () => {
    expectRejected(crlf('EHLO a', 'MAIL FROM:<a@b>', 'RCPT TO:<c@d>', 'DATA', 'x', '.', 'ETRN a', 'QUIT'), 'BSMTP_COMMAND_NOT_ALLOWED');
  });
});

describe('decodeBsmtp: syntax and sequence errors', () => {
  const cases: [string, string, ErrorCode][] = [
    ['empty input', '', 'BSMTP_SYNTAX'],
    ['RCPT before MAIL', crlf('EHLO a', 'RCPT TO:<c@d>', 'MAIL FROM:<a@b>', 'DATA', '.'), 'BSMTP_SYNTAX'],
    ['DATA before MAIL', crlf('EHLO a', 'DATA', '.'), 'BSMTP_SYNTAX'],
    ['MAIL inside an open transaction', crlf('EHLO a', 'MAIL FROM:<a@b>', 'MAIL FROM:<a@b>', 'RCPT TO:<c@d>', 'DATA', '.'), 'BSMTP_SYNTAX'],
    ['QUIT inside an open transaction', crlf('EHLO a', 'MAIL FROM:<a@b>', 'RCPT TO:<c@d>', 'QUIT'), 'BSMTP_SYNTAX'],
    ['SP after the colon (RFC 5321 §4.1.1.2 grammar)', crlf('EHLO a', 'MAIL FROM: <a@b>', 'RCPT TO:<c@d>', 'DATA', '.'), 'BSMTP_SYNTAX'],
    ['path without angle brackets', crlf('EHLO a', 'MAIL FROM:a@b', 'RCPT TO:<c@d>', 'DATA', '.'), 'BSMTP_SYNTAX'],
    ['path without ">"', crlf('EHLO a', 'MAIL FROM:<a@b', 'RCPT TO:<c@d>', 'DATA', '.'), 'BSMTP_SYNTAX'],
    ['SP inside a path', crlf('EHLO a', 'MAIL FROM:<a b@c>', 'RCPT TO:<c@d>', 'DATA', '.'), 'BSMTP_SYNTAX'],
    ['"<" inside a path', crlf('EHLO a', 'MAIL FROM:<a<b@c>', 'RCPT TO:<c@d>', 'DATA', '.'), 'BSMTP_SYNTAX'],
    ['null forward-path', crlf('EHLO a', 'MAIL FROM:<a@b>', 'RCPT TO:<>', 'DATA', '.'), 'BSMTP_SYNTAX'],
    ['two SP between parameters', crlf('EHLO a', 'MAIL FROM:<a@b> SIZE=1  BODY=7BIT', 'RCPT TO:<c@d>', 'DATA', '.'), 'BSMTP_SYNTAX'],
    ['trailing SP', crlf('EHLO a', 'MAIL FROM:<a@b> ', 'RCPT TO:<c@d>', 'DATA', '.'), 'BSMTP_SYNTAX'],
    ['text right after ">"', crlf('EHLO a', 'MAIL FROM:<a@b>SIZE=1', 'RCPT TO:<c@d>', 'DATA', '.'), 'BSMTP_SYNTAX'],
    ['a parameter given twice', crlf('EHLO a', 'MAIL FROM:<a@b> X-A=1 x-a=2', 'RCPT TO:<c@d>', 'DATA', '.'), 'BSMTP_SYNTAX'],
    ['a malformed keyword', crlf('EHLO a', 'MAIL FROM:<a@b> -X=1', 'RCPT TO:<c@d>', 'DATA', '.'), 'BSMTP_SYNTAX'],
    ['an empty value', crlf('EHLO a', 'MAIL FROM:<a@b> X=', 'RCPT TO:<c@d>', 'DATA', '.'), 'BSMTP_SYNTAX'],
    ['"=" inside a value', crlf('EHLO a', 'MAIL FROM:<a@b> X=a=b', 'RCPT TO:<c@d>', 'DATA', '.'), 'BSMTP_SYNTAX'],
    ['SIZE not digits (RFC 1870)', crlf('EHLO a', 'MAIL FROM:<a@b> SIZE=12k', 'RCPT TO:<c@d>', 'DATA', '.'), 'BSMTP_SYNTAX'],
    ['SIZE of 21 digits', crlf('EHLO a', `MAIL FROM:<a@b> SIZE=${'1'.repeat(21)}`, 'RCPT TO:<c@d>', 'DATA', '.'), 'BSMTP_SYNTAX'],
    ['BODY=BINARYMIME needs BDAT (RFC 3030)', crlf('EHLO a', 'MAIL FROM:<a@b> BODY=BINARYMIME', 'RCPT TO:<c@d>', 'DATA', '.'), 'BSMTP_SYNTAX'],
    ['RET=ALL', crlf('EHLO a', 'MAIL FROM:<a@b> RET=ALL', 'RCPT TO:<c@d>', 'DATA', '.'), 'BSMTP_SYNTAX'],
    ['ENVID with lower-case hex', crlf('EHLO a', 'MAIL FROM:<a@b> ENVID=a+2b', 'RCPT TO:<c@d>', 'DATA', '.'), 'BSMTP_SYNTAX'],
    ['ENVID over 100 characters', crlf('EHLO a', `MAIL FROM:<a@b> ENVID=${'e'.repeat(101)}`, 'RCPT TO:<c@d>', 'DATA', '.'), 'BSMTP_SYNTAX'],
    ['NOTIFY=NEVER,SUCCESS', crlf('EHLO a', 'MAIL FROM:<a@b>', 'RCPT TO:<c@d> NOTIFY=NEVER,SUCCESS', 'DATA', '.'), 'BSMTP_SYNTAX'],
    ['NOTIFY=SUCCESS,SUCCESS', crlf('EHLO a', 'MAIL FROM:<a@b>', 'RCPT TO:<c@d> NOTIFY=SUCCESS,SUCCESS', 'DATA', '.'), 'BSMTP_SYNTAX'],
    ['ORCPT without addr-type', crlf('EHLO a', 'MAIL FROM:<a@b>', 'RCPT TO:<c@d> ORCPT=c@d', 'DATA', '.'), 'BSMTP_SYNTAX'],
    ['ORCPT with a broken hexchar', crlf('EHLO a', 'MAIL FROM:<a@b>', 'RCPT TO:<c@d> ORCPT=rfc822;c+4@d', 'DATA', '.'), 'BSMTP_SYNTAX'],
    ['EHLO without a domain', crlf('EHLO', 'QUIT'), 'BSMTP_SYNTAX'],
    ['EHLO with two words', crlf('EHLO a b', 'QUIT'), 'BSMTP_SYNTAX'],
    ['DATA with an argument', crlf('EHLO a', 'MAIL FROM:<a@b>', 'RCPT TO:<c@d>', 'DATA x', '.'), 'BSMTP_SYNTAX'],
    ['RSET with an argument', crlf('EHLO a', 'RSET x'), 'BSMTP_SYNTAX'],
    ['QUIT with an argument', crlf('EHLO a', 'QUIT now'), 'BSMTP_SYNTAX'],
    ['a line that is not a command', crlf('EHLO a', 'Subject: hello'), 'BSMTP_SYNTAX'],
    ['an empty command line', crlf('EHLO a', '', 'QUIT'), 'BSMTP_SYNTAX'],
    ['a TAB in a command', crlf('EHLO a', 'MAIL\tFROM:<a@b>'), 'BSMTP_SYNTAX'],
    ['an 8-bit octet in a path', 'EHLO a\r\nMAIL FROM:<caf\u00e9@b>\r\n', 'BSMTP_SYNTAX'],
    ['a plain RFC 5322 message (draft -00 form)', crlf('From: a@b', 'To: c@d', '', 'hi'), 'BSMTP_NOT_BSMTP'],
  ];
  for (const [name, stream, code] of cases) it(name, () => expectRejected(stream, code));
});

describe('decodeBsmtp: truncation and trailing bytes', () => {
  const cases: [string, string, ErrorCode][] = [
    ['no "." terminator', `${HEAD}text\r\n`, 'TRUNCATED'],
    ['the terminator without its CRLF', `${HEAD}text\r\n.`, 'TRUNCATED'],
    ['the terminator without its LF', `${HEAD}text\r\n.\r`, 'TRUNCATED'],
    ['a final command without CRLF', `${HEAD}text\r\n.\r\nQUIT`, 'TRUNCATED'],
    ['a final command without LF', `${HEAD}text\r\n.\r\nQUIT\r`, 'TRUNCATED'],
    ['MAIL and RCPT but no DATA at the end', crlf('EHLO a', 'MAIL FROM:<a@b>', 'RCPT TO:<c@d>'), 'TRUNCATED'],
    ['bytes after QUIT', `${HEAD}x\r\n${TAIL}x`, 'TRAILING_BYTES'],
    ['a command after QUIT', `${HEAD}x\r\n${TAIL}NOOP\r\n`, 'TRAILING_BYTES'],
    ['a text line after the terminator', `${HEAD}x\r\n.\r\nHello, world\r\nQUIT\r\n`, 'BSMTP_SYNTAX'],
    ['an unknown word after the terminator', `${HEAD}x\r\n.\r\nmore text\r\nQUIT\r\n`, 'BSMTP_COMMAND_NOT_ALLOWED'],
  ];
  for (const [name, stream, code] of cases) it(name, () => expectRejected(stream, code));
});

describe('decodeBsmtp: limits', () => {
  it('command lines up to LIMITS.smtpMaxCommandLine octets, CRLF included', () => {
    const noop = (lineLength: number): string => `NOOP ${'x'.repeat(lineLength - 'NOOP '.length - 2)}\r\n`;
    expect(noop(LIMITS.smtpMaxCommandLine).length).toBe(LIMITS.smtpMaxCommandLine);
    expect(decoded(`EHLO a\r\n${noop(LIMITS.smtpMaxCommandLine)}QUIT\r\n`).transactions).toEqual([]);
    expectRejected(`EHLO a\r\n${noop(LIMITS.smtpMaxCommandLine + 1)}QUIT\r\n`, 'LIMIT_EXCEEDED');
    // an over-long line is refused at the limit, before its end is seen
    expectRejected(`EHLO a\r\nNOOP ${'x'.repeat(100_000)}`, 'LIMIT_EXCEEDED');
  });

  it('text lines up to LIMITS.smtpMaxTextLine octets, CRLF included, a stuffing dot not counted (RFC 5321 §4.5.3.1.6)', () => {
    const content = LIMITS.smtpMaxTextLine - 2;
    expect(decoded(`${HEAD}${'a'.repeat(content)}\r\n${TAIL}`).transactions[0]!.message.length).toBe(LIMITS.smtpMaxTextLine);
    expectRejected(`${HEAD}${'a'.repeat(content + 1)}\r\n${TAIL}`, 'LIMIT_EXCEEDED');
    // ".a…a" of 998 octets is sent as "..a…a" (999 octets + CRLF = 1001 on the wire)
    expect(decoded(`${HEAD}..${'a'.repeat(content - 1)}\r\n${TAIL}`).transactions[0]!.message.length).toBe(LIMITS.smtpMaxTextLine);
    expectRejected(`${HEAD}..${'a'.repeat(content)}\r\n${TAIL}`, 'LIMIT_EXCEEDED');
  });

  it(`recipients per transaction up to LIMITS.smtpMaxRecipients (${LIMITS.smtpMaxRecipients})`, () => {
    const rcpts = (count: number): string => Array.from({ length: count }, (_, i) => `RCPT TO:<r${i}@b>\r\n`).join('');
    const stream = (count: number): string => `EHLO a\r\nMAIL FROM:<a@b>\r\n${rcpts(count)}DATA\r\n.\r\nQUIT\r\n`;
    expect(decoded(stream(LIMITS.smtpMaxRecipients)).transactions[0]!.envelope.rcptTo).toHaveLength(LIMITS.smtpMaxRecipients);
    expectRejected(stream(LIMITS.smtpMaxRecipients + 1), 'LIMIT_EXCEEDED');
  });

  it(`transactions per object up to LIMITS.bsmtpMaxTransactions (${LIMITS.bsmtpMaxTransactions})`, () => {
    const one = 'MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nx\r\n.\r\n';
    expect(decoded(`EHLO a\r\n${one.repeat(LIMITS.bsmtpMaxTransactions)}QUIT\r\n`).transactions).toHaveLength(LIMITS.bsmtpMaxTransactions);
    expectRejected(`EHLO a\r\n${one.repeat(LIMITS.bsmtpMaxTransactions + 1)}QUIT\r\n`, 'LIMIT_EXCEEDED');
  });

  it('input over LIMITS.bsmtpMaxBytes is refused before it is read', () => {
    // untouched zero pages: the length check must come first, or this would be slow
    expectRejected(new Uint8Array(LIMITS.bsmtpMaxBytes + 1), 'LIMIT_EXCEEDED');
  });
});
