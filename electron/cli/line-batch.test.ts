import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLineBatch, type LineBatch } from './line-batch';

/** A batch that records each write, flushing after 20 ms or at `maxBytes`. */
function recorded(maxBytes = 1000): { readonly writes: string[]; readonly batch: LineBatch } {
  const writes: string[] = [];
  return { writes, batch: createLineBatch((t) => writes.push(t), { flushMs: 20, maxBytes }) };
}

describe('createLineBatch', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes the lines pushed within flushMs in one write, when flushMs has passed', () => {
    const { writes, batch } = recorded();
    batch.push('a\n');
    vi.advanceTimersByTime(10);
    batch.push('b\n');
    expect(writes).toEqual([]);
    vi.advanceTimersByTime(10);
    expect(writes).toEqual(['a\nb\n']);
    vi.advanceTimersByTime(100);
    expect(writes).toEqual(['a\nb\n']);
  });

  it('writes at once when maxBytes are waiting, and the timer then writes nothing twice', () => {
    const { writes, batch } = recorded(4);
    batch.push('ab\n');
    batch.push('cd\n');
    expect(writes).toEqual(['ab\ncd\n']);
    vi.advanceTimersByTime(50);
    expect(writes).toEqual(['ab\ncd\n']);
  });

  it('flush() writes what waits now and nothing when empty', () => {
    const { writes, batch } = recorded();
    batch.flush();
    batch.push('ready\n');
    batch.flush();
    expect(writes).toEqual(['ready\n']);
    vi.advanceTimersByTime(50);
    expect(writes).toEqual(['ready\n']);
  });
});
