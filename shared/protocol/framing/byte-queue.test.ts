import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../test-support/vectors';
import { ByteQueue } from './byte-queue';

describe('ByteQueue', () => {
  it('take() returns a view when the bytes lie in one chunk', () => {
    const chunk = fromHex('0102030405');
    const q = new ByteQueue();
    q.push(chunk);
    const view = q.take(3);
    expect(view).toEqual(fromHex('010203'));
    expect(view.buffer).toBe(chunk.buffer);
    expect(q.length).toBe(2);
  });

  it('take() copies once, into exactly n bytes, across chunks', () => {
    const q = new ByteQueue();
    q.push(fromHex('01'));
    q.push(fromHex('0203'));
    q.push(fromHex('0405'));
    const out = q.take(4);
    expect(out).toEqual(fromHex('01020304'));
    expect(out.buffer.byteLength).toBe(4);
    expect(q.take(1)).toEqual(fromHex('05'));
    expect(q.length).toBe(0);
  });

  it('peek() merges a header that spans chunks, without consuming, and keeps later bytes as views', () => {
    const tail = fromHex('0304050607');
    const q = new ByteQueue();
    q.push(fromHex('0102'));
    q.push(tail);
    expect(q.peek(3)).toEqual(fromHex('010203'));
    expect(q.length).toBe(7);
    q.skip(3);
    const rest = q.take(4);
    expect(rest).toEqual(fromHex('04050607'));
    expect(rest.buffer).toBe(tail.buffer);
  });

  it('byteAt() reads across chunk boundaries; empty chunks are ignored', () => {
    const q = new ByteQueue();
    q.push(new Uint8Array(0));
    q.push(fromHex('0a'));
    q.push(fromHex('0b0c'));
    expect([q.byteAt(0), q.byteAt(1), q.byteAt(2)]).toEqual([10, 11, 12]);
  });

  it('any sequence of pushes and reads returns the pushed bytes in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 20 }), { maxLength: 200 }),
        fc.array(fc.tuple(fc.constantFrom('take', 'peek', 'skip'), fc.integer({ min: 0, max: 40 })), { maxLength: 300 }),
        (pushes, ops) => {
          const all: number[] = pushes.flatMap((p) => [...p]);
          const q = new ByteQueue();
          for (const p of pushes) q.push(p);
          let at = 0;
          for (const [op, want] of ops) {
            const n = Math.min(want, q.length);
            if (op === 'peek') {
              expect([...q.peek(n)]).toEqual(all.slice(at, at + n));
            } else if (op === 'take') {
              expect([...q.take(n)]).toEqual(all.slice(at, at + n));
              at += n;
            } else {
              q.skip(n);
              at += n;
            }
            expect(q.length).toBe(all.length - at);
            if (q.length > 0) expect(q.byteAt(0)).toBe(all[at]);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
