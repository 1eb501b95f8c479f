import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LIMITS } from '../limits';
import { isErrorCode } from '../../errors';
import { ascii, fuzzRuns, ud3tnVector } from '../../test-support/vectors';
import { decodeBsmtp } from './decode';
import { encodeBsmtp } from './encode';
import type { DecodedBsmtp } from './types';

const CR = 0x0d;
const LF = 0x0a;

/** Only CRLF line ends and no NUL: what any accepted object must satisfy, whatever else it holds. */
function crlfClean(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0) return false;
    if (b === CR && bytes[i + 1] !== LF) return false;
    if (b === LF && bytes[i - 1] !== CR) return false;
  }
  return true;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameDecoded(a: DecodedBsmtp, b: DecodedBsmtp): boolean {
  return (
    a.ehlo === b.ehlo &&
    a.transactions.length === b.transactions.length &&
    a.transactions.every((t, i) => {
      const u = b.transactions[i]!;
      return JSON.stringify(t.envelope) === JSON.stringify(u.envelope) && sameBytes(t.message, u.message);
    })
  );
}

/**
 * The checks every input gets: no exception, a Result with a known code and an in-range offset, and for an
 * accepted object the anti-smuggling invariant, the limits, and a re-encode that decodes to the same value.
 * Plain comparisons rather than expect(): this runs 10^5 times and more.
 */
function check(input: Uint8Array): void {
  const r = decodeBsmtp(input);
  if (!r.ok) {
    if (!isErrorCode(r.error.code)) throw new Error(`unknown error code ${String(r.error.code)}`);
    const at = r.error.offset;
    if (at !== undefined && !(at >= 0 && at <= input.length)) throw new Error(`offset ${at} outside the input`);
    return;
  }
  if (!crlfClean(input)) throw new Error('accepted an object with a bare CR, bare LF or NUL');
  const v: DecodedBsmtp = r.value;
  if (v.transactions.length > LIMITS.bsmtpMaxTransactions) throw new Error('too many transactions');
  let total = 0;
  for (const t of v.transactions) {
    if (t.envelope.rcptTo.length > LIMITS.smtpMaxRecipients) throw new Error('too many recipients');
    if (!crlfClean(t.message)) throw new Error('message with a bare CR, bare LF or NUL');
    total += t.message.length;
  }
  if (total > input.length) throw new Error('messages longer than the input');
  // what was accepted can be generated again (the encoder needs a greeting and a recipient per message)
  if (v.ehlo === null || v.transactions.some((t) => t.envelope.rcptTo.length === 0)) return;
  const again = encodeBsmtp({
    ehlo: v.ehlo,
    transactions: v.transactions.map((t) => ({
      envelope: { mailFrom: t.envelope.mailFrom, extraParams: t.envelope.mailParams, rcptTo: t.envelope.rcptTo.map((x) => ({ address: x.address, extraParams: x.params })) },
      message: t.message,
    })),
  });
  if (!again.ok) throw new Error(`accepted object cannot be re-encoded: ${again.error.code} ${again.error.message}`);
  const redecoded = decodeBsmtp(again.value);
  if (!redecoded.ok || !sameDecoded(redecoded.value, v)) throw new Error('re-encoded object decodes differently');
}

// ---- random streams: BSMTP-shaped lines with rare wrong line ends, so that many get deep into the decoder ----

/** Mostly well-formed choices, with a few malformed ones mixed in. */
const mostly = (good: string[], bad: string[]) => fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...good) }, { weight: 1, arbitrary: fc.constantFrom(...bad) });
const greeting = mostly(['EHLO a.example', 'HELO b', 'ehlo [192.0.2.1]'], ['EHLO', 'EHLO a b']);
const mailLine = mostly(
  ['MAIL FROM:<a@b>', 'MAIL FROM:<>', 'mail from:<x@y> SIZE=10 BODY=8BITMIME', 'MAIL FROM:<a@b> ENVID=a+2Bb RET=HDRS X-UNKNOWN=1'],
  ['MAIL FROM:<a@b> SIZE=x', 'MAIL FROM: <a@b>'],
);
const rcptLine = mostly(['RCPT TO:<c@d>', 'RCPT TO:<e@f> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;e@f', 'rcpt to:<g@h> notify=never'], ['RCPT TO:<>']);
const otherCommand = mostly(['RSET', 'NOOP', 'NOOP hello'], ['VRFY x', 'BDAT 1', 'HELO again', 'DATA', 'RCPT TO:<c@d>', 'MAIL FROM:<a@b>', 'QUIT x']);
const dataLine = fc.oneof(fc.constantFrom('.', '..', '.text', 'Subject: x', '', ' ', 'MAIL FROM:<evil@x>', '\u00e9t\u00e9'), fc.string({ maxLength: 20 }));
const transaction = fc
  .tuple(mailLine, fc.array(rcptLine, { maxLength: 3 }), fc.array(dataLine, { maxLength: 6 }))
  .map(([mail, rcpts, data]) => [mail, ...rcpts, 'DATA', ...data, '.']);
const block = fc.oneof({ weight: 4, arbitrary: transaction }, { weight: 1, arbitrary: otherCommand.map((c) => [c]) });
const lineEnd = fc.oneof({ weight: 60, arbitrary: fc.constant('\r\n') }, { weight: 1, arbitrary: fc.constantFrom('\n', '\r', '', '\0', '\r\r\n', ' \r\n') });
const streams = fc
  .tuple(fc.option(greeting), fc.array(block, { maxLength: 4 }), fc.boolean(), fc.array(lineEnd, { minLength: 16, maxLength: 16 }))
  .map(([greet, blocks, quit, ends]) => {
    const lines = [...(greet === null ? [] : [greet]), ...blocks.flat(), ...(quit ? ['QUIT'] : [])];
    // latin-1: one character per octet
    const s = lines.map((l, i) => l + ends[i % ends.length]!).join('');
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
    return out;
  });

// ---- mutated valid objects ----

function validSeeds(): Uint8Array[] {
  const seeds = [ud3tnVector('aap1/bsmtp_payload.bin'), ud3tnVector('fragments/bsmtp_long_payload.bin')];
  seeds.push(
    ascii(
      'HELO gateway.test\r\nMAIL FROM:<carol@remote.test>\r\nRCPT TO:<alice@localhost>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n' +
        'From: Carol <carol@remote.test>\r\nSubject: BSMTP injected\r\n\r\nHello via sendmail -bs.\r\n..leading dot line (dot-stuffed)\r\n.\r\nQUIT\r\n',
    ),
  );
  const encoded = encodeBsmtp({
    ehlo: 'earth.dtn',
    transactions: [
      {
        envelope: { mailFrom: 'alice@earth.dtn', body: '8BITMIME', size: 'auto', ret: 'HDRS', envid: 'id 1', rcptTo: [{ address: 'bob@mars.dtn', notify: ['SUCCESS'], orcpt: 'bob@mars.dtn' }, { address: 'bcc@mars.dtn', notify: 'NEVER' }] },
        message: ascii('Subject: a\r\n\r\n.dot\r\n..two\r\n\xe9\r\n'),
      },
      { envelope: { mailFrom: '', extraParams: { 'X-A': null }, rcptTo: [{ address: 'alice@earth.dtn' }] }, message: ascii('.\r\n') },
    ],
  });
  if (!encoded.ok) throw new Error(encoded.error.message);
  seeds.push(encoded.value);
  return seeds;
}

type Mutation = { kind: 'flip' | 'set' | 'insert' | 'delete' | 'special' | 'duplicate'; at: number; value: number };
const SPECIAL = [CR, LF, 0x2e, 0x00, 0x20, 0x3c, 0x3e];
const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('flip', 'set', 'insert', 'delete', 'special', 'special', 'duplicate'),
  at: fc.nat(),
  value: fc.integer({ min: 0, max: 255 }),
});

function mutate(seed: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let bytes: Uint8Array = seed.slice();
  for (const m of mutations) {
    const at = bytes.length === 0 ? 0 : m.at % (bytes.length + 1);
    switch (m.kind) {
      case 'flip':
        if (at < bytes.length) bytes[at] = bytes[at]! ^ (1 << (m.value & 7));
        break;
      case 'set':
        if (at < bytes.length) bytes[at] = m.value;
        break;
      case 'delete':
        if (at < bytes.length) bytes = concat(bytes.subarray(0, at), bytes.subarray(at + 1));
        break;
      case 'insert':
        bytes = concat(bytes.subarray(0, at), Uint8Array.of(m.value), bytes.subarray(at));
        break;
      case 'special':
        bytes = concat(bytes.subarray(0, at), Uint8Array.of(SPECIAL[m.value % SPECIAL.length]!), bytes.subarray(at));
        break;
      case 'duplicate': {
        const len = m.value % 64;
        bytes = concat(bytes.subarray(0, at), bytes.subarray(at, at + len), bytes.subarray(at));
        break;
      }
    }
  }
  return bytes;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe(`decodeBsmtp fuzz (${fuzzRuns} inputs per property)`, () => {
  it('the valid seeds are accepted', () => {
    for (const seed of validSeeds()) expect(decodeBsmtp(seed).ok).toBe(true);
  });

  it('random BSMTP-shaped streams', () => {
    fc.assert(fc.property(streams, check), { numRuns: fuzzRuns });
  });

  it('mutated valid objects: flipped, set, inserted (CR, LF, ".", NUL…), deleted and duplicated bytes', () => {
    const seeds = validSeeds();
    fc.assert(
      fc.property(fc.nat(seeds.length - 1), fc.array(mutation, { minLength: 1, maxLength: 6 }), (s, ms) => check(mutate(seeds[s]!, ms))),
      { numRuns: fuzzRuns },
    );
  });

  it('raw random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), check), { numRuns: Math.ceil(fuzzRuns / 10) });
  });
});
