/**
 * Reads MTCP frames off one socket and hands each bundle to the sink. Shared by MTCP (listener
 * connections and, like uD3TN's RX task on an outgoing link, the link's own socket) and SMTCP.
 *
 * The framing itself is shared/protocol/mtcp's resumable decoder; this file only moves bytes, delivers
 * frames, and logs what the decoder skipped. Like uD3TN (`mtcp_parser_parse`: "Invalid CBOR byte string
 * header provided", skip 1 byte), the decoder resynchronises after an invalid header instead of closing:
 * a malformed frame never stops the connection or loses the frames after it (ud3tn-behaviour.md §4).
 */
import type { Socket } from 'node:net';
import { createMtcpDecoder } from '../../../shared/protocol/mtcp';
import type { BundleSink, ClaOrigin, Log } from '../types';
import { errorCodeOf } from './tcp-socket';

export interface MtcpReceiverOptions {
  readonly origin: ClaOrigin;
  readonly sink: BundleSink;
  readonly log: Log;
  /** Largest frame accepted (LIMITS.mtcpMaxFrameBytes unless the CLA was given its own). */
  readonly maxFrameBytes: number;
}

/** Start reading MTCP frames from `socket`. Never throws out of the socket's handlers. */
export function receiveMtcp(socket: Socket, opts: MtcpReceiverOptions): void {
  const { origin, sink, log, maxFrameBytes } = opts;
  const { cla, remote } = origin;
  const decoder = createMtcpDecoder({ maxFrame: maxFrameBytes, recovery: 'resync' });

  const deliver = (bundle: Uint8Array): void => {
    try {
      sink(bundle, origin);
    } catch (e) {
      log({ event: 'cla.sink_failed', cla, remote, bytes: bundle.length, error: errorCodeOf(e) });
    }
  };

  socket.on('data', (chunk: Buffer) => {
    // A plain Uint8Array view (no copy): shared/ codecs and the sink see no Buffer.
    decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    // The decoder reports each skipped garbage byte (uD3TN logs once per byte); we log one line per run.
    let resynced = 0;
    for (;;) {
      const step = decoder.next();
      if (step.kind === 'need-more') break;
      if (step.kind === 'bundle') {
        if (resynced > 0) {
          log({ event: 'cla.resync', cla, remote, skippedBytes: resynced });
          resynced = 0;
        }
        deliver(step.bundle);
      } else if (step.error.code === 'LIMIT_EXCEEDED') {
        // Well-framed but too large: the decoder discards it as it arrives, without buffering it.
        log({ event: 'cla.frame_too_large', cla, remote, skippedBytes: step.skipped, max: maxFrameBytes });
      } else {
        resynced += step.skipped;
      }
    }
    if (resynced > 0) log({ event: 'cla.resync', cla, remote, skippedBytes: resynced });
  });

  socket.once('close', () => {
    const partial = decoder.buffered;
    if (partial > 0) log({ event: 'cla.partial_frame_dropped', cla, remote, bytes: partial });
  });
}
