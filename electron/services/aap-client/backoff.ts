/**
 * Reconnect delays: exponential from `initialMs`, doubling per failed attempt, capped at `maxMs`. A gateway
 * must be registered again quickly, because uD3TN drops bundles for an agent that is not registered
 * (ud3tn-behaviour.md §11), so the first retry comes after `initialMs`, not after a fixed long pause.
 */
export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
}

/** Delay before attempt number `attempt` (0 = the first retry). */
export function backoffDelay(attempt: number, opts: BackoffOptions): number {
  const initial = Math.max(1, opts.initialMs);
  const max = Math.max(initial, opts.maxMs);
  // 2^31 × anything sensible is already past any cap; stop doubling there to stay finite.
  return Math.min(max, initial * 2 ** Math.min(attempt, 31));
}
