import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff';

describe('backoffDelay', () => {
  it('doubles from initialMs and stops at maxMs', () => {
    const o = { initialMs: 100, maxMs: 1000 };
    expect([0, 1, 2, 3, 4, 5, 60, 5000].map((a) => backoffDelay(a, o))).toEqual([100, 200, 400, 800, 1000, 1000, 1000, 1000]);
  });
  it('never goes below 1 ms or below initialMs when maxMs is smaller', () => {
    expect(backoffDelay(0, { initialMs: 0, maxMs: 0 })).toBe(1);
    expect(backoffDelay(3, { initialMs: 50, maxMs: 10 })).toBe(50);
  });
});
