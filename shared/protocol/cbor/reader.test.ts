import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex } from '../../test-support/vectors';
import { LIMITS } from '../limits';
import { CborReader, FAILED, INDEFINITE } from './reader';

const reader = (h: string): CborReader => new CborReader(fromHex(h));

describe('CborReader.uint', () => {
  // RFC 8949 Appendix A examples.
  it.each([
    ['00', 0],
    ['17', 23],
    ['1818', 24],
    ['1864', 100],
    ['1903e8', 1000],
    ['1a000f4240', 1000000],
    ['1b000000e8d4a51000', 1000000000000],
  ])('reads %s as %d', (h, v) => {
    const r = reader(h);
    expect(r.uint('x')).toBe(v);
    expect(r.error).toBeUndefined();
    expect(r.atEnd).toBe(true);
  });

  it('accepts longer-than-needed forms (decoders accept them, encoders never write them)', () => {
    expect(reader('1900 05'.replace(' ', '')).uint('x')).toBe(5);
    expect(reader('1b0000000000000007').uint('x')).toBe(7);
  });

  it('rejects values above 2^53-1 with LIMIT_EXCEEDED (RFC 8949 example 2^64-1)', () => {
    const r = reader('1bffffffffffffffff');
    expect(r.uint('lifetime')).toBe(FAILED);
    expect(r.error?.code).toBe('LIMIT_EXCEEDED');
    expect(r.error?.message).toContain('lifetime');
  });

  it('names the expected and found types when the major type is wrong', () => {
    const r = reader('20'); // -1
    expect(r.uint('flags')).toBe(FAILED);
    expect(r.error).toEqual({ code: 'CBOR_MALFORMED', message: 'expected unsigned integer for flags, found negative integer', offset: 0 });
  });

  it('reports TRUNCATED for a cut head and keeps failing afterwards', () => {
    const r = reader('1a0001');
    expect(r.uint('x')).toBe(FAILED);
    expect(r.error?.code).toBe('TRUNCATED');
    expect(r.uint('y')).toBe(FAILED);
    expect(r.error?.message).toContain('x');
  });

  it('rejects reserved additional information 28..30 (RFC 8949 §3)', () => {
    for (const h of ['1c', '1d', '1e']) {
      const r = reader(h);
      expect(r.uint('x')).toBe(FAILED);
      expect(r.error?.code).toBe('CBOR_MALFORMED');
    }
  });

  it('never reads past its end', () => {
    const r = new CborReader(fromHex('1a000f4240'), 0, 3);
    expect(r.uint('x')).toBe(FAILED);
    expect(r.error?.code).toBe('TRUNCATED');
  });
});

describe('CborReader strings', () => {
  it('returns byte strings as views into the input, not copies', () => {
    const bytes = fromHex('4401020304');
    const r = new CborReader(bytes);
    const v = r.byteString('data');
    expect(v).toEqual(fromHex('01020304'));
    expect(v?.buffer).toBe(bytes.buffer);
    expect(v?.byteOffset).toBe(bytes.byteOffset + 1);
  });

  it('checks an announced length against the input before anything else', () => {
    const r = reader('5b00000000ffffffff00'); // 4 GiB announced, 1 byte present
    expect(r.byteString('data')).toBeUndefined();
    expect(r.error?.code).toBe('TRUNCATED');
  });

  it('refuses indefinite-length byte strings (a chunked string cannot be a view)', () => {
    const r = reader('5f42010243030405ff');
    expect(r.byteString('data')).toBeUndefined();
    expect(r.error?.code).toBe('UNSUPPORTED');
  });

  // RFC 8949 Appendix A text examples.
  it.each([
    ['60', ''],
    ['6161', 'a'],
    ['6449455446', 'IETF'],
    ['62225c', '"\\'],
    ['62c3bc', '\u00fc'],
    ['63e6b0b4', '\u6c34'],
    ['64f0908591', '\ud800\udd51'],
  ])('decodes text %s', (h, s) => {
    expect(reader(h).text('t')).toBe(s);
  });

  it.each([
    ['62c0af', 'overlong'],
    ['63eda080', 'surrogate'],
    ['64f4908080', 'above U+10FFFF'],
    ['62e6b0', 'truncated sequence'],
    ['61ff', 'invalid byte'],
  ])('rejects invalid UTF-8 %s (%s)', (h) => {
    const r = reader(h);
    expect(r.text('t')).toBeUndefined();
    expect(r.error?.code).toBe('CBOR_MALFORMED');
  });
});

describe('CborReader arrays and break', () => {
  it('reads definite and indefinite array heads', () => {
    const r = reader('83010203');
    expect(r.arrayHead('a')).toBe(3);
    const i = reader('9f01ff');
    expect(i.arrayHead('a', true)).toBe(INDEFINITE);
    expect(i.uint('x')).toBe(1);
    expect(i.atBreak()).toBe(true);
    expect(i.readBreak('a')).toBe(true);
    expect(i.expectEnd('a')).toBe(true);
  });

  it('refuses an indefinite array where a definite one is required', () => {
    const r = reader('9f01ff');
    expect(r.arrayHead('block')).toBe(FAILED);
    expect(r.error?.code).toBe('UNSUPPORTED');
  });

  it('refuses an array that announces more items than there are bytes', () => {
    const r = reader('9a7fffffff00');
    expect(r.arrayHead('a')).toBe(FAILED);
    expect(r.error?.code).toBe('TRUNCATED');
  });

  it('reports a missing break and trailing bytes', () => {
    const r = reader('9f01');
    r.arrayHead('a', true);
    r.uint('x');
    expect(r.readBreak('bundle')).toBe(false);
    expect(r.error?.code).toBe('TRUNCATED');
    const t = reader('0102');
    t.uint('x');
    expect(t.expectEnd('item')).toBe(false);
    expect(t.error).toEqual({ code: 'TRAILING_BYTES', message: '1 bytes follow item', offset: 1 });
  });

  it('reads booleans', () => {
    const r = reader('f4f5f6');
    expect(r.bool('a')).toBe(false);
    expect(r.bool('b')).toBe(true);
    expect(r.bool('c')).toBeUndefined();
    expect(r.error?.code).toBe('CBOR_MALFORMED');
  });
});

describe('CborReader.skip', () => {
  it.each([
    '8301820203820405', // [1, [2, 3], [4, 5]]
    '9f018202039f0405ffff', // [_ 1, [2, 3], [_ 4, 5]]
    'a201020304', // {1: 2, 3: 4}
    'bf61610161629f0203ffff', // {_ "a": 1, "b": [_ 2, 3]}
    'f93e00', // 1.5 half
    'fb3ff199999999999a', // 1.1
    'f4',
    'f7',
    '3bffffffffffffffff', // -2^64
  ])('skips the well-formed item %s exactly', (h) => {
    const r = reader(h);
    expect(r.skip('item')).toBe(true);
    expect(r.expectEnd('item')).toBe(true);
  });

  it('refuses tags, indefinite strings and unassigned simple values', () => {
    expect(reader('c11a514b67b0').skip('x')).toBe(false); // tag 1 (epoch date)
    const tag = reader('d8690102');
    tag.skip('x');
    expect(tag.error?.code).toBe('UNSUPPORTED');
    const s = reader('5f4101ff');
    s.skip('x');
    expect(s.error?.code).toBe('UNSUPPORTED');
    const simple = reader('f0');
    simple.skip('x');
    expect(simple.error?.code).toBe('UNSUPPORTED');
  });

  it('refuses a bare break and reserved heads', () => {
    const b = reader('ff');
    expect(b.skip('x')).toBe(false);
    expect(b.error?.code).toBe('CBOR_MALFORMED');
    expect(reader('1f').skip('x')).toBe(false);
  });

  it(`accepts nesting up to LIMITS.cborMaxDepth (${LIMITS.cborMaxDepth}) and refuses one more`, () => {
    const nest = (n: number): Uint8Array => {
      const b = new Uint8Array(n + 1);
      b.fill(0x81, 0, n);
      b[n] = 0x00;
      return b;
    };
    expect(new CborReader(nest(LIMITS.cborMaxDepth)).skip('x')).toBe(true);
    const deep = new CborReader(nest(LIMITS.cborMaxDepth + 1));
    expect(deep.skip('x')).toBe(false);
    expect(deep.error?.code).toBe('LIMIT_EXCEEDED');
  });

  it('refuses containers with more than LIMITS.cborMaxItems items, definite or indefinite', () => {
    const n = LIMITS.cborMaxItems + 1;
    const def = new Uint8Array(3 + n);
    def.set([0x99, n >> 8, n & 0xff]);
    const r = new CborReader(def);
    expect(r.skip('x')).toBe(false);
    expect(r.error?.code).toBe('LIMIT_EXCEEDED');
    const ind = new Uint8Array(2 + n);
    ind[0] = 0x9f;
    ind[n + 1] = 0xff;
    const r2 = new CborReader(ind);
    expect(r2.skip('x')).toBe(false);
    expect(r2.error?.code).toBe('LIMIT_EXCEEDED');
  });

  it('never throws and always ends inside the input on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const r = new CborReader(bytes);
        const okay = r.skip('x');
        expect(r.pos).toBeLessThanOrEqual(bytes.length);
        expect(okay).toBe(r.error === undefined);
      }),
      { numRuns: 2000 },
    );
  });
});
