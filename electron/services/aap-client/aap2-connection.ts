/**
 * One AAP 2.0 connection to uD3TN v0.13 (protocols.md §5.1; ud3tn-behaviour.md §6). After connect the
 * node sends the byte 0x2F and a Welcome; the client sends a ConnectionConfig and gets an AAPResponse.
 * Then the roles depend on `is_subscriber`:
 *
 * - active (is_subscriber false): the client is the Initiator. Each BundleADU (+ payload) or Keepalive
 *   gets one AAPResponse; one request in flight, each reply awaited with a deadline.
 * - subscriber (true): the node becomes the Initiator and pushes BundleADU (+ payload) and Keepalive;
 *   the client answers each with an AAPResponse: ACK to a Keepalive at once, SUCCESS to an ADU once the
 *   consumer is done with it (the inbox's onTaken; the node pushes nothing else until then).
 *
 * A decoding error, an unexpected message or a missing reply closes the connection (uD3TN itself closes
 * on a Protobuf error, §6); the link then reconnects.
 */
import type { Socket } from 'node:net';
import { err, ok, type ErrorCode, type FarsideError, type Result } from '../../../shared/errors';
import {
  AAP2_STATUS,
  createAap2Reader,
  encodeAdu,
  encodeConfig,
  encodeKeepalive,
  encodeResponse,
  statusName,
  type Aap2Config,
  type Aap2Reader,
  type BundleHeaders,
  type NodeMessage,
} from './aap2-wire';
import type { LinkConnection } from './link';
import { createRequestQueue, type ReplyMatcher } from './request-queue';
import { openSocket } from './transport';
import type { AapClientLogEvent, AapTransport, ReceivedBundle } from './types';

export type Aap2Role = 'active' | 'subscriber';

export interface Aap2ConnectionOptions {
  readonly transport: AapTransport;
  readonly role: Aap2Role;
  /** Sent right after Welcome; null leaves an active connection unconfigured until configure(). */
  readonly config: Aap2Config | null;
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly maxPayloadBytes: number;
  /** Subscriber: a pushed ADU; `taken` answers SUCCESS and must run once the consumer is done with it. */
  readonly onBundle: (bundle: ReceivedBundle, taken: () => void) => void;
  /** Subscriber: answer SUCCESS after this long even if not taken yet (see AapClientOptions). */
  readonly confirmDeadlineMs: number | null;
  readonly log: (e: AapClientLogEvent) => void;
}

export interface Aap2Connection extends LinkConnection {
  readonly role: Aap2Role;
  /** From Welcome: `dtn://node/` or `ipn:N.0`. */
  readonly nodeId: string;
  /** Active only: send the ConnectionConfig of a connection opened without one. */
  configure(config: Aap2Config): Promise<Result<void>>;
  /** Active only: BundleADU (+ adu_flags, 0 = none) + payload → the node's bundle headers (the BPv7 bundle ID). */
  sendAdu(destination: string, payload: Uint8Array, aduFlags: number): Promise<Result<BundleHeaders>>;
  /** Active only: Keepalive → ACK. */
  keepalive(): Promise<Result<void>>;
  /** Backpressure: stop reading (subscriber; the node waits for our SUCCESS anyway). */
  setPaused(paused: boolean): void;
}

type Response = Extract<NodeMessage, { kind: 'response' }>;

/** One encoded frame as gather parts. */
function one(frame: Result<Uint8Array>): Result<readonly Uint8Array[]> {
  return frame.ok ? ok([frame.value]) : frame;
}

/** A non-success ResponseStatus as an error code callers can branch on (design.md principle 9). */
function statusError(status: number, what: string): FarsideError {
  const code: ErrorCode =
    status === AAP2_STATUS.UNAUTHORIZED ? 'UNAUTHORIZED' : status === AAP2_STATUS.NOT_FOUND ? 'NOT_FOUND' : 'AAP_STATUS';
  return { code, message: `${what}: the node answered ${statusName(status)}` };
}

const expectStatus =
  (wanted: number, what: string): ReplyMatcher<Response, void> =>
  (m) =>
    m.status === wanted ? ok(undefined) : { ok: false, error: statusError(m.status, what) };

const bundleConfirmed =
  (what: string): ReplyMatcher<Response, BundleHeaders> =>
  (m) => {
    if (m.status !== AAP2_STATUS.SUCCESS) return { ok: false, error: statusError(m.status, what) };
    if (!m.bundle) return err('MALFORMED', `${what}: SUCCESS without bundle_headers`);
    return ok(m.bundle);
  };

export async function openAap2Connection(o: Aap2ConnectionOptions): Promise<Result<Aap2Connection>> {
  const opened = await openSocket(o.transport, o.connectTimeoutMs);
  if (!opened.ok) return opened;
  const socket = opened.value;
  const reader = createAap2Reader(o.maxPayloadBytes);
  const welcome = await readWelcome(socket, reader, o.connectTimeoutMs);
  if (!welcome.ok) {
    socket.destroy();
    return welcome;
  }
  const conn = attach(socket, reader, welcome.value, o);
  if (o.config) {
    const configured = await conn.configure(o.config);
    if (!configured.ok) {
      conn.close(configured.error);
      return configured;
    }
  }
  return ok(conn);
}

/**
 * The version byte 0x2F, then Welcome. An AAP v1 node starts with WELCOME (0x17) instead: that is
 * AAP_VERSION_MISMATCH, reported by the reader.
 */
function readWelcome(socket: Socket, reader: Aap2Reader, timeoutMs: number): Promise<Result<string>> {
  return new Promise((resolve) => {
    const done = (r: Result<string>): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onError);
      resolve(r);
    };
    const timer = setTimeout(() => done(err('TIMEOUT', `no Welcome within ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Uint8Array): void => {
      reader.push(chunk);
      const step = reader.next('message');
      if (step.kind === 'need-more') return;
      if (step.kind === 'error') {
        const e = step.error;
        done(
          e.code === 'AAP_VERSION_MISMATCH'
            ? err(e.code, 'the node speaks AAP v1 (WELCOME 0x17), not AAP 2.0: drop --aap2 (protocol aap1)', e.offset)
            : err(e.code, `reading Welcome: ${e.message}`, e.offset),
        );
        return;
      }
      if (step.message.kind !== 'welcome') {
        done(err('MALFORMED', `expected Welcome, got ${step.message.kind}`));
        return;
      }
      socket.pause();
      done(ok(step.message.nodeId));
    };
    const onClose = (): void => done(err('CONNECTION_CLOSED', 'the node closed the connection before Welcome'));
    const onError = (e: Error): void => done(err('CONNECTION_CLOSED', `socket error before Welcome: ${e.message}`));
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('error', onError);
  });
}

function attach(socket: Socket, reader: Aap2Reader, nodeId: string, o: Aap2ConnectionOptions): Aap2Connection {
  let resolveClosed: (e: FarsideError) => void = () => undefined;
  const closed = new Promise<FarsideError>((r) => (resolveClosed = r));
  let isClosed = false;
  /** True once the node acknowledged our ConnectionConfig; a subscriber then receives AAPMessages. */
  let configured = false;
  let keepaliveSeconds = 0;
  /** Subscriber: an ADU we have not answered yet (the node pushes nothing else meanwhile). */
  let owing = false;
  let pauseWanted = false;
  let lastTraffic = Date.now();
  /** Subscriber: the confirm-deadline timer of the ADU we owe an answer for. */
  let deadline: ReturnType<typeof setTimeout> | null = null;

  const queue = createRequestQueue<Response>(o.requestTimeoutMs, (what) => {
    shut({ code: 'TIMEOUT', message: `no reply to ${what}: reconnecting rather than trusting the stream` });
  });

  function shut(reason: FarsideError): void {
    if (isClosed) return;
    isClosed = true;
    if (timer) clearInterval(timer);
    if (deadline) clearTimeout(deadline);
    queue.close('CONNECTION_CLOSED', reason.message);
    socket.destroy();
    resolveClosed(reason);
  }

  function write(parts: Result<readonly Uint8Array[]>): void {
    if (isClosed) return;
    if (!parts.ok) {
      // Values are checked before requests are queued; an encoder refusal here is a bug.
      shut({ code: 'INTERNAL', message: `cannot encode an AAP 2.0 message: ${parts.error.message}` });
      return;
    }
    lastTraffic = Date.now();
    socket.cork();
    for (const p of parts.value) socket.write(p);
    socket.uncork();
  }

  function applyPause(): void {
    if (isClosed) return;
    if (pauseWanted && queue.idle) socket.pause();
    else socket.resume();
  }

  async function request<R>(what: string, parts: Result<readonly Uint8Array[]>, match: ReplyMatcher<Response, R>): Promise<Result<R>> {
    if (!parts.ok) return parts;
    const pending = queue.request(what, () => write(parts), match);
    applyPause();
    const r = await pending;
    applyPause();
    return r;
  }

  function pushed(m: NodeMessage): void {
    if (m.kind === 'keepalive') {
      write(one(encodeResponse(AAP2_STATUS.ACK)));
      return;
    }
    if (m.kind !== 'adu') {
      shut({ code: 'MALFORMED', message: `a subscriber expects BundleADU or Keepalive, got ${m.kind}` });
      return;
    }
    owing = true;
    let answered = false;
    const answer = (): void => {
      if (answered) return;
      answered = true;
      if (deadline) clearTimeout(deadline);
      deadline = null;
      owing = false;
      write(one(encodeResponse(AAP2_STATUS.SUCCESS)));
    };
    if (o.confirmDeadlineMs !== null) {
      deadline = setTimeout(() => {
        o.log({ event: 'aap2-confirmed-before-taken', source: m.source, deadlineMs: o.confirmDeadlineMs });
        answer();
      }, o.confirmDeadlineMs);
    }
    const bundle: ReceivedBundle = {
      source: m.source,
      destination: m.destination,
      payload: m.payload,
      bundleId: { source: m.source, creationTime: m.creationTime, sequence: m.sequence },
      isBibe: m.isBpdu,
      isAdminRecord: m.isAdminRecord,
    };
    o.onBundle(bundle, answer);
  }

  function drain(): void {
    for (;;) {
      // The subscriber's node turns Initiator only after it acknowledged the config (protocols.md §5.1).
      const expect = o.role === 'subscriber' && configured ? 'message' : 'response';
      const step = reader.next(expect);
      if (step.kind === 'need-more') return;
      if (step.kind === 'error') {
        shut(step.error);
        return;
      }
      const m = step.message;
      // Set before the reply reaches its caller (a microtask later): the next message in this very
      // chunk may already be a push.
      if (o.role === 'subscriber' && !configured && m.kind === 'response' && m.status === AAP2_STATUS.SUCCESS) configured = true;
      if (expect === 'message') pushed(m);
      else if (m.kind !== 'response' || !queue.offer(m)) {
        shut({ code: 'MALFORMED', message: `unexpected ${m.kind} with no matching request in flight` });
      }
      if (isClosed) return;
    }
  }

  socket.on('data', (chunk: Uint8Array) => {
    lastTraffic = Date.now();
    reader.push(chunk);
    drain();
  });
  socket.on('close', () => shut({ code: 'CONNECTION_CLOSED', message: 'the node closed the connection' }));
  socket.on('error', (e: Error) => shut({ code: 'CONNECTION_CLOSED', message: `socket error: ${e.message}` }));

  /**
   * Liveness with keepalive_seconds > 0. Active: send Keepalive when idle that long (uD3TN closes an
   * active connection after twice the interval without traffic). Subscriber: the node sends them; no
   * traffic for twice the interval plus the reply deadline, while we owe nothing, means it is gone.
   */
  const timer = setInterval(() => {
    if (keepaliveSeconds === 0 || isClosed) return;
    const idle = Date.now() - lastTraffic;
    if (o.role === 'active') {
      if (configured && queue.idle && idle >= keepaliveSeconds * 1000) void conn.keepalive();
    } else if (configured && !owing && idle > 2 * keepaliveSeconds * 1000 + o.requestTimeoutMs) {
      shut({ code: 'TIMEOUT', message: `no Keepalive from the node for ${idle} ms` });
    }
  }, 250);
  timer.unref();

  drain();
  socket.resume();

  const conn: Aap2Connection = {
    role: o.role,
    nodeId,
    closed,
    close: shut,
    async configure(config: Aap2Config): Promise<Result<void>> {
      const r = await request(
        `ConnectionConfig for ${config.endpoint}`,
        one(encodeConfig({ ...config, subscriber: o.role === 'subscriber' })),
        expectStatus(AAP2_STATUS.SUCCESS, `registering ${config.endpoint}`),
      );
      if (r.ok) {
        configured = true;
        keepaliveSeconds = config.keepaliveSeconds;
      }
      return r;
    },
    sendAdu(destination: string, payload: Uint8Array, aduFlags: number): Promise<Result<BundleHeaders>> {
      if (o.role !== 'active') return Promise.resolve(err('INTERNAL', 'sendAdu on a subscriber connection'));
      return request(`BundleADU to ${destination}`, encodeAdu(destination, payload, aduFlags), bundleConfirmed(`BundleADU to ${destination}`));
    },
    keepalive(): Promise<Result<void>> {
      return request('Keepalive', one(encodeKeepalive()), expectStatus(AAP2_STATUS.ACK, 'Keepalive'));
    },
    setPaused(paused: boolean): void {
      pauseWanted = paused;
      applyPause();
    },
  };
  return conn;
}
