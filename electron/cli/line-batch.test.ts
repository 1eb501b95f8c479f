import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLineBatch } from './line-batch';

describe('createLineBatch', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes the lines pushed within flushMs in one write, when flushMs has passed', () => {
    const writes: string[] = [];
    const batch = createLineBatch((t) => writes.push(t), { flushMs: 20, maxBytes: 1000 });
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
    const writes: string[] = [];
    const batch = createLineBatch((t) => writes.push(t), { flushMs: 20, maxBytes: 4 });
    batch.push('ab\n');
    batch.push('cd\n');
    expect(writes).toEqual(['ab\ncd\n']);
    vi.advanceTimersByTime(50);
    expect(writes).toEqual(['ab\ncd\n']);
  });

  it('flush() writes what waits now and nothing when empty', () => {
    const writes: string[] = [];
    const batch = createLineBatch((t) => writes.push(t), { flushMs: 20, maxBytes: 1000 });
    batch.flush();
    batch.push('ready\n');
    batch.flush();
    expect(writes).toEqual(['ready\n']);
    vi.advanceTimersByTime(50);
    expect(writes).toEqual(['ready\n']);
  });
});
