import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { blockArb } from '../../test-support/bpv7-arbitraries';
import { ascii, fromHex, hex } from '../../test-support/vectors';
import { CANONICAL_BLOCK_LAYOUT, canonicalBlockSize, canonicalItemCount, decodeCanonicalBlock, encodeCanonicalBlock } from './canonical';
import type { CanonicalBlock } from './types';

// protocols.md §3.12 (c).
const PAYLOAD_C = ascii('EHLO gw.example\r\nMAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\nDATA\r\nSubject: hi\r\n\r\nhello\r\n.\r\nQUIT\r\n');

describe('canonical block (RFC 9171 §4.3.2)', () => {
  it('lays out 5 items, 6 with a CRC', () => {
    expect(CANONICAL_BLOCK_LAYOUT.map((f) => f.kind)).toEqual(['uint', 'uint', 'uint', 'uint', 'data', 'crc']);
    expect(canonicalItemCount(0)).toBe(5);
    expect(canonicalItemCount(1)).toBe(6);
    expect(canonicalItemCount(2)).toBe(6);
  });

  it('encodes the hop count block of worked example (c): 85 0a 02 00 00 44 82181e00', () => {
    const b: CanonicalBlock = { type: 10, number: 2, flags: 0, crcType: 0, data: fromHex('82181e00') };
    const r = encodeCanonicalBlock(b);
    expect(r.ok && hex(r.value)).toBe('850a0200004482181e00');
  });

  it('encodes the CRC-32C payload block of worked example (c) and verifies it on decode', () => {
    expect(PAYLOAD_C.length).toBe(102);
    const b: CanonicalBlock = { type: 1, number: 1, flags: 0, crcType: 2, data: PAYLOAD_C };
    const r = encodeCanonicalBlock(b);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const h = hex(r.value);
    expect(h.startsWith('86010100025866')).toBe(true);
    expect(h.endsWith('44fbe511c9')).toBe(true);
    const d = decodeCanonicalBlock(r.value);
    expect(d).toEqual({ ok: true, value: { block: b, offset: 0, length: r.value.length, crcOk: true } });
    if (d.ok) expect(d.value.block.data.buffer).toBe(r.value.buffer); // a view, not a copy
  });

  it('detects a flipped payload bit through the payload CRC', () => {
    const r = encodeCanonicalBlock({ type: 1, number: 1, flags: 0, crcType: 2, data: PAYLOAD_C });
    if (!r.ok) throw new Error('encode');
    r.value[20] = (r.value[20] as number) ^ 0x10;
    const d = decodeCanonicalBlock(r.value);
    expect(d.ok && d.value.crcOk).toBe(false);
  });

  it.each([
    ['8401010000', 'MALFORMED'], // 4 items
    ['86010100004100', 'MALFORMED'], // 6 items, CRC type 0
    ['8501010003' + '40', 'MALFORMED'], // CRC type 3
    ['8601010001' + '40' + '4400000000', 'MALFORMED'], // CRC-16 of 4 bytes
    ['8501010000' + '6161', 'CBOR_MALFORMED'], // text instead of bytes
    ['8501010000' + '5a7fffffff00', 'TRUNCATED'], // announced data past the input
    ['8501010000' + '5f4100ff', 'UNSUPPORTED'], // indefinite-length data
  ])('refuses %s with %s', (h, code) => {
    const d = decodeCanonicalBlock(fromHex(h));
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.error.code).toBe(code);
  });

  it('refuses to encode unrepresentable values', () => {
    const base: CanonicalBlock = { type: 1, number: 1, flags: 0, crcType: 0, data: new Uint8Array(1) };
    for (const b of [{ ...base, type: -1 }, { ...base, number: 0.5 }, { ...base, flags: 2 ** 53 }, { ...base, crcType: 5 as 0 }]) {
      expect(canonicalBlockSize(b).ok).toBe(false);
    }
  });

  it('round-trips any block (known and unknown types, any flags, every CRC type)', () => {
    fc.assert(
      fc.property(blockArb(fc.maxSafeNat(), fc.maxSafeNat(), 300), (b) => {
        const bytes = encodeCanonicalBlock(b);
        const size = canonicalBlockSize(b);
        expect(bytes.ok && size.ok && bytes.value.length === size.value).toBe(true);
        if (!bytes.ok) return;
        const d = decodeCanonicalBlock(bytes.value);
        expect(d).toEqual({ ok: true, value: { block: b, offset: 0, length: bytes.value.length, crcOk: true } });
      }),
    );
  });
});
