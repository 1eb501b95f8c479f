import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, hex } from '../../test-support/vectors';
import { CborReader, INDEFINITE } from './reader';
import {
  byteStringSize,
  isUint,
  textStringSize,
  uintSize,
  writeArrayHead,
  writeBreak,
  writeByteString,
  writeIndefiniteArray,
  writeTextString,
  writeUint,
} from './writer';

function written(size: number, write: (out: Uint8Array) => number): string {
  const out = new Uint8Array(size);
  expect(write(out)).toBe(size);
  return hex(out);
}

describe('writer', () => {
  // RFC 8949 Appendix A examples: shortest forms.
  it.each([
    [0, '00'],
    [23, '17'],
    [24, '1818'],
    [1000, '1903e8'],
    [1000000, '1a000f4240'],
    [1000000000000, '1b000000e8d4a51000'],
    [Number.MAX_SAFE_INTEGER, '1b001fffffffffffff'],
  ])('writes uint %d as %s', (v, h) => {
    expect(written(uintSize(v), (o) => writeUint(o, 0, v))).toBe(h);
  });

  it('writes strings (RFC 8949 Appendix A)', () => {
    expect(written(byteStringSize(4), (o) => writeByteString(o, 0, fromHex('01020304')))).toBe('4401020304');
    for (const [s, h] of [
      ['IETF', '6449455446'],
      ['\u00fc', '62c3bc'],
      ['\u6c34', '63e6b0b4'],
      ['\ud800\udd51', '64f0908591'],
    ] as const) {
      expect(written(textStringSize(s), (o) => writeTextString(o, 0, s))).toBe(h);
    }
  });

  it('writes array framing', () => {
    expect(
      written(5, (o) => {
        let p = writeIndefiniteArray(o, 0);
        p = writeArrayHead(o, p, 2);
        p = writeUint(o, p, 1);
        p = writeUint(o, p, 2);
        return writeBreak(o, p);
      }),
    ).toBe('9f820102ff');
  });

  it('isUint accepts exactly the integers 0..2^53-1', () => {
    expect([0, 1, Number.MAX_SAFE_INTEGER].every(isUint)).toBe(true);
    expect([-1, 1.5, Number.MAX_SAFE_INTEGER + 1, NaN, Infinity, '1', 1n].some(isUint)).toBe(false);
  });

  it('round-trips through the reader for any uint and text', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.string({ unit: 'grapheme', maxLength: 40 }), (v, s) => {
        const out = new Uint8Array(uintSize(v) + textStringSize(s) + 1);
        let p = writeUint(out, 0, v);
        p = writeTextString(out, p, s);
        expect(p).toBe(out.length - 1);
        const r = new CborReader(out, 0, p);
        expect(r.uint('v')).toBe(v);
        expect(r.text('s')).toBe(s);
        expect(r.expectEnd('x')).toBe(true);
      }),
    );
    expect(new CborReader(fromHex('9f')).arrayHead('a', true)).toBe(INDEFINITE);
  });
});
