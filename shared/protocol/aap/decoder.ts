/**
 * Resumable AAP v1 frame decoder (design.md principle 2), derived from AAP_LAYOUT. The socket pushes
 * whatever it read; next() returns one message, "need more bytes", or a typed error.
 *
 * - Limits first: the payload length is checked against the caller's maxPayload as soon as its 8 bytes
 *   are visible, before any payload byte is buffered (uD3TN does the same with BUNDLE_MAX_SIZE,
 *   aap_parser.c aap_parse_payload_length). Headers are at most 1 + 2 + 65535 + 8 bytes.
 * - Payloads are views of the pushed chunks when they arrive in one chunk; otherwise they are copied once
 *   into a buffer of exactly their size (framing/byte-queue.ts).
 * - Decoding is structural: every defined type is accepted from either side. Whether the sender may send
 *   it, and uD3TN's extra validity rules, are validateAapMessage's job (validate.ts).
 *
 * Errors (each with the stream offset where the problem was found):
 * - AAP_VERSION_MISMATCH: the very first byte of the stream is 0x2F, the indicator an AAP 2.0 node sends
 *   on connect (protocols.md §5.1): the client reached an AAP 2.0 socket.
 * - MALFORMED: any other header byte whose version nibble is not 1, or an EID that is not UTF-8.
 * - AAP_UNKNOWN_TYPE: version 1 with a reserved type nibble (0xB..0xF).
 * - LIMIT_EXCEEDED: a payload length above maxPayload (or above 2^53-1).
 *
 * Recovery after an error:
 * - 'stop' (default; what a client wants): the error is final and every later next() returns it again.
 *   A client should close the connection and reconnect (ud3tn-behaviour.md §5.4).
 * - 'skip-byte' (uD3TN's server behaviour, ud3tn-behaviour.md §5.3, application_agent.c): report the
 *   error, drop the first byte of the failed message and decode again from the next byte, so every
 *   dropped byte that does not start a valid message reports its own error. (uD3TN drops the whole
 *   header it had read when a payload length is over its maximum; here those bytes go one at a time.)
 *   Bytes after a bad header may happen to form valid messages, in uD3TN as here: a peer that sent
 *   garbage is not in sync any more.
 * A truncated message is never an error: the decoder waits, like uD3TN, which has no read timeout.
 */
import type { ErrorCode, FarsideError } from '../../errors';
import { ByteQueue } from '../framing/byte-queue';
import { decodeUtf8 } from '../cbor/utf8';
import { LIMITS } from '../limits';
import {
  AAP2_INDICATOR_BYTE,
  AAP_BUNDLE_ID_BYTES,
  AAP_BY_CODE,
  AAP_EID_LENGTH_BYTES,
  AAP_PAYLOAD_LENGTH_BYTES,
  AAP_VERSION,
} from './layout';
import type { AapMessage, AapTypeEntry } from './layout';

export type AapRecovery = 'stop' | 'skip-byte';

export interface AapDecoderOptions {
  /** Largest payload accepted; default LIMITS.aapDefaultMaxPayload (uD3TN's BUNDLE_MAX_SIZE, 1 GiB). */
  readonly maxPayload?: number;
  /** What happens after an error; see the module comment. Default 'stop'. */
  readonly recovery?: AapRecovery;
}

export type AapDecodeStep =
  | { readonly kind: 'message'; readonly message: AapMessage }
  | { readonly kind: 'need-more' }
  | { readonly kind: 'error'; readonly error: FarsideError };

export interface AapDecoder {
  /** Hand over bytes read from the socket. The chunk is kept by reference: do not reuse its memory. */
  push(chunk: Uint8Array): void;
  /** Decode the next message from what was pushed so far. */
  next(): AapDecodeStep;
  /** Bytes received but not yet returned as part of a message (non-zero at EOF means a truncated message). */
  readonly buffered: number;
}

const NEED_MORE: AapDecodeStep = Object.freeze({ kind: 'need-more' });
const TWO_32 = 0x1_0000_0000;

interface PendingPayload {
  readonly entry: AapTypeEntry;
  readonly eid: string;
  readonly length: number;
}

export function createAapDecoder(options: AapDecoderOptions = {}): AapDecoder {
  const maxPayload = options.maxPayload ?? LIMITS.aapDefaultMaxPayload;
  if (!Number.isSafeInteger(maxPayload) || maxPayload < 0) {
    throw new RangeError('createAapDecoder: maxPayload must be a non-negative safe integer');
  }
  const recovery: AapRecovery = options.recovery ?? 'stop';
  const queue = new ByteQueue();
  /** Stream offset of the queue's first byte. */
  let position = 0;
  let failed: AapDecodeStep | undefined;
  let pending: PendingPayload | undefined;

  function fail(code: ErrorCode, message: string, offset: number): AapDecodeStep {
    const step: AapDecodeStep = { kind: 'error', error: { code, message, offset } };
    if (recovery === 'stop') {
      failed = step;
    } else {
      queue.skip(1);
      position += 1;
    }
    return step;
  }

  function u32At(i: number): number {
    return (
      queue.byteAt(i) * 0x1000000 + ((queue.byteAt(i + 1) << 16) | (queue.byteAt(i + 2) << 8) | queue.byteAt(i + 3))
    );
  }

  function finishPayload(p: PendingPayload): AapDecodeStep {
    if (queue.length < p.length) return NEED_MORE;
    const payload = queue.take(p.length);
    position += p.length;
    pending = undefined;
    return { kind: 'message', message: build(p.entry, p.eid, payload, 0n) };
  }

  function readMessage(): AapDecodeStep {
    const b0 = queue.byteAt(0);
    if (b0 >> 4 !== AAP_VERSION) {
      if (b0 === AAP2_INDICATOR_BYTE && position === 0) {
        return fail('AAP_VERSION_MISMATCH', 'first byte 0x2f: the peer speaks AAP 2.0, not AAP v1', position);
      }
      return fail('MALFORMED', `AAP header byte 0x${hex2(b0)} has version ${b0 >> 4}, expected ${AAP_VERSION}`, position);
    }
    const entry = AAP_BY_CODE[b0 & 0x0f];
    if (entry === undefined) return fail('AAP_UNKNOWN_TYPE', `reserved AAP message type 0x${hex2(b0)}`, position);

    // Walk the layout to find the header's size; check the payload length before buffering anything.
    let need = 1;
    let eidLength = 0;
    let payloadLength = -1;
    for (const field of entry.fields) {
      if (field === 'eid') {
        if (queue.length < need + AAP_EID_LENGTH_BYTES) return NEED_MORE;
        eidLength = (queue.byteAt(need) << 8) | queue.byteAt(need + 1);
        need += AAP_EID_LENGTH_BYTES + eidLength;
      } else if (field === 'payload') {
        if (queue.length < need + AAP_PAYLOAD_LENGTH_BYTES) return NEED_MORE;
        const hi = u32At(need);
        const value = hi * TWO_32 + u32At(need + 4);
        if (hi >= 0x200000 || value > maxPayload) {
          const shown = hi >= 0x200000 ? 'above 2^53-1' : String(value);
          return fail('LIMIT_EXCEEDED', `AAP ${entry.type} payload length ${shown} exceeds ${maxPayload}`, position + need);
        }
        payloadLength = value;
        need += AAP_PAYLOAD_LENGTH_BYTES;
      } else {
        need += AAP_BUNDLE_ID_BYTES;
      }
    }
    if (queue.length < need) return NEED_MORE;

    const header = queue.peek(need);
    let at = 1;
    let eid = '';
    let bundleId = 0n;
    for (const field of entry.fields) {
      if (field === 'eid') {
        const start = at + AAP_EID_LENGTH_BYTES;
        const text = decodeUtf8(header, start, start + eidLength);
        if (text === undefined) return fail('MALFORMED', `AAP ${entry.type}: EID is not valid UTF-8`, position + start);
        eid = text;
        at = start + eidLength;
      } else if (field === 'payload') {
        at += AAP_PAYLOAD_LENGTH_BYTES;
      } else {
        bundleId = new DataView(header.buffer, header.byteOffset + at, AAP_BUNDLE_ID_BYTES).getBigUint64(0, false);
        at += AAP_BUNDLE_ID_BYTES;
      }
    }
    queue.skip(need);
    position += need;
    if (payloadLength >= 0) {
      pending = { entry, eid, length: payloadLength };
      return finishPayload(pending);
    }
    return { kind: 'message', message: build(entry, eid, undefined, bundleId) };
  }

  return {
    push(chunk: Uint8Array): void {
      queue.push(chunk);
    },
    next(): AapDecodeStep {
      if (failed !== undefined) return failed;
      if (pending !== undefined) return finishPayload(pending);
      if (queue.length === 0) return NEED_MORE;
      return readMessage();
    },
    get buffered(): number {
      return queue.length;
    },
  };
}

/** A message of the entry's type with exactly the fields its layout lists. */
function build(entry: AapTypeEntry, eid: string, payload: Uint8Array | undefined, bundleId: bigint): AapMessage {
  const message: Record<string, unknown> = { type: entry.type };
  for (const field of entry.fields) {
    message[field] = field === 'eid' ? eid : field === 'payload' ? payload : bundleId;
  }
  // The layout table is the definition of AapMessage (layout.ts), so this record has its shape.
  return message as unknown as AapMessage;
}

function hex2(b: number): string {
  return b.toString(16).padStart(2, '0');
}
