import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { eidArb } from '../../test-support/bpv7-arbitraries';
import { ascii, fromHex, hex } from '../../test-support/vectors';
import { eidEquals, parseEid } from './eid';
import {
  decodeBundleAge,
  decodeExtensionData,
  decodeHopCount,
  decodePreviousNode,
  encodeBundleAge,
  encodeHopCount,
  encodePreviousNode,
  findBlock,
} from './extension-blocks';
import type { Bundle, CanonicalBlock } from './types';

const block = (type: number, data: string): CanonicalBlock => ({ type, number: 2, flags: 0, crcType: 0, data: fromHex(data) });

describe('hop count (RFC 9171 §4.4.3)', () => {
  it('[30, 0] is 82 18 1e 00 (worked example (c))', () => {
    const r = encodeHopCount({ limit: 30, count: 0 });
    expect(r.ok && hex(r.value)).toBe('82181e00');
    expect(decodeHopCount(fromHex('82181e00'))).toEqual({ ok: true, value: { limit: 30, count: 0 } });
  });

  it.each([
    ['81181e', 'MALFORMED'],
    ['83181e0001', 'MALFORMED'],
    ['82181e', 'TRUNCATED'],
    ['82181e0000', 'TRAILING_BYTES'],
    ['82181e20', 'CBOR_MALFORMED'],
    ['a0', 'CBOR_MALFORMED'],
  ])('refuses %s with %s', (h, code) => {
    expect(decodeHopCount(fromHex(h))).toMatchObject({ ok: false, error: { code } });
  });
});

describe('bundle age (RFC 9171 §4.4.2)', () => {
  it('is a uint of milliseconds', () => {
    const r = encodeBundleAge(1000);
    expect(r.ok && hex(r.value)).toBe('1903e8');
    expect(decodeBundleAge(fromHex('1903e8'))).toEqual({ ok: true, value: 1000 });
    expect(decodeBundleAge(fromHex('1b00000000000003e8'))).toEqual({ ok: true, value: 1000 });
    expect(decodeBundleAge(fromHex('1903e800'))).toMatchObject({ ok: false, error: { code: 'TRAILING_BYTES' } });
    expect(decodeBundleAge(fromHex('39'))).toMatchObject({ ok: false });
    expect(encodeBundleAge(-5).ok).toBe(false);
  });
});

describe('previous node (RFC 9171 §4.4.1)', () => {
  it('is the CBOR EID of the forwarding node', () => {
    const node = parseEid('dtn://earth.dtn/');
    if (!node.ok) throw new Error('eid');
    const r = encodePreviousNode(node.value);
    expect(r.ok && hex(r.value)).toBe('82016c' + hex(ascii('//earth.dtn/')));
    expect(decodePreviousNode(fromHex('8202820100'))).toEqual({ ok: true, value: { scheme: 'ipn', allocator: 0, node: 1, service: 0, wireForm: 2 } });
    expect(decodePreviousNode(fromHex('820100ff'))).toMatchObject({ ok: false, error: { code: 'TRAILING_BYTES' } });
  });
});

describe('decodeExtensionData', () => {
  it('decodes the three known types', () => {
    expect(decodeExtensionData(block(10, '82181e05'))).toEqual({ ok: true, value: { type: 10, hopCount: { limit: 30, count: 5 } } });
    expect(decodeExtensionData(block(7, '00'))).toEqual({ ok: true, value: { type: 7, ageMs: 0 } });
    expect(decodeExtensionData(block(6, '820100'))).toMatchObject({ ok: true, value: { type: 6, previousNode: { scheme: 'dtn', ssp: 'none' } } });
    expect(decodeExtensionData(block(10, '00'))?.ok).toBe(false);
  });

  it('leaves the payload, BPSec and unknown types alone', () => {
    for (const type of [1, 11, 12, 192, 5000]) expect(decodeExtensionData(block(type, 'ff'))).toBeUndefined();
  });

  it('finds blocks by type', () => {
    const bundle = { blocks: [block(7, '00'), block(10, '82181e00'), { ...block(1, ''), number: 1 }] } as unknown as Bundle;
    expect(findBlock(bundle, 10)?.data).toEqual(fromHex('82181e00'));
    expect(findBlock(bundle, 6)).toBeUndefined();
  });

  it('round-trips any hop count, age and previous node', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.maxSafeNat(), eidArb, (a, b, eid) => {
        const h = encodeHopCount({ limit: a, count: b });
        expect(h.ok && decodeHopCount(h.value)).toEqual({ ok: true, value: { limit: a, count: b } });
        const age = encodeBundleAge(a);
        expect(age.ok && decodeBundleAge(age.value)).toEqual({ ok: true, value: a });
        const p = encodePreviousNode(eid);
        const back = p.ok ? decodePreviousNode(p.value) : undefined;
        expect(back?.ok && eidEquals(back.value, eid)).toBe(true);
      }),
    );
  });
});
