import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ascii, fromHex } from '../../test-support/vectors';
import { blockCrc, crc16, crc32c, readCrcValue, writeCrcValue } from './crc';

/** The bitwise definition of protocols.md §3.4, written independently of crc.ts. */
function bitwise(data: Uint8Array, poly: number, mask: number): number {
  let crc = mask;
  for (const b of data) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ poly : crc >>> 1;
  }
  return (crc ^ mask) >>> 0;
}
const ref16 = (d: Uint8Array): number => bitwise(d, 0x8408, 0xffff);
const ref32c = (d: Uint8Array): number => bitwise(d, 0x82f63b78, 0xffffffff);

describe('CRC check values (protocols.md §3.4)', () => {
  it('CRC-16/X.25("123456789") = 0x906E', () => {
    expect(crc16(ascii('123456789'))).toBe(0x906e);
    expect(ref16(ascii('123456789'))).toBe(0x906e);
  });
  it('CRC-32C("123456789") = 0xE3069283', () => {
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283);
    expect(ref32c(ascii('123456789'))).toBe(0xe3069283);
  });
  it('CRC of nothing is 0 for both', () => {
    expect(crc16(new Uint8Array(0))).toBe(0);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });
});

describe('table implementations equal the bitwise reference', () => {
  it('on random data of every length class, at every alignment', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(7), (data, shift) => {
        const view = new Uint8Array(data.length + shift).subarray(shift);
        view.set(data);
        expect(crc16(view)).toBe(ref16(data));
        expect(crc32c(view)).toBe(ref32c(data));
      }),
      { numRuns: 1000 },
    );
  });

  it('incrementally: crc(a ++ b) = crc(b, crc(a))', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ maxLength: 100 }), (a, b) => {
        const ab = new Uint8Array(a.length + b.length);
        ab.set(a);
        ab.set(b, a.length);
        expect(crc16(b, crc16(a))).toBe(crc16(ab));
        expect(crc32c(b, crc32c(a))).toBe(crc32c(ab));
      }),
    );
  });
});

describe('block CRC (RFC 9171 §4.2.2, erratum 8043)', () => {
  // Worked example (d) of protocols.md §3.12: a 98-byte primary block whose CRC-16 is 0xA640.
  const d = fromHex(
    '89071a00060040018201742f2f6d6172732e6578616d706c652f656d61696c8201752f2f65617274682e6578616d706c652f656d61696c8201752f2f65617274682e6578616d706c652f656d61696c821b000000ba43b74000031a240c840042a640',
  );

  it('computes over the block with zeroed value bytes, without touching the input', () => {
    const before = d.slice();
    expect(blockCrc(1, d, 0, d.length - 2, crc32c)).toBe(0xa640);
    expect(d).toEqual(before);
    const zeroed = d.slice();
    zeroed.fill(0, d.length - 2);
    expect(ref16(zeroed)).toBe(0xa640);
  });

  it('reads and writes values big-endian', () => {
    expect(readCrcValue(1, d, d.length - 2)).toBe(0xa640);
    const out = new Uint8Array(4);
    writeCrcValue(2, out, 0, 0xe3069283);
    expect(out).toEqual(fromHex('e3069283'));
    expect(readCrcValue(2, out, 0)).toBe(0xe3069283);
  });
});
