/**
 * Resumable AAP 2.0 stream decoder for one direction of a connection (protocols.md §5.1; design.md
 * principle 2). Framing: on the node's side of the stream one version byte 0x2F comes first; then every
 * frame is a varint length and a Protobuf message; a BundleADU is followed by payload_length raw bytes.
 *
 * Which message type a frame holds is not on the wire: the Initiator sends AAPMessage, the responder
 * AAPResponse, and `is_subscriber = true` flips the roles once the node has answered SUCCESS. So the
 * decoder is told what it expects:
 * - role 'client' (decoding what the node sends): the 0x2F byte, the Welcome (an AAPMessage), then
 *   AAPResponses. A subscriber calls expect('message') once it read the node's SUCCESS to its config.
 * - role 'server' (decoding what a client sends): AAPMessages from the start. After answering SUCCESS to
 *   a subscriber's config, the server calls expect('response').
 * expect() applies from the next frame on; a caller that handles each step before calling next() again
 * switches exactly between two frames, even when both arrived in one chunk.
 *
 * Limits before buffering: a frame length above LIMITS.aap2MaxMessageBytes and a payload_length above
 * maxPayload are refused from their varints. The payload follows as its own step, a view of the pushed
 * chunk when it arrives in one, else one copy.
 *
 * Errors are final: uD3TN closes the connection on a decode error (ud3tn-behaviour.md §6, the
 * 03 ff ff ff probe), and a Protobuf stream cannot be resynchronised. Codes: AAP_VERSION_MISMATCH (client
 * role: the first byte is not 0x2F; an AAP v1 node starts with WELCOME 0x17), PROTOBUF_MALFORMED,
 * LIMIT_EXCEEDED, UNSUPPORTED (an AAPMessage with no v0.13 member).
 */
import type { ErrorCode, FarsideError } from '../../errors';
import { ByteQueue } from '../framing/byte-queue';
import { LIMITS } from '../limits';
import { AAP2_VERSION_INDICATOR, decodeAap2Message, decodeAap2Response } from './messages';
import type { Aap2Message, Aap2Response } from './messages';
import { readVarint } from './protobuf';

export type Aap2Role = 'client' | 'server';
export type Aap2Expect = 'message' | 'response';

export interface Aap2DecoderOptions {
  readonly role: Aap2Role;
  /** Largest ADU payload accepted; default LIMITS.aap2DefaultMaxPayload. */
  readonly maxPayload?: number;
}

export type Aap2DecodeStep =
  | { readonly kind: 'message'; readonly message: Aap2Message }
  | { readonly kind: 'response'; readonly response: Aap2Response }
  /** The raw bytes that followed the BundleADU just returned. */
  | { readonly kind: 'payload'; readonly payload: Uint8Array }
  | { readonly kind: 'need-more' }
  | { readonly kind: 'error'; readonly error: FarsideError };

export interface Aap2Decoder {
  /** Hand over bytes read from the socket (kept by reference: do not reuse the chunk's memory). */
  push(chunk: Uint8Array): void;
  next(): Aap2DecodeStep;
  /** What the next frame is decoded as, from now on. */
  expect(next: Aap2Expect): void;
  readonly expecting: Aap2Expect;
  /** Bytes received and not yet returned. */
  readonly buffered: number;
}

const NEED_MORE: Aap2DecodeStep = Object.freeze({ kind: 'need-more' });
const MAX_LENGTH_PREFIX = 10;

export function createAap2Decoder(options: Aap2DecoderOptions): Aap2Decoder {
  const { role } = options;
  const maxPayload = options.maxPayload ?? LIMITS.aap2DefaultMaxPayload;
  if (!Number.isSafeInteger(maxPayload) || maxPayload < 0) {
    throw new RangeError('createAap2Decoder: maxPayload must be a non-negative safe integer');
  }
  const queue = new ByteQueue();
  let position = 0;
  let failed: Aap2DecodeStep | undefined;
  let awaitingIndicator = role === 'client';
  /** The client role switches to responses by itself after the node's first message (the Welcome). */
  let welcomePending = role === 'client';
  let expecting: Aap2Expect = 'message';
  /** Payload bytes owed after a BundleADU; -1 when none. */
  let payloadLength = -1;

  function fail(code: ErrorCode, message: string, offset: number): Aap2DecodeStep {
    failed = { kind: 'error', error: { code, message, offset } };
    return failed;
  }

  function readIndicator(): Aap2DecodeStep | null {
    const b = queue.byteAt(0);
    if (b !== AAP2_VERSION_INDICATOR) {
      const what = b >> 4 === 1 ? ' (an AAP v1 node: WELCOME is 0x17)' : '';
      return fail('AAP_VERSION_MISMATCH', `first byte 0x${b.toString(16).padStart(2, '0')} is not the AAP 2.0 indicator 0x2f${what}`, position);
    }
    queue.skip(1);
    position += 1;
    awaitingIndicator = false;
    return null;
  }

  function readFrame(): Aap2DecodeStep {
    const prefix = readVarint(queue.peek(Math.min(MAX_LENGTH_PREFIX, queue.length)), 0, Math.min(MAX_LENGTH_PREFIX, queue.length));
    if (prefix === 'need-more') return NEED_MORE;
    if (prefix === 'malformed') return fail('PROTOBUF_MALFORMED', 'bad varint frame length', position);
    if (prefix.value < 0 || prefix.value > LIMITS.aap2MaxMessageBytes) {
      return fail('LIMIT_EXCEEDED', `AAP 2.0 frame above ${LIMITS.aap2MaxMessageBytes} bytes`, position);
    }
    if (queue.length < prefix.end + prefix.value) return NEED_MORE;
    const bodyAt = position + prefix.end;
    queue.skip(prefix.end);
    const body = queue.take(prefix.value);
    position = bodyAt + prefix.value;

    if (expecting === 'response') {
      const r = decodeAap2Response(body);
      if (!r.ok) return fail(r.error.code, r.error.message, bodyAt + (r.error.offset ?? 0));
      return { kind: 'response', response: r.value };
    }
    const r = decodeAap2Message(body);
    if (!r.ok) return fail(r.error.code, r.error.message, bodyAt + (r.error.offset ?? 0));
    const message = r.value;
    if (message.kind === 'adu') {
      if (message.adu.payloadLength > maxPayload) {
        return fail('LIMIT_EXCEEDED', `ADU payload of ${message.adu.payloadLength} bytes exceeds ${maxPayload}`, bodyAt);
      }
      payloadLength = message.adu.payloadLength;
    }
    if (welcomePending) {
      welcomePending = false;
      expecting = 'response';
    }
    return { kind: 'message', message };
  }

  function readPayload(): Aap2DecodeStep {
    if (queue.length < payloadLength) return NEED_MORE;
    const payload = queue.take(payloadLength);
    position += payloadLength;
    payloadLength = -1;
    return { kind: 'payload', payload };
  }

  return {
    push(chunk: Uint8Array): void {
      queue.push(chunk);
    },
    next(): Aap2DecodeStep {
      if (failed !== undefined) return failed;
      if (payloadLength >= 0) return readPayload();
      if (queue.length === 0) return NEED_MORE;
      if (awaitingIndicator) {
        const step = readIndicator();
        if (step !== null) return step;
        if (queue.length === 0) return NEED_MORE;
      }
      return readFrame();
    },
    expect(next: Aap2Expect): void {
      welcomePending = false;
      expecting = next;
    },
    get expecting(): Aap2Expect {
      return expecting;
    },
    get buffered(): number {
      return queue.length;
    },
  };
}
