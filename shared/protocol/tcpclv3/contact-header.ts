/**
 * TCPCLv3 contact header (RFC 7242 §4.1), sent by both sides right after the TCP connection opens:
 *
 *   magic      4 bytes  "dtn!" (64 74 6e 21)
 *   version    u8       3
 *   flags      u8       0x01 request ACK_SEGMENTs, 0x02 reactive fragmentation, 0x04 bundle refusal
 *                       (only together with 0x01), 0x08 request LENGTH messages
 *   keepalive  u16 BE   seconds; 0 disables keepalives
 *   EID length SDNV
 *   EID        that many bytes of text (the sender's node ID, e.g. "dtn://earth.dtn/")
 *
 * protocols.md §6.4 marks the flag bits [unverified]; they match the RFC 7242 §4.1 table as implemented
 * by NASA HDTN (common/tcpcl Tcpcl.h CONTACT_HEADER_FLAGS) and the Wireshark TCPCLv3 dissector; uD3TN
 * sends flags 00 and keepalive 0000 (cla-tcpclv3 vectors).
 */
import { err, ok } from '../../errors';
import type { Result } from '../../errors';
import { utf8Length, writeUtf8 } from '../cbor/utf8';
import { LIMITS } from '../limits';
import { sdnvSize, writeSdnv } from './sdnv';

export const TCPCLV3_MAGIC = Uint8Array.of(0x64, 0x74, 0x6e, 0x21);
export const TCPCLV3_VERSION = 3;

export const TCPCLV3_CONTACT_FLAGS = {
  REQUEST_ACK: 0x01,
  REACTIVE_FRAGMENTATION: 0x02,
  BUNDLE_REFUSAL: 0x04,
  LENGTH_MESSAGES: 0x08,
} as const;

export interface Tcpclv3ContactHeader {
  readonly version: number;
  /** Bit set of TCPCLV3_CONTACT_FLAGS (unknown bits are kept as received). */
  readonly flags: number;
  readonly keepaliveSeconds: number;
  readonly eid: string;
}

/** Offsets of the fixed part: magic 0..3, version 4, flags 5, keepalive 6..7, then the EID length SDNV. */
export const CONTACT_VERSION_AT = 4;
export const CONTACT_FLAGS_AT = 5;
export const CONTACT_KEEPALIVE_AT = 6;
export const CONTACT_EID_LENGTH_AT = 8;

/**
 * Our contact header (version 3). INVALID_ARGUMENT when flags is not a byte, keepalive not a u16, or the
 * EID longer than LIMITS.eidMaxLength bytes.
 */
export function encodeTcpclv3ContactHeader(header: {
  readonly flags: number;
  readonly keepaliveSeconds: number;
  readonly eid: string;
}): Result<Uint8Array> {
  const { flags, keepaliveSeconds, eid } = header;
  if (!Number.isInteger(flags) || flags < 0 || flags > 0xff) return err('INVALID_ARGUMENT', 'contact header flags must be a byte');
  if (!Number.isInteger(keepaliveSeconds) || keepaliveSeconds < 0 || keepaliveSeconds > 0xffff) {
    return err('INVALID_ARGUMENT', 'keepalive interval must fit in u16 seconds');
  }
  const eidBytes = utf8Length(eid);
  if (eidBytes > LIMITS.eidMaxLength) return err('INVALID_ARGUMENT', `EID of ${eidBytes} bytes exceeds ${LIMITS.eidMaxLength}`);
  const out = new Uint8Array(CONTACT_EID_LENGTH_AT + sdnvSize(eidBytes) + eidBytes);
  out.set(TCPCLV3_MAGIC, 0);
  out[CONTACT_VERSION_AT] = TCPCLV3_VERSION;
  out[CONTACT_FLAGS_AT] = flags;
  out[CONTACT_KEEPALIVE_AT] = keepaliveSeconds >>> 8;
  out[CONTACT_KEEPALIVE_AT + 1] = keepaliveSeconds & 0xff;
  writeUtf8(out, writeSdnv(out, CONTACT_EID_LENGTH_AT, eidBytes), eid);
  return ok(out);
}
