/**
 * Writing one AAP message given as gather parts (header, payload view) to a connection, for deliveries:
 * the parts go out in one writev (cork/uncork), never concatenated, so a 10 MiB payload is not copied,
 * and never interleaved with a reply written by the same connection.
 */
import type { Socket } from 'node:net';

/**
 * Resolves true once the kernel took the last part (its write callback fired without error): "written to
 * the socket", which for AAP v1 (no acknowledgement to wait for) is AgentSink.deliver's true of an
 * `unacknowledged` sink: the bundle then settles in delivery.ts. Resolves false when the socket is
 * closed or the write fails.
 */
export function writeParts(socket: Socket, parts: readonly Uint8Array[]): Promise<boolean> {
  if (socket.destroyed || !socket.writable) return Promise.resolve(false);
  return new Promise((resolve) => {
    socket.cork();
    const last = parts.length - 1;
    for (let i = 0; i < last; i++) socket.write(parts[i] as Uint8Array);
    socket.write(parts[last] as Uint8Array, (e) => resolve(e === undefined || e === null));
    socket.uncork();
  });
}
