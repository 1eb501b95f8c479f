import { describe, expect, it } from 'vitest';
import { decodeAapBundleId, encodeAapBundleId } from './bundle-id';

describe('AAP v1 SENDCONFIRM bundle IDs (protocols.md §4.4)', () => {
  it('0x80c5a9206f9a0001 → creation time 848946032538 ms, sequence 1 (aap1/earth-smtp_05 vs the bundle)', () => {
    expect(decodeAapBundleId(0x80c5a9206f9a0001n)).toEqual({
      ok: true,
      value: { form: 'timestamp', creationTime: 848946032538, sequence: 1 },
    });
  });

  it('time 800000000000, seq 1 ↔ 0x80BA43B740000001', () => {
    expect(encodeAapBundleId(800000000000, 1)).toBe(0x80ba43b740000001n);
    expect(decodeAapBundleId(0x80ba43b740000001n)).toEqual({
      ok: true,
      value: { form: 'timestamp', creationTime: 800000000000, sequence: 1 },
    });
  });

  it('every SENDCONFIRM in the vectors decodes to the README values', () => {
    const readme: [bigint, number][] = [
      [0x80c5a9206d3e0001n, 848946031934],
      [0x80c5a9206f9a0001n, 848946032538],
      [0x80c5a920c0cf0001n, 848946053327],
      [0x80c5a920866b0001n, 848946038379],
      [0x80c5a92086720001n, 848946038386],
    ];
    for (const [id, time] of readme) {
      expect(decodeAapBundleId(id)).toEqual({ ok: true, value: { form: 'timestamp', creationTime: time, sequence: 1 } });
      expect(encodeAapBundleId(time, 1)).toBe(id);
    }
  });

  it('keeps only the low 46 bits of time and low 16 bits of sequence, as uD3TN does', () => {
    const id = encodeAapBundleId(2 ** 46 + 5, 0x10001);
    expect(decodeAapBundleId(id)).toEqual({ ok: true, value: { form: 'timestamp', creationTime: 5, sequence: 1 } });
    expect(encodeAapBundleId(2 ** 46 - 1, 0xffff)).toBe(0xbfffffffffffffffn);
  });

  it('decodes the 62-bit sequence form (bit 62 set) and says which form it is', () => {
    expect(decodeAapBundleId(0xc000000000000005n)).toEqual({ ok: true, value: { form: 'sequence', sequence: 5n } });
    expect(decodeAapBundleId(0xffffffffffffffffn)).toEqual({
      ok: true,
      value: { form: 'sequence', sequence: (1n << 62n) - 1n },
    });
  });

  it('refuses pre-v0.12 opaque IDs (bit 63 clear) and values outside u64', () => {
    const old = decodeAapBundleId(2n);
    expect(!old.ok && old.error.code).toBe('UNSUPPORTED');
    for (const id of [-1n, 1n << 64n]) {
      const r = decodeAapBundleId(id);
      expect(!r.ok && r.error.code).toBe('INVALID_ARGUMENT');
    }
  });

  it('throws on impossible inputs to the encoder (programmer error)', () => {
    expect(() => encodeAapBundleId(-1, 1)).toThrow(RangeError);
    expect(() => encodeAapBundleId(1.5, 1)).toThrow(RangeError);
  });
});
