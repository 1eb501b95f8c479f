/**
 * Sending bundles as MTCP frames over one socket: the CBOR byte-string head (shared/protocol/mtcp)
 * followed by the bundle's parts, written as one corked unit (protocols.md §6.2). Used by MTCP links
 * and by SMTCP's single connection.
 */
import { err } from '../../../shared/errors';
import type { Result } from '../../../shared/errors';
import { encodeMtcpHeader } from '../../../shared/protocol/mtcp';
import type { SocketWriter } from './socket-writer';

/** Frame and write one bundle given as gather parts; LIMIT_EXCEEDED above `maxFrameBytes`. */
export function sendMtcpFrame(writer: SocketWriter, parts: readonly Uint8Array[], maxFrameBytes: number): Promise<Result<void>> {
  let length = 0;
  for (const part of parts) length += part.length;
  if (length > maxFrameBytes) {
    return Promise.resolve(err('LIMIT_EXCEEDED', `bundle of ${length} bytes exceeds the MTCP frame limit of ${maxFrameBytes}`));
  }
  return writer.write(encodeMtcpHeader(length), parts);
}
