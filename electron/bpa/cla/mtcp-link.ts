/**
 * Sending bundles as MTCP frames over one socket: the CBOR byte-string head (shared/protocol/mtcp)
 * followed by the bundle's parts, written as one corked unit (protocols.md §6.2). Used by MTCP links
 * and by SMTCP's single connection.
 */
import type { Socket } from 'node:net';
import { err } from '../../../shared/errors';
import type { Result } from '../../../shared/errors';
import { encodeMtcpHeader } from '../../../shared/protocol/mtcp';
import { receiveMtcp } from './mtcp-receiver';
import type { MtcpReceiverOptions } from './mtcp-receiver';
import { createSocketWriter } from './socket-writer';
import type { SocketWriter } from './socket-writer';

/** Frame and write one bundle given as gather parts; LIMIT_EXCEEDED above `maxFrameBytes`. */
function sendMtcpFrame(writer: SocketWriter, parts: readonly Uint8Array[], maxFrameBytes: number): Promise<Result<void>> {
  let length = 0;
  for (const part of parts) length += part.length;
  if (length > maxFrameBytes) {
    return Promise.resolve(err('LIMIT_EXCEEDED', `bundle of ${length} bytes exceeds the MTCP frame limit of ${maxFrameBytes}`));
  }
  return writer.write(encodeMtcpHeader(length), parts);
}

/** One MTCP socket, both ways. */
export interface MtcpConnection {
  /** Frame and write one bundle (sendMtcpFrame); CONNECTION_CLOSED once the socket closed. */
  send(parts: readonly Uint8Array[]): Promise<Result<void>>;
  /** Resolves when the socket closed. */
  readonly closed: Promise<void>;
}

/**
 * Read frames off `socket` into the sink and write bundles to it. Both ways whichever side opened it:
 * uD3TN runs an RX task on every TCP link, outgoing ones included (`cla_tcp_link_init`: "A TCP link
 * _always_ needs an RX task"), so frames a peer writes back are read and delivered, not ignored.
 */
export function startMtcpConnection(socket: Socket, opts: MtcpReceiverOptions): MtcpConnection {
  receiveMtcp(socket, opts);
  const writer = createSocketWriter(socket);
  return {
    send: (parts) => sendMtcpFrame(writer, parts, opts.maxFrameBytes),
    closed: new Promise<void>((resolve) => socket.once('close', () => resolve())),
  };
}
