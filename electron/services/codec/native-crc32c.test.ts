import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeBundle, encodeBundle, encodeBundleParts } from '../../../shared/protocol/bpv7/bundle';
import { crc32c } from '../../../shared/protocol/bpv7/crc';
import { bundleArb } from '../../../shared/test-support/bpv7-arbitraries';
import { ascii, fromHex, hex } from '../../../shared/test-support/vectors';
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

describe('BPv7 codec with nodeCodecOptions', () => {
  // protocols.md §3.12 (c): CRC-32C on the primary block (0x5e449989) and on the payload block (0xfbe511c9).
  const payload = ascii('EHLO gw.example\r\nMAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\nDATA\r\nSubject: hi\r\n\r\nhello\r\n.\r\nQUIT\r\n');
  const example = `9f890700028202820218198202820118198202820100821b000000ba43b74000001a05265c00445e449989850a0200004482181e0086010100025866${hex(payload)}44fbe511c9ff`;

  it('decodes and re-encodes worked example (c) byte for byte with the native CRC-32C', () => {
    const r = decodeBundle(fromHex(example), nodeCodecOptions);
    expect(r.ok && r.value.crcOk).toBe(true);
    if (!r.ok) return;
    expect(hex(encodeBundle(r.value.bundle, nodeCodecOptions))).toBe(example);
    expect(encodeBundleParts(r.value.bundle, nodeCodecOptions).map(hex).join('')).toBe(example);
  });

  it('encodes any bundle to the same bytes as the pure implementation', () => {
    fc.assert(
      fc.property(bundleArb, (bundle) => {
        expect(encodeBundle(bundle, nodeCodecOptions)).toEqual(encodeBundle(bundle));
      }),
      { numRuns: 200 },
    );
  });
});
