import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { lowOctetScanner, nextLowOctet } from './line-scan';

/** The obvious octet-by-octet search the word scan must agree with. */
function naive(bytes: Uint8Array, from: number): number {
  for (let i = from; i < bytes.length; i++) if (bytes[i]! <= 0x0d) return i;
  return bytes.length;
}

describe('nextLowOctet', () => {
  it('finds every octet 0x00..0x0D and nothing above, 8-bit octets included', () => {
    for (let v = 0; v < 256; v++) {
      const bytes = new Uint8Array(16).fill(0x41);
      bytes[9] = v;
      expect(nextLowOctet(lowOctetScanner(bytes), 0)).toBe(v <= 0x0d ? 9 : 16);
    }
  });

  it('agrees with an octet-by-octet search at every start, alignment and length', () => {
    const backing = new Uint8Array(64 + 3);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.uint8Array({ maxLength: 64 }).map((a) => a.map((b) => (b % 5 === 0 ? b % 14 : b | 0x20))),
        fc.nat(70),
        (shift, content, from) => {
          backing.set(content, shift);
          const view = backing.subarray(shift, shift + content.length);
          const scanner = lowOctetScanner(view);
          expect(nextLowOctet(scanner, from)).toBe(naive(view, from));
          // walking through every match gives the same sequence
          const found: number[] = [];
          for (let i = nextLowOctet(scanner, 0); i < view.length; i = nextLowOctet(scanner, i + 1)) found.push(i);
          const expected: number[] = [];
          for (let i = naive(view, 0); i < view.length; i = naive(view, i + 1)) expected.push(i);
          expect(found).toEqual(expected);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
