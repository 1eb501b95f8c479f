/**
 * The bundle ID uD3TN (v0.12 and later) returns in SENDCONFIRM (protocols.md §4.4;
 * v0.13:components/agents/posix/application_agent.c):
 *
 *   bit 63      = 1 (reserved, must be 1)
 *   bit 62      = 0 → bits 61..16: low 46 bits of the creation DTN time (ms), bits 15..0: low 16 bits of
 *                     the creation sequence number ("timestamp" form; the only one uD3TN emits)
 *   bit 62      = 1 → bits 61..0: a 62-bit sequence number ("sequence" form)
 *
 * With its own EID the client rebuilds the BPv7 bundle ID (source, creation time, sequence) from it.
 * 46 bits of milliseconds cover about 2230 years, so the time is not truncated in practice.
 */
import { err, ok } from '../../errors';
import type { Result } from '../../errors';

export type AapBundleId =
  | { readonly form: 'timestamp'; readonly creationTime: number; readonly sequence: number }
  | { readonly form: 'sequence'; readonly sequence: bigint };

const BIT63 = 1n << 63n;
const BIT62 = 1n << 62n;
const LOW46 = (1n << 46n) - 1n;
const LOW62 = (1n << 62n) - 1n;
const U64_MAX = (1n << 64n) - 1n;

/**
 * Split a SENDCONFIRM bundle ID. Errors: INVALID_ARGUMENT for a value outside u64; UNSUPPORTED when
 * bit 63 is clear (uD3TN before v0.12 sent opaque counters such as 2, which carry no creation time).
 */
export function decodeAapBundleId(id: bigint): Result<AapBundleId> {
  if (id < 0n || id > U64_MAX) return err('INVALID_ARGUMENT', 'AAP bundle ID outside u64');
  if ((id & BIT63) === 0n) {
    return err('UNSUPPORTED', `AAP bundle ID 0x${id.toString(16)} has bit 63 clear (pre-v0.12 opaque ID)`);
  }
  if ((id & BIT62) !== 0n) return ok({ form: 'sequence', sequence: id & LOW62 });
  return ok({
    form: 'timestamp',
    creationTime: Number((id >> 16n) & LOW46),
    sequence: Number(id & 0xffffn),
  });
}

/**
 * The timestamp-form ID exactly as uD3TN builds it: the low 46 bits of `creationTime` (DTN ms) and the
 * low 16 bits of `sequence`. Both must be non-negative safe integers (they come from our own clock and
 * counters; anything else is a programmer error and throws RangeError).
 */
export function encodeAapBundleId(creationTime: number, sequence: number): bigint {
  if (!Number.isSafeInteger(creationTime) || creationTime < 0 || !Number.isSafeInteger(sequence) || sequence < 0) {
    throw new RangeError('encodeAapBundleId: creationTime and sequence must be non-negative safe integers');
  }
  return BIT63 | ((BigInt(creationTime) & LOW46) << 16n) | (BigInt(sequence) & 0xffffn);
}
