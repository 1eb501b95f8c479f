import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeUtf8, isValidUtf8, utf8Length, writeUtf8 } from './utf8';

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const reference = (b: Uint8Array): string | undefined => {
  try {
    return strict.decode(b);
  } catch {
    return undefined;
  }
};

describe('utf8', () => {
  it('agrees with the platform strict decoder on arbitrary bytes', () => {
    const byte = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x80, 0xbf, 0xc2, 0xe0, 0xed, 0xf0, 0xf4, 0xf5));
    fc.assert(
      fc.property(fc.array(byte, { maxLength: 24 }), (arr) => {
        const b = Uint8Array.from(arr);
        const want = reference(b);
        expect(decodeUtf8(b, 0, b.length)).toBe(want);
        expect(isValidUtf8(b, 0, b.length)).toBe(want !== undefined);
      }),
      { numRuns: 5000 },
    );
  });

  it('encodes like TextEncoder, lone surrogates included (as U+FFFD)', () => {
    const te = new TextEncoder();
    fc.assert(
      fc.property(fc.string({ unit: fc.oneof(fc.constantFrom('\ud800', '\udc00', 'a'), fc.string({ unit: 'binary', maxLength: 1 })), maxLength: 30 }), (s) => {
        const want = te.encode(s);
        const out = new Uint8Array(utf8Length(s));
        expect(writeUtf8(out, 0, s)).toBe(want.length);
        expect(out).toEqual(want);
      }),
    );
  });

  it('decodes long ASCII and non-ASCII text in chunks', () => {
    const s = 'x'.repeat(10000) + '\u6c34'.repeat(5000);
    const b = new TextEncoder().encode(s);
    expect(decodeUtf8(b, 0, b.length)).toBe(s);
  });
});
