/**
 * The written window (written-window.ts) on its own, with fake timers (performance.now included, the
 * window's clock): items settle in write order windowMs after their write, by a later write or by the
 * timer; take() hands back the unsettled ones in write order; compaction keeps the order.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createWrittenWindow, type WrittenWindow } from './written-window';

const WINDOW = 100;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

function windowOf(windowMs = WINDOW): { w: WrittenWindow<number>; settled: number[]; errors: unknown[] } {
  const settled: number[] = [];
  const errors: unknown[] = [];
  const w = createWrittenWindow<number>({ windowMs, settled: (n) => settled.push(n), onError: (e) => errors.push(e) });
  return { w, settled, errors };
}

describe('written window', () => {
  it('settles by the timer, in write order, windowMs after each write and not before', () => {
    const { w, settled } = windowOf();
    w.push(1);
    w.push(2);
    vi.advanceTimersByTime(WINDOW / 2);
    w.push(3);
    expect(w.size).toBe(3);
    vi.advanceTimersByTime(WINDOW / 2 - 1);
    expect(settled).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(settled).toEqual([1, 2]);
    expect(w.size).toBe(1);
    vi.advanceTimersByTime(WINDOW / 2 - 1);
    expect(settled).toEqual([1, 2]);
    vi.advanceTimersByTime(1);
    expect(settled).toEqual([1, 2, 3]);
    expect(w.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a later write settles what is a window old by then, before the timer', () => {
    vi.useRealTimers();
    vi.useFakeTimers({ toFake: ['performance'] });
    const { w, settled } = windowOf();
    w.push(1);
    vi.advanceTimersByTime(WINDOW);
    w.push(2);
    expect(settled).toEqual([1]);
    w.close();
  });

  it('settleDue() settles what lasted the window although the timer has not run', () => {
    vi.useRealTimers();
    vi.useFakeTimers({ toFake: ['performance'] });
    const { w, settled } = windowOf();
    w.push(1);
    vi.advanceTimersByTime(WINDOW - 10);
    w.push(2);
    vi.advanceTimersByTime(10);
    w.settleDue();
    expect(settled).toEqual([1]);
    expect(w.size).toBe(1);
    w.close();
  });

  it('take() returns the unsettled items in write order, empties the window and clears its timer', () => {
    const { w, settled } = windowOf();
    for (let i = 0; i < 5; i++) w.push(i);
    expect(w.take()).toEqual([0, 1, 2, 3, 4]);
    expect(w.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(WINDOW * 2);
    expect(settled).toEqual([]);
    w.push(5);
    vi.advanceTimersByTime(WINDOW);
    expect(settled).toEqual([5]);
  });

  it('close() clears the timer and leaves the rest unsettled', () => {
    const { w, settled } = windowOf();
    w.push(1);
    w.close();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(WINDOW * 2);
    expect(settled).toEqual([]);
    expect(w.size).toBe(1);
  });

  it('windowMs 0 settles each item at its push', () => {
    const { w, settled } = windowOf(0);
    w.push(1);
    w.push(2);
    expect(settled).toEqual([1, 2]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps write order through compaction in a long stream settled one item per write', () => {
    const { w, settled } = windowOf();
    const N = 5000;
    // One write per ms: from the 101st on, each write settles the one written a window before it, so
    // the head passes the compaction threshold many times with a window's worth still unsettled.
    for (let i = 0; i < N; i++) {
      w.push(i);
      vi.advanceTimersByTime(1);
    }
    expect(settled).toEqual(Array.from({ length: N - WINDOW + 1 }, (_, i) => i));
    expect(w.take()).toEqual(Array.from({ length: WINDOW - 1 }, (_, i) => N - WINDOW + 1 + i));
  });

  it('a settle that throws under the timer goes to onError; the items behind it still settle', () => {
    const errors: unknown[] = [];
    const settled: number[] = [];
    const w = createWrittenWindow<number>({
      windowMs: WINDOW,
      settled: (n) => {
        if (n === 1) throw new Error('disk I/O error');
        settled.push(n);
      },
      onError: (e) => errors.push(e),
    });
    w.push(1);
    w.push(2);
    vi.advanceTimersByTime(WINDOW);
    expect(errors).toEqual([new Error('disk I/O error')]);
    vi.advanceTimersByTime(1);
    expect(settled).toEqual([2]);
    expect(w.size).toBe(0);
  });

  it('onTimer replaces the timer\'s settling, and the window is armed again after it', () => {
    let ticks = 0;
    const settled: number[] = [];
    const w: WrittenWindow<number> = createWrittenWindow<number>({
      windowMs: WINDOW,
      settled: (n) => settled.push(n),
      onError: () => undefined,
      onTimer: () => {
        ticks++;
        if (ticks > 1) w.settleDue();
      },
    });
    w.push(1);
    vi.advanceTimersByTime(WINDOW);
    expect(ticks).toBe(1);
    expect(settled).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(ticks).toBe(2);
    expect(settled).toEqual([1]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
