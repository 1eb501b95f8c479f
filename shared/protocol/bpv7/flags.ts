/**
 * Bundle and block processing control flags and block type codes of RFC 9171, with the values of the
 * IANA "Bundle Protocol" registries (protocols.md §3.5–3.6). Take flag values from here only: pyd3tn
 * v0.13 has REPORT_DELETION = 0x400000 and early dtn7-rs used pre-RFC values (deletion 0x1000).
 *
 * Flags are uint64 on the wire and JS numbers here; JS bit operators work on 32 bits, so hasFlag()
 * masks the low 32 bits arithmetically and every assigned flag lives in them.
 */

/** Bundle processing control flags (RFC 9171 §4.2.3). */
export const BundleFlag = {
  IS_FRAGMENT: 0x000001,
  ADMIN_RECORD: 0x000002,
  MUST_NOT_FRAGMENT: 0x000004,
  ACK_REQUESTED: 0x000020,
  STATUS_TIME_REQUESTED: 0x000040,
  REPORT_RECEPTION: 0x004000,
  REPORT_FORWARDING: 0x010000,
  REPORT_DELIVERY: 0x020000,
  REPORT_DELETION: 0x040000,
} as const;

/** The four status report request flags (RFC 9171 §4.2.3): 0x074000. */
export const REPORT_REQUEST_FLAGS =
  BundleFlag.REPORT_RECEPTION | BundleFlag.REPORT_FORWARDING | BundleFlag.REPORT_DELIVERY | BundleFlag.REPORT_DELETION;

/** Which status reports a bundle asks for (RFC 9171 §4.2.3); absent or false means not asked. */
export interface ReportRequestBits {
  readonly reception?: boolean;
  readonly forwarding?: boolean;
  readonly delivery?: boolean;
  readonly deletion?: boolean;
}

/** The bundle processing control flags that ask for `r`'s reports; 0 for none (or no request given). */
export function reportRequestFlags(r: ReportRequestBits | undefined): number {
  if (r === undefined) return 0;
  return (
    (r.reception === true ? BundleFlag.REPORT_RECEPTION : 0) |
    (r.forwarding === true ? BundleFlag.REPORT_FORWARDING : 0) |
    (r.delivery === true ? BundleFlag.REPORT_DELIVERY : 0) |
    (r.deletion === true ? BundleFlag.REPORT_DELETION : 0)
  );
}

/** Every bundle flag RFC 9171 assigns; bits 3, 4, 7–13, 15, 19, 20 are reserved and 21–63 unassigned. */
export const KNOWN_BUNDLE_FLAGS =
  BundleFlag.IS_FRAGMENT |
  BundleFlag.ADMIN_RECORD |
  BundleFlag.MUST_NOT_FRAGMENT |
  BundleFlag.ACK_REQUESTED |
  BundleFlag.STATUS_TIME_REQUESTED |
  REPORT_REQUEST_FLAGS;

/** Block processing control flags (RFC 9171 §4.2.4). */
export const BlockFlag = {
  REPLICATE_IN_EVERY_FRAGMENT: 0x01,
  REPORT_IF_UNPROCESSABLE: 0x02,
  DELETE_BUNDLE_IF_UNPROCESSABLE: 0x04,
  DISCARD_BLOCK_IF_UNPROCESSABLE: 0x10,
} as const;

/** Every block flag RFC 9171 assigns; bits 3, 5, 6 are reserved and 7–63 unassigned. */
export const KNOWN_BLOCK_FLAGS =
  BlockFlag.REPLICATE_IN_EVERY_FRAGMENT |
  BlockFlag.REPORT_IF_UNPROCESSABLE |
  BlockFlag.DELETE_BUNDLE_IF_UNPROCESSABLE |
  BlockFlag.DISCARD_BLOCK_IF_UNPROCESSABLE;

/** Block type codes (IANA "Bundle Block Types"; RFC 9171 §4.3.3, §4.4; RFC 9172 §11.1). */
export const BlockType = {
  PAYLOAD: 1,
  PREVIOUS_NODE: 6,
  BUNDLE_AGE: 7,
  HOP_COUNT: 10,
  BLOCK_INTEGRITY: 11,
  BLOCK_CONFIDENTIALITY: 12,
} as const;

const TWO_32 = 0x1_0000_0000;

/** True when any bit of `mask` (which must lie in the low 32 bits) is set in `flags` (a uint64 as a number). */
export function hasFlag(flags: number, mask: number): boolean {
  return ((flags % TWO_32) & mask) !== 0;
}

/** The bits of `flags` outside `known`: nonzero means reserved or unassigned bits are set. */
export function unknownFlagBits(flags: number, known: number): number {
  const high = Math.floor(flags / TWO_32);
  const low = (flags % TWO_32 & ~known) >>> 0;
  return high * TWO_32 + low;
}
