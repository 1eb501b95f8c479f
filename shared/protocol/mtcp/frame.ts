/**
 * MTCP / SMTCP framing (draft-ietf-dtn-mtcpcl; protocols.md §6.2–6.3; v0.13:components/cla/mtcp_proto.c
 * mtcp_encode_header): each bundle travels as one CBOR byte string, i.e. a major-type-2 head carrying the
 * bundle length in the shortest form (RFC 8949 §4.2.1), then the bundle bytes. No handshake, nothing
 * flows back. The head is the shared CBOR head (cbor/header.ts); nothing here re-implements it.
 *
 * Examples (vectors README): 116-byte status report → 58 74; 442-byte bundle → 59 01ba.
 */
import { encodeHead, MAJOR_BYTES } from '../cbor/header';

/**
 * The head that precedes a bundle of `bundleLength` bytes. The length comes from an array already in
 * memory, so anything but a non-negative safe integer is a programmer error (RangeError).
 */
export function encodeMtcpHeader(bundleLength: number): Uint8Array {
  if (!Number.isSafeInteger(bundleLength) || bundleLength < 0) {
    throw new RangeError('encodeMtcpHeader: length must be a non-negative safe integer');
  }
  return encodeHead(MAJOR_BYTES, bundleLength);
}

/** Gather form: [head, bundle], the bundle being the caller's own array (not copied). */
export function encodeMtcpFrameParts(bundle: Uint8Array): readonly [Uint8Array, Uint8Array] {
  return [encodeMtcpHeader(bundle.length), bundle];
}

/** Head and bundle in one new buffer. */
export function encodeMtcpFrame(bundle: Uint8Array): Uint8Array {
  const head = encodeMtcpHeader(bundle.length);
  const out = new Uint8Array(head.length + bundle.length);
  out.set(head, 0);
  out.set(bundle, head.length);
  return out;
}
