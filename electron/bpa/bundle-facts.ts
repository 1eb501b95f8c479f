/**
 * What the processor files a decoded bundle under: its bundle ID key (RFC 9171 §4.3.1, §5.6: source,
 * creation timestamp, and for a fragment its offset and payload length; store/bundle-key.ts), the key of
 * the whole bundle a fragment belongs to, and its expiry in Unix ms (store/expiry.ts).
 */
import { payloadBlockOf } from '../../shared/protocol/bpv7/bundle';
import { DTN_TIME_UNKNOWN, unixMsFromDtnTime } from '../../shared/protocol/bpv7/dtn-time';
import { formatEid } from '../../shared/protocol/bpv7/eid';
import { decodeBundleAge, findBlock } from '../../shared/protocol/bpv7/extension-blocks';
import { crc32c } from '../../shared/protocol/bpv7/crc';
import { BlockType, BundleFlag, hasFlag } from '../../shared/protocol/bpv7/flags';
import type { Bundle } from '../../shared/protocol/bpv7/types';
import { bundleKey } from './store/bundle-key';
import { expiresAtOf } from './store/expiry';

export function bundleIdOf(bundle: Bundle): string {
  const p = bundle.primary;
  const base = { source: formatEid(p.source), creationTime: p.creation.time, sequence: p.creation.sequence };
  if (p.fragment !== undefined) {
    return bundleKey({ ...base, fragment: { offset: p.fragment.offset, payloadLength: payloadBlockOf(bundle)?.data.length ?? 0 } });
  }
  // uD3TN v0.13 gives every status report sequence number 1, so two reports it makes in the same
  // millisecond (reception + delivery, say) share one bundle ID although their contents differ
  // (vectors status-reports/mars-to-earth_01 and _02; ud3tn-behaviour.md §8). Keyed by ID alone, the
  // second would be suppressed as a duplicate (RFC 9171 §5.6) and a report lost. Administrative records
  // are therefore filed under their ID plus a digest of the record: a true duplicate (same bytes) is
  // still suppressed, a different record with a reused ID is not.
  if (hasFlag(p.flags, BundleFlag.ADMIN_RECORD)) {
    const record = payloadBlockOf(bundle)?.data ?? new Uint8Array(0);
    return `${bundleKey(base)} #${crc32c(record).toString(16).padStart(8, '0')}`;
  }
  return bundleKey(base);
}

/** The ID key of the whole bundle (the fragment fields left out). */
export function wholeBundleIdOf(bundle: Bundle): string {
  const p = bundle.primary;
  return bundleKey({ source: formatEid(p.source), creationTime: p.creation.time, sequence: p.creation.sequence });
}

/** The Bundle Age block's value, ms; 0 without one (or when it does not decode: validation refused those). */
export function bundleAgeOf(bundle: Bundle): number {
  const block = findBlock(bundle, BlockType.BUNDLE_AGE);
  if (block === undefined) return 0;
  const age = decodeBundleAge(block.data);
  return age.ok ? age.value : 0;
}

/** When the bundle expires (Unix ms), given when this node got it. */
export function expiryOf(bundle: Bundle, receivedAt: number): number {
  const p = bundle.primary;
  return expiresAtOf({ creationTime: p.creation.time, lifetimeMs: p.lifetime, receivedAt, bundleAgeMs: bundleAgeOf(bundle) });
}

/** The creation time in Unix ms for the store (0 when the creator had no clock). */
export function createdAtOf(bundle: Bundle): number {
  const t = bundle.primary.creation.time;
  return t === DTN_TIME_UNKNOWN ? 0 : unixMsFromDtnTime(t);
}
