/**
 * A set of byte ranges as sorted, disjoint, non-adjacent half-open intervals [start, end): which parts
 * of an ADU reassembly has received (RFC 9171 §5.9). Adjacent and overlapping ranges merge, so the
 * number of intervals never exceeds the number of ranges added and is 1 once the ADU is complete.
 */
export class IntervalSet {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private total = 0;

  /** Bytes covered. */
  get covered(): number {
    return this.total;
  }

  /** Number of disjoint intervals. */
  get count(): number {
    return this.starts.length;
  }

  /** True when [0, length) is covered completely. */
  coversPrefix(length: number): boolean {
    return length === 0 || (this.starts.length === 1 && this.starts[0] === 0 && (this.ends[0] as number) >= length);
  }

  /** Index of the first interval whose end is ≥ `at` (it touches or lies after `at`). */
  private firstEndingAtOrAfter(at: number): number {
    let lo = 0;
    let hi = this.ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.ends[mid] as number) < at) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Calls `visit(start, end)` for each part of [start, end) that is already covered, in order, and
   * returns the number of bytes visited. Stops early (returning -1) when `visit` returns false.
   */
  forEachOverlap(start: number, end: number, visit: (s: number, e: number) => boolean): number {
    let seen = 0;
    for (let i = this.firstEndingAtOrAfter(start + 1); i < this.starts.length; i++) {
      const s = Math.max(start, this.starts[i] as number);
      const e = Math.min(end, this.ends[i] as number);
      if (s >= e) break;
      if (!visit(s, e)) return -1;
      seen += e - s;
    }
    return seen;
  }

  /** Adds [start, end) and returns how many bytes were not covered before. */
  add(start: number, end: number): number {
    if (start >= end) return 0;
    const i = this.firstEndingAtOrAfter(start);
    let j = i;
    let mergedStart = start;
    let mergedEnd = end;
    let before = 0;
    while (j < this.starts.length && (this.starts[j] as number) <= end) {
      const s = this.starts[j] as number;
      const e = this.ends[j] as number;
      if (s < mergedStart) mergedStart = s;
      if (e > mergedEnd) mergedEnd = e;
      before += e - s;
      j++;
    }
    this.starts.splice(i, j - i, mergedStart);
    this.ends.splice(i, j - i, mergedEnd);
    const added = mergedEnd - mergedStart - before;
    this.total += added;
    return added;
  }

  /** The intervals as [start, end) pairs, for inspection. */
  toArray(): Array<[number, number]> {
    return this.starts.map((s, k) => [s, this.ends[k] as number]);
  }
}
