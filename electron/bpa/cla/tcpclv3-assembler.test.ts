import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { chunks, ud3tnVector } from '../../../shared/test-support/vectors';
import { SegmentAssembler } from './tcpclv3-assembler';

// The bundle uD3TN sent in its one S|E DATA_SEGMENT (earth-to-mars_02_DATA_SEGMENT.bin = 13 833a + these bytes).
const bundle = ud3tnVector('cla-tcpclv3/earth-to-mars_02.bundle.bin');

describe('SegmentAssembler', () => {
  it('returns an S|E segment as the bundle itself, without copying', () => {
    const a = new SegmentAssembler(1 << 20);
    const out = a.add(bundle, true, true);
    expect(out.bundle).toBe(bundle);
    expect(out.dropped).toBeUndefined();
    expect(a.pendingBytes).toBe(0);
  });

  it('joins a bundle split into segments of every size (RFC 7242 §5.2)', () => {
    for (let size = 1; size <= bundle.length; size += 37) {
      const a = new SegmentAssembler(1 << 20);
      const segs = chunks(bundle, size);
      segs.forEach((seg, i) => {
        const out = a.add(seg, i === 0, i === segs.length - 1);
        if (i < segs.length - 1) {
          expect(out).toEqual({});
          expect(a.receivedBytes).toBe(Math.min(bundle.length, (i + 1) * size));
        } else {
          expect(out.bundle).toEqual(bundle);
        }
      });
    }
  });

  it('accepts empty segments inside a bundle', () => {
    const a = new SegmentAssembler(1 << 20);
    expect(a.add(new Uint8Array(0), true, false)).toEqual({});
    expect(a.add(bundle.subarray(0, 10), false, false)).toEqual({});
    expect(a.add(bundle.subarray(10), false, false)).toEqual({});
    expect(a.add(new Uint8Array(0), false, true).bundle).toEqual(bundle);
  });

  it('drops a segment without S when no bundle is open, and keeps going', () => {
    const a = new SegmentAssembler(1 << 20);
    expect(a.add(bundle.subarray(0, 5), false, true)).toEqual({ dropped: { reason: 'no-start', bytes: 5 } });
    expect(a.add(bundle, true, true).bundle).toBe(bundle);
  });

  it('drops the partial bundle when a new S arrives, and delivers the new one', () => {
    const a = new SegmentAssembler(1 << 20);
    a.add(bundle.subarray(0, 100), true, false);
    const out = a.add(bundle, true, true);
    expect(out.dropped).toEqual({ reason: 'restarted', bytes: 100 });
    expect(out.bundle).toBe(bundle);
    const b = new SegmentAssembler(1 << 20);
    b.add(bundle.subarray(0, 100), true, false);
    expect(b.add(bundle.subarray(0, 200), true, false)).toEqual({ dropped: { reason: 'restarted', bytes: 100 } });
    expect(b.add(bundle.subarray(200), false, true).bundle).toEqual(bundle);
  });

  it('stops buffering past the limit and drops the bundle at its E, then recovers', () => {
    const a = new SegmentAssembler(300);
    expect(a.add(bundle.subarray(0, 200), true, false)).toEqual({});
    expect(a.add(bundle.subarray(200, 400), false, false)).toEqual({});
    expect(a.pendingBytes).toBe(0);
    expect(a.add(bundle.subarray(400), false, true)).toEqual({ dropped: { reason: 'too-large', bytes: bundle.length } });
    expect(a.add(bundle, true, true)).toEqual({ dropped: { reason: 'too-large', bytes: bundle.length } });
    expect(a.add(bundle.subarray(0, 300), true, true).bundle).toEqual(bundle.subarray(0, 300));
  });

  it('clear() reports and forgets the bundle in progress', () => {
    const a = new SegmentAssembler(1 << 20);
    a.add(bundle.subarray(0, 42), true, false);
    expect(a.clear()).toBe(42);
    expect(a.clear()).toBe(0);
    expect(a.add(bundle.subarray(0, 1), false, true).dropped?.reason).toBe('no-start');
  });

  it('never holds more than the limit, whatever the flag sequence', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 64 }), fc.boolean(), fc.boolean()), { maxLength: 60 }), (segs) => {
        const a = new SegmentAssembler(100);
        for (const [len, s, e] of segs) {
          const out = a.add(new Uint8Array(len), s, e);
          expect(a.pendingBytes).toBeLessThanOrEqual(100);
          if (out.bundle !== undefined) expect(out.bundle.length).toBeLessThanOrEqual(100);
        }
      }),
    );
  });
});
