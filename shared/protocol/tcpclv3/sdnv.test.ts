import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, hex } from '../../test-support/vectors';
import { decodeSdnv, encodeSdnv, readSdnv, sdnvSize } from './sdnv';

describe('SDNV (RFC 6256 §2.1)', () => {
  it('encodes the RFC examples: 0xABC → 953C, 0x1234 → A434, 0x4234 → 818434, 0x7F → 7F', () => {
    expect(hex(encodeSdnv(0xabc))).toBe('953c');
    expect(hex(encodeSdnv(0x1234))).toBe('a434');
    expect(hex(encodeSdnv(0x4234))).toBe('818434');
    expect(hex(encodeSdnv(0x7f))).toBe('7f');
  });

  it('442 is 83 3a, the DATA_SEGMENT length uD3TN sent (cla-tcpclv3 vectors)', () => {
    expect(hex(encodeSdnv(442))).toBe('833a');
    expect(decodeSdnv(fromHex('833a'))).toEqual({ ok: true, value: { value: 442, end: 2 } });
  });

  it('0 is one zero byte; 2^53-1 fits in 8 bytes', () => {
    expect(hex(encodeSdnv(0))).toBe('00');
    expect(hex(encodeSdnv(Number.MAX_SAFE_INTEGER))).toBe('8fffffffffffff7f');
    expect(decodeSdnv(encodeSdnv(Number.MAX_SAFE_INTEGER))).toEqual({
      ok: true,
      value: { value: Number.MAX_SAFE_INTEGER, end: 8 },
    });
  });

  it('reads at an offset and stops at the limit', () => {
    expect(readSdnv(fromHex('ff 833a ff'), 1)).toEqual({ value: 442, end: 3 });
    expect(readSdnv(fromHex('833a'), 0, 1)).toBe('need-more');
  });

  it('accepts a non-minimal encoding (leading 0x80) within the byte limit', () => {
    expect(readSdnv(fromHex('8080833a'), 0)).toEqual({ value: 442, end: 4 });
  });

  it('refuses more than LIMITS.sdnvMaxBytes (10) bytes and values above 2^53-1', () => {
    expect(readSdnv(fromHex('80'.repeat(10) + '01'), 0)).toBe('too-long');
    expect(readSdnv(fromHex('80'.repeat(9) + '01'), 0)).toEqual({ value: 1, end: 10 });
    expect(readSdnv(fromHex('90808080808080 8000'), 0)).toBe('too-large'); // 2^53
    const r = decodeSdnv(fromHex('80'.repeat(11)));
    expect(!r.ok && r.error.code).toBe('LIMIT_EXCEEDED');
    const t = decodeSdnv(fromHex('8180'));
    expect(!t.ok && t.error.code).toBe('TRUNCATED');
  });

  it('throws on values it cannot encode (programmer error)', () => {
    expect(() => encodeSdnv(-1)).toThrow(RangeError);
    expect(() => encodeSdnv(2 ** 53)).toThrow(RangeError);
  });

  it('round-trips every safe integer, minimal size', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (v) => {
        const bytes = encodeSdnv(v);
        expect(bytes.length).toBe(sdnvSize(v));
        expect(bytes.length).toBe(Math.max(1, Math.ceil(v.toString(2).length / 7)));
        expect(readSdnv(bytes, 0)).toEqual({ value: v, end: bytes.length });
      }),
    );
  });
});
