import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bundleArb } from '../../test-support/bpv7-arbitraries';
import { concat } from '../../test-support/fuzz';
import { ascii, fromHex, hex, ud3tnVector } from '../../test-support/vectors';
import { LIMITS } from '../limits';
import { checkEncodable, decodeBundle, decodeBundlePrefix, encodeBundle, encodeBundleInto, encodeBundleParts, encodedBundleSize, payloadBlockOf } from './bundle';
import { formatEid, parseEid } from './eid';
import { encodeHopCount } from './extension-blocks';
import type { Bundle, CanonicalBlock, Eid } from './types';

const eid = (text: string): Eid => {
  const r = parseEid(text);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

function decoded(bytes: Uint8Array): ReturnType<typeof decodeBundle> & { ok: true } {
  const r = decodeBundle(bytes);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r;
}

/** Every byte of `a` lies inside `b`'s memory (a view, not a copy). */
function isViewInto(a: Uint8Array, b: Uint8Array): boolean {
  return a.buffer === b.buffer && a.byteOffset >= b.byteOffset && a.byteOffset + a.length <= b.byteOffset + b.length;
}

describe('worked examples (protocols.md §3.12)', () => {
  it('(a) uD3TN test vector bpv7_1.bin: config bundle, CRC-16 0x7786 over 109 bytes', () => {
    const payload = ascii('1(dtn://ud3tn-hotspot.dtn/):(tcpspp):[(dtn://ud3tn-coldspot.dtn/)]:[{710602659,710602669,1000}];');
    expect(payload.length).toBe(96);
    const bytes = concat([
      fromHex('9f 89 070001'),
      fromHex('820174'),
      ascii('//ops-sat.dtn/config'),
      fromHex('82017838'),
      ascii('//ud3tn-hotspot.dtn/23a8cfe4-09e6-4e1f-b597-e43feaf8132f'),
      fromHex('820100 821b000000a5733810d001 1a05265c00 427786'),
      fromHex('85 01010000 5860'),
      payload,
      fromHex('ff'),
    ]);
    const r = decoded(bytes);
    const p = r.value.bundle.primary;
    expect(r.value.primary).toMatchObject({ offset: 1, length: 109, crcOk: true });
    expect(formatEid(p.destination)).toBe('dtn://ops-sat.dtn/config');
    expect(formatEid(p.source)).toBe('dtn://ud3tn-hotspot.dtn/23a8cfe4-09e6-4e1f-b597-e43feaf8132f');
    expect(formatEid(p.reportTo)).toBe('dtn:none');
    expect(p.creation).toEqual({ time: 710602658000, sequence: 1 });
    expect(p.lifetime).toBe(86400000);
    expect(payloadBlockOf(r.value.bundle)?.data).toEqual(payload);
    expect(hex(encodeBundle(r.value.bundle))).toBe(hex(bytes));
  });

  it('(b) BSMTP bundle from a real uD3TN: 442 bytes, CRC-16 0x1881 over a 63-byte primary', () => {
    const bytes = ud3tnVector('cla-mtcp/bsmtp-dtn.bundle.bin');
    // 9f | 89 07 00 01 | 82 01 6f "//mars.dtn/smtp" | 82 01 70 "//earth.dtn/smtp" | 82 01 00 | 82 1b … 01 | 1a 05265c00 | 42 1881
    expect(hex(bytes.subarray(0, 64))).toBe(
      '9f890700018201' + '6f' + hex(ascii('//mars.dtn/smtp')) + '820170' + hex(ascii('//earth.dtn/smtp')) + '820100821b000000c5a9206f9a011a05265c00421881',
    );
    const r = decoded(bytes);
    expect(r.value.primary).toMatchObject({ length: 63, crcOk: true });
    expect(r.value.bundle.primary.creation).toEqual({ time: 848946032538, sequence: 1 });
    const payload = payloadBlockOf(r.value.bundle);
    expect(payload?.data).toEqual(ud3tnVector('aap1/bsmtp_payload.bin'));
    expect(hex(bytes.subarray(64, 70))).toBe('850101000059'); // 85 01 01 00 00 59 0171
    expect(encodeBundle(r.value.bundle)).toEqual(bytes);
  });

  it('(c) ipn bundle with CRC-32C and a hop count block: 168 bytes, built from its fields', () => {
    const payload = ascii('EHLO gw.example\r\nMAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\nDATA\r\nSubject: hi\r\n\r\nhello\r\n.\r\nQUIT\r\n');
    const hop = encodeHopCount({ limit: 30, count: 0 });
    if (!hop.ok) throw new Error('hop count');
    const bundle: Bundle = {
      primary: {
        version: 7,
        flags: 0,
        crcType: 2,
        destination: eid('ipn:2.25'),
        source: eid('ipn:1.25'),
        reportTo: eid('ipn:1.0'),
        creation: { time: 800000000000, sequence: 0 },
        lifetime: 86400000,
      },
      blocks: [
        { type: 10, number: 2, flags: 0, crcType: 0, data: hop.value },
        { type: 1, number: 1, flags: 0, crcType: 2, data: payload },
      ],
    };
    const expected =
      '9f' +
      '890700028202820218198202820118198202820100821b000000ba43b74000001a05265c00445e449989' +
      '850a0200004482181e00' +
      '86010100025866' +
      hex(payload) +
      '44fbe511c9' +
      'ff';
    const bytes = encodeBundle(bundle);
    expect(bytes.length).toBe(168);
    expect(hex(bytes)).toBe(expected);
    const r = decoded(fromHex(expected));
    expect(r.value.crcOk).toBe(true);
    expect(r.value.blocks.map((b) => b.crcOk)).toEqual([true, true]);
    expect(encodeBundle(r.value.bundle)).toEqual(bytes);
  });

  it('(e) status report from a real uD3TN (mars-to-earth_09): 116 bytes, CRC-16 0x9b9b', () => {
    const bytes = ud3tnVector('status-reports/mars-to-earth_09.bundle.bin');
    const r = decoded(bytes);
    const p = r.value.bundle.primary;
    expect(p.flags).toBe(0x02);
    expect([formatEid(p.destination), formatEid(p.source), formatEid(p.reportTo)]).toEqual(['dtn://earth.dtn/reports', 'dtn://mars.dtn/', 'dtn:none']);
    expect(p.creation).toEqual({ time: 848946045665, sequence: 1 });
    expect(p.lifetime).toBe(3596335);
    expect(hex(bytes.subarray(r.value.primary.offset + r.value.primary.length - 3, r.value.primary.offset + r.value.primary.length))).toBe('429b9b');
    expect(hex(payloadBlockOf(r.value.bundle)?.data ?? new Uint8Array())).toBe(
      '82018484' + '81f4' + '81f4' + '81f4' + '82f500' + '06' + '820171' + hex(ascii('//sender.dtn/smtp')) + '821b000000c5a920949005',
    );
    expect(encodeBundle(r.value.bundle)).toEqual(bytes);
  });
});

interface VectorCase {
  readonly file: string;
  readonly size: number;
  readonly primaryLength: number;
  readonly flags: number;
  readonly dst: string;
  readonly src: string;
  readonly reportTo: string;
  readonly creation: readonly [number, number];
  readonly lifetime: number;
  readonly crc: string;
  readonly fragment?: readonly [number, number];
  /** [type, CRC type, stored CRC hex or '', data length] */
  readonly payload: readonly [number, number, string, number];
}

const EARTH_SMTP = 'dtn://earth.dtn/smtp';
const MARS_SMTP = 'dtn://mars.dtn/smtp';
const SENDER = 'dtn://sender.dtn/smtp';
const REPORTS = 'dtn://earth.dtn/reports';
const NONE = 'dtn:none';
const DAY = 86400000;

/** The decoded bundles of ../shared/vectors/ud3tn/README.md. */
const VECTORS: readonly VectorCase[] = [
  { file: 'cla-mtcp/bsmtp-dtn.bundle.bin', size: 442, primaryLength: 63, flags: 0, dst: MARS_SMTP, src: EARTH_SMTP, reportTo: NONE, creation: [848946032538, 1], lifetime: DAY, crc: '1881', payload: [1, 0, '', 369] },
  { file: 'cla-mtcp/bsmtp-ipn.bundle.bin', size: 437, primaryLength: 38, flags: 0, dst: 'ipn:2.25', src: 'ipn:1.25', reportTo: NONE, creation: [848946034572, 1], lifetime: DAY, crc: 'ddec', payload: [1, 0, '', 389] },
  { file: 'cla-mtcp/bsmtp-aap2.bundle.bin', size: 443, primaryLength: 63, flags: 0, dst: MARS_SMTP, src: EARTH_SMTP, reportTo: NONE, creation: [848946050699, 1], lifetime: DAY, crc: '2194', payload: [1, 0, '', 370] },
  { file: 'cla-mtcp/bibe-encapsulating.bundle.bin', size: 527, primaryLength: 63, flags: 2, dst: 'dtn://mars.dtn/bibe', src: 'dtn://earth.dtn/bibe', reportTo: NONE, creation: [848946053327, 1], lifetime: DAY, crc: '7af0', payload: [1, 0, '', 454] },
  { file: 'cla-tcpclv3/earth-to-mars_02.bundle.bin', size: 442, primaryLength: 63, flags: 0, dst: MARS_SMTP, src: EARTH_SMTP, reportTo: NONE, creation: [848946036445, 1], lifetime: DAY, crc: 'a9db', payload: [1, 0, '', 369] },
  ...(
    [
      [1, 1022, 67, 0, 'ccaf', 945],
      [2, 1024, 69, 945, '43b4', 945],
      [3, 1024, 69, 1890, '09d6', 945],
      [4, 357, 69, 2835, 'bc2d', 278],
    ] as const
  ).map(([n, size, primaryLength, offset, crc, len]): VectorCase => ({
    file: `fragments/fragment_0${n}.bundle.bin`,
    size,
    primaryLength,
    flags: 1,
    dst: MARS_SMTP,
    src: EARTH_SMTP,
    reportTo: NONE,
    creation: [848946038379, 1],
    lifetime: DAY,
    crc,
    fragment: [offset, 3113],
    payload: [1, 0, '', len],
  })),
  ...(
    [
      ['01', 848946042860, 3599140, '71fb'],
      ['02', 848946042860, 3599140, '71fb'],
      ['03', 848946043561, 3598439, '25e3'],
      ['04', 848946043561, 3598439, '25e3'],
      ['05', 848946044262, 3597738, '1776'],
      ['07', 848946044263, 3597737, '1e9c'],
      ['08', 848946045664, 3596336, 'c6e4'],
      ['09', 848946045665, 3596335, '9b9b'],
    ] as const
  ).map(([n, time, lifetime, crc]): VectorCase => ({
    file: `status-reports/mars-to-earth_${n}.bundle.bin`,
    size: 116,
    primaryLength: 62,
    flags: 2,
    dst: REPORTS,
    src: 'dtn://mars.dtn/',
    reportTo: NONE,
    creation: [time, 1],
    lifetime,
    crc,
    payload: [1, 0, '', 45],
  })),
  { file: 'status-reports/mars-to-earth_06.bundle.bin', size: 109, primaryLength: 88, flags: 0x74040, dst: EARTH_SMTP, src: SENDER, reportTo: REPORTS, creation: [848946042000, 3], lifetime: 3600000, crc: '2d30', payload: [1, 1, '0572', 10] },
  { file: 'status-reports/crafted-01_delivered.bundle.bin', size: 469, primaryLength: 87, flags: 0x74040, dst: MARS_SMTP, src: SENDER, reportTo: REPORTS, creation: [848946042000, 1], lifetime: 3600000, crc: '203f', payload: [1, 1, '7d72', 369] },
  { file: 'status-reports/crafted-02_no-agent.bundle.bin', size: 111, primaryLength: 89, flags: 0x74040, dst: 'dtn://mars.dtn/nobody', src: SENDER, reportTo: REPORTS, creation: [848946042000, 2], lifetime: 3600000, crc: 'f621', payload: [1, 1, 'e6f8', 11] },
  { file: 'status-reports/crafted-03_forwarded.bundle.bin', size: 109, primaryLength: 88, flags: 0x74040, dst: EARTH_SMTP, src: SENDER, reportTo: REPORTS, creation: [848946042000, 3], lifetime: 3600000, crc: '2d30', payload: [1, 1, '0572', 10] },
  { file: 'status-reports/crafted-04_expired.bundle.bin', size: 103, primaryLength: 83, flags: 0x74040, dst: MARS_SMTP, src: SENDER, reportTo: REPORTS, creation: [848945982000, 4], lifetime: 1, crc: '0591', payload: [1, 1, '0470', 9] },
  { file: 'status-reports/crafted-05_no-route.bundle.bin', size: 108, primaryLength: 88, flags: 0x74040, dst: 'dtn://venus.dtn/smtp', src: SENDER, reportTo: REPORTS, creation: [848946042000, 5], lifetime: 3600000, crc: '96d7', payload: [1, 1, '2a3d', 9] },
  { file: 'aap1-bibe/crafted-inner-bundle.bin', size: 446, primaryLength: 64, flags: 0, dst: 'dtn://upper.dtn/smtp', src: EARTH_SMTP, reportTo: NONE, creation: [848946053000, 1], lifetime: 3600000, crc: 'ac11', payload: [1, 1, '7d72', 369] },
];

describe('uD3TN vectors (../shared/vectors/ud3tn/README.md)', () => {
  it.each(VECTORS)('$file decodes as the README says and re-encodes byte for byte', (v) => {
    const bytes = ud3tnVector(v.file);
    expect(bytes.length).toBe(v.size);
    const r = decoded(bytes);
    const { bundle, primary, blocks } = r.value;
    const p = bundle.primary;
    expect(r.value.crcOk).toBe(true);
    expect(r.value.length).toBe(v.size);
    expect(primary).toMatchObject({ offset: 1, length: v.primaryLength, crcOk: true });
    expect(hex(bytes.subarray(1 + v.primaryLength - 2, 1 + v.primaryLength))).toBe(v.crc);
    expect(p.version).toBe(7);
    expect(p.flags).toBe(v.flags);
    expect(p.crcType).toBe(1);
    expect([formatEid(p.destination), formatEid(p.source), formatEid(p.reportTo)]).toEqual([v.dst, v.src, v.reportTo]);
    expect([p.creation.time, p.creation.sequence]).toEqual(v.creation);
    expect(p.lifetime).toBe(v.lifetime);
    expect(p.fragment && [p.fragment.offset, p.fragment.totalAduLength]).toEqual(v.fragment);
    expect(bundle.blocks).toHaveLength(1);
    const [type, crcType, crc, length] = v.payload;
    const payload = bundle.blocks[0] as CanonicalBlock;
    expect([payload.type, payload.number, payload.flags, payload.crcType, payload.data.length]).toEqual([type, 1, 0, crcType, length]);
    const info = blocks[0];
    if (crc !== '') expect(info && hex(bytes.subarray(info.offset + info.length - 2, info.offset + info.length))).toBe(crc);
    expect(info?.crcOk).toBe(true);
    expect(isViewInto(payload.data, bytes)).toBe(true);
    expect(encodeBundle(bundle)).toEqual(bytes);
    expect(concat(encodeBundleParts(bundle))).toEqual(bytes);
    expect(encodedBundleSize(bundle)).toBe(v.size);
  });

  it('the four fragments carry the long BSMTP payload in offset order', () => {
    const whole = concat([1, 2, 3, 4].map((n) => payloadBlockOf(decoded(ud3tnVector(`fragments/fragment_0${n}.bundle.bin`)).value.bundle)?.data ?? new Uint8Array()));
    expect(whole).toEqual(ud3tnVector('fragments/bsmtp_long_payload.bin'));
  });

  it('mars forwarded crafted-03 byte-identically (mars-to-earth_06)', () => {
    expect(ud3tnVector('status-reports/mars-to-earth_06.bundle.bin')).toEqual(ud3tnVector('status-reports/crafted-03_forwarded.bundle.bin'));
  });

  it('the ipn vector keeps its 2-element EID form on re-encode', () => {
    const p = decoded(ud3tnVector('cla-mtcp/bsmtp-ipn.bundle.bin')).value.bundle.primary;
    expect(p.destination).toEqual({ scheme: 'ipn', allocator: 0, node: 2, service: 25, wireForm: 2 });
  });

  it('the BPv6 bundle gives a clear UNSUPPORTED error', () => {
    const r = decodeBundle(ud3tnVector('cla-mtcp/bpv6-bsmtp.bundle.bin'));
    expect(r).toEqual({
      ok: false,
      error: { code: 'UNSUPPORTED', message: 'bundle protocol version 6 (RFC 5050) is not supported; Farside speaks BPv7 (RFC 9171)', offset: 0 },
    });
  });
});

describe('CRC verdicts', () => {
  const bytes = ud3tnVector('status-reports/crafted-02_no-agent.bundle.bin'); // CRC-16 on primary and payload

  it('every single-bit flip in a CRC-covered bundle is caught (CRC_MISMATCH or a structural error)', () => {
    for (let bit = 8; bit < (bytes.length - 1) * 8; bit++) {
      const copy = bytes.slice();
      copy[bit >> 3] = (copy[bit >> 3] as number) ^ (1 << (bit & 7));
      const strict = decodeBundle(copy);
      expect(strict.ok).toBe(false);
      const lenient = decodeBundle(copy, { requireValidCrc: false });
      if (lenient.ok) {
        expect(lenient.value.crcOk).toBe(false);
        expect(strict.ok || strict.error.code).toBe('CRC_MISMATCH');
      }
    }
  });

  it('reports which block failed', () => {
    const copy = bytes.slice();
    copy[copy.length - 6] = (copy[copy.length - 6] as number) ^ 0x20; // inside the payload "to nobody\r\n"
    const lenient = decodeBundle(copy, { requireValidCrc: false });
    expect(lenient.ok && [lenient.value.primary.crcOk, lenient.value.blocks[0]?.crcOk, lenient.value.crcOk]).toEqual([true, false, false]);
    const strict = decodeBundle(copy);
    expect(strict.ok || strict.error).toEqual({ code: 'CRC_MISMATCH', message: 'CRC-16 of block 1 (type 1) does not match (RFC 9171 §4.2.2)', offset: 90 });
  });
});

describe('framing errors', () => {
  const good = ud3tnVector('cla-mtcp/bsmtp-dtn.bundle.bin');

  it('rejects a definite-length outer array like uD3TN does', () => {
    const definite = good.slice(0, good.length - 1);
    definite[0] = 0x82;
    const r = decodeBundle(definite);
    expect(r.ok || r.error.code).toBe('MALFORMED');
    expect(r.ok || r.error.message).toContain('indefinite-length');
  });

  it('rejects trailing bytes, and the prefix variant reports the consumed length', () => {
    const withTail = concat([good, fromHex('9f00')]);
    expect(decodeBundle(withTail)).toMatchObject({ ok: false, error: { code: 'TRAILING_BYTES', offset: good.length } });
    const prefix = decodeBundlePrefix(withTail);
    expect(prefix.ok && prefix.value.length).toBe(good.length);
  });

  it('rejects truncation at every length', () => {
    for (let n = 0; n < good.length; n++) {
      const r = decodeBundle(good.subarray(0, n));
      expect(r.ok).toBe(false);
    }
    expect(decodeBundle(good.subarray(0, good.length - 1))).toMatchObject({ ok: false, error: { code: 'TRUNCATED' } });
  });

  it('rejects other first bytes and more blocks than LIMITS.bundleMaxBlocks', () => {
    expect(decodeBundle(fromHex('00')).ok || decodeBundle(fromHex('00'))).toMatchObject({ error: { code: 'MALFORMED' } });
    const block = fromHex('850200000040');
    const many = concat([good.subarray(0, 64), ...Array.from({ length: LIMITS.bundleMaxBlocks + 1 }, () => block), fromHex('ff')]);
    expect(decodeBundle(many)).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });
  });

  it('checks an announced payload length against the input before anything else', () => {
    const huge = concat([good.subarray(0, 64), fromHex('8501010000 5b 00000001 00000000 ff')]);
    expect(decodeBundle(huge)).toMatchObject({ ok: false, error: { code: 'TRUNCATED' } });
  });
});

describe('encoding', () => {
  it('refuses unencodable bundles: checkEncodable gives INVALID_ARGUMENT, encodeBundle throws RangeError', () => {
    const bundle = decoded(ud3tnVector('cla-mtcp/bsmtp-dtn.bundle.bin')).value.bundle;
    const bad: Bundle = { ...bundle, primary: { ...bundle.primary, lifetime: -1 } };
    expect(checkEncodable(bad)).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    expect(() => encodeBundle(bad)).toThrow(RangeError);
    expect(() => encodedBundleSize(bad)).toThrow(RangeError);
    expect(checkEncodable(bundle)).toEqual({ ok: true, value: 442 });
  });

  it('gathers a large payload without copying it and computes its CRC where it lies', () => {
    const data = new Uint8Array(1 << 20);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    const bundle: Bundle = {
      primary: { version: 7, flags: 0, crcType: 1, destination: eid('dtn://mars.dtn/smtp'), source: eid('dtn://earth.dtn/smtp'), reportTo: eid('dtn:none'), creation: { time: 1, sequence: 0 }, lifetime: 1000 },
      blocks: [{ type: 1, number: 1, flags: 0, crcType: 2, data }],
    };
    const parts = encodeBundleParts(bundle);
    expect(parts).toHaveLength(3);
    expect(parts[1]).toBe(data);
    expect(parts[2]?.length).toBe(6); // 44 + 4 CRC bytes, then ff
    const whole = encodeBundle(bundle);
    expect(concat(parts)).toEqual(whole);
    const r = decoded(whole);
    expect(r.value.blocks[0]?.crcOk).toBe(true);
  });

  it("encodes into a caller's buffer at an offset, and refuses when it does not fit", () => {
    const bytes = ud3tnVector('cla-mtcp/bsmtp-dtn.bundle.bin');
    const bundle = decoded(bytes).value.bundle;
    const out = new Uint8Array(3 + bytes.length);
    expect(encodeBundleInto(bundle, out, 3)).toEqual({ ok: true, value: out.length });
    expect(out.subarray(3)).toEqual(bytes);
    expect(encodeBundleInto(bundle, out, 4)).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
  });

  it('a bundle without canonical blocks is one part', () => {
    const bundle = decoded(ud3tnVector('cla-mtcp/bsmtp-dtn.bundle.bin')).value.bundle;
    const bare: Bundle = { primary: bundle.primary, blocks: [] };
    const parts = encodeBundleParts(bare);
    expect(parts).toHaveLength(1);
    expect(decoded(parts[0] as Uint8Array).value.bundle).toEqual(bare);
  });
});

describe('bundle properties', () => {
  it('decode(encode(b)) = b (EIDs with their wire form), parts concatenate to the encoding, sizes are exact', () => {
    fc.assert(
      fc.property(bundleArb, fc.boolean(), (bundle, gather) => {
        const bytes = encodeBundle(bundle);
        expect(bytes.length).toBe(encodedBundleSize(bundle));
        if (gather) expect(concat(encodeBundleParts(bundle))).toEqual(bytes);
        const r = decodeBundle(bytes);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect(r.value.crcOk).toBe(true);
        expect(r.value.length).toBe(bytes.length);
        expect(withWireForms(r.value.bundle)).toEqual(withWireForms(bundle));
        expect(encodeBundle(r.value.bundle)).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
  });
});

/** A bundle whose ipn EIDs state the wire form an encoder uses for them (decoders always state it). */
function withWireForms(b: Bundle): Bundle {
  const fix = (e: Eid): Eid => (e.scheme === 'ipn' ? { ...e, wireForm: e.wireForm ?? (e.allocator === 0 ? 2 : 3) } : e);
  const p = b.primary;
  return { ...b, primary: { ...p, destination: fix(p.destination), source: fix(p.source), reportTo: fix(p.reportTo) } };
}
