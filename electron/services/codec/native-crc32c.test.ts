import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { crc32c } from '../../../shared/protocol/bpv7/crc';
import { ascii } from '../../../shared/test-support/vectors';
import { nativeCrc32c, nodeCodecOptions } from './native-crc32c';

function bitwise32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of data) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe('native CRC-32C (@node-rs/crc32)', () => {
  it('gives the check value 0xE3069283', () => {
    expect(nativeCrc32c(ascii('123456789'))).toBe(0xe3069283);
    expect(nodeCodecOptions.crc32c).toBe(nativeCrc32c);
  });

  it('equals the pure slicing-by-8 and the bitwise reference on random data, incrementally too', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.nat(2000), (data, cut) => {
        const at = Math.min(cut, data.length);
        const whole = nativeCrc32c(data);
        expect(whole).toBe(crc32c(data));
        expect(whole).toBe(bitwise32c(data));
        expect(nativeCrc32c(data.subarray(at), nativeCrc32c(data.subarray(0, at)))).toBe(whole);
        expect(nativeCrc32c(data.subarray(at), crc32c(data.subarray(0, at)))).toBe(whole);
      }),
      { numRuns: 500 },
    );
  });

  it('reads exactly the bytes of a subarray view, not its whole buffer', () => {
    const big = new Uint8Array(1 << 20);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    const view = big.subarray(12345, 12345 + 777);
    expect(nativeCrc32c(view)).toBe(crc32c(view.slice()));
  });
});
