import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunks, fromHex, ud3tnVector } from '../../test-support/vectors';
import { concat } from '../../test-support/fuzz';
import { encodeTcpclv3ContactHeader } from './contact-header';
import { createTcpclv3Decoder } from './decoder';
import type { Tcpclv3ControlMessage, Tcpclv3DecodeStep, Tcpclv3DecoderOptions } from './decoder';
import { encodeTcpclv3BundleParts, encodeTcpclv3Message } from './messages';

function decodeAll(parts: readonly Uint8Array[], options: Tcpclv3DecoderOptions = {}): Tcpclv3DecodeStep[] {
  const decoder = createTcpclv3Decoder(options);
  const steps: Tcpclv3DecodeStep[] = [];
  for (const part of parts) {
    decoder.push(part);
    for (let step = decoder.next(); step.kind !== 'need-more'; step = decoder.next()) {
      steps.push(step);
      if (step.kind === 'error') return steps;
    }
  }
  return steps;
}

const earthHeader = ud3tnVector('cla-tcpclv3/earth-to-mars_01_CONTACT_HEADER.bin');
const bundle = ud3tnVector('cla-tcpclv3/earth-to-mars_02.bundle.bin');
const earthContact = { kind: 'contact-header', header: { version: 3, flags: 0, keepaliveSeconds: 0, eid: 'dtn://earth.dtn/' } };

function header(eid = 'dtn://a.dtn/'): Uint8Array {
  const r = encodeTcpclv3ContactHeader({ flags: 0, keepaliveSeconds: 0, eid });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

function message(m: Parameters<typeof encodeTcpclv3Message>[0]): Uint8Array {
  const r = encodeTcpclv3Message(m);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

function errorOf(steps: readonly Tcpclv3DecodeStep[]): { code: string; offset: number | undefined } | undefined {
  const last = steps.at(-1);
  return last?.kind === 'error' ? { code: last.error.code, offset: last.error.offset } : undefined;
}

describe('TCPCLv3 decoder: uD3TN vectors', () => {
  it('earth-to-mars.stream.bin parses to [contact header, one bundle] in every chunk size', () => {
    const stream = ud3tnVector('cla-tcpclv3/earth-to-mars.stream.bin');
    for (let size = 1; size <= stream.length; size++) {
      expect(decodeAll(chunks(stream, size))).toEqual([earthContact, { kind: 'bundle', bundle }]);
    }
  });

  it('the bundle of a one-chunk stream is a view, not a copy', () => {
    const stream = ud3tnVector('cla-tcpclv3/earth-to-mars.stream.bin');
    const steps = decodeAll([stream]);
    expect(steps[1]?.kind === 'bundle' && steps[1].bundle.buffer).toBe(stream.buffer);
  });

  it('mars-to-earth.stream.bin is mars\'s contact header only', () => {
    const stream = ud3tnVector('cla-tcpclv3/mars-to-earth.stream.bin');
    for (let size = 1; size <= stream.length; size++) {
      expect(decodeAll(chunks(stream, size))).toEqual([
        { kind: 'contact-header', header: { version: 3, flags: 0, keepaliveSeconds: 0, eid: 'dtn://mars.dtn/' } },
      ]);
    }
  });

  it('the split files decode like the stream: contact header file + DATA_SEGMENT file', () => {
    const segment = ud3tnVector('cla-tcpclv3/earth-to-mars_02_DATA_SEGMENT.bin');
    expect(decodeAll([earthHeader, segment])).toEqual([earthContact, { kind: 'bundle', bundle }]);
  });

  it('with reportSegments, each DATA_SEGMENT is reported before its bundle', () => {
    const stream = ud3tnVector('cla-tcpclv3/earth-to-mars.stream.bin');
    expect(decodeAll([stream], { reportSegments: true })).toEqual([
      earthContact,
      { kind: 'segment', start: true, end: true, length: 442, received: 442 },
      { kind: 'bundle', bundle },
    ]);
  });
});

describe('TCPCLv3 decoder: segments', () => {
  it('reassembles a bundle sent in several segments, in every chunk size', () => {
    const stream = concat([header(), ...encodeTcpclv3BundleParts(bundle, 100)]);
    for (let size = 1; size <= stream.length; size += 7) {
      const steps = decodeAll(chunks(stream, size));
      expect(steps.slice(1)).toEqual([{ kind: 'bundle', bundle }]);
    }
    const reported = decodeAll([stream], { reportSegments: true }).filter((s) => s.kind === 'segment');
    expect(reported.map((s) => s.kind === 'segment' && [s.start, s.end, s.received])).toEqual([
      [true, false, 100],
      [false, false, 200],
      [false, false, 300],
      [false, false, 400],
      [false, true, 442],
    ]);
  });

  it('a new start segment drops an unfinished bundle (the sender moved on after REFUSE_BUNDLE, §5.4)', () => {
    const stream = concat([header(), fromHex('12 03 aabbcc'), fromHex('13 02 0102')]);
    expect(decodeAll([stream]).slice(1)).toEqual([{ kind: 'bundle', bundle: fromHex('0102') }]);
  });

  it('many tiny segments in one chunk do not recurse', () => {
    const many = encodeTcpclv3BundleParts(new Uint8Array(50_000).fill(7), 1);
    const steps = decodeAll([concat([header(), ...many])]);
    expect(steps[1]?.kind === 'bundle' && steps[1].bundle.length).toBe(50_000);
  });

  it('a continuation without a start segment is MALFORMED', () => {
    const h = header();
    expect(errorOf(decodeAll([concat([h, fromHex('11 01 00')])]))).toEqual({ code: 'MALFORMED', offset: h.length });
  });

  it('checks segment and bundle sizes from the SDNV, before buffering', () => {
    const h = header();
    expect(errorOf(decodeAll([concat([h, fromHex('13 8100')])], { maxSegment: 127 }))).toEqual({
      code: 'LIMIT_EXCEEDED',
      offset: h.length + 1,
    });
    const segs = concat([h, ...encodeTcpclv3BundleParts(new Uint8Array(300), 100)]);
    const steps = decodeAll([segs], { maxBundle: 250 });
    expect(errorOf(steps)?.code).toBe('LIMIT_EXCEEDED');
    expect(steps).toHaveLength(2); // contact header, then the error at the third segment
  });
});

describe('TCPCLv3 decoder: control messages', () => {
  it('decodes KEEPALIVE, REFUSE_BUNDLE, ACK_SEGMENT, LENGTH and every SHUTDOWN form', () => {
    const control: Tcpclv3ControlMessage[] = [
      { type: 'KEEPALIVE' },
      { type: 'REFUSE_BUNDLE', reason: 2 },
      { type: 'ACK_SEGMENT', length: 442 },
      { type: 'LENGTH', length: 1 << 20 },
      { type: 'SHUTDOWN', reason: undefined, reconnectionDelay: undefined },
      { type: 'SHUTDOWN', reason: 1, reconnectionDelay: undefined },
      { type: 'SHUTDOWN', reason: undefined, reconnectionDelay: 300 },
      { type: 'SHUTDOWN', reason: 2, reconnectionDelay: 10 },
    ];
    const stream = concat([header(), ...control.map(message)]);
    for (let size = 1; size <= stream.length; size++) {
      expect(decodeAll(chunks(stream, size)).slice(1)).toEqual(control.map((m) => ({ kind: 'message', message: m })));
    }
  });

  it('ignores unused flag bits of KEEPALIVE and ACK_SEGMENT', () => {
    expect(decodeAll([concat([header(), fromHex('4f 2f 05')])]).slice(1)).toEqual([
      { kind: 'message', message: { type: 'KEEPALIVE' } },
      { kind: 'message', message: { type: 'ACK_SEGMENT', length: 5 } },
    ]);
  });

  it('refuses unassigned message types (0x0, 0x7..0xF) and over-long SDNVs; errors are final', () => {
    for (const bad of ['00', '70', 'f3']) {
      const h = header();
      expect(errorOf(decodeAll([concat([h, fromHex(bad)])]))).toEqual({ code: 'MALFORMED', offset: h.length });
    }
    const decoder = createTcpclv3Decoder();
    decoder.push(concat([header(), fromHex('20' + '80'.repeat(11))]));
    decoder.next();
    const error = decoder.next();
    expect(error.kind === 'error' && error.error.code).toBe('LIMIT_EXCEEDED');
    decoder.push(message({ type: 'KEEPALIVE' }));
    expect(decoder.next()).toBe(error);
  });
});

describe('TCPCLv3 decoder: contact header errors', () => {
  it('refuses a wrong magic at its first wrong byte, even before 4 bytes arrived', () => {
    expect(errorOf(decodeAll([fromHex('17')]))).toEqual({ code: 'MALFORMED', offset: 0 });
    expect(errorOf(decodeAll([fromHex('64 74 6e 22')]))).toEqual({ code: 'MALFORMED', offset: 3 });
  });

  it('a version other than 3 is UNSUPPORTED at the version byte (RFC 7242 §4.3: answer SHUTDOWN version mismatch)', () => {
    expect(errorOf(decodeAll([fromHex('64746e21 04 00')]))).toEqual({ code: 'UNSUPPORTED', offset: 4 });
  });

  it('an EID length above LIMITS.eidMaxLength is refused before the EID is buffered', () => {
    expect(errorOf(decodeAll([fromHex('64746e21 03 00 0000 8801')]))).toEqual({ code: 'LIMIT_EXCEEDED', offset: 8 });
  });

  it('an EID that is not UTF-8 is MALFORMED', () => {
    expect(errorOf(decodeAll([fromHex('64746e21 03 00 0000 02 c328')]))).toEqual({ code: 'MALFORMED', offset: 9 });
  });

  it('reports what it holds while waiting', () => {
    const decoder = createTcpclv3Decoder();
    decoder.push(concat([earthHeader, fromHex('13 833a 9f89')]));
    expect(decoder.next().kind).toBe('contact-header');
    expect(decoder.next()).toEqual({ kind: 'need-more' });
    expect(decoder.buffered).toBe(2);
  });
});

const controlArb: fc.Arbitrary<Tcpclv3ControlMessage> = fc.oneof(
  fc.constant({ type: 'KEEPALIVE' as const }),
  fc.record({ type: fc.constant('REFUSE_BUNDLE' as const), reason: fc.integer({ min: 0, max: 15 }) }),
  fc.record({ type: fc.constantFrom('ACK_SEGMENT' as const, 'LENGTH' as const), length: fc.maxSafeNat() }),
  fc.record({
    type: fc.constant('SHUTDOWN' as const),
    reason: fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }),
    reconnectionDelay: fc.option(fc.maxSafeNat(), { nil: undefined }),
  }),
);

type Item = { readonly control: Tcpclv3ControlMessage } | { readonly bundle: Uint8Array; readonly segment: number };

describe('TCPCLv3: property round trip', () => {
  it('a contact header, then control messages and segmented bundles, decode back in random chunkings', () => {
    const itemArb: fc.Arbitrary<Item> = fc.oneof(
      controlArb.map((control) => ({ control })),
      fc.record({ bundle: fc.uint8Array({ maxLength: 500 }), segment: fc.integer({ min: 1, max: 600 }) }),
    );
    fc.assert(
      fc.property(
        fc.record({ flags: fc.integer({ min: 0, max: 255 }), keepaliveSeconds: fc.integer({ min: 0, max: 65535 }), eid: fc.string({ unit: 'binary', maxLength: 60 }) }),
        fc.array(itemArb, { maxLength: 10 }),
        fc.array(fc.integer({ min: 1, max: 128 }), { minLength: 1 }),
        (contact, items, sizes) => {
          const h = encodeTcpclv3ContactHeader(contact);
          if (!h.ok) throw new Error(h.error.message);
          const stream = concat([
            h.value,
            ...items.flatMap((it) => ('control' in it ? [message(it.control)] : encodeTcpclv3BundleParts(it.bundle, it.segment))),
          ]);
          const parts: Uint8Array[] = [];
          for (let i = 0, k = 0; i < stream.length; k++) {
            const n = sizes[k % sizes.length] as number;
            parts.push(stream.subarray(i, i + n));
            i += n;
          }
          expect(decodeAll(parts)).toEqual([
            { kind: 'contact-header', header: { version: 3, ...contact } },
            ...items.map((it) => ('control' in it ? { kind: 'message', message: it.control } : { kind: 'bundle', bundle: it.bundle })),
          ]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
