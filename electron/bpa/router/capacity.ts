/**
 * Contact volume, as uD3TN v0.13 reckons it (`node.c` recalculate_contact_capacity and
 * contact_get_remaining_capacity_bytes):
 * - capacity = duration × rate; at INT32_MAX bytes or more it counts as unlimited (the code's test is
 *   `>= INT32_MAX`; contacts_data_format.md calls INT32_MAX − 1 the largest finite capacity). uD3TN rounds
 *   the duration to whole seconds; contacts here may be given in ms, so the exact duration is used.
 * - during the contact, what is left is also bounded by the time left: capacity × (end − now) / duration.
 */

/** INT32_MAX: capacities at or above it are unlimited. */
export const UNLIMITED_CAPACITY_BYTES = 0x7fff_ffff;

/** Bytes a contact can carry in all; Infinity when unlimited. */
export function contactCapacity(start: number, end: number, rateBytesPerSec: number): number {
  const bytes = Math.floor((rateBytesPerSec * (end - start)) / 1000);
  return bytes >= UNLIMITED_CAPACITY_BYTES ? Number.POSITIVE_INFINITY : Math.max(0, bytes);
}

/** Bytes still free on a contact at `now` after `consumed` were committed to it. */
export function remainingVolume(start: number, end: number, capacity: number, consumed: number, now: number): number {
  if (now >= end) return 0;
  if (capacity === Number.POSITIVE_INFINITY) return capacity;
  const left = capacity - consumed;
  const timeBound = now > start ? Math.floor((capacity * (end - now)) / (end - start)) : capacity;
  return Math.max(0, Math.min(left, timeBound));
}
