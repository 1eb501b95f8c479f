/**
 * Resumable MTCP frame decoder (design.md principle 2): push what the socket read, call next() for one
 * bundle, "need more bytes", or an error. Bundles are views of the pushed chunks when a frame arrives in
 * one chunk, otherwise one copy (framing/byte-queue.ts). This is framing only: the bundle inside is
 * decoded by the BPv7 codec, so an invalid bundle costs just that frame and the stream stays in sync.
 *
 * Errors:
 * - MALFORMED: bytes that do not start a CBOR byte-string head: another major type, reserved additional
 *   information (28..30), indefinite length (0x5f), or a length above 2^53-1.
 * - LIMIT_EXCEEDED: a byte string longer than maxFrame, refused from its head before any byte of it is
 *   buffered.
 *
 * Recovery:
 * - 'resync' (default; uD3TN's receiver, ud3tn-behaviour.md §4, mtcp_proto.c mtcp_parser_parse): a bad
 *   head byte is reported, dropped, and decoding tries again at the next byte, exactly as uD3TN logs
 *   "MTCP: Invalid CBOR byte string header" once per byte. So a garbage prefix is one error per byte,
 *   then the bundle, whatever the chunking (a head cut off by a chunk boundary waits). An over-limit frame is
 *   well-framed, so its bytes are discarded as they arrive (never buffered) and decoding continues
 *   after it; uD3TN instead resynchronises inside it byte by byte.
 * - 'stop': the first error is final and every later next() returns it again.
 */
import type { FarsideError } from '../../errors';
import { MAJOR_BYTES, readHead } from '../cbor/header';
import { ByteQueue } from '../framing/byte-queue';
import { LIMITS } from '../limits';

export type MtcpRecovery = 'resync' | 'stop';

export interface MtcpDecoderOptions {
  /** Largest bundle (byte-string length) accepted; default LIMITS.mtcpMaxFrameBytes. */
  readonly maxFrame?: number;
  /** See the module comment; default 'resync'. */
  readonly recovery?: MtcpRecovery;
}

export type MtcpDecodeStep =
  | { readonly kind: 'bundle'; readonly bundle: Uint8Array }
  | { readonly kind: 'need-more' }
  /** `skipped`: stream bytes given up because of this error (dropped or discarded); 0 with 'stop'. */
  | { readonly kind: 'error'; readonly error: FarsideError; readonly skipped: number };

export interface MtcpDecoder {
  /** Hand over bytes read from the socket (kept by reference: do not reuse the chunk's memory). */
  push(chunk: Uint8Array): void;
  next(): MtcpDecodeStep;
  /** Bytes held for an unfinished frame (non-zero at EOF: the peer closed mid-frame). */
  readonly buffered: number;
}

const NEED_MORE: MtcpDecodeStep = Object.freeze({ kind: 'need-more' });
/** Longest CBOR head: initial byte + 8-byte argument. */
const MAX_HEAD = 9;

export function createMtcpDecoder(options: MtcpDecoderOptions = {}): MtcpDecoder {
  const maxFrame = options.maxFrame ?? LIMITS.mtcpMaxFrameBytes;
  if (!Number.isSafeInteger(maxFrame) || maxFrame < 0) {
    throw new RangeError('createMtcpDecoder: maxFrame must be a non-negative safe integer');
  }
  const recovery: MtcpRecovery = options.recovery ?? 'resync';
  const queue = new ByteQueue();
  let position = 0;
  let failed: MtcpDecodeStep | undefined;
  /** Length of the frame whose head was consumed and whose bytes are awaited; -1 when none. */
  let frameLength = -1;
  /** Bytes of an over-limit frame still to discard. */
  let discard = 0;

  function stop(error: FarsideError): MtcpDecodeStep {
    failed = { kind: 'error', error, skipped: 0 };
    return failed;
  }

  function readFrame(): MtcpDecodeStep {
    const head = readHead(queue.peek(Math.min(MAX_HEAD, queue.length)), 0);
    if (head === 'need-more') return NEED_MORE;
    if (head === 'ill-formed' || head.major !== MAJOR_BYTES || head.value < 0) {
      const error: FarsideError = { code: 'MALFORMED', message: 'MTCP: invalid CBOR byte-string header', offset: position };
      if (recovery === 'stop') return stop(error);
      queue.skip(1);
      position += 1;
      return { kind: 'error', error, skipped: 1 };
    }
    const length = head.value;
    const headSize = head.end;
    if (length > maxFrame) {
      const error: FarsideError = {
        code: 'LIMIT_EXCEEDED',
        message: `MTCP frame of ${length} bytes exceeds ${maxFrame}`,
        offset: position,
      };
      if (recovery === 'stop') return stop(error);
      queue.skip(headSize);
      position += headSize;
      discard = length;
      discardAvailable();
      return { kind: 'error', error, skipped: headSize + length };
    }
    queue.skip(headSize);
    position += headSize;
    frameLength = length;
    return finishFrame();
  }

  function finishFrame(): MtcpDecodeStep {
    if (queue.length < frameLength) return NEED_MORE;
    const bundle = queue.take(frameLength);
    position += frameLength;
    frameLength = -1;
    return { kind: 'bundle', bundle };
  }

  function discardAvailable(): void {
    const n = Math.min(discard, queue.length);
    queue.skip(n);
    position += n;
    discard -= n;
  }

  return {
    push(chunk: Uint8Array): void {
      queue.push(chunk);
    },
    next(): MtcpDecodeStep {
      if (failed !== undefined) return failed;
      if (discard > 0) {
        discardAvailable();
        if (discard > 0) return NEED_MORE;
      }
      if (frameLength >= 0) return finishFrame();
      if (queue.length === 0) return NEED_MORE;
      return readFrame();
    },
    get buffered(): number {
      return queue.length;
    },
  };
}
