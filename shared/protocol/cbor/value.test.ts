import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, hex } from '../../test-support/vectors';
import { LIMITS } from '../limits';
import { decodeCborItem, decodeCborValue, encodeCborValue } from './value';
import type { CborValue } from './value';

function enc(v: CborValue): string {
  const r = encodeCborValue(v);
  if (!r.ok) throw new Error(r.error.message);
  return hex(r.value);
}

describe('encodeCborValue', () => {
  // RFC 8949 Appendix A, plus the boundaries where cbor-x on its own would not write the shortest form.
  it.each<[CborValue, string]>([
    [0, '00'],
    [24, '1818'],
    [1000000, '1a000f4240'],
    [4294967295, '1affffffff'],
    [4294967296, '1b0000000100000000'],
    [1000000000000, '1b000000e8d4a51000'],
    [Number.MAX_SAFE_INTEGER, '1b001fffffffffffff'],
    [18446744073709551615n, '1bffffffffffffffff'],
    [1n, '01'],
    [-1, '20'],
    [-1000, '3903e7'],
    [-4294967296, '3affffffff'],
    [-4294967297, '3b0000000100000000'],
    [-18446744073709551615n, '3bfffffffffffffffe'],
    [1.5, 'fb3ff8000000000000'],
    [2 ** 60, 'fb43b0000000000000'], // beyond 2^53 a number is not an exact integer: float64
    [-0, '00'],
    [false, 'f4'],
    [null, 'f6'],
    [undefined, 'f7'],
    ['IETF', '6449455446'],
    [fromHex('01020304'), '4401020304'],
    [[1, [2, 3], [4, 5]], '8301820203820405'],
    [
      new Map<CborValue, CborValue>([
        [1, 2],
        [3, 4],
      ]),
      'a201020304',
    ],
  ])('encodes %s as %s', (v, h) => {
    expect(enc(v)).toBe(h);
  });

  it('refuses what CBOR without tags cannot carry', () => {
    for (const v of [2n ** 64n, -(2n ** 64n), { a: 1 }, new Date(0), () => 1, Symbol('s')]) {
      const r = encodeCborValue(v as unknown as CborValue);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('INVALID_ARGUMENT');
    }
  });

  it('refuses nesting past LIMITS.cborMaxDepth', () => {
    let v: CborValue = 0;
    for (let i = 0; i <= LIMITS.cborMaxDepth; i++) v = [v];
    expect(encodeCborValue(v).ok).toBe(false);
  });

  it('returns an independent plain Uint8Array', () => {
    const r = encodeCborValue([1, 2, 3]);
    expect(r.ok && Object.getPrototypeOf(r.value)).toBe(Uint8Array.prototype);
  });
});

describe('decodeCborValue', () => {
  it('decodes RFC 8949 Appendix A items', () => {
    expect(decodeCborValue(fromHex('8301820203820405'))).toEqual({ ok: true, value: [1, [2, 3], [4, 5]] });
    expect(decodeCborValue(fromHex('9f018202039f0405ffff'))).toEqual({ ok: true, value: [1, [2, 3], [4, 5]] });
    expect(decodeCborValue(fromHex('a201020304'))).toEqual({
      ok: true,
      value: new Map([
        [1, 2],
        [3, 4],
      ]),
    });
    expect(decodeCborValue(fromHex('1bffffffffffffffff'))).toEqual({ ok: true, value: 18446744073709551615n });
    expect(decodeCborValue(fromHex('3bffffffffffffffff'))).toEqual({ ok: true, value: -18446744073709551616n });
    expect(decodeCborValue(fromHex('f93e00'))).toEqual({ ok: true, value: 1.5 });
  });

  it('gives numbers for integers up to 2^53-1 even in 8-byte form', () => {
    expect(decodeCborValue(fromHex('821b00000000000000071b001fffffffffffff'))).toEqual({ ok: true, value: [7, Number.MAX_SAFE_INTEGER] });
  });

  it('returns byte strings as plain Uint8Array views into the input', () => {
    const input = fromHex('824201024103');
    const r = decodeCborValue(input);
    expect(r.ok).toBe(true);
    if (!r.ok || !Array.isArray(r.value)) return;
    const first: unknown = r.value[0];
    expect(first).toBeInstanceOf(Uint8Array);
    expect(Object.getPrototypeOf(first)).toBe(Uint8Array.prototype);
    expect((first as Uint8Array).buffer).toBe(input.buffer);
    expect(Object.keys(input)).not.toContain('dataView'); // the caller's array is left untouched
  });

  it('decodes an item inside a larger buffer and reports where it ends', () => {
    const r = decodeCborItem(fromHex('ff8201026161ff'), 1, 6);
    expect(r).toEqual({ ok: true, value: { value: [1, 2], end: 4 } });
  });

  it.each([
    ['c11a514b67b0', 'UNSUPPORTED'], // tag 1 would become a Date in cbor-x
    ['d8698301020304', 'UNSUPPORTED'], // tag 105: cbor-x records
    ['d81c80', 'UNSUPPORTED'], // tag 28: structured clone
    ['5f4101ff', 'UNSUPPORTED'],
    ['f0', 'UNSUPPORTED'],
    ['62c0af', 'CBOR_MALFORMED'],
    ['ff', 'CBOR_MALFORMED'],
    ['0102', 'TRAILING_BYTES'],
    ['9bffffffffffffffff', 'LIMIT_EXCEEDED'],
    ['5bffffffffffffffff', 'TRUNCATED'],
    ['83 01 02'.replace(/ /g, ''), 'TRUNCATED'],
  ])('refuses %s with %s', (h, code) => {
    const r = decodeCborValue(fromHex(h));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe(code);
  });

  it('round-trips generated values and never throws on random bytes', () => {
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.maxSafeInteger(),
        fc.bigInt({ min: -(2n ** 64n) + 1n, max: 2n ** 64n - 1n }).filter((b) => b > BigInt(Number.MAX_SAFE_INTEGER) || b < -BigInt(Number.MAX_SAFE_INTEGER)),
        fc.double({ noNaN: true }).filter((d) => !Number.isInteger(d)),
        fc.string(),
        fc.boolean(),
        fc.constant(null),
        fc.uint8Array({ maxLength: 16 }),
        fc.array(tie('value'), { maxLength: 4 }),
      ),
    }));
    fc.assert(
      fc.property(value, (v) => {
        const e = encodeCborValue(v as CborValue);
        expect(e.ok).toBe(true);
        if (!e.ok) return;
        expect(decodeCborValue(e.value)).toEqual({ ok: true, value: v });
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 48 }), (bytes) => {
        const r = decodeCborValue(bytes);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 3000 },
    );
  });
});
