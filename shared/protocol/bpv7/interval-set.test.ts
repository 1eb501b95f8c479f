import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { IntervalSet } from './interval-set';

describe('IntervalSet', () => {
  it('merges overlapping and adjacent ranges and counts only new bytes', () => {
    const s = new IntervalSet();
    expect(s.add(10, 20)).toBe(10);
    expect(s.add(30, 40)).toBe(10);
    expect(s.toArray()).toEqual([[10, 20], [30, 40]]);
    expect(s.add(15, 25)).toBe(5);
    expect(s.add(25, 30)).toBe(5); // adjacent on both sides: one interval
    expect(s.toArray()).toEqual([[10, 40]]);
    expect(s.add(12, 38)).toBe(0);
    expect(s.add(0, 10)).toBe(10);
    expect(s.toArray()).toEqual([[0, 40]]);
    expect(s.covered).toBe(40);
    expect(s.coversPrefix(40)).toBe(true);
    expect(s.coversPrefix(41)).toBe(false);
  });

  it('ignores empty ranges', () => {
    const s = new IntervalSet();
    expect(s.add(5, 5)).toBe(0);
    expect(s.count).toBe(0);
    expect(s.coversPrefix(0)).toBe(true);
    expect(s.coversPrefix(1)).toBe(false);
  });

  it('visits exactly the covered parts of a range', () => {
    const s = new IntervalSet();
    s.add(0, 5);
    s.add(10, 15);
    s.add(20, 25);
    const seen: Array<[number, number]> = [];
    expect(s.forEachOverlap(3, 22, (a, b) => (seen.push([a, b]), true))).toBe(2 + 5 + 2);
    expect(seen).toEqual([[3, 5], [10, 15], [20, 22]]);
    expect(s.forEachOverlap(5, 10, () => true)).toBe(0);
    expect(s.forEachOverlap(0, 30, () => false)).toBe(-1);
  });

  it('agrees with a bitmap model for random ranges', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(200), fc.nat(60)), { maxLength: 60 }), (ranges) => {
        const s = new IntervalSet();
        const bits = new Uint8Array(300);
        for (const [start, len] of ranges) {
          let fresh = 0;
          let old = 0;
          for (let k = start; k < start + len; k++) {
            if (bits[k]) old++;
            else fresh++;
          }
          expect(s.forEachOverlap(start, start + len, () => true)).toBe(old);
          expect(s.add(start, start + len)).toBe(fresh);
          bits.fill(1, start, start + len);
        }
        const model: Array<[number, number]> = [];
        for (let k = 0; k < bits.length; k++) {
          if (!bits[k]) continue;
          const last = model[model.length - 1];
          if (last !== undefined && last[1] === k) last[1] = k + 1;
          else model.push([k, k + 1]);
        }
        expect(s.toArray()).toEqual(model);
        expect(s.covered).toBe(bits.reduce((a, b) => a + b, 0));
      }),
    );
  });
});
