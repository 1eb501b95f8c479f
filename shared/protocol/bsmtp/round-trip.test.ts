import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LIMITS } from '../limits';
import { decodeBsmtp } from './decode';
import { encodeBsmtp } from './encode';
import type { DsnCondition, EncodeEnvelope, EncodeInput, EsmtpParams } from './types';
import { decodeXtext } from './xtext';

// ---- arbitraries ----

/** Printable US-ASCII without "<" and ">": what a path or EHLO name may hold. */
const PATH_CHARS = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).filter((c) => c !== '<' && c !== '>');
const pathText = (maxLength: number) => fc.string({ unit: fc.constantFrom(...PATH_CHARS), minLength: 1, maxLength });
/** Any US-ASCII, controls, SP, "+" and "=" included: all of them need xtext escaping somewhere. */
const asciiText = (maxLength: number) =>
  fc.string({ unit: fc.oneof(fc.constantFrom('+', '=', ' ', '\r', '\n', '\0'), fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c))), minLength: 1, maxLength });

const extraKeyword = fc.oneof(fc.stringMatching(/^X-[A-Z0-9][A-Z0-9-]{0,8}$/), fc.constantFrom('SMTPUTF8', 'MT-PRIORITY', 'AUTH', 'HOLDFOR', 'REQUIRETLS'));
const extraValue = fc.option(fc.stringMatching(/^[\x21-\x3c\x3e-\x7e]{1,24}$/), { nil: null });
const extras = fc.dictionary(extraKeyword, extraValue, { maxKeys: 3 });

const notify = fc.oneof(
  fc.constant('NEVER' as const),
  fc.shuffledSubarray<DsnCondition>(['SUCCESS', 'FAILURE', 'DELAY'], { minLength: 1 }),
);

const recipient = fc.record(
  { address: pathText(40), notify, orcpt: asciiText(60), extraParams: extras },
  { requiredKeys: ['address'] },
);

const envelope: fc.Arbitrary<EncodeEnvelope> = fc.record(
  {
    mailFrom: fc.oneof(fc.constant(''), pathText(40)),
    body: fc.constantFrom('7BIT' as const, '8BITMIME' as const),
    size: fc.oneof(fc.constant('auto' as const), fc.nat()),
    ret: fc.constantFrom('FULL' as const, 'HDRS' as const),
    envid: asciiText(33), // at most 99 xtext characters
    extraParams: extras,
    rcptTo: fc.array(recipient, { minLength: 1, maxLength: 4 }),
  },
  { requiredKeys: ['mailFrom', 'rcptTo'] },
);

/** Text octets: anything but CR, LF and NUL, 8-bit included. */
const textOctets = (minLength: number, maxLength: number) =>
  fc.uint8Array({ minLength, maxLength }).map((a) => a.map((b) => (b === 0 || b === 0x0a || b === 0x0d ? 0x80 | b : b)));
const DOT = 0x2e;
const withDots = (count: number) => (a: Uint8Array) => new Uint8Array([...Array<number>(count).fill(DOT), ...a]);
const line = fc.oneof(
  { weight: 4, arbitrary: textOctets(0, 80) },
  { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
  { weight: 1, arbitrary: fc.constant(Uint8Array.of(DOT)) },
  { weight: 2, arbitrary: textOctets(0, 60).map(withDots(1)) },
  { weight: 1, arbitrary: textOctets(0, 60).map(withDots(2)) },
  // long lines, up to the limit: 998 octets before the CRLF (the stuffing dot does not count)
  { weight: 1, arbitrary: textOctets(LIMITS.smtpMaxTextLine - 60, LIMITS.smtpMaxTextLine - 2) },
  { weight: 1, arbitrary: textOctets(LIMITS.smtpMaxTextLine - 60, LIMITS.smtpMaxTextLine - 3).map(withDots(1)) },
);
const lineEnd = fc.constantFrom('\r\n', '\n', '\r');

/**
 * A message with any mix of line ends, and the message a decoder must give back: the same lines, each
 * ending in CRLF (RFC 5321 §2.3.8), final CRLF included.
 */
const message = fc
  .record({ lines: fc.array(fc.tuple(line, lineEnd), { maxLength: 24 }), terminated: fc.boolean() })
  .map(({ lines, terminated }) => {
    const input: number[] = [];
    const expected: number[] = [];
    lines.forEach(([text, end], k) => {
      const last = k === lines.length - 1;
      const next = lines[k + 1];
      // CR then an empty line ended by LF would read as one CRLF: write that CR as CRLF instead
      const nextIsLoneLf = next !== undefined && next[0].length === 0 && next[1] === '\n' && (!(k + 1 === lines.length - 1) || terminated);
      const written = end === '\r' && nextIsLoneLf ? '\r\n' : end;
      input.push(...text);
      if (!last || terminated) for (const c of written) input.push(c.charCodeAt(0));
      if (last && !terminated && text.length === 0) return; // an empty unterminated last line is nothing
      expected.push(...text, 0x0d, 0x0a);
    });
    return { input: new Uint8Array(input), expected: new Uint8Array(expected) };
  });

const input = fc.record({
  ehlo: pathText(30),
  transactions: fc.array(fc.record({ envelope, message }), { minLength: 1, maxLength: 3 }),
});

// ---- the round trip ----

function expectedMailParams(e: EncodeEnvelope, messageLength: number): EsmtpParams {
  const p: EsmtpParams = {};
  if (e.body !== undefined) p['BODY'] = e.body;
  // RFC 1870 §4: SIZE counts the CRLF-normalised message with its final CRLF, i.e. what the decoder returns
  if (e.size !== undefined) p['SIZE'] = String(e.size === 'auto' ? messageLength : e.size);
  if (e.ret !== undefined) p['RET'] = e.ret;
  if (e.envid !== undefined) p['ENVID'] = e.envid;
  return { ...p, ...e.extraParams };
}

/** Decoded params with the xtext of ENVID / ORCPT turned back into text, so they compare with the input. */
function readable(params: EsmtpParams): EsmtpParams {
  const out: EsmtpParams = { ...params };
  const envid = out['ENVID'];
  if (typeof envid === 'string') {
    const d = decodeXtext(envid);
    out['ENVID'] = d.ok ? d.value : `undecodable ${envid}`;
  }
  const orcpt = out['ORCPT'];
  if (typeof orcpt === 'string' && orcpt.startsWith('rfc822;')) {
    const d = decodeXtext(orcpt.slice('rfc822;'.length));
    out['ORCPT'] = d.ok ? d.value : `undecodable ${orcpt}`;
  }
  const notifyValue = out['NOTIFY'];
  if (typeof notifyValue === 'string') out['NOTIFY'] = notifyValue.split(',').sort().join(',');
  return out;
}

describe('BSMTP round trip (fast-check)', () => {
  it('decode(encode(x)) gives back the envelopes and the CRLF-normalised messages', () => {
    fc.assert(
      fc.property(input, ({ ehlo, transactions }) => {
        const encoded = encodeBsmtp({ ehlo, transactions: transactions.map((t) => ({ envelope: t.envelope, message: t.message.input })) });
        if (!encoded.ok) throw new Error(`${encoded.error.code}: ${encoded.error.message}`);
        const decoded = decodeBsmtp(encoded.value);
        if (!decoded.ok) throw new Error(`${decoded.error.code}: ${decoded.error.message}`);
        expect(decoded.value.ehlo).toBe(ehlo);
        expect(decoded.value.transactions).toHaveLength(transactions.length);
        transactions.forEach((t, i) => {
          const got = decoded.value.transactions[i]!;
          expect(got.message).toEqual(t.message.expected);
          expect(got.envelope.mailFrom).toBe(t.envelope.mailFrom);
          expect(readable(got.envelope.mailParams)).toEqual(expectedMailParams(t.envelope, t.message.expected.length));
          expect(got.envelope.rcptTo.map((r) => r.address)).toEqual(t.envelope.rcptTo.map((r) => r.address));
          t.envelope.rcptTo.forEach((r, k) => {
            const expected: EsmtpParams = {};
            if (r.notify !== undefined) expected['NOTIFY'] = r.notify === 'NEVER' ? 'NEVER' : [...r.notify].sort().join(',');
            if (r.orcpt !== undefined) expected['ORCPT'] = r.orcpt;
            expect(readable(got.envelope.rcptTo[k]!.params)).toEqual({ ...expected, ...r.extraParams });
          });
        });
      }),
      { numRuns: 400 },
    );
  });

  it('re-encoding a decoded object (params passed as extraParams) reproduces it byte for byte', () => {
    fc.assert(
      fc.property(input, ({ ehlo, transactions }) => {
        const first = encodeBsmtp({ ehlo, transactions: transactions.map((t) => ({ envelope: t.envelope, message: t.message.input })) });
        if (!first.ok) throw new Error(first.error.message);
        const decoded = decodeBsmtp(first.value);
        if (!decoded.ok) throw new Error(decoded.error.message);
        const again: EncodeInput = {
          ehlo,
          transactions: decoded.value.transactions.map((t) => ({
            envelope: {
              mailFrom: t.envelope.mailFrom,
              extraParams: t.envelope.mailParams,
              rcptTo: t.envelope.rcptTo.map((r) => ({ address: r.address, extraParams: r.params })),
            },
            message: t.message,
          })),
        };
        const second = encodeBsmtp(again);
        if (!second.ok) throw new Error(second.error.message);
        expect(second.value).toEqual(first.value);
      }),
      { numRuns: 200 },
    );
  });
});
