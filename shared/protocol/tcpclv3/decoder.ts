/**
 * Resumable TCPCLv3 session decoder (RFC 7242; design.md principle 2) for the bytes one peer sends:
 * first its contact header (§4.1), then messages (§5, §6.1). DATA_SEGMENTs are reassembled into whole
 * bundles; every other message is returned as it comes.
 *
 * - Limits before buffering: the contact-header EID length (LIMITS.eidMaxLength), each segment's length
 *   (maxSegment) and the running size of the bundle being reassembled (maxBundle) are checked from their
 *   SDNVs before any of those bytes are held.
 * - A bundle sent as one segment (S and E set, what uD3TN sends) is a view of the pushed chunk when it
 *   arrives in one chunk. A bundle of several segments is copied once, when its last segment arrives.
 * - A start segment while a bundle is unfinished drops the unfinished one: after a REFUSE_BUNDLE the
 *   sender stops that bundle and its next segment starts a new bundle (§5.4).
 * - Errors are final (TCPCLv3 cannot resynchronise; the session must close): MALFORMED (bad magic, an
 *   unassigned message type, a continuation segment with no bundle started, an EID that is not UTF-8),
 *   UNSUPPORTED (a contact header whose version is not 3; the caller answers SHUTDOWN "version mismatch",
 *   §4.3), LIMIT_EXCEEDED (the limits above, or an SDNV beyond LIMITS.sdnvMaxBytes / 2^53-1).
 */
import type { ErrorCode, FarsideError } from '../../errors';
import { decodeUtf8 } from '../cbor/utf8';
import { ByteQueue } from '../framing/byte-queue';
import { LIMITS } from '../limits';
import {
  CONTACT_EID_LENGTH_AT,
  CONTACT_FLAGS_AT,
  CONTACT_KEEPALIVE_AT,
  CONTACT_VERSION_AT,
  TCPCLV3_MAGIC,
  TCPCLV3_VERSION,
} from './contact-header';
import type { Tcpclv3ContactHeader } from './contact-header';
import {
  DATA_SEGMENT_END,
  DATA_SEGMENT_START,
  SHUTDOWN_HAS_DELAY,
  SHUTDOWN_HAS_REASON,
  TCPCLV3_TYPE_BY_CODE,
} from './messages';
import type { Tcpclv3Message } from './messages';
import { readSdnv } from './sdnv';

export interface Tcpclv3DecoderOptions {
  /** Largest reassembled bundle; default LIMITS.bundleMaxBytes. */
  readonly maxBundle?: number;
  /** Largest single DATA_SEGMENT; default LIMITS.tcpclv3MaxSegmentBytes. */
  readonly maxSegment?: number;
  /**
   * Also return a 'segment' step for every DATA_SEGMENT received (before its bundle step, if it ends
   * one), for a receiver that sends ACK_SEGMENTs (§5.3). Default false.
   */
  readonly reportSegments?: boolean;
}

export type Tcpclv3ControlMessage = Exclude<Tcpclv3Message, { readonly type: 'DATA_SEGMENT' }>;

export type Tcpclv3DecodeStep =
  | { readonly kind: 'contact-header'; readonly header: Tcpclv3ContactHeader }
  | { readonly kind: 'bundle'; readonly bundle: Uint8Array }
  /** `received`: bytes of the current bundle received so far, this segment included (the ACK_SEGMENT value). */
  | { readonly kind: 'segment'; readonly start: boolean; readonly end: boolean; readonly length: number; readonly received: number }
  | { readonly kind: 'message'; readonly message: Tcpclv3ControlMessage }
  | { readonly kind: 'need-more' }
  | { readonly kind: 'error'; readonly error: FarsideError };

export interface Tcpclv3Decoder {
  /** Hand over bytes read from the socket (kept by reference: do not reuse the chunk's memory). */
  push(chunk: Uint8Array): void;
  next(): Tcpclv3DecodeStep;
  /** Bytes received and not yet returned (a partial message, or segments of an unfinished bundle). */
  readonly buffered: number;
}

const NEED_MORE: Tcpclv3DecodeStep = Object.freeze({ kind: 'need-more' });
/** Type byte + the longest SDNV we accept. */
const MAX_SDNV_MESSAGE = 1 + LIMITS.sdnvMaxBytes;

interface PendingSegment {
  readonly start: boolean;
  readonly end: boolean;
  readonly length: number;
}

export function createTcpclv3Decoder(options: Tcpclv3DecoderOptions = {}): Tcpclv3Decoder {
  const maxBundle = options.maxBundle ?? LIMITS.bundleMaxBytes;
  const maxSegment = options.maxSegment ?? LIMITS.tcpclv3MaxSegmentBytes;
  for (const v of [maxBundle, maxSegment]) {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError('createTcpclv3Decoder: limits must be non-negative safe integers');
  }
  const reportSegments = options.reportSegments ?? false;
  const queue = new ByteQueue();
  let position = 0;
  let failed: Tcpclv3DecodeStep | undefined;
  let contactDone = false;
  let segment: PendingSegment | undefined;
  /** Segments of the bundle being reassembled, and their total size; undefined when none is open. */
  let parts: Uint8Array[] | undefined;
  let received = 0;
  /** A bundle completed by the segment just reported, returned by the next call. */
  let completed: Uint8Array | undefined;

  function fail(code: ErrorCode, message: string, offset: number): Tcpclv3DecodeStep {
    failed = { kind: 'error', error: { code, message, offset } };
    return failed;
  }

  function sdnvError(r: 'too-long' | 'too-large', what: string, offset: number): Tcpclv3DecodeStep {
    return fail('LIMIT_EXCEEDED', `${what}: SDNV ${r === 'too-long' ? `longer than ${LIMITS.sdnvMaxBytes} bytes` : 'above 2^53-1'}`, offset);
  }

  function consume(n: number): void {
    queue.skip(n);
    position += n;
  }

  function readContactHeader(): Tcpclv3DecodeStep {
    // Check the magic byte by byte so a peer speaking something else is refused at once.
    const magicSeen = Math.min(TCPCLV3_MAGIC.length, queue.length);
    for (let i = 0; i < magicSeen; i++) {
      if (queue.byteAt(i) !== TCPCLV3_MAGIC[i]) return fail('MALFORMED', 'TCPCLv3 contact header does not start with "dtn!"', position + i);
    }
    if (queue.length <= CONTACT_VERSION_AT) return NEED_MORE;
    const version = queue.byteAt(CONTACT_VERSION_AT);
    if (version !== TCPCLV3_VERSION) {
      return fail('UNSUPPORTED', `TCPCL version ${version}, expected ${TCPCLV3_VERSION}`, position + CONTACT_VERSION_AT);
    }
    if (queue.length <= CONTACT_EID_LENGTH_AT) return NEED_MORE;
    const fixed = queue.peek(Math.min(CONTACT_EID_LENGTH_AT + LIMITS.sdnvMaxBytes, queue.length));
    const eidLength = readSdnv(fixed, CONTACT_EID_LENGTH_AT);
    if (eidLength === 'need-more') return NEED_MORE;
    if (typeof eidLength === 'string') return sdnvError(eidLength, 'contact header EID length', position + CONTACT_EID_LENGTH_AT);
    if (eidLength.value > LIMITS.eidMaxLength) {
      return fail('LIMIT_EXCEEDED', `contact header EID of ${eidLength.value} bytes exceeds ${LIMITS.eidMaxLength}`, position + CONTACT_EID_LENGTH_AT);
    }
    const size = eidLength.end + eidLength.value;
    if (queue.length < size) return NEED_MORE;
    const bytes = queue.peek(size);
    const eid = decodeUtf8(bytes, eidLength.end, size);
    if (eid === undefined) return fail('MALFORMED', 'contact header EID is not valid UTF-8', position + eidLength.end);
    const header: Tcpclv3ContactHeader = {
      version,
      flags: bytes[CONTACT_FLAGS_AT] as number,
      keepaliveSeconds: ((bytes[CONTACT_KEEPALIVE_AT] as number) << 8) | (bytes[CONTACT_KEEPALIVE_AT + 1] as number),
      eid,
    };
    consume(size);
    contactDone = true;
    return { kind: 'contact-header', header };
  }

  function readMessage(): Tcpclv3DecodeStep | null {
    const first = queue.byteAt(0);
    const type = TCPCLV3_TYPE_BY_CODE[first >> 4];
    const flags = first & 0x0f;
    switch (type) {
      case undefined:
        return fail('MALFORMED', `unassigned TCPCLv3 message type 0x${(first >> 4).toString(16)}`, position);
      case 'KEEPALIVE':
        consume(1);
        return { kind: 'message', message: { type } };
      case 'REFUSE_BUNDLE':
        consume(1);
        return { kind: 'message', message: { type, reason: flags } };
      case 'DATA_SEGMENT':
      case 'ACK_SEGMENT':
      case 'LENGTH': {
        const r = readSdnv(queue.peek(Math.min(MAX_SDNV_MESSAGE, queue.length)), 1);
        if (r === 'need-more') return NEED_MORE;
        if (typeof r === 'string') return sdnvError(r, type, position + 1);
        if (type !== 'DATA_SEGMENT') {
          consume(r.end);
          return { kind: 'message', message: { type, length: r.value } };
        }
        return startSegment(flags, r.value, r.end);
      }
      case 'SHUTDOWN': {
        let at = 1;
        let reason: number | undefined;
        let reconnectionDelay: number | undefined;
        if ((flags & SHUTDOWN_HAS_REASON) !== 0) {
          if (queue.length <= at) return NEED_MORE;
          reason = queue.byteAt(at);
          at += 1;
        }
        if ((flags & SHUTDOWN_HAS_DELAY) !== 0) {
          const r = readSdnv(queue.peek(Math.min(at + LIMITS.sdnvMaxBytes, queue.length)), at);
          if (r === 'need-more') return NEED_MORE;
          if (typeof r === 'string') return sdnvError(r, 'SHUTDOWN reconnection delay', position + at);
          reconnectionDelay = r.value;
          at = r.end;
        }
        consume(at);
        return { kind: 'message', message: { type, reason, reconnectionDelay } };
      }
    }
  }

  /** null: a segment was absorbed and there is nothing to report yet; the caller loops. */
  function startSegment(flags: number, length: number, headerSize: number): Tcpclv3DecodeStep | null {
    const start = (flags & DATA_SEGMENT_START) !== 0;
    const end = (flags & DATA_SEGMENT_END) !== 0;
    if (length > maxSegment) return fail('LIMIT_EXCEEDED', `DATA_SEGMENT of ${length} bytes exceeds ${maxSegment}`, position + 1);
    if (start) {
      parts = [];
      received = 0;
    } else if (parts === undefined) {
      return fail('MALFORMED', 'DATA_SEGMENT continues a bundle that was never started (S flag missing)', position);
    }
    if (received + length > maxBundle) {
      return fail('LIMIT_EXCEEDED', `bundle of at least ${received + length} bytes exceeds ${maxBundle}`, position + 1);
    }
    consume(headerSize);
    segment = { start, end, length };
    return finishSegment(segment);
  }

  function finishSegment(s: PendingSegment): Tcpclv3DecodeStep | null {
    if (queue.length < s.length) return NEED_MORE;
    const data = queue.take(s.length);
    position += s.length;
    segment = undefined;
    const open = parts as Uint8Array[];
    open.push(data);
    received += s.length;
    if (s.end) {
      completed = open.length === 1 ? data : join(open, received);
      parts = undefined;
    }
    return reportSegments ? { kind: 'segment', start: s.start, end: s.end, length: s.length, received } : null;
  }

  function takeCompleted(): Tcpclv3DecodeStep | undefined {
    if (completed === undefined) return undefined;
    const bundle = completed;
    completed = undefined;
    return { kind: 'bundle', bundle };
  }

  return {
    push(chunk: Uint8Array): void {
      queue.push(chunk);
    },
    next(): Tcpclv3DecodeStep {
      // A loop, not recursion: a chunk may hold any number of small segments.
      for (;;) {
        if (failed !== undefined) return failed;
        const done = takeCompleted();
        if (done !== undefined) return done;
        let step: Tcpclv3DecodeStep | null;
        if (segment !== undefined) step = finishSegment(segment);
        else if (queue.length === 0) return NEED_MORE;
        else step = contactDone ? readMessage() : readContactHeader();
        if (step !== null) return step;
      }
    },
    get buffered(): number {
      return queue.length + (parts === undefined ? 0 : received);
    },
  };
}

function join(chunks: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
