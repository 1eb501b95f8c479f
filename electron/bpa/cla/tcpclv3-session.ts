/**
 * One TCPCLv3 session (RFC 7242) over a connected socket, whichever side opened it: both sides send a
 * contact header at once (§4), then DATA_SEGMENTs flow BOTH ways (issue 3: "a session carries bundles
 * both ways"). Byte layouts, segment reassembly and limits are shared/protocol/tcpclv3's resumable
 * decoder; this file is the session logic around it.
 *
 * What we send is what uD3TN v0.13 sends (protocols.md §6.4, `cla_tcpclv3_generate_contact_header`):
 * contact header flags 0 (no ACKs, no reactive fragmentation, no refusal, no LENGTH) and our keepalive
 * (0 by default, as uD3TN), then each bundle as ONE DATA_SEGMENT with S and E set (`tcpclv3_begin_packet`),
 * the only form uD3TN parses. We accept more than we send:
 * - bundles split over several DATA_SEGMENTs (joined by the decoder);
 * - ACK_SEGMENT, REFUSE_BUNDLE and LENGTH are read and ignored: with our flags 0 none of them is enabled
 *   (§4.3; ION computes "acks = ours && theirs" the same way), so no peer waits for our ACKs;
 * - KEEPALIVE: with a negotiated interval (min of both headers, 0 in either disables it, §4.3) we send one
 *   when nothing was sent for an interval and end the session after two intervals of silence (§5.6);
 * - SHUTDOWN: we stop sending and close (§6.1); we send one (no reason) when we close a session;
 * - a contact header with a version other than 3 gets SHUTDOWN "version mismatch" (§4.3), one whose
 *   node ID is not an EID is refused (uD3TN `validate_eid` in `cla_tcpclv3_perform_handshake`).
 * Anything unparseable closes this session only: TCPCLv3 cannot resynchronise.
 */
import type { Socket } from 'node:net';
import { err, ok } from '../../../shared/errors';
import type { FarsideError, Result } from '../../../shared/errors';
import { parseEid } from '../../../shared/protocol/bpv7/eid';
import {
  createTcpclv3Decoder,
  encodeTcpclv3DataSegmentHeader,
  encodeTcpclv3Message,
  TCPCLV3_SHUTDOWN_REASON,
} from '../../../shared/protocol/tcpclv3';
import type { Tcpclv3ContactHeader, Tcpclv3ControlMessage } from '../../../shared/protocol/tcpclv3';
import type { BundleSink, Clock, ClaOrigin, Log } from '../types';
import { createSocketWriter } from './socket-writer';
import { closeSocket, errorCodeOf } from './tcp-socket';

export interface SessionConfig {
  /** Our contact header, encoded once by the CLA. */
  readonly contactHeader: Uint8Array;
  /** The keepalive interval that header offers, seconds (0: none, as uD3TN). */
  readonly keepaliveSeconds: number;
  readonly sink: BundleSink;
  readonly log: Log;
  /** Largest bundle reassembled from segments. */
  readonly maxBundleBytes: number;
  /** Largest single DATA_SEGMENT read or written. */
  readonly maxSegmentBytes: number;
  /** How long we wait for the peer's contact header before closing. */
  readonly handshakeTimeoutMs: number;
  readonly clock: Clock;
}

export interface Tcpclv3Session {
  /** The node ID the peer sent in its contact header. */
  readonly peerNodeId: string;
  readonly remote: string;
  readonly direction: 'in' | 'out';
  /** Negotiated keepalive interval, seconds; 0 when disabled. */
  readonly keepaliveSeconds: number;
  /** False once either side started closing. */
  readonly isOpen: boolean;
  /** Send one bundle as one DATA_SEGMENT with S and E set. */
  send(parts: readonly Uint8Array[]): Promise<Result<void>>;
  /** SHUTDOWN, then close the connection (gracefully; destroyed after a grace period). */
  close(): Promise<void>;
  /** Resolves once the connection is gone, whoever closed it. */
  readonly done: Promise<void>;
}

/** Negotiated keepalive (RFC 7242 §4.3): the minimum of both intervals, disabled if either is 0. */
export function negotiateKeepalive(ours: number, theirs: number): number {
  return ours === 0 || theirs === 0 ? 0 : Math.min(ours, theirs);
}

/** A control message's bytes; the inputs below are constants, so a failure is a programmer error. */
function control(message: Tcpclv3ControlMessage): Uint8Array {
  const r = encodeTcpclv3Message(message);
  if (!r.ok) throw new RangeError(r.error.message);
  return r.value;
}
const KEEPALIVE = control({ type: 'KEEPALIVE' });
const SHUTDOWN = control({ type: 'SHUTDOWN', reason: undefined, reconnectionDelay: undefined });
const SHUTDOWN_IDLE = control({ type: 'SHUTDOWN', reason: TCPCLV3_SHUTDOWN_REASON.IDLE_TIMEOUT, reconnectionDelay: undefined });
const SHUTDOWN_VERSION = control({ type: 'SHUTDOWN', reason: TCPCLV3_SHUTDOWN_REASON.VERSION_MISMATCH, reconnectionDelay: undefined });
const NO_PARTS: readonly Uint8Array[] = [];

/**
 * Send our contact header on `socket`, read the peer's, and resolve with the established session, or
 * with an error once the handshake failed (the socket is then closed). Never throws out of socket
 * handlers; a sink that throws is logged and the session goes on.
 */
export function startSession(socket: Socket, direction: 'in' | 'out', remote: string, config: SessionConfig): Promise<Result<Tcpclv3Session>> {
  const { log, sink, clock } = config;
  const writer = createSocketWriter(socket);
  const decoder = createTcpclv3Decoder({ maxBundle: config.maxBundleBytes, maxSegment: config.maxSegmentBytes });

  let phase: 'handshake' | 'open' | 'closing' = 'handshake';
  let lastSent = clock();
  let lastReceived = clock();
  let keepaliveTimer: ReturnType<typeof setInterval> | undefined;
  let origin: ClaOrigin = { cla: 'tcpclv3', remote };
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((r) => (resolveDone = r));

  const close = (shutdown: Uint8Array | null): Promise<void> => {
    if (phase !== 'closing') {
      phase = 'closing';
      if (shutdown !== null) void writer.write(shutdown, NO_PARTS);
    }
    return closeSocket(socket);
  };

  const deliver = (bundle: Uint8Array): void => {
    try {
      sink(bundle, origin);
    } catch (e) {
      log({ event: 'cla.sink_failed', cla: 'tcpclv3', remote, bytes: bundle.length, error: errorCodeOf(e) });
    }
  };

  const onControl = (m: Tcpclv3ControlMessage): void => {
    switch (m.type) {
      case 'ACK_SEGMENT':
      case 'LENGTH':
      case 'KEEPALIVE':
        return; // lastReceived already moved: any message counts as traffic (§5.6)
      case 'REFUSE_BUNDLE':
        log({ event: 'cla.bundle_refused', cla: 'tcpclv3', remote, reason: m.reason });
        return;
      case 'SHUTDOWN':
        log({ event: 'cla.shutdown_received', cla: 'tcpclv3', remote, reason: m.reason ?? null });
        void close(null);
        return;
    }
  };

  const startKeepalive = (seconds: number): void => {
    if (seconds === 0) return;
    const intervalMs = seconds * 1000;
    // Checked four times per interval: a KEEPALIVE goes out between 1 and 1.25 intervals after the last
    // message we sent, well within the peer's 2-interval idle limit (§5.6).
    keepaliveTimer = setInterval(() => {
      const now = clock();
      if (now - lastReceived >= 2 * intervalMs) {
        log({ event: 'cla.idle_timeout', cla: 'tcpclv3', remote, keepaliveSeconds: seconds });
        void close(SHUTDOWN_IDLE);
      } else if (now - lastSent >= intervalMs) {
        lastSent = now;
        void writer.write(KEEPALIVE, NO_PARTS);
      }
    }, intervalMs / 4);
    keepaliveTimer.unref();
  };

  const send = (parts: readonly Uint8Array[]): Promise<Result<void>> => {
    if (phase !== 'open') return Promise.resolve(err('CONNECTION_CLOSED', 'the TCPCLv3 session is closed'));
    let length = 0;
    for (const p of parts) length += p.length;
    if (length > config.maxSegmentBytes) {
      return Promise.resolve(err('LIMIT_EXCEEDED', `bundle of ${length} bytes exceeds the TCPCLv3 segment limit of ${config.maxSegmentBytes}`));
    }
    lastSent = clock();
    return writer.write(encodeTcpclv3DataSegmentHeader(length, true, true), parts);
  };

  return new Promise((resolve) => {
    let settled = false;
    const settle = (r: Result<Tcpclv3Session>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(handshakeTimer);
      resolve(r);
    };
    const refuse = (reason: string, shutdown: Uint8Array | null): void => {
      log({ event: 'cla.handshake_failed', cla: 'tcpclv3', remote, direction, reason });
      void close(shutdown);
      settle(err('CONNECTION_FAILED', `TCPCLv3 handshake with ${remote} failed: ${reason}`));
    };
    const handshakeTimer = setTimeout(() => refuse('no contact header in time', null), config.handshakeTimeoutMs);
    handshakeTimer.unref();

    const establish = (header: Tcpclv3ContactHeader): void => {
      const eid = parseEid(header.eid);
      if (!eid.ok) return refuse(`peer node ID is not an EID: ${eid.error.message}`, null);
      const keepaliveSeconds = negotiateKeepalive(config.keepaliveSeconds, header.keepaliveSeconds);
      phase = 'open';
      origin = { cla: 'tcpclv3', peerNodeId: header.eid, remote };
      log({ event: 'cla.session_established', cla: 'tcpclv3', remote, direction, peer: header.eid, keepaliveSeconds });
      startKeepalive(keepaliveSeconds);
      settle(
        ok({
          peerNodeId: header.eid,
          remote,
          direction,
          keepaliveSeconds,
          get isOpen() {
            return phase === 'open';
          },
          send,
          close: () => close(SHUTDOWN),
          done,
        }),
      );
    };

    const onError = (error: FarsideError): void => {
      if (phase === 'handshake') return refuse(error.message, error.code === 'UNSUPPORTED' ? SHUTDOWN_VERSION : null);
      log({ event: 'cla.protocol_error', cla: 'tcpclv3', remote, error: error.code, message: error.message });
      void close(null);
    };

    // A function, not an inline test: the handlers called below change `phase`.
    const closing = (): boolean => phase === 'closing';

    socket.on('data', (chunk: Buffer) => {
      if (closing()) return;
      lastReceived = clock();
      decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      while (!closing()) {
        const step = decoder.next();
        switch (step.kind) {
          case 'need-more':
            return;
          case 'contact-header':
            establish(step.header);
            break;
          case 'bundle':
            deliver(step.bundle);
            break;
          case 'message':
            onControl(step.message);
            break;
          case 'segment':
            break; // only reported with reportSegments, which we do not ask for
          case 'error':
            onError(step.error);
            return;
        }
      }
    });

    socket.once('close', () => {
      phase = 'closing';
      if (keepaliveTimer !== undefined) clearInterval(keepaliveTimer);
      const pending = decoder.buffered;
      if (pending > 0 && settled) log({ event: 'cla.partial_bundle_dropped', cla: 'tcpclv3', remote, bytes: pending });
      settle(err('CONNECTION_CLOSED', `${remote} closed the connection during the TCPCLv3 handshake`));
      resolveDone();
    });

    void writer.write(config.contactHeader, NO_PARTS);
  });
}
