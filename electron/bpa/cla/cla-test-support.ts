/**
 * Helpers for the CLA integration tests: a sink and a log that record what they get, and raw sockets
 * that play the peer byte for byte.
 */
import { createConnection, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { createEventRecorder } from '../../test-support/waiting';
import type { BundleSink, ClaOrigin, Log, LogEvent } from '../types';

export interface Received {
  readonly bytes: Uint8Array;
  readonly origin: ClaOrigin;
}

export interface RecordingSink {
  readonly sink: BundleSink;
  readonly received: Received[];
  /** Resolves once `n` bundles arrived; rejects after `timeoutMs`. */
  waitFor(n: number, timeoutMs?: number): Promise<Received[]>;
}

export function recordingSink(): RecordingSink {
  const received: Received[] = [];
  let wake: (() => void) | null = null;
  return {
    received,
    sink: (bytes, origin) => {
      received.push({ bytes, origin });
      wake?.();
    },
    waitFor: (n, timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        const check = (): boolean => {
          if (received.length < n) return false;
          clearTimeout(timer);
          wake = null;
          resolve(received);
          return true;
        };
        const timer = setTimeout(() => {
          wake = null;
          reject(new Error(`waited for ${n} bundles, got ${received.length}`));
        }, timeoutMs);
        if (!check()) wake = () => void check();
      }),
  };
}

export interface RecordingLog {
  readonly log: Log;
  readonly events: readonly LogEvent[];
  named(event: string): LogEvent[];
  /** Resolves once an event with this name was logged. */
  waitFor(event: string, timeoutMs?: number): Promise<LogEvent>;
}

export function recordingLog(): RecordingLog {
  const recorder = createEventRecorder<LogEvent>({ timeoutMs: 5000 });
  return {
    events: recorder.events,
    log: recorder.record,
    named: (event) => recorder.named(event),
    waitFor: (event, timeoutMs) => recorder.waitFor(event, undefined, timeoutMs),
  };
}

/** Poll `probe` every 10 ms until it returns a value; rejects after `timeoutMs`. */
export async function waitUntil<T>(probe: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The port of a CLA address "host:port". */
export function portOf(address: string): number {
  return Number(address.slice(address.lastIndexOf(':') + 1));
}

/** A raw TCP client connected to 127.0.0.1:port. */
export function rawConnect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Everything a socket receives, with a way to wait for a byte count or for the peer to close. */
export interface Capture {
  bytes(): Uint8Array;
  waitForBytes(n: number, timeoutMs?: number): Promise<Uint8Array>;
  /** Resolves when the socket closed (the other side ended it). */
  readonly closed: Promise<void>;
}

export function capture(socket: Socket): Capture {
  const got: Buffer[] = [];
  let total = 0;
  let wake: (() => void) | null = null;
  socket.on('data', (c: Buffer) => {
    got.push(c);
    total += c.length;
    wake?.();
  });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const bytes = (): Uint8Array => new Uint8Array(Buffer.concat(got));
  return {
    bytes,
    closed,
    waitForBytes: (n, timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`waited for ${n} bytes, got ${total}`)), timeoutMs);
        const check = (): void => {
          if (total < n) return;
          clearTimeout(timer);
          wake = null;
          resolve(bytes());
        };
        wake = check;
        check();
      }),
  };
}

/** A raw TCP server on 127.0.0.1 that hands each accepted socket to the test. */
export async function rawServer(): Promise<{ server: Server; port: number; next(): Promise<Socket>; close(): Promise<void> }> {
  const queue: Socket[] = [];
  const waiting: ((s: Socket) => void)[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    const w = waiting.shift();
    if (w !== undefined) w(s);
    else queue.push(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = addr !== null && typeof addr === 'object' ? addr.port : 0;
  return {
    server,
    port,
    next: () => {
      const s = queue.shift();
      return s !== undefined ? Promise.resolve(s) : new Promise((resolve) => waiting.push(resolve));
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Write and wait until the bytes were handed to the kernel. */
export function writeAll(socket: Socket, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => socket.write(bytes, (e) => (e ? reject(e) : resolve())));
}

/** Flip bit `bit` of the byte at `at` (modulo the length): a deterministic mutation. */
export function flipBit(bytes: Uint8Array, at: number, bit: number): void {
  const i = at % bytes.length;
  bytes[i] = (bytes[i] ?? 0) ^ (1 << bit);
}

/** Deterministic pseudo-random bytes (a test must not depend on Math.random). */
export function patternBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
