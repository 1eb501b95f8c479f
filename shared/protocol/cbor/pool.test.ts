import { describe, expect, it } from 'vitest';
import { allocateOutput } from './pool';

describe('allocateOutput', () => {
  it('hands out zeroed, disjoint, 8-byte aligned views for small sizes', () => {
    const a = allocateOutput(13);
    const b = allocateOutput(100);
    expect(a.every((x) => x === 0) && b.every((x) => x === 0)).toBe(true);
    expect(b.byteOffset % 8).toBe(0);
    if (a.buffer === b.buffer) expect(b.byteOffset).toBeGreaterThanOrEqual(a.byteOffset + a.length);
    a.fill(0xff);
    expect(b.every((x) => x === 0)).toBe(true);
  });

  it('gives large outputs their own buffer', () => {
    const big = allocateOutput(100_000);
    expect(big.byteOffset).toBe(0);
    expect(big.buffer.byteLength).toBe(100_000);
  });

  it('starts a new slab when the current one is full, never reusing bytes', () => {
    const seen: Uint8Array[] = [];
    for (let i = 0; i < 40; i++) {
      const v = allocateOutput(8000);
      expect(v.every((x) => x === 0)).toBe(true);
      v.fill(1);
      seen.push(v);
    }
    expect(new Set(seen.map((v) => v.buffer)).size).toBeGreaterThan(1);
  });
});
