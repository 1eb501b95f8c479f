/**
 * The embedded BPA's AAP 2.0 server, as uD3TN v0.13 behaves (protocols.md §5.1, ud3tn-behaviour.md §6;
 * v0.13:components/aap2/aap2_agent.c), on TCP and UNIX sockets.
 *
 * On connect: the byte 0x2F, then AAPMessage{welcome{node_id}}. The client configures the connection
 * with ConnectionConfig{endpoint_id, secret, is_subscriber, keepalive_seconds}:
 * - the previous registration of the connection is dropped first (uD3TN `process_configure_msg`);
 * - INVALID_REQUEST when endpoint_id is not an EID, or not an application endpoint of this node (v0.13
 *   only checks that the EID has an agent part and registers that part on its own node, even for
 *   another node's EID: we refuse it);
 * - UNAUTHORIZED when the processor refuses the registration: per endpoint at most one active and one
 *   subscriber registration, the second with the first one's secret (agent_manager.c `agent_register`;
 *   AgentHost.register), and never a built-in agent's endpoint;
 * - keepalive_seconds is taken as given, 1 included (ud3tn-behaviour.md §6); values from
 *   INT32_MAX / 2000 on are ignored, as in v0.13.
 *
 * Active connection (the client is the initiator; requests are answered in order):
 * - BundleADU + payload_length raw bytes → host.submit → AAPResponse{SUCCESS, bundle_headers{src_eid,
 *   dst_eid, creation_timestamp_ms, sequence_number, payload_length, lifetime_ms}}, the exact BPv7
 *   bundle ID. In uD3TN's order: a client-set creation timestamp or sequence number → INVALID_REQUEST;
 *   no registration (or a subscriber one) → NOT_FOUND; then (Farside) an adu_flags bit we do not know,
 *   a destination that is not an EID (uD3TN's debug build aborts) or a src_eid other than the endpoint
 *   → INVALID_REQUEST; the processor refusing → ERROR.
 * - Keepalive → ACK; any other message → INVALID_REQUEST (uD3TN's default response).
 * - With keepalive_seconds > 0, a client silent for twice the interval is disconnected (uD3TN).
 *
 * Subscriber connection (after SUCCESS the node is the initiator): every ADU for the endpoint is pushed as
 * AAPMessage{adu{src_eid, dst_eid, creation_timestamp_ms, sequence_number, payload_length, adu_flags}} +
 * payload, one at a time; AgentSink.deliver resolves true only on the client's AAPResponse{SUCCESS}.
 * Another status resolves false (uD3TN drops the bundle then; our processor keeps it). No answer within
 * responseTimeoutMs resolves false and closes the connection (uD3TN: 1 s, AAP2_AGENT_TIMEOUT_MS), since a
 * late answer could not be told from the answer to the next push. After keepalive_seconds without a push
 * the node sends Keepalive and closes the connection unless ACK comes within twice the interval.
 *
 * adu_flags (a singular enum in v0.13 that uD3TN tests as a bit set, `adu_flags & BUNDLE_ADU_BPDU`):
 * BUNDLE_ADU_BPDU (1) marks a BIBE PDU both ways. Farside adds bits with the values of RFC 9171 §4.2.3
 * bundle processing control flags (docs/status-reports.md): from the client, the four status report
 * requests (reception 0x4000, forwarding 0x10000, delivery 0x20000, deletion 0x40000), filled into
 * SubmitRequest.reports; to the subscriber, ADMIN_RECORD (0x2) on administrative records (status reports
 * addressed to the endpoint). uD3TN v0.13 ignores bits other than 1.
 *
 * Bad input: a frame that does not decode closes the connection with a log line, as in uD3TN (a Protobuf
 * stream cannot be resynchronised); an over-limit frame or payload is first answered with ERROR, and an
 * AAPMessage without a v0.13 member with INVALID_REQUEST. A frame left unfinished for readTimeoutMs closes
 * the connection (an AAP v1 client's REGISTER is one). Nothing on one connection affects another.
 */
import type { Socket } from 'node:net';
import { toLogFormat, type FarsideError } from '../../../shared/errors';
import {
  AAP2_ADU_FLAGS,
  AAP2_RESPONSE_STATUS,
  AAP2_VERSION_INDICATOR,
  FARSIDE_ADU_FLAGS,
  FARSIDE_REPORT_ADU_BITS,
  createAap2Decoder,
  encodeAap2AduParts,
  encodeAap2Message,
  encodeAap2Response,
  type Aap2BundleAdu,
  type Aap2ConnectionConfig,
  type Aap2Message,
  type Aap2ResponseInit,
} from '../../../shared/protocol/aap2';
import { formatEid, parseEid } from '../../../shared/protocol/bpv7/eid';
import { LIMITS } from '../../../shared/protocol/limits';
import type { AgentHost, AgentSink, DeliveredAdu, Log, ReportRequest } from '../types';
import { agentEid, isBuiltinAgentEid, localAgentId } from './agent-id';
import { openAapConnection, type PumpStep } from './connection';
import { checkDestination } from './destination';
import { createListeners, type Listeners } from './listeners';
import { writeParts } from './write-parts';

/** What a client may set in adu_flags. */
const CLIENT_ADU_BITS = AAP2_ADU_FLAGS.BPDU | FARSIDE_REPORT_ADU_BITS;

export interface Aap2KeepaliveCheck {
  /** Length of one keepalive_seconds unit in ms; 1000 (tests shrink it). */
  readonly secondMs?: number;
  /** How long a subscriber may take to answer a pushed ADU; default 10 s (uD3TN: 1 s). */
  readonly responseTimeoutMs?: number;
}

export interface Aap2ServerOptions {
  readonly host: AgentHost;
  readonly log: Log;
  /** Largest ADU payload accepted; default LIMITS.aap2DefaultMaxPayload. */
  readonly maxPayload?: number;
  readonly keepaliveCheck?: Aap2KeepaliveCheck;
  /** How long a frame may stay unfinished with no byte arriving before the connection is closed. */
  readonly readTimeoutMs?: number;
}

export type Aap2Server = Listeners;

export const DEFAULT_AAP2_RESPONSE_TIMEOUT_MS = 10_000;
export const DEFAULT_AAP2_READ_TIMEOUT_MS = 60_000;
/** v0.13 ignores keepalive_seconds ≥ INT32_MAX / 1000 / 2 ("too large, ignoring"). */
const MAX_KEEPALIVE_SECONDS = Math.floor(0x7fffffff / 1000 / 2);

const S = AAP2_RESPONSE_STATUS;
type Status = (typeof S)[keyof typeof S];

function constant(r: { ok: true; value: Uint8Array } | { ok: false; error: FarsideError }): Uint8Array {
  if (!r.ok) throw new Error(`AAP 2.0 constant does not encode: ${r.error.message}`);
  return r.value;
}
/** Every response without bundle headers, encoded once. */
const RESPONSES = new Map<Status, Uint8Array>(Object.values(S).map((status) => [status, constant(encodeAap2Response({ responseStatus: status }))]));
const KEEPALIVE = constant(encodeAap2Message({ kind: 'keepalive', keepalive: {} }));

/** What the subscriber answered to a push, or why there is no answer. */
type Answer = number | 'timeout' | 'closed';

export function createAap2Server(options: Aap2ServerOptions): Aap2Server {
  const { host, log } = options;
  const maxPayload = options.maxPayload ?? LIMITS.aap2DefaultMaxPayload;
  const secondMs = options.keepaliveCheck?.secondMs ?? 1000;
  const responseTimeoutMs = options.keepaliveCheck?.responseTimeoutMs ?? DEFAULT_AAP2_RESPONSE_TIMEOUT_MS;
  const readTimeoutMs = options.readTimeoutMs ?? DEFAULT_AAP2_READ_TIMEOUT_MS;
  const welcome = encodeAap2Message({ kind: 'welcome', welcome: { nodeId: host.nodeId } });

  function serve(socket: Socket): void {
    const decoder = createAap2Decoder({ role: 'server', maxPayload });
    const c = openAapConnection(socket, {
      protocol: 'aap2',
      log,
      readTimeoutMs,
      onData(bytes) {
        decoder.push(bytes);
        void pump().then(() => {
          if (!c.closed) armActiveKeepalive();
        });
      },
      onReadTimeout: () => shut('frame unfinished after read timeout', { buffered: decoder.buffered, timeoutMs: readTimeoutMs }),
      onClose() {
        clearTimeout(keepaliveTimer);
        waiter?.('closed');
      },
    });
    const { conn, send, shut } = c;
    let mode: 'open' | 'active' | 'subscriber' = 'open';
    let keepaliveMs = 0;
    let pendingAdu: Aap2BundleAdu | null = null;
    /** Active: the client's keepalive deadline. Subscriber: when to send the next Keepalive. */
    let keepaliveTimer: NodeJS.Timeout | undefined;

    // Subscriber side: pushes and keepalives go out one at a time, each waiting for its answer.
    let exchanges: Promise<void> = Promise.resolve();
    let queued = 0;
    let waiter: ((answer: Answer) => void) | null = null;

    function respond(status: Status): void {
      send(RESPONSES.get(status) as Uint8Array);
    }

    function sendResponse(response: Aap2ResponseInit): void {
      const bytes = encodeAap2Response(response);
      if (bytes.ok) {
        send(bytes.value);
        return;
      }
      log({ event: 'aap2.internal_error', conn, message: toLogFormat(bytes.error) });
      respond(S.ERROR);
    }

    // ---- configuration ----------------------------------------------------------------------------

    function configure(config: Aap2ConnectionConfig): Status {
      c.release();
      const refuse = (status: Status, reason: string): Status => {
        log({ event: 'aap2.config_refused', conn, endpoint: config.endpointId, reason });
        return status;
      };
      const parsed = parseEid(config.endpointId);
      if (!parsed.ok) return refuse(S.INVALID_REQUEST, toLogFormat(parsed.error));
      const agentId = localAgentId(host.nodeId, formatEid(parsed.value));
      if (agentId === null) return refuse(S.INVALID_REQUEST, `not an application endpoint of ${host.nodeId}`);
      const eid = agentEid(host.nodeId, agentId);
      if (!eid.ok) return refuse(S.INVALID_REQUEST, toLogFormat(eid.error));
      if (isBuiltinAgentEid(host.nodeId, eid.value)) return refuse(S.UNAUTHORIZED, 'built-in agent');
      const role = config.isSubscriber ? 'subscriber' : 'active';
      const r = host.register(eid.value, config.isSubscriber ? sink : null, { secret: config.secret, role });
      if (!r.ok) {
        const invalid = r.error.code === 'INVALID_EID' || r.error.code === 'INVALID_ARGUMENT';
        return refuse(invalid ? S.INVALID_REQUEST : S.UNAUTHORIZED, toLogFormat(r.error));
      }
      c.register({ eid: eid.value, release: r.value.release });
      mode = role;
      keepaliveMs = config.keepaliveSeconds > 0 && config.keepaliveSeconds < MAX_KEEPALIVE_SECONDS ? config.keepaliveSeconds * secondMs : 0;
      log({ event: 'aap2.registered', conn, eid: eid.value, role, keepaliveSeconds: config.keepaliveSeconds });
      return S.SUCCESS;
    }

    // ---- active side --------------------------------------------------------------------------------

    function reportsOf(flags: number): ReportRequest | undefined {
      if ((flags & FARSIDE_REPORT_ADU_BITS) === 0) return undefined;
      return {
        reception: (flags & FARSIDE_ADU_FLAGS.REPORT_RECEPTION) !== 0,
        forwarding: (flags & FARSIDE_ADU_FLAGS.REPORT_FORWARDING) !== 0,
        delivery: (flags & FARSIDE_ADU_FLAGS.REPORT_DELIVERY) !== 0,
        deletion: (flags & FARSIDE_ADU_FLAGS.REPORT_DELETION) !== 0,
      };
    }

    async function submit(adu: Aap2BundleAdu, payload: Uint8Array): Promise<Aap2ResponseInit> {
      const refuse = (status: Status, reason: string): Aap2ResponseInit => {
        log({ event: 'aap2.send_refused', conn, status, reason });
        return { responseStatus: status };
      };
      if (adu.creationTimestampMs !== 0 || adu.sequenceNumber !== 0) return refuse(S.INVALID_REQUEST, 'client-set creation timestamp');
      const registration = c.registration;
      if (mode !== 'active' || registration === null) return refuse(S.NOT_FOUND, 'no active registration');
      // Unsigned view: the codec's enum range is uint32, and bit 31 would make `&` negative.
      if ((adu.aduFlags & ~CLIENT_ADU_BITS) >>> 0 !== 0) return refuse(S.INVALID_REQUEST, `unknown adu_flags bits 0x${adu.aduFlags.toString(16)}`);
      const destination = checkDestination(adu.dstEid);
      if (!destination.ok) return refuse(S.INVALID_REQUEST, toLogFormat(destination.error));
      if (adu.srcEid !== '' && adu.srcEid !== registration.eid) return refuse(S.INVALID_REQUEST, `src_eid ${adu.srcEid} is not the connection's endpoint`);
      const source = registration.eid;
      const reports = reportsOf(adu.aduFlags);
      const r = await host.submit({
        source,
        destination: destination.value,
        payload,
        bibe: (adu.aduFlags & AAP2_ADU_FLAGS.BPDU) !== 0,
        ...(reports === undefined ? {} : { reports }),
      });
      if (!r.ok) return refuse(S.ERROR, toLogFormat(r.error));
      const b = r.value;
      return {
        responseStatus: S.SUCCESS,
        bundleHeaders: {
          srcEid: b.source,
          dstEid: b.destination,
          creationTimestampMs: b.creationTime,
          sequenceNumber: b.sequence,
          payloadLength: b.payloadLength,
          lifetimeMs: b.lifetimeMs,
        },
      };
    }

    /** Handle one AAPMessage of the active/unconfigured side; a Promise when the processor must answer. */
    function handle(message: Aap2Message): Promise<void> | undefined {
      switch (message.kind) {
        case 'adu':
          pendingAdu = message.adu;
          return undefined;
        case 'config': {
          const status = configure(message.config);
          respond(status);
          if (status === S.SUCCESS && mode === 'subscriber') {
            // uD3TN "Switching control flow!": from now on the client only answers.
            decoder.expect('response');
            armSubscriberKeepalive();
          }
          return undefined;
        }
        case 'keepalive':
          respond(S.ACK);
          return undefined;
        default:
          respond(S.INVALID_REQUEST);
          return undefined;
      }
    }

    // ---- subscriber side ----------------------------------------------------------------------------

    /**
     * Listen for the subscriber's next answer from now on (it may come before our write callback fires);
     * arm() starts the clock once the request is out, so a large payload's transfer time does not count.
     */
    function expectAnswer(): { readonly answer: Promise<Answer>; arm(timeoutMs: number): void } {
      let timer: NodeJS.Timeout | undefined;
      let settle: (a: Answer) => void = () => undefined;
      const answer = new Promise<Answer>((resolve) => {
        settle = (a) => {
          clearTimeout(timer);
          if (waiter === settle) waiter = null;
          resolve(a);
        };
      });
      waiter = settle;
      return {
        answer,
        arm(timeoutMs) {
          if (waiter === settle) timer = setTimeout(() => settle('timeout'), timeoutMs);
        },
      };
    }

    /**
     * Run `task` after every earlier exchange; the keepalive clock pauses while any is queued. Tasks start
     * in a later microtask, so a delivery the processor makes inside register() (bundles kept for the
     * endpoint) goes out after the SUCCESS that handle() writes synchronously after configure().
     */
    function exchange<T>(task: () => Promise<T>, fallback: T): Promise<T> {
      queued++;
      clearTimeout(keepaliveTimer);
      const run = exchanges
        .then(() => (c.closed ? fallback : task()))
        .catch((e: unknown) => {
          log({ event: 'aap2.internal_error', conn, message: e instanceof Error ? e.message : String(e) });
          shut('internal error');
          return fallback;
        });
      exchanges = run.then(() => undefined);
      return run.finally(() => {
        queued--;
        if (queued === 0) armSubscriberKeepalive();
      });
    }

    async function push(adu: DeliveredAdu): Promise<boolean> {
      const flags = adu.isBibe === true ? AAP2_ADU_FLAGS.BPDU : adu.isAdminRecord ? FARSIDE_ADU_FLAGS.ADMIN_RECORD : AAP2_ADU_FLAGS.NORMAL;
      const parts = encodeAap2AduParts(
        { srcEid: adu.source, dstEid: adu.destination, creationTimestampMs: adu.creationTime, sequenceNumber: adu.sequence, aduFlags: flags },
        adu.payload,
      );
      if (!parts.ok) {
        log({ event: 'aap2.deliver_failed', conn, source: adu.source, error: toLogFormat(parts.error) });
        return false;
      }
      const expected = expectAnswer();
      if (!(await writeParts(socket, parts.value))) {
        waiter?.('closed');
        return false;
      }
      expected.arm(responseTimeoutMs);
      const status = await expected.answer;
      if (status === 'timeout') {
        shut('no answer to a pushed ADU', { timeoutMs: responseTimeoutMs });
        return false;
      }
      if (status !== S.SUCCESS) {
        if (status !== 'closed') log({ event: 'aap2.deliver_refused', conn, source: adu.source, status });
        return false;
      }
      return true;
    }

    const sink: AgentSink = {
      deliver: (adu) => (c.closed ? Promise.resolve(false) : exchange(() => push(adu), false)),
    };

    function armSubscriberKeepalive(): void {
      clearTimeout(keepaliveTimer);
      if (mode !== 'subscriber' || keepaliveMs === 0 || c.closed) return;
      keepaliveTimer = setTimeout(() => {
        void exchange(async () => {
          const expected = expectAnswer();
          send(KEEPALIVE);
          expected.arm(2 * keepaliveMs);
          const status = await expected.answer;
          if (status !== S.ACK && status !== 'closed') shut('keepalive not acknowledged', { answer: String(status) });
        }, undefined);
      }, keepaliveMs);
    }

    function onResponse(status: number): void {
      if (waiter === null) {
        shut('unexpected response from a subscriber', { status });
        return;
      }
      waiter(status);
    }

    // ---- reading --------------------------------------------------------------------------------------

    function onDecodeError(error: FarsideError): void {
      if (error.code === 'LIMIT_EXCEEDED' && mode !== 'subscriber') respond(S.ERROR);
      else if (error.code === 'UNSUPPORTED' && mode !== 'subscriber') respond(S.INVALID_REQUEST);
      shut('undecodable input', { error: toLogFormat(error) });
    }

    function pump(): Promise<void> {
      return c.pump(
        step,
        () => {
          if (mode !== 'subscriber') respond(S.ERROR);
        },
        () => decoder.buffered > 0 && mode !== 'subscriber',
      );
    }

    /** One decoded frame answered; a decode error always shuts the connection (onDecodeError). */
    function step(): PumpStep {
      const s = decoder.next();
      switch (s.kind) {
        case 'need-more':
          return 'need-more';
        case 'error':
          onDecodeError(s.error);
          return undefined;
        case 'response':
          onResponse(s.response.responseStatus);
          return undefined;
        case 'payload': {
          const adu = pendingAdu;
          pendingAdu = null;
          return adu === null ? undefined : submit(adu, s.payload).then(sendResponse);
        }
        case 'message':
          return handle(s.message);
      }
    }

    function armActiveKeepalive(): void {
      // The subscriber's keepalive clock runs on its exchanges, not on what the client writes.
      if (mode === 'subscriber') return;
      clearTimeout(keepaliveTimer);
      if (mode !== 'active' || keepaliveMs === 0) return;
      // uD3TN waits twice the interval for an active client before it gives up.
      keepaliveTimer = setTimeout(() => shut('client exceeded its keepalive interval', { keepaliveMs }), 2 * keepaliveMs);
    }

    if (!welcome.ok) {
      shut('node ID does not encode', { error: toLogFormat(welcome.error) });
      return;
    }
    send(Uint8Array.of(AAP2_VERSION_INDICATOR));
    send(welcome.value);
  }

  return createListeners('aap2', serve, log);
}
