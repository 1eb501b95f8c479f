/**
 * The "peer" path, the baseline measured in the same run when no uD3TN is at hand: the same payloads,
 * stop-and-wait, through one loopback TCP socket with no BP node in between. The sender writes a 4-byte
 * length and the payload, the receiver copies the message into a buffer of its own (as any framed reader
 * must) and answers one byte, and only then does the next message go. Both ends run in this process.
 * Timed like the AAP runs: from the first write to the last message fully received.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

const ACK = Buffer.from([1]);

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      if (a === null || typeof a === 'string') reject(new Error('no TCP address'));
      else resolve(a.port);
    });
  });
}

/** Seconds to move `count` copies of `payload` over one loopback socket, stop-and-wait. */
export async function tcpPeerSeconds(payload: Uint8Array, count: number): Promise<number> {
  const frame = 4 + payload.length;
  const message = new Uint8Array(frame);
  let lastReceived = 0;
  const server = createServer((socket: Socket) => {
    let filled = 0;
    let messages = 0;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      let at = 0;
      while (at < chunk.length) {
        const n = Math.min(frame - filled, chunk.length - at);
        message.set(chunk.subarray(at, at + n), filled);
        filled += n;
        at += n;
        if (filled === frame) {
          filled = 0;
          if (++messages === count) lastReceived = performance.now();
          socket.write(ACK);
        }
      }
    });
  });
  const port = await listen(server);
  const client = await new Promise<Socket>((resolve, reject) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
  client.setNoDelay(true);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(payload.length);
  let acked: () => void = () => undefined;
  client.on('data', (chunk: Buffer) => {
    for (let i = 0; i < chunk.length; i++) acked();
  });
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const ack = new Promise<void>((resolve) => (acked = resolve));
    client.cork();
    client.write(header);
    client.write(payload);
    client.uncork();
    await ack;
  }
  client.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return (lastReceived - start) / 1000;
}
