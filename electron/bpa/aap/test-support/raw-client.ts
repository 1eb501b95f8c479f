/**
 * A byte-level test client for the AAP servers: writes exactly the bytes a test gives it and reads
 * exactly what the server sends, so replies can be compared byte for byte with the uD3TN vectors.
 */
import { connect, type Socket } from 'node:net';

export type RawTarget = { readonly host: string; readonly port: number } | { readonly path: string };

export interface RawClient {
  write(bytes: Uint8Array): Promise<void>;
  /** Exactly `n` bytes, or a rejection after `timeoutMs` (with what arrived so far in the message). */
  read(n: number, timeoutMs?: number): Promise<Uint8Array>;
  /** Everything that arrives until nothing more came for `quietMs`. */
  drain(quietMs?: number): Promise<Uint8Array>;
  /** Resolves when the server closed the connection. */
  readonly closed: Promise<void>;
  isClosed(): boolean;
  end(): void;
  /** Drop the connection at once, as a killed process does (unread bytes are discarded). */
  destroy(): void;
}

export function connectRaw(target: RawTarget): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket: Socket = 'path' in target ? connect(target.path) : connect(target.port, target.host);
    const received: Buffer[] = [];
    let size = 0;
    let wake: (() => void) | null = null;
    let isClosed = false;
    const closed = new Promise<void>((r) => socket.once('close', () => {
      isClosed = true;
      wake?.();
      r();
    }));
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      size += chunk.length;
      wake?.();
    });
    socket.on('error', () => undefined);

    function take(n: number): Uint8Array {
      const all = Buffer.concat(received);
      received.length = 0;
      if (all.length > n) received.push(all.subarray(n));
      size = all.length - n;
      return new Uint8Array(all.subarray(0, n));
    }

    const waitChange = (ms: number): Promise<boolean> =>
      new Promise((r) => {
        const t = setTimeout(() => {
          wake = null;
          r(false);
        }, ms);
        wake = () => {
          clearTimeout(t);
          wake = null;
          r(true);
        };
      });

    const client: RawClient = {
      write: (bytes) => new Promise((r) => socket.write(bytes, () => r())),
      async read(n, timeoutMs = 3000) {
        const deadline = Date.now() + timeoutMs;
        while (size < n) {
          const left = deadline - Date.now();
          if (left <= 0 || (isClosed && size < n)) {
            throw new Error(`expected ${n} bytes, got ${size}${isClosed ? ' (closed)' : ''}: ${Buffer.concat(received).toString('hex')}`);
          }
          await waitChange(left);
        }
        return take(n);
      },
      async drain(quietMs = 200) {
        while (!isClosed && (await waitChange(quietMs)));
        return take(size);
      },
      closed,
      isClosed: () => isClosed,
      end: () => socket.end(),
      destroy: () => socket.destroy(),
    };
    socket.once('connect', () => resolve(client));
    socket.once('error', reject);
  });
}
