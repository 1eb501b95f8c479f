/**
 * TCPCLv3 messages (RFC 7242 §5, §6.1), described once. Every message starts with one byte: the type in
 * the high nibble, type-specific flags in the low nibble (IANA "Bundle Protocol TCP Convergence-Layer
 * Message Types"). protocols.md §6.4 marks the flag bits [unverified]; they are as below in RFC 7242 and
 * in the implementations read to check them (NASA HDTN common/tcpcl/src/Tcpcl.cpp, the Wireshark
 * TCPCLv3 dissector), and uD3TN's `0x13` (S|E) matches.
 *
 *   type 0x1 DATA_SEGMENT   flags 0x2 S (first segment of a bundle), 0x1 E (last); SDNV length, data
 *   type 0x2 ACK_SEGMENT    SDNV: bytes of the current bundle acknowledged so far (cumulative)
 *   type 0x3 REFUSE_BUNDLE  flags = reason code (TCPCLV3_REFUSE_REASON); no body
 *   type 0x4 KEEPALIVE      no body
 *   type 0x5 SHUTDOWN       flags 0x2 R: a u8 reason code follows; 0x1 D: an SDNV reconnection delay
 *                           (seconds) follows, after the reason when both are present
 *   type 0x6 LENGTH         SDNV: length of the next bundle
 * Types 0x0 and 0x7..0xF are unassigned. Unused flag bits are ignored on input and written as 0.
 */
import { err, ok } from '../../errors';
import type { Result } from '../../errors';
import { LIMITS } from '../limits';
import { sdnvSize, writeSdnv } from './sdnv';

export const TCPCLV3_MESSAGE_CODES = {
  DATA_SEGMENT: 0x1,
  ACK_SEGMENT: 0x2,
  REFUSE_BUNDLE: 0x3,
  KEEPALIVE: 0x4,
  SHUTDOWN: 0x5,
  LENGTH: 0x6,
} as const;

export type Tcpclv3MessageType = keyof typeof TCPCLV3_MESSAGE_CODES;

/** Type nibble → message type (undefined for unassigned codes), derived from TCPCLV3_MESSAGE_CODES. */
export const TCPCLV3_TYPE_BY_CODE: readonly (Tcpclv3MessageType | undefined)[] = (() => {
  const table = new Array<Tcpclv3MessageType | undefined>(16).fill(undefined);
  for (const type of Object.keys(TCPCLV3_MESSAGE_CODES) as Tcpclv3MessageType[]) table[TCPCLV3_MESSAGE_CODES[type]] = type;
  return table;
})();

export const DATA_SEGMENT_START = 0x2;
export const DATA_SEGMENT_END = 0x1;
export const SHUTDOWN_HAS_REASON = 0x2;
export const SHUTDOWN_HAS_DELAY = 0x1;

/** REFUSE_BUNDLE reason codes (RFC 7242 §5.4); 0x4..0xF unassigned or reserved. */
export const TCPCLV3_REFUSE_REASON = {
  UNKNOWN: 0x0,
  COMPLETED: 0x1, // the receiver already has the complete bundle
  NO_RESOURCES: 0x2, // the receiver's resources are exhausted
  RETRANSMIT: 0x3, // the receiver had a problem; please retransmit the whole bundle
} as const;

/** SHUTDOWN reason codes (RFC 7242 §6.1); 0x03..0xFF unassigned. */
export const TCPCLV3_SHUTDOWN_REASON = {
  IDLE_TIMEOUT: 0x00,
  VERSION_MISMATCH: 0x01,
  BUSY: 0x02,
} as const;

export type Tcpclv3Message =
  | { readonly type: 'DATA_SEGMENT'; readonly start: boolean; readonly end: boolean; readonly data: Uint8Array }
  /** `length`: bytes of the current bundle received so far. */
  | { readonly type: 'ACK_SEGMENT'; readonly length: number }
  | { readonly type: 'REFUSE_BUNDLE'; readonly reason: number }
  | { readonly type: 'KEEPALIVE' }
  /** Each field is undefined when its flag is clear. */
  | { readonly type: 'SHUTDOWN'; readonly reason: number | undefined; readonly reconnectionDelay: number | undefined }
  /** `length`: size of the next bundle. */
  | { readonly type: 'LENGTH'; readonly length: number };

const isSdnvValue = (v: number): boolean => Number.isSafeInteger(v) && v >= 0;

/**
 * Gather form: `[header, data]` for DATA_SEGMENT (data being the caller's own array), `[bytes]` otherwise.
 * INVALID_ARGUMENT for values the fields cannot carry (a REFUSE reason above 15, a SHUTDOWN reason above
 * 255, lengths or delays that are not non-negative safe integers).
 */
export function encodeTcpclv3MessageParts(message: Tcpclv3Message): Result<readonly Uint8Array[]> {
  const code = TCPCLV3_MESSAGE_CODES[message.type] << 4;
  switch (message.type) {
    case 'DATA_SEGMENT':
      return ok([encodeTcpclv3DataSegmentHeader(message.data.length, message.start, message.end), message.data]);
    case 'ACK_SEGMENT':
    case 'LENGTH': {
      if (!isSdnvValue(message.length)) return err('INVALID_ARGUMENT', `${message.type} length must be a non-negative safe integer`);
      const out = new Uint8Array(1 + sdnvSize(message.length));
      out[0] = code;
      writeSdnv(out, 1, message.length);
      return ok([out]);
    }
    case 'REFUSE_BUNDLE':
      if (!Number.isInteger(message.reason) || message.reason < 0 || message.reason > 0xf) {
        return err('INVALID_ARGUMENT', 'REFUSE_BUNDLE reason must fit in the 4-bit flags');
      }
      return ok([Uint8Array.of(code | message.reason)]);
    case 'KEEPALIVE':
      return ok([Uint8Array.of(code)]);
    case 'SHUTDOWN': {
      const { reason, reconnectionDelay } = message;
      if (reason !== undefined && (!Number.isInteger(reason) || reason < 0 || reason > 0xff)) {
        return err('INVALID_ARGUMENT', 'SHUTDOWN reason must be a byte');
      }
      if (reconnectionDelay !== undefined && !isSdnvValue(reconnectionDelay)) {
        return err('INVALID_ARGUMENT', 'SHUTDOWN reconnection delay must be a non-negative safe integer');
      }
      const size = 1 + (reason === undefined ? 0 : 1) + (reconnectionDelay === undefined ? 0 : sdnvSize(reconnectionDelay));
      const out = new Uint8Array(size);
      out[0] = code | (reason === undefined ? 0 : SHUTDOWN_HAS_REASON) | (reconnectionDelay === undefined ? 0 : SHUTDOWN_HAS_DELAY);
      let at = 1;
      if (reason !== undefined) out[at++] = reason;
      if (reconnectionDelay !== undefined) writeSdnv(out, at, reconnectionDelay);
      return ok([out]);
    }
  }
}

/** The message as one buffer (a DATA_SEGMENT's data copied in). */
export function encodeTcpclv3Message(message: Tcpclv3Message): Result<Uint8Array> {
  const parts = encodeTcpclv3MessageParts(message);
  if (!parts.ok) return parts;
  let size = 0;
  for (const p of parts.value) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts.value) {
    out.set(p, at);
    at += p.length;
  }
  return ok(out);
}

/**
 * The header of a DATA_SEGMENT carrying `length` bytes. The length comes from an array in memory, so an
 * impossible one is a programmer error (RangeError).
 */
export function encodeTcpclv3DataSegmentHeader(length: number, start: boolean, end: boolean): Uint8Array {
  if (!isSdnvValue(length)) throw new RangeError('DATA_SEGMENT length must be a non-negative safe integer');
  const out = new Uint8Array(1 + sdnvSize(length));
  out[0] = (TCPCLV3_MESSAGE_CODES.DATA_SEGMENT << 4) | (start ? DATA_SEGMENT_START : 0) | (end ? DATA_SEGMENT_END : 0);
  writeSdnv(out, 1, length);
  return out;
}

/**
 * A whole bundle as DATA_SEGMENTs of at most `maxSegment` bytes, in gather form
 * [header, data, header, data, …] with data as views of `bundle`. With the default (and whenever the
 * bundle fits) it is ONE segment with S and E set, the only form uD3TN v0.13 parses (protocols.md §6.4).
 */
export function encodeTcpclv3BundleParts(bundle: Uint8Array, maxSegment: number = LIMITS.tcpclv3MaxSegmentBytes): readonly Uint8Array[] {
  if (!Number.isSafeInteger(maxSegment) || maxSegment < 1) throw new RangeError('maxSegment must be a positive safe integer');
  const parts: Uint8Array[] = [];
  let at = 0;
  do {
    const n = Math.min(maxSegment, bundle.length - at);
    parts.push(encodeTcpclv3DataSegmentHeader(n, at === 0, at + n === bundle.length), bundle.subarray(at, at + n));
    at += n;
  } while (at < bundle.length);
  return parts;
}
