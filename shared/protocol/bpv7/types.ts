/**
 * BPv7 (RFC 9171) data model shared by the codec, validation, fragmentation, reassembly and the BPA.
 * Plain readonly data: codecs never mutate their input (design.md principle 1).
 *
 * Numbers: DTN times, lifetimes, offsets, lengths, sequence numbers and EID numbers are JS numbers.
 * Decoders reject wire values above Number.MAX_SAFE_INTEGER (2^53-1) with LIMIT_EXCEEDED rather than
 * silently losing precision; 2^53 ms of lifetime is 285,000 years, and no implementation we interoperate
 * with (uD3TN, ION, dtn7, HDTN) uses sequence numbers that large in practice.
 */

/** RFC 9171 §4.2.5.1.1: the dtn scheme. `ssp` is everything after "dtn:", with the leading "//" kept. */
export interface DtnEid {
  readonly scheme: 'dtn';
  /** "//node/demux" for a normal dtn EID, or "none" for the null endpoint dtn:none (encoded [1, 0]). */
  readonly ssp: string;
}

/**
 * RFC 9171 §4.2.5.1.2 as updated by RFC 9758: ipn:[allocator.]node.service. On the wire either the
 * 2-element form [FQNN, service] (FQNN = allocator << 32 | node) or the 3-element form
 * [allocator, node, service]. `wireForm` remembers which one was received so that re-encoding keeps the
 * bytes (RFC 9758 §6.4: re-encoding would break a BIB); encoders default to 2 for allocator 0 and 3 otherwise.
 */
export interface IpnEid {
  readonly scheme: 'ipn';
  readonly allocator: number;
  readonly node: number;
  readonly service: number;
  readonly wireForm?: 2 | 3;
}

export type Eid = DtnEid | IpnEid;

/** RFC 9171 §4.2.1: 0 none, 1 CRC-16/X.25, 2 CRC-32C. */
export type CrcType = 0 | 1 | 2;

/** RFC 9171 §4.2.7: creation timestamp [DTN time in ms (0 = no accurate clock), sequence number]. */
export interface CreationTimestamp {
  readonly time: number;
  readonly sequence: number;
}

/** RFC 9171 §4.3.1 fragment fields, present exactly when the "is fragment" flag is set. */
export interface FragmentInfo {
  readonly offset: number;
  readonly totalAduLength: number;
}

/** RFC 9171 §4.3.1 primary bundle block. */
export interface PrimaryBlock {
  readonly version: 7;
  /** Bundle processing control flags (§4.2.3); see flags.ts. */
  readonly flags: number;
  readonly crcType: CrcType;
  readonly destination: Eid;
  readonly source: Eid;
  readonly reportTo: Eid;
  readonly creation: CreationTimestamp;
  /** Lifetime in milliseconds (§4.3.1). */
  readonly lifetime: number;
  readonly fragment?: FragmentInfo;
}

/**
 * RFC 9171 §4.3.2 canonical block. `data` is the block-type-specific data: for the payload block (type 1)
 * the raw ADU bytes; for extension blocks a CBOR encoding inside the byte string (§4.4). On decode it is
 * a view into the input, never a copy. Unknown block types are carried through unchanged.
 */
export interface CanonicalBlock {
  readonly type: number;
  readonly number: number;
  /** Block processing control flags (§4.2.4). */
  readonly flags: number;
  readonly crcType: CrcType;
  readonly data: Uint8Array;
}

/** A bundle: primary block, then canonical blocks in wire order; the payload block (type 1, number 1) is last. */
export interface Bundle {
  readonly primary: PrimaryBlock;
  readonly blocks: readonly CanonicalBlock[];
}

/** A block decoded on its own or inside a bundle, with where it lay in the input and its CRC verdict. */
export interface DecodedBlock<T> {
  readonly block: T;
  /** Offset of the block's first byte in the input. */
  readonly offset: number;
  /** Encoded length of the block. */
  readonly length: number;
  /** CRC verdict; true when the block carries no CRC. */
  readonly crcOk: boolean;
}

export const PAYLOAD_BLOCK_TYPE = 1;
export const PAYLOAD_BLOCK_NUMBER = 1;
