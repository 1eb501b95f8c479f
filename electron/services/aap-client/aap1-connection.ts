/**
 * One AAP v1 connection to uD3TN (protocols.md §4; ud3tn-behaviour.md §5): read WELCOME, then
 * stop-and-wait requests (REGISTER → ACK/NACK, SENDBUNDLE → SENDCONFIRM/NACK, PING → ACK), while
 * RECVBUNDLE / RECVBIBE may arrive at any moment, before or between replies, and are routed to the
 * inbox, never taken for a reply (§4.3 item 4). Any decoding error, unexpected message or missing reply
 * closes the connection: after that the stream cannot be trusted (ud3tn-behaviour.md §5.4).
 */
import type { Socket } from 'node:net';
import { err, ok, type FarsideError, type Result } from '../../../shared/errors';
import { createAapDecoder, encodeAapMessageParts, type AapDecoder, type AapMessage } from '../../../shared/protocol/aap';
import { createRequestQueue, type ReplyMatcher } from './request-queue';
import { openSocket } from './transport';
import type { LinkConnection } from './link';
import type { AapClientLogEvent, AapTransport } from './types';

export interface Aap1ConnectionOptions {
  readonly transport: AapTransport;
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly maxPayloadBytes: number;
  /** 0 = off; otherwise PING after this long without a request (the node never pings, §5.1). */
  readonly keepaliveMs: number;
  /** RECVBUNDLE (isBibe false) or RECVBIBE (true), in arrival order. */
  readonly onBundle: (source: string, payload: Uint8Array, isBibe: boolean) => void;
  readonly log: (e: AapClientLogEvent) => void;
}

export interface Aap1Connection extends LinkConnection {
  /** From WELCOME: `dtn://node/` or `ipn:N.0`. */
  readonly nodeId: string;
  /** REGISTER the agent ID (the last EID part) → ACK, or AAP_NACK when the node refuses it. */
  register(agentId: string): Promise<Result<void>>;
  /** SENDBUNDLE → the raw u64 of SENDCONFIRM, or AAP_NACK. */
  sendBundle(destination: string, payload: Uint8Array): Promise<Result<bigint>>;
  ping(): Promise<Result<void>>;
  /** Backpressure from the inbox; reading continues while a request waits for its reply (see client.ts). */
  setPaused(paused: boolean): void;
}

type Reply = Extract<AapMessage, { type: 'ACK' | 'NACK' | 'SENDCONFIRM' }>;

const ackOrNack =
  (what: string): ReplyMatcher<Reply, void> =>
  (m) => {
    if (m.type === 'ACK') return ok(undefined);
    if (m.type === 'NACK') return err('AAP_NACK', `the node refused ${what} (NACK)`);
    return undefined;
  };

const confirmOrNack: ReplyMatcher<Reply, bigint> = (m) => {
  if (m.type === 'SENDCONFIRM') return ok(m.bundleId);
  if (m.type === 'NACK') return err('AAP_NACK', 'the node refused SENDBUNDLE (NACK: bundle creation failed)');
  return undefined;
};

export async function openAap1Connection(o: Aap1ConnectionOptions): Promise<Result<Aap1Connection>> {
  const opened = await openSocket(o.transport, o.connectTimeoutMs);
  if (!opened.ok) return opened;
  const socket = opened.value;
  const welcome = await readWelcome(socket, o);
  if (!welcome.ok) {
    socket.destroy();
    return welcome;
  }
  return ok(attach(socket, welcome.value.nodeId, welcome.value.rest, o));
}

/**
 * Wait for WELCOME. An AAP 2.0 node announces itself with the byte 0x2F (protocols.md §5.1), which the
 * decoder reports as AAP_VERSION_MISMATCH. Bytes after WELCOME (a RECVBUNDLE cannot come yet, but a
 * decoder must not lose them) are handed to the connection.
 */
function readWelcome(
  socket: Socket,
  o: Aap1ConnectionOptions,
): Promise<Result<{ nodeId: string; rest: AapDecoder }>> {
  return new Promise((resolve) => {
    const decoder = createAapDecoder({ maxPayload: o.maxPayloadBytes });
    const done = (r: Result<{ nodeId: string; rest: AapDecoder }>): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onError);
      resolve(r);
    };
    const timer = setTimeout(() => done(err('TIMEOUT', `no WELCOME within ${o.connectTimeoutMs} ms`)), o.connectTimeoutMs);
    const onData = (chunk: Uint8Array): void => {
      decoder.push(chunk);
      const step = decoder.next();
      if (step.kind === 'need-more') return;
      if (step.kind === 'error') {
        const e = step.error;
        done(
          e.code === 'AAP_VERSION_MISMATCH'
            ? err(e.code, 'the node speaks AAP 2.0 (first byte 0x2F), not AAP v1: use --aap2 (protocol aap2)', e.offset)
            : err(e.code, `reading WELCOME: ${e.message}`, e.offset),
        );
        return;
      }
      if (step.message.type !== 'WELCOME') {
        done(err('MALFORMED', `expected WELCOME, got ${step.message.type}`));
        return;
      }
      // Later bytes stay in the decoder; the connection keeps using it.
      socket.pause();
      done(ok({ nodeId: step.message.eid, rest: decoder }));
    };
    const onClose = (): void => done(err('CONNECTION_CLOSED', 'the node closed the connection before WELCOME'));
    const onError = (e: Error): void => done(err('CONNECTION_CLOSED', `socket error before WELCOME: ${e.message}`));
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('error', onError);
  });
}

function attach(
  socket: Socket,
  nodeId: string,
  decoder: AapDecoder,
  o: Aap1ConnectionOptions,
): Aap1Connection {
  let resolveClosed: (e: FarsideError) => void = () => undefined;
  const closed = new Promise<FarsideError>((r) => (resolveClosed = r));
  let isClosed = false;
  let pauseWanted = false;
  let lastTraffic = Date.now();

  const queue = createRequestQueue<Reply>(o.requestTimeoutMs, (what) => {
    shut({ code: 'TIMEOUT', message: `no reply to ${what}: reconnecting rather than trusting the stream` });
  });

  function shut(reason: FarsideError): void {
    if (isClosed) return;
    isClosed = true;
    if (keepaliveTimer) clearInterval(keepaliveTimer);
    queue.close('CONNECTION_CLOSED', reason.message);
    socket.destroy();
    resolveClosed(reason);
  }

  /** Pause only while no reply is awaited: the reply may sit behind RECVBUNDLEs in the stream. */
  function applyPause(): void {
    if (isClosed) return;
    if (pauseWanted && queue.idle) socket.pause();
    else socket.resume();
  }

  function write(message: AapMessage): void {
    const parts = encodeAapMessageParts(message);
    if (!parts.ok) {
      // Arguments are validated before requests are queued; an encoder refusal here is a bug.
      shut({ code: 'INTERNAL', message: `cannot encode ${message.type}: ${parts.error.message}` });
      return;
    }
    lastTraffic = Date.now();
    socket.cork();
    for (const p of parts.value) socket.write(p);
    socket.uncork();
  }

  async function request<R>(what: string, message: AapMessage, match: ReplyMatcher<Reply, R>): Promise<Result<R>> {
    const pending = queue.request(what, () => write(message), match);
    applyPause();
    const r = await pending;
    applyPause();
    return r;
  }

  function handle(m: AapMessage): void {
    switch (m.type) {
      case 'RECVBUNDLE':
      case 'RECVBIBE':
        o.onBundle(m.eid, m.payload, m.type === 'RECVBIBE');
        return;
      case 'ACK':
      case 'NACK':
      case 'SENDCONFIRM':
        if (!queue.offer(m)) shut({ code: 'MALFORMED', message: `unexpected ${m.type} with no matching request in flight` });
        return;
      case 'PING':
        // v0.13 never pings (ud3tn-behaviour.md §5.1); another AAP v1 node may, and PING is answered by ACK.
        write({ type: 'ACK' });
        return;
      default:
        // A second WELCOME, or a type only clients send: the stream is not what uD3TN would write.
        shut({ code: 'MALFORMED', message: `unexpected ${m.type} from the node` });
    }
  }

  function drain(): void {
    for (;;) {
      const step = decoder.next();
      if (step.kind === 'need-more') return;
      if (step.kind === 'error') {
        shut(step.error);
        return;
      }
      handle(step.message);
      if (isClosed) return;
    }
  }

  socket.on('data', (chunk: Uint8Array) => {
    lastTraffic = Date.now();
    decoder.push(chunk);
    drain();
  });
  socket.on('close', () => {
    const cut = decoder.buffered > 0 ? ` (${decoder.buffered} bytes of an unfinished message)` : '';
    shut({ code: 'CONNECTION_CLOSED', message: `the node closed the connection${cut}` });
  });
  socket.on('error', (e: Error) => shut({ code: 'CONNECTION_CLOSED', message: `socket error: ${e.message}` }));

  const keepaliveTimer =
    o.keepaliveMs > 0
      ? setInterval(() => {
          if (queue.idle && Date.now() - lastTraffic >= o.keepaliveMs) void request('PING', { type: 'PING' }, ackOrNack('PING'));
        }, Math.max(10, Math.floor(o.keepaliveMs / 2)))
      : null;
  keepaliveTimer?.unref();

  // Messages that arrived together with WELCOME, then whatever comes next.
  drain();
  socket.resume();

  return {
    nodeId,
    closed,
    close: shut,
    register: (agentId) => request(`REGISTER ${JSON.stringify(agentId)}`, { type: 'REGISTER', eid: agentId }, ackOrNack(`REGISTER ${JSON.stringify(agentId)}`)),
    sendBundle: (destination, payload) =>
      request(`SENDBUNDLE to ${destination}`, { type: 'SENDBUNDLE', eid: destination, payload }, confirmOrNack),
    ping: () => request('PING', { type: 'PING' }, ackOrNack('PING')),
    setPaused(paused: boolean): void {
      pauseWanted = paused;
      applyPause();
    },
  };
}
