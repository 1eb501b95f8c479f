/**
 * Writes gather lists (frame header, bundle parts) to a socket without concatenating them, with
 * backpressure. Every CLA writes through one of these per connection so that the parts of one bundle
 * are never interleaved with anything else (TCPCLv3 keepalives, a second sender).
 */
import type { Socket } from 'node:net';
import { err, ok } from '../../../shared/errors';
import type { Result } from '../../../shared/errors';

export interface SocketWriter {
  /**
   * Write `head` then `parts` as one unit and resolve once the socket has taken them: at once while the socket's
   * buffer is under its high-water mark, else after 'drain'. Calls are served in order; a call waits
   * for the previous one's drain, so a slow reader holds at most one unit plus the high-water mark in
   * memory. Resolves CONNECTION_CLOSED once the socket is closed or ending.
   */
  write(head: Uint8Array, parts: readonly Uint8Array[]): Promise<Result<void>>;
}

const DONE: Result<void> = ok(undefined);
/** The common case (written below the high-water mark) shares one settled promise: no allocation per send. */
const DONE_NOW: Promise<Result<void>> = Promise.resolve(DONE);

export function createSocketWriter(socket: Socket): SocketWriter {
  /** The previous write while it waits for 'drain'; later writes queue behind it. */
  let waiting: Promise<Result<void>> | null = null;

  const closed = (): Result<void> => err('CONNECTION_CLOSED', 'the connection is closed');

  const waitDrain = (): Promise<Result<void>> =>
    new Promise((resolve) => {
      const onDrain = (): void => {
        cleanup();
        resolve(DONE);
      };
      const onClose = (): void => {
        cleanup();
        resolve(closed());
      };
      const cleanup = (): void => {
        socket.off('drain', onDrain);
        socket.off('close', onClose);
      };
      socket.on('drain', onDrain);
      socket.on('close', onClose);
    });

  const writeNow = (head: Uint8Array, parts: readonly Uint8Array[]): Result<void> | Promise<Result<void>> => {
    if (socket.destroyed || !socket.writable) return closed();
    // cork/uncork: Node hands all parts to the kernel in one writev (no copy, no Nagle-sized pieces).
    socket.cork();
    let below = head.length > 0 ? socket.write(head) : true;
    for (const part of parts) if (part.length > 0) below = socket.write(part);
    socket.uncork();
    return below ? DONE : waitDrain();
  };

  return {
    write(head, parts) {
      if (waiting === null) {
        const r = writeNow(head, parts);
        if (r === DONE) return DONE_NOW;
        if (!(r instanceof Promise)) return Promise.resolve(r);
        const p = r.finally(() => {
          if (waiting === p) waiting = null;
        });
        waiting = p;
        return p;
      }
      const p: Promise<Result<void>> = waiting
        .then(() => writeNow(head, parts))
        .finally(() => {
          if (waiting === p) waiting = null;
        });
      waiting = p;
      return p;
    },
  };
}
