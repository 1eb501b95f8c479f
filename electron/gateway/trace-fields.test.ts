import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fieldValue, parseHeader } from '../../shared/mail/header-fields';
import { LIMITS } from '../../shared/protocol/limits';
import { ascii } from '../../shared/test-support/vectors';
import { TRANSACTION_FIELD, relayReceivedField, relayReceivedMaxChars, traceFields, transactionField, transactionTag } from './trace-fields';
import type { RelayTraceInput, TraceInput } from './trace-fields';

/** A gateway's transaction secret: 32 bytes, as the store makes them (fixed here, so the expected tags can be computed). */
const SECRET = new Uint8Array(32).map((_, i) => i);

const input: TraceInput = {
  secret: SECRET,
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
/** RFC 5322 §3.3 date-time in UTC; year is 4*DIGIT. */
const DATE = String.raw`(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4,} \d\d:\d\d:\d\d \+0000`;
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

/** HMAC-SHA-256 (RFC 2104) of the transaction's name, cut to 128 bits: what the field must carry. */
function tagOf(secret: Uint8Array, name: string): string {
  return createHmac('sha256', secret).update(name).digest('hex').slice(0, 32);
}

describe('trace fields (RFC 5321 §4.4 Received, X-Farside-Transaction)', () => {
  it('writes a Received stamp from the source node by the gateway, with BSMTP, an id and the intake date, then the tag', () => {
    const text = traceFields(input);
    const name = 'dtn://earth.dtn/email 848946031000 7/0';
    const id = createHash('sha256').update(name).digest('hex').slice(0, 20);
    expect(text).toBe(
      'Received: from earth.dtn (dtn://earth.dtn/email) by gw.mars.example\r\n' +
        ` (dtn://mars.dtn/email) with BSMTP id ${id}; Wed, 25 Nov 2026\r\n` +
        ' 19:55:08 +0000\r\n' +
        `X-Farside-Transaction: ${tagOf(SECRET, name)}\r\n`,
    );
    wellFormed(text);
    const f = fields(text);
    expect(f.count).toBe(2);
    expect(f.received).toMatch(STAMP);
    expect(f.transaction).toMatch(/^[0-9a-f]{32}$/);
    // the date is the intake time, to the second
    expect(Date.parse(f.received?.split('; ')[1] ?? '')).toBe(input.receivedAt);
  });

  it('keeps every line within 78 characters and names no recipient (a FOR clause would disclose Bcc)', () => {
    const text = traceFields({ ...input, bundleKey: `dtn://earth.dtn/email sha256:${'ab'.repeat(32)}` });
    for (const line of text.slice(0, -2).split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
    expect(text).not.toMatch(/ for /i);
  });

  it('folds again after a short token that starts a continuation line (" by" then a long host name)', () => {
    // "Received: from unknown (…)" fills the first line to 76 characters, so "by" starts the second line
    // and the 75-character host name after it must go to a third (folding only on the first line wrote
    // " by hhh…" as one 79-character line)
    const source = `ipn:${'9'.repeat(42)}.${'7'.repeat(4)}`;
    const hostname = `${'h'.repeat(63)}.example.org`;
    const text = traceFields({ ...input, source, destination: null, hostname });
    wellFormed(text);
    const lines = text.slice(0, -2).split('\r\n');
    expect(lines[0]).toBe(`Received: from unknown (${source})`);
    expect(lines[0]).toHaveLength(76);
    expect(lines[1]).toBe(' by');
    expect(lines[2]).toBe(` ${hostname}`);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(78);
    expect(fields(text).received).toMatch(STAMP);
  });

  it('is the same text for the same transaction and secret, and differs between transactions, bundles and secrets', () => {
    expect(traceFields(input)).toBe(traceFields({ ...input, secret: new Uint8Array(SECRET) }));
    const other = new Uint8Array(32).fill(0x5c);
    const tags = new Set([input, { ...input, index: 1 }, { ...input, bundleKey: 'dtn://earth.dtn/email 848946031000 8' }, { ...input, secret: other }].map((t) => fields(traceFields(t)).transaction));
    expect(tags.size).toBe(4);
  });

  it('says "unknown" for a source without a domain-like node name, and RFC5322 for the draft -00 form', () => {
    const f = fields(traceFields({ ...input, source: 'ipn:977.25', destination: null, form: 'rfc5322' }));
    expect(f.received).toMatch(STAMP);
    expect(f.received).toMatch(/^from unknown \(ipn:977\.25\) by gw\.mars\.example with RFC5322 id /);
  });

  it('writes no empty comment for an empty EID (the AAP v1 driver gives \'\' when the node names no endpoint)', () => {
    const f = fields(traceFields({ ...input, destination: '' }));
    expect(f.received).toMatch(STAMP);
    expect(f.received).toMatch(/^from earth\.dtn \(dtn:\/\/earth\.dtn\/email\) by gw\.mars\.example with BSMTP id /);
    expect(fields(traceFields({ ...input, source: '', destination: '' })).received).toMatch(/^from unknown by gw\.mars\.example with BSMTP id /);
    expect(fields(relayReceivedField({ ...relay, endpoint: '' })).received).toMatch(/^from mta\.earth\.example \(\[127\.0\.0\.1\]\) by gw\.earth\.example with ESMTP id /);
    for (const text of [traceFields({ ...input, source: '', destination: '' }), relayReceivedField({ ...relay, endpoint: '' })]) expect(text).not.toContain('()');
  });

  it('the postmaster notice carries the tag alone', () => {
    expect(transactionField(SECRET, 'dtn://earth.dtn/email 5 1', 0)).toBe(`X-Farside-Transaction: ${tagOf(SECRET, 'dtn://earth.dtn/email 5 1/0')}\r\n`);
  });

  it('tags are 128-bit hex that never carry the source EID or another part of the key', () => {
    const tag = transactionTag(SECRET, input.bundleKey, 0);
    expect(tag).toMatch(/^[0-9a-f]{32}$/);
    for (const part of ['dtn://earth.dtn/email', 'earth', '848946031000']) expect(traceFields(input).split('\r\n').find((l) => l.startsWith(TRANSACTION_FIELD))).not.toContain(part);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.webUrl(), fc.nat(), fc.nat(1000), (secret, source, time, index) => {
        const t = transactionTag(secret, `${source} ${time} 1`, index);
        expect(t).toMatch(/^[0-9a-f]{32}$/);
        // only hex digits of a keyed hash: nothing of the bundle ID shows through
        expect(t).not.toContain(source);
        expect(t).not.toContain(`${time} 1`);
      }),
      { numRuns: 1_000 },
    );
  });

  it('writes only printable ASCII for every EID or key, keeps distinct transactions distinct, and stays within its bounds', () => {
    const text = fc.string({ unit: 'binary', maxLength: 2 * LIMITS.gatewayTraceTokenMaxChars });
    fc.assert(
      fc.property(text, text, text, fc.nat(1000), (source, keyA, keyB, index) => {
        const a = traceFields({ ...input, source, destination: source, bundleKey: keyA, index });
        wellFormed(a);
        const f = fields(a);
        expect(f.count).toBe(2);
        expect(f.received).toMatch(STAMP);
        expect(f.transaction).toBe(transactionTag(SECRET, keyA, index));
        if (keyA !== keyB) expect(transactionTag(SECRET, keyA, index)).not.toBe(transactionTag(SECRET, keyB, index));
      }),
      { numRuns: 2_000 },
    );
  });
});

const relay: RelayTraceInput = {
  helo: 'mta.earth.example',
  peer: '127.0.0.1',
  hostname: 'gw.earth.example',
  endpoint: 'dtn://earth.dtn/email',
  protocol: 'ESMTP',
  id: 'ld4qcwjhqnbvxbd5-1',
  receivedAt: Date.UTC(2026, 10, 25, 19, 55, 8),
};

/**
 * RFC 5321 §4.4 Time-stamp-line of the outbound listener, unfolded: FROM Extended-Domain — a Domain or an
 * address-literal (§4.1.3), with TCP-info "(" address-literal ")" — BY, WITH Protocol, ID Atom, ";" date.
 */
const V4 = String.raw`\[\d{1,3}(?:\.\d{1,3}){3}\]`;
const V6 = String.raw`\[IPv6:[0-9A-Fa-f:.]+\]`;
const LITERAL = `(?:${V4}|${V6})`;
const RELAY_STAMP = new RegExp(`^from (?:${DOMAIN}|${LITERAL})(?: \\(${LITERAL}\\))? by ${DOMAIN}(?: ${COMMENT})? with E?SMTP id ${ATOM}; ${DATE}$`, 'i');

describe('relay Received field (RFC 5321 §4.4, the outbound listener)', () => {
  it('writes from the client by the gateway and its endpoint, with ESMTP, the acceptance id and date, no FOR clause', () => {
    const text = relayReceivedField(relay);
    expect(text).toBe(
      'Received: from mta.earth.example ([127.0.0.1]) by gw.earth.example\r\n' +
        ' (dtn://earth.dtn/email) with ESMTP id ld4qcwjhqnbvxbd5-1; Wed, 25 Nov 2026\r\n' +
        ' 19:55:08 +0000\r\n',
    );
    wellFormed(text);
    const f = fields(text);
    expect(f.count).toBe(1);
    expect(f.received).toMatch(RELAY_STAMP);
    expect(f.received).not.toMatch(/ for /i);
    expect(Date.parse(f.received?.split('; ')[1] ?? '')).toBe(relay.receivedAt);
  });

  it('writes IPv6 clients as IPv6 address literals, keeps a literal EHLO argument, and SMTP after HELO', () => {
    const f = fields(relayReceivedField({ ...relay, helo: '[ipv6:::1]', peer: '::1', protocol: 'SMTP', endpoint: null }));
    expect(f.received).toMatch(RELAY_STAMP);
    expect(f.received).toMatch(/^from \[ipv6:::1\] \(\[IPv6:::1\]\) by gw\.earth\.example with SMTP id ld4qcwjhqnbvxbd5-1; /);
    // a zone is local to this host; the address literal leaves it out
    expect(fields(relayReceivedField({ ...relay, peer: 'fe80::1%eth0' })).received).toMatch(/^from mta\.earth\.example \(\[IPv6:fe80::1\]\) by /);
  });

  it('says "unknown" for an EHLO argument that is neither a Domain nor an address literal, and digests an id that is no Atom', () => {
    for (const helo of ['', 'bad name', 'x_y.example', '[1.2.3]', '[::1]', '[IPv6:fe80::1%eth0]', 'a(b)']) {
      const f = fields(relayReceivedField({ ...relay, helo, id: 'session.1' }));
      expect(f.received).toMatch(RELAY_STAMP);
      expect(f.received).toMatch(/^from unknown \(/);
      expect(f.received).toContain(` id ${createHash('sha256').update('session.1').digest('hex').slice(0, 20)}; `);
    }
  });

  it('stays grammatical, printable and within relayReceivedMaxChars for every client, endpoint and id', () => {
    const text = fc.string({ unit: 'binary', maxLength: 2 * LIMITS.gatewayTraceTokenMaxChars });
    const peer = fc.oneof(fc.ipV4(), fc.ipV6(), text);
    const domain = fc.domain();
    // up to the largest time a JS Date holds: a six-digit year
    const time = fc.integer({ min: 0, max: 8.64e15 });
    fc.assert(
      fc.property(fc.oneof(domain, text), peer, domain, fc.option(text), text, time, (helo, p, hostname, endpoint, id, at) => {
        const t = relayReceivedField({ helo, peer: p, hostname, endpoint, protocol: 'ESMTP', id, receivedAt: at });
        wellFormed(t);
        const f = fields(t);
        expect(f.count).toBe(1);
        expect(f.received).toMatch(RELAY_STAMP);
        expect(t.length).toBeLessThanOrEqual(relayReceivedMaxChars(hostname));
      }),
      { numRuns: 2_000 },
    );
  });

  it('cuts a long non-ASCII EID after percent-encoding it, so no line passes 998 or the reserve, and never splits a %XX', () => {
    const bound = relayReceivedMaxChars(relay.hostname);
    for (const eid of ['\u0800'.repeat(LIMITS.eidMaxLength), '\u{1f600}'.repeat(LIMITS.eidMaxLength / 2), `dtn://${'\u00e9'.repeat(LIMITS.eidMaxLength)}`]) {
      for (const text of [relayReceivedField({ ...relay, endpoint: eid }), traceFields({ ...input, source: eid, destination: eid })]) {
        wellFormed(text);
        for (const line of text.slice(0, -2).split('\r\n')) {
          expect(line.length).toBeLessThanOrEqual(998);
          expect(line.length).toBeLessThanOrEqual(bound);
          // a comment is a token of its own: "(" the cut text "...)", at most gatewayTraceTokenMaxChars + 5
          const comment = / (\([^ ]*\))/.exec(line)?.[1];
          if (comment?.includes('%') === true) {
            expect(comment.length).toBeLessThanOrEqual(LIMITS.gatewayTraceTokenMaxChars + 5);
            expect(comment).toMatch(/^\((?:dtn:\/\/)?(?:%[0-9A-F]{2})+\.\.\.\)$/);
          }
        }
      }
    }
    // whole characters only: each cut comment decodes back to a prefix of the EID
    const cut = / \(([^ ]*)\.\.\.\)/.exec(relayReceivedField({ ...relay, endpoint: '\u{1f600}'.repeat(100) }))?.[1] ?? '';
    expect('\u{1f600}'.repeat(100).startsWith(decodeURIComponent(cut))).toBe(true);
    expect(cut.length).toBeGreaterThan(LIMITS.gatewayTraceTokenMaxChars - 12);
  });

  it('bounds the longest field it can write: a 253-character EHLO name, an IPv6 literal, a cut endpoint of quoted-pairs', () => {
    const label = 'a'.repeat(63);
    const helo = `${label}.${label}.${label}.${'b'.repeat(61)}`;
    expect(helo).toHaveLength(253);
    const worst = relayReceivedField({
      helo,
      peer: 'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255',
      hostname: relay.hostname,
      // "\\" is written as a quoted-pair: the cut comment fills gatewayTraceTokenMaxChars exactly
      endpoint: '\\'.repeat(2 * LIMITS.gatewayTraceTokenMaxChars),
      protocol: 'ESMTP',
      id: 'x'.repeat(64),
      receivedAt: 8.64e15,
    });
    expect(fields(worst).received).toMatch(RELAY_STAMP);
    const bound = relayReceivedMaxChars(relay.hostname);
    expect(worst.length).toBeLessThanOrEqual(bound);
    // the bound is the worst case plus at most a CRLF per token, not a loose guess
    expect(bound - worst.length).toBeLessThanOrEqual(2 * 17);
  });
});
