/**
 * One AAP connection's plumbing, the same in the AAP v1 and AAP 2.0 servers (aap-server.ts,
 * aap2-server.ts): its log name and connect/disconnect lines, the registration it holds, writes that stop
 * once it is closed, the read timer for an unfinished message, a clean close from either side, and the
 * pump's backpressure (reading held while the processor answers, and while the client does not read its
 * replies). What is decoded and what is answered stays in each server.
 */
import type { Socket } from 'node:net';
import type { Log } from '../types';

export interface ConnectionRegistration {
  readonly eid: string;
  release(): void;
}

export interface AapConnectionOptions {
  /** Log event prefix: 'aap' (v1) or 'aap2'. */
  readonly protocol: 'aap' | 'aap2';
  readonly log: Log;
  /** How long a message may stay unfinished with no byte arriving before `onReadTimeout`. */
  readonly readTimeoutMs: number;
  /** Bytes read (the read timer is already stopped). */
  onData(bytes: Uint8Array): void;
  /** Nothing arrived for readTimeoutMs while a message was unfinished. */
  onReadTimeout(): void;
  /** The connection closed (from either side), after the read timer stopped and the registration was released. */
  onClose?(): void;
}

export interface AapConnection {
  /** Log name of the connection, e.g. "aap1#3". */
  readonly conn: string;
  readonly closed: boolean;
  /** The registration this connection holds, or null. */
  readonly registration: ConnectionRegistration | null;
  /** Hold a new registration (the previous one must be released first). */
  register(registration: ConnectionRegistration): void;
  /** Drop the registration held (when there is one), with a `.deregistered` log line. */
  release(): void;
  /** Write unless the connection is closed. */
  send(bytes: Uint8Array): void;
  /** End the connection after the bytes already written (e.g. a final NACK), with a `.closing` log line. */
  shut(reason: string, fields?: Record<string, string | number>): void;
  /**
   * Run `step` (decode and answer one message) until it returns 'need-more' or the connection closes,
   * unless the pump is running already, writes corked; a step's pending answer is awaited with reading
   * held (TCP backpressure), so replies keep their order. A throw is logged as `.internal_error`, answered
   * by `onInternalError`, and closes the connection. Afterwards the read timer is armed if `unfinished()`,
   * and reading stops while the client does not read its replies.
   */
  pump(step: () => PumpStep, onInternalError: () => void, unfinished: () => boolean): Promise<void>;
}

/** What one decoded step asks of the pump: stop until more bytes come, go on, or go on once this answer is written. */
export type PumpStep = 'need-more' | Promise<void> | undefined;

/** Connections counted per protocol, for their log names. */
const counters = { aap: 0, aap2: 0 };

export function openAapConnection(socket: Socket, o: AapConnectionOptions): AapConnection {
  const { protocol, log } = o;
  const conn = `${protocol === 'aap' ? 'aap1' : 'aap2'}#${++counters[protocol]}`;
  let registration: ConnectionRegistration | null = null;
  let closed = false;
  let pumping = false;
  let readTimer: NodeJS.Timeout | undefined;

  log({ event: `${protocol}.connected`, conn, remote: socket.remoteAddress ?? 'unix' });

  function release(): void {
    if (registration === null) return;
    registration.release();
    log({ event: `${protocol}.deregistered`, conn, eid: registration.eid });
    registration = null;
  }

  function cleanup(): void {
    clearTimeout(readTimer);
    release();
    o.onClose?.();
  }

  function send(bytes: Uint8Array): void {
    if (!closed) socket.write(bytes);
  }

  function shut(reason: string, fields: Record<string, string | number> = {}): void {
    if (closed) return;
    log({ event: `${protocol}.closing`, conn, reason, ...fields });
    closed = true;
    cleanup();
    socket.destroySoon();
  }

  function armReadTimer(): void {
    clearTimeout(readTimer);
    readTimer = setTimeout(o.onReadTimeout, o.readTimeoutMs);
  }

  async function pump(step: () => PumpStep, onInternalError: () => void, unfinished: () => boolean): Promise<void> {
    if (pumping) return;
    pumping = true;
    socket.cork();
    try {
      while (!closed) {
        const next = step();
        if (next === 'need-more') break;
        if (next !== undefined) await hold(next);
      }
    } catch (e) {
      log({ event: `${protocol}.internal_error`, conn, message: e instanceof Error ? e.message : String(e) });
      onInternalError();
      shut('internal error');
    } finally {
      socket.uncork();
      pumping = false;
    }
    if (closed) return;
    if (unfinished()) armReadTimer();
    if (socket.writableNeedDrain) {
      // The client does not read its replies: stop reading its requests until it does.
      socket.pause();
      socket.once('drain', () => {
        if (!closed && !pumping) socket.resume();
      });
    }
  }

  /** Await the processor's answer with reading held (TCP backpressure); replies keep their order. */
  async function hold(pending: Promise<void>): Promise<void> {
    socket.uncork();
    socket.pause();
    await pending;
    if (!closed) socket.resume();
    socket.cork();
  }

  socket.on('data', (chunk: Buffer) => {
    clearTimeout(readTimer);
    o.onData(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  });
  socket.on('error', (e) => log({ event: `${protocol}.socket_error`, conn, message: e.message }));
  socket.on('close', () => {
    if (!closed) {
      closed = true;
      cleanup();
    }
    log({ event: `${protocol}.disconnected`, conn });
  });

  return {
    conn,
    get closed() {
      return closed;
    },
    get registration() {
      return registration;
    },
    register(r) {
      registration = r;
    },
    release,
    send,
    shut,
    pump,
  };
}
