import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fieldValue, parseHeader } from '../../shared/mail/header-fields';
import { LIMITS } from '../../shared/protocol/limits';
import { ascii } from '../../shared/test-support/vectors';
import { TRANSACTION_FIELD, traceFields, transactionField, transactionKey } from './trace-fields';
import type { TraceInput } from './trace-fields';

const input: TraceInput = {
  bundleKey: 'dtn://earth.dtn/email 848946031000 7',
  index: 0,
  source: 'dtn://earth.dtn/email',
  destination: 'dtn://mars.dtn/email',
  hostname: 'gw.mars.example',
  form: 'bsmtp',
  receivedAt: Date.UTC(2026, 10, 25, 19, 55, 8),
};

/**
 * RFC 5321 §4.4 Time-stamp-line, unfolded, as the gateway writes it: FROM Extended-Domain, comments as
 * CFWS, BY, WITH Protocol (an Atom), ID Atom, ";" date-time (RFC 5322 §3.3). Comment text: ctext or
 * quoted-pair, no nesting.
 */
const COMMENT = String.raw`\((?:[\x21-\x27\x2a-\x5b\x5d-\x7e]|\\[\x21-\x7e])*\)`;
const DOMAIN = String.raw`[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*`;
const ATOM = "[A-Za-z0-9!#$%&'*+\\-/=?^_`{|}~]+";
const DATE = String.raw`(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d \+0000`;
const STAMP = new RegExp(`^from ${DOMAIN}(?: ${COMMENT})? by ${DOMAIN}(?: ${COMMENT})? with ${ATOM} id ${ATOM}; ${DATE}$`, 'i');

function fields(text: string): { received: string | undefined; transaction: string | undefined; count: number } {
  const parsed = parseHeader(ascii(`${text}\r\n`));
  return { received: fieldValue(parsed.fields, 'Received'), transaction: fieldValue(parsed.fields, TRANSACTION_FIELD), count: parsed.fields.length };
}

/** Every line ends in CRLF, continuation lines start with a space, and nothing but printable ASCII in between. */
function wellFormed(text: string): void {
  expect(text.endsWith('\r\n')).toBe(true);
  const lines = text.slice(0, -2).split('\r\n');
  for (const [i, line] of lines.entries()) {
    expect(line).toMatch(/^[\x20-\x7e]+$/);
    expect(line.length).toBeLessThanOrEqual(998);
    // RFC 5322 §2.2.3: a line of only whitespace must not be made by folding
    expect(line.trim()).not.toBe('');
    if (i > 0) expect(/^[A-Za-z-]+:/.test(line) || line.startsWith(' ')).toBe(true);
  }
}

describe('trace fields (RFC 5321 §4.4 Received, X-Farside-Transaction)', () => {
  it('writes a Received stamp from the source node by the gateway, with BSMTP, an id and the intake date, then the key', () => {
    const text = traceFields(input);
    const key = 'dtn://earth.dtn/email 848946031000 7/0';
    const id = createHash('sha256').update(key).digest('hex').slice(0, 20);
    expect(text).toBe(
      'Received: from earth.dtn (dtn://earth.dtn/email) by gw.mars.example\r\n' +
        ` (dtn://mars.dtn/email) with BSMTP id ${id}; Wed, 25 Nov 2026\r\n` +
        ' 19:55:08 +0000\r\n' +
        `X-Farside-Transaction: ${key}\r\n`,
    );
    wellFormed(text);
    const f = fields(text);
    expect(f.count).toBe(2);
    expect(f.received).toMatch(STAMP);
    expect(f.transaction).toBe(key);
    // the date is the intake time, to the second
    expect(Date.parse(f.received?.split('; ')[1] ?? '')).toBe(input.receivedAt);
  });

  it('keeps every line within 78 characters and names no recipient (a FOR clause would disclose Bcc)', () => {
    const text = traceFields({ ...input, bundleKey: `dtn://earth.dtn/email sha256:${'ab'.repeat(32)}` });
    for (const line of text.slice(0, -2).split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
    expect(text).not.toMatch(/ for /i);
    expect(fields(text).transaction).toBe(`dtn://earth.dtn/email sha256:${'ab'.repeat(32)}/0`);
  });

  it('is the same text for the same transaction, and differs between transactions and bundles', () => {
    expect(traceFields(input)).toBe(traceFields({ ...input }));
    const keys = new Set([input, { ...input, index: 1 }, { ...input, bundleKey: 'dtn://earth.dtn/email 848946031000 8' }].map((t) => fields(traceFields(t)).transaction));
    expect(keys.size).toBe(3);
  });

  it('says "unknown" for a source without a domain-like node name, and RFC5322 for the draft -00 form', () => {
    const f = fields(traceFields({ ...input, source: 'ipn:977.25', destination: null, form: 'rfc5322' }));
    expect(f.received).toMatch(STAMP);
    expect(f.received).toMatch(/^from unknown \(ipn:977\.25\) by gw\.mars\.example with RFC5322 id /);
  });

  it('the postmaster notice carries the key alone', () => {
    expect(transactionField('dtn://earth.dtn/email 5 1', 0)).toBe('X-Farside-Transaction: dtn://earth.dtn/email 5 1/0\r\n');
  });

  it('writes only printable ASCII for any EID or key, keeps distinct keys distinct, and stays within its bounds', () => {
    const text = fc.string({ unit: 'binary', maxLength: 2 * LIMITS.gatewayTraceTokenMaxChars });
    fc.assert(
      fc.property(text, text, text, fc.nat(1000), (source, keyA, keyB, index) => {
        const a = traceFields({ ...input, source, destination: source, bundleKey: keyA, index });
        wellFormed(a);
        const f = fields(a);
        expect(f.count).toBe(2);
        expect(f.received).toMatch(STAMP);
        expect(f.transaction).toBe(transactionKey(keyA, index));
        expect(f.transaction?.length ?? Infinity).toBeLessThanOrEqual(3 * LIMITS.gatewayTraceTokenMaxChars + 8);
        if (keyA !== keyB) expect(transactionKey(keyA, index)).not.toBe(transactionKey(keyB, index));
      }),
      { numRuns: 2_000 },
    );
  });
});
