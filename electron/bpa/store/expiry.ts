/**
 * When a stored bundle expires, in Unix ms: creation time + lifetime (RFC 9171 §4.3.1), or, when the
 * creation time is 0 (no accurate clock, §4.2.7), arrival + the lifetime not yet used up, which the Bundle
 * Age block tells (§4.4.2).
 */
import { DTN_TIME_UNKNOWN, unixMsFromDtnTime } from '../../../shared/protocol/bpv7/dtn-time';

export interface ExpiryInput {
  /** The creation timestamp's time, DTN ms. */
  readonly creationTime: number;
  readonly lifetimeMs: number;
  /** When this node received or created the bundle, Unix ms. */
  readonly receivedAt: number;
  /** The Bundle Age block's value on arrival, ms (0 when absent). */
  readonly bundleAgeMs?: number;
}

export function expiresAtOf(b: ExpiryInput): number {
  if (b.creationTime !== DTN_TIME_UNKNOWN) return unixMsFromDtnTime(b.creationTime) + b.lifetimeMs;
  return b.receivedAt + b.lifetimeMs - (b.bundleAgeMs ?? 0);
}
