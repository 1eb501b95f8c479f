/**
 * Proactive fragmentation (RFC 9171 §5.8) to a maximum serialised bundle size, with uD3TN v0.13's
 * sizing rule so that Farside's fragments are byte-identical to uD3TN's (ud3tn-behaviour.md §9).
 *
 * RFC 9171 §5.8: each fragment carries the "is fragment" flag, the offset of its payload in the original
 * ADU and the total ADU length; its payload is a contiguous slice of the ADU; extension blocks flagged
 * "replicate in every fragment" (0x01) appear in every fragment, the others only in the fragment of
 * offset 0 (uD3TN components/bundle7/fragment.c does the same). A bundle flagged "must not be
 * fragmented" is never fragmented.
 *
 * The sizing rule. Fragments are sized so that the *whole* encoded fragment, headers included, stays
 * within the maximum. uD3TN plans the payload slices before it builds any fragment, from a conservative
 * header estimate per fragment kind (components/bundle7/bundle7.c bundle7_get_first_fragment_min_size
 * and bundle7_get_last_fragment_min_size, components/ud3tn/router.c router_get_first_route_frag):
 *
 *   estimate = the bundle's encoded size with its payload bytes removed, where
 *     - the primary block gains the two fragment fields, the offset sized as if it were as large as the
 *       total ADU length (every real offset is smaller, so it can only encode shorter),
 *     - the payload byte string head is sized for the whole payload being fragmented (every slice is
 *       shorter), and
 *     - the blocks are all extension blocks for the first fragment, only the 0x01-flagged ones for
 *       the others ("mid" and "last" fragments share one estimate in BPv7: bundle.c).
 *
 *   Slices are then taken greedily: the first is maxBundleBytes − estimate(first), every later one
 *   maxBundleBytes − estimate(later), and the rest goes into the last fragment once it fits.
 *
 * For the golden vector (3113-byte ADU, CRC-16 primary block, no extension blocks, -m 1024): the plain
 * primary block is 63 bytes; +3 for the offset sized as 3113 and +3 for 3113 itself = 69; the payload
 * block head is 85 01 01 00 00 59 0c29 = 8 bytes; plus 0x9f and 0xff: estimate 79 for every fragment.
 * Slices 1024 − 79 = 945, 945, 945 and the remaining 278, at offsets 0/945/1890/2835. The first fragment
 * really encodes to 1022 bytes (its offset 0 takes one byte, not three) and the others to 1024 and 357,
 * exactly uD3TN's fragment_01..04.
 *
 * Where Farside deviates: uD3TN decides "this is the last fragment" by the later-fragment estimate even
 * for the first slice, which would put a payload that fits only without the non-replicated blocks into
 * a single oversized "fragment". Here every fragment, the first included, is checked against its own
 * estimate, so the maximum always holds. For bundles without non-replicated extension blocks (all
 * bundles uD3TN makes for AAP clients) the two rules give the same slices.
 *
 * Payload slices are views into the original payload (subarray), never copies.
 */
import { err, ok } from '../../errors';
import type { Result } from '../../errors';
import { headSize } from '../cbor/header';
import { LIMITS } from '../limits';
import { checkEncodable, encodedBundleSize, payloadBlockOf } from './bundle';
import { BlockFlag, BundleFlag, hasFlag } from './flags';
import type { Bundle, CanonicalBlock, PrimaryBlock } from './types';

export interface FragmentOptions {
  /**
   * Refuse (LIMIT_EXCEEDED) when more fragments than this would be needed. uD3TN v0.13's router never
   * splits a bundle into more than 10 (ROUTER_MAX_FRAGMENTS, protocols.md §3.10). Default:
   * LIMITS.reassemblyMaxFragmentsPerAdu, the most our own reassembler accepts for one ADU.
   */
  readonly maxFragments?: number;
}

/** A size per fragment kind (header estimates, payload capacities). */
export interface FragmentSizes {
  /** The first fragment (offset 0 relative to the bundle being fragmented): it carries every extension block. */
  readonly first: number;
  /** Every later fragment: it carries only the blocks flagged "replicate in every fragment". */
  readonly later: number;
}

const EMPTY = new Uint8Array(0);

interface Parts {
  readonly primary: PrimaryBlock;
  readonly extensions: readonly CanonicalBlock[];
  readonly payload: CanonicalBlock;
  /** Offset of this bundle's payload in the original ADU (non-zero when fragmenting a fragment). */
  readonly baseOffset: number;
  readonly totalAduLength: number;
  /** Encoded size of the bundle as it is. */
  readonly size: number;
}

/** The pieces of a bundle fragmentation works with; errors for a bundle that cannot be encoded at all. */
function parts(bundle: Bundle): Result<Parts> {
  const { primary, blocks } = bundle;
  const payload = payloadBlockOf(bundle);
  if (payload === undefined) return err('BUNDLE_INVALID', 'the last block is not a payload block (RFC 9171 §4.1)');
  const measured = checkEncodable(bundle);
  if (!measured.ok) return measured;
  const size = measured.value;
  const extensions = blocks.slice(0, -1);
  if (primary.fragment === undefined) {
    return ok({ primary, extensions, payload, baseOffset: 0, totalAduLength: payload.data.length, size });
  }
  const { offset, totalAduLength } = primary.fragment;
  if (offset + payload.data.length > totalAduLength) {
    return err('BUNDLE_INVALID', `fragment payload [${offset}, ${offset + payload.data.length}) lies outside the ADU of ${totalAduLength} bytes`);
  }
  return ok({ primary, extensions, payload, baseOffset: offset, totalAduLength, size });
}

function withFragmentFlag(flags: number): number {
  return hasFlag(flags, BundleFlag.IS_FRAGMENT) ? flags : flags + BundleFlag.IS_FRAGMENT;
}

function isReplicated(block: CanonicalBlock): boolean {
  return hasFlag(block.flags, BlockFlag.REPLICATE_IN_EVERY_FRAGMENT);
}

/** uD3TN's header estimate for a fragment carrying `extensions` (see the file comment). */
function headerEstimate(p: Parts, extensions: readonly CanonicalBlock[]): number {
  const probe: Bundle = {
    primary: {
      ...p.primary,
      flags: withFragmentFlag(p.primary.flags),
      fragment: { offset: p.totalAduLength, totalAduLength: p.totalAduLength },
    },
    blocks: [...extensions, { ...p.payload, data: EMPTY }],
  };
  return encodedBundleSize(probe) - headSize(0) + headSize(p.payload.data.length);
}

function headerSizesOf(p: Parts): FragmentSizes {
  return { first: headerEstimate(p, p.extensions), later: headerEstimate(p, p.extensions.filter(isReplicated)) };
}

/**
 * Estimated encoded size of a fragment of `bundle` without its payload bytes (uD3TN's first and
 * last/mid fragment minimum sizes, see the file comment); a real fragment is never larger than this plus
 * its payload slice.
 */
export function fragmentHeaderSizes(bundle: Bundle): Result<FragmentSizes> {
  const p = parts(bundle);
  return p.ok ? ok(headerSizesOf(p.value)) : p;
}

/**
 * Payload bytes a fragment of at most `maxBundleBytes` can carry, first and later fragments (may be
 * ≤ 0 when the headers alone do not fit).
 */
export function fragmentPayloadCapacity(bundle: Bundle, maxBundleBytes: number): Result<FragmentSizes> {
  const h = fragmentHeaderSizes(bundle);
  return h.ok ? ok({ first: maxBundleBytes - h.value.first, later: maxBundleBytes - h.value.later }) : h;
}

function checkMax(maxBundleBytes: number, opts: FragmentOptions): Result<void> {
  if (!Number.isSafeInteger(maxBundleBytes) || maxBundleBytes <= 0) {
    return err('INVALID_ARGUMENT', `maximum bundle size must be a positive integer, got ${maxBundleBytes}`);
  }
  const m = opts.maxFragments;
  if (m !== undefined && (!Number.isSafeInteger(m) || m < 1)) {
    return err('INVALID_ARGUMENT', `maximum fragment count must be a positive integer, got ${m}`);
  }
  return ok(undefined);
}

/** The payload slice lengths for `p` (which does not fit in one bundle), in order. */
function plan(p: Parts, maxBundleBytes: number, opts: FragmentOptions): Result<number[]> {
  if (hasFlag(p.primary.flags, BundleFlag.MUST_NOT_FRAGMENT)) {
    return err('INVALID_ARGUMENT', `the bundle is flagged "must not be fragmented" (RFC 9171 §4.2.3) and exceeds ${maxBundleBytes} bytes`);
  }
  const sizes = headerSizesOf(p);
  const total = p.payload.data.length;
  if (total === 0) return err('LIMIT_EXCEEDED', `the bundle exceeds ${maxBundleBytes} bytes without any payload to split`);
  const first = maxBundleBytes - sizes.first;
  const later = maxBundleBytes - sizes.later;
  // uD3TN refuses a fragment with fewer than FRAGMENT_MIN_PAYLOAD (8) payload bytes unless it carries
  // all that is left (router.c). Later capacities are all equal, so the first later fragment decides.
  const neededFirst = Math.min(total, LIMITS.fragmentMinPayloadBytes);
  if (first < neededFirst) return err('LIMIT_EXCEEDED', roomMessage('first', maxBundleBytes, first, neededFirst));
  if (total <= first) return ok([total]);
  const rest = total - first;
  const neededLater = Math.min(rest, LIMITS.fragmentMinPayloadBytes);
  if (later < neededLater) return err('LIMIT_EXCEEDED', roomMessage('later', maxBundleBytes, later, neededLater));
  // Counted before allocating: never more fragments than the caller allows, nor than a reassembler
  // with our own limits would accept.
  const count = 1 + Math.ceil(rest / later);
  const maxFragments = opts.maxFragments ?? LIMITS.reassemblyMaxFragmentsPerAdu;
  if (count > maxFragments) {
    return err('LIMIT_EXCEEDED', `${count} fragments of at most ${maxBundleBytes} bytes would be needed, more than ${maxFragments}`);
  }
  const slices = new Array<number>(count);
  slices[0] = first;
  for (let i = 1, left = rest; i < count; i++, left -= later) slices[i] = Math.min(left, later);
  return ok(slices);
}

function roomMessage(kind: string, maxBundleBytes: number, capacity: number, needed: number): string {
  return `a ${kind} fragment of at most ${maxBundleBytes} bytes has room for ${Math.max(capacity, 0)} payload bytes, fewer than ${needed}`;
}

/**
 * The payload slice lengths fragmentBundle would produce: one entry (the whole payload) when the bundle
 * already fits in `maxBundleBytes`.
 */
export function planFragments(bundle: Bundle, maxBundleBytes: number, opts: FragmentOptions = {}): Result<readonly number[]> {
  const c = checkMax(maxBundleBytes, opts);
  if (!c.ok) return c;
  const p = parts(bundle);
  if (!p.ok) return p;
  if (p.value.size <= maxBundleBytes) return ok([p.value.payload.data.length]);
  return plan(p.value, maxBundleBytes, opts);
}

/** How many bundles sending `bundle` under `maxBundleBytes` takes (1 when it fits as it is). */
export function fragmentsNeeded(bundle: Bundle, maxBundleBytes: number, opts: FragmentOptions = {}): Result<number> {
  const slices = planFragments(bundle, maxBundleBytes, opts);
  return slices.ok ? ok(slices.value.length) : slices;
}

/**
 * Splits `bundle` into fragments whose whole encoding is at most `maxBundleBytes` each, in offset order.
 * A bundle that already fits is returned unchanged as the only element. Fragmenting a fragment works:
 * offsets stay relative to the original ADU and the total ADU length is kept.
 *
 * Errors: INVALID_ARGUMENT for a bad maximum or a "must not be fragmented" bundle that does not fit;
 * LIMIT_EXCEEDED when the headers leave no room for LIMITS.fragmentMinPayloadBytes of payload or more
 * than opts.maxFragments fragments would be needed; BUNDLE_INVALID when the last block is not the payload
 * or a fragment's payload lies outside its ADU; INVALID_ARGUMENT for a bundle that cannot be encoded.
 */
export function fragmentBundle(bundle: Bundle, maxBundleBytes: number, opts: FragmentOptions = {}): Result<Bundle[]> {
  const c = checkMax(maxBundleBytes, opts);
  if (!c.ok) return c;
  const pr = parts(bundle);
  if (!pr.ok) return pr;
  if (pr.value.size <= maxBundleBytes) return ok([bundle]);
  const p = pr.value;
  const slices = plan(p, maxBundleBytes, opts);
  if (!slices.ok) return slices;

  const flags = withFragmentFlag(p.primary.flags);
  const replicated = p.extensions.filter(isReplicated);
  const data = p.payload.data;
  const fragments: Bundle[] = [];
  let at = 0;
  for (const length of slices.value) {
    fragments.push({
      primary: { ...p.primary, flags, fragment: { offset: p.baseOffset + at, totalAduLength: p.totalAduLength } },
      blocks: [...(at === 0 ? p.extensions : replicated), { ...p.payload, data: data.subarray(at, at + length) }],
    });
    at += length;
  }
  return ok(fragments);
}
