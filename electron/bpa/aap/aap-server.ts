/**
 * The embedded BPA's AAP v1 server, wire-compatible with uD3TN v0.13 (protocols.md §4,
 * ud3tn-behaviour.md §5; v0.13:components/agents/posix/application_agent.c) for everything it does, but
 * without uD3TN's failure modes:
 *
 * - Every message in a read is handled (uD3TN handles one per recv(), so pipelined requests lag).
 * - Every request is answered, in request order. Where uD3TN stays silent we send NACK:
 *   SENDBUNDLE/SENDBIBE before REGISTER; a destination that is not an EID (uD3TN's debug build aborts,
 *   its release build confirms and drops the bundle); a message type only a node sends (ACK, NACK,
 *   WELCOME, SENDCONFIRM, RECVBUNDLE, RECVBIBE: decoded whole, answered with one NACK); CANCELBUNDLE
 *   with ID 0 (like every CANCELBUNDLE: not implemented).
 * - An undecodable header byte (version nibble not 1, reserved type 0xB..0xF) or an EID that is not
 *   UTF-8 gets a NACK, and decoding goes on one byte later, as uD3TN's parser does after "Failed parsing
 *   received AAP message", so the stream resynchronises (the AAP codec's 'skip-byte' recovery).
 * - A payload length above maxPayload is answered with NACK and the connection is closed. Skipping one
 *   byte would make the announced payload (possibly a relayed mail) be read as AAP requests on this
 *   client's behalf, and discarding it would read up to 2^64 bytes for nothing: such a stream cannot be
 *   resynchronised safely.
 * - A message left unfinished for readTimeoutMs is answered with NACK and the connection is closed with a
 *   log line (uD3TN has no read timeout: the next request becomes part of the unfinished field).
 * - Bad input on one connection never reaches another one or the server: every handler catches.
 *
 * REGISTER follows uD3TN: the connection's previous registration is dropped first, then the new agent ID
 * is checked (agent-id.ts) and registered; on NACK the connection is left unregistered. An empty agent ID
 * registers the bare node ID on a dtn node (uD3TN's observed behaviour, ud3tn-behaviour.md §5.2; the
 * AAP doc calls it "deregister") and is refused on an ipn node (uD3TN's parse_ipn_ull refuses it).
 *
 * Delivery: a registered connection is an AgentSink; RECVBUNDLE (RECVBIBE for a BIBE PDU) may be written
 * at any moment between replies. Administrative records addressed to the agent (status reports it asked
 * for, docs/status-reports.md) arrive as RECVBUNDLE from the reporting node's ID with the record as
 * payload; AAP v1 has no flag for them. AAP v1 has no acknowledgement either, so the sink is
 * `unacknowledged`: a bundle written to the connection stays stored until the connection has stayed
 * registered for the BPA's settle window, and is delivered again to the next registration when the
 * connection closes (or registers another agent ID) sooner (delivery.ts). Nothing of this is on the wire.
 */
import type { Socket } from 'node:net';
import type { FarsideError } from '../../../shared/errors';
import { toLogFormat } from '../../../shared/errors';
import {
  createAapDecoder,
  encodeAapBundleId,
  encodeAapMessage,
  encodeAapMessageParts,
  validateAapMessage,
  type AapMessage,
  type AapMessageOf,
} from '../../../shared/protocol/aap';
import { LIMITS } from '../../../shared/protocol/limits';
import type { AgentHost, AgentSink, DeliveredAdu, Log } from '../types';
import { agentEid, isBuiltinAgentEid } from './agent-id';
import { openAapConnection, type PumpStep } from './connection';
import { checkDestination } from './destination';
import { createListeners, type Listeners } from './listeners';
import { writeParts } from './write-parts';

export interface AapServerOptions {
  readonly host: AgentHost;
  readonly log: Log;
  /** Largest SENDBUNDLE/SENDBIBE payload accepted; default LIMITS.aapDefaultMaxPayload (uD3TN: 1 GiB). */
  readonly maxPayload?: number;
  /** How long a message may stay unfinished with no byte arriving before the connection is closed. */
  readonly readTimeoutMs?: number;
}

export type AapServer = Listeners;

export const DEFAULT_AAP_READ_TIMEOUT_MS = 60_000;

function fixed(message: AapMessage): Uint8Array {
  const r = encodeAapMessage(message);
  if (!r.ok) throw new Error(`AAP constant does not encode: ${r.error.message}`);
  return r.value;
}
const ACK = fixed({ type: 'ACK' });
const NACK = fixed({ type: 'NACK' });

export function createAapServer(options: AapServerOptions): AapServer {
  const { host, log } = options;
  const maxPayload = options.maxPayload ?? LIMITS.aapDefaultMaxPayload;
  const readTimeoutMs = options.readTimeoutMs ?? DEFAULT_AAP_READ_TIMEOUT_MS;
  const welcome = encodeAapMessage({ type: 'WELCOME', eid: host.nodeId });

  function serve(socket: Socket): void {
    const decoder = createAapDecoder({ maxPayload, recovery: 'skip-byte' });
    const c = openAapConnection(socket, {
      protocol: 'aap',
      log,
      readTimeoutMs,
      onData(bytes) {
        decoder.push(bytes);
        void pump();
      },
      onReadTimeout() {
        send(NACK);
        shut('message unfinished after read timeout', { buffered: decoder.buffered, timeoutMs: readTimeoutMs });
      },
    });
    const { conn, send, shut } = c;
    /** Consecutive undecodable bytes, logged as one line when the run ends (a flood logs once). */
    let garbage = 0;
    let firstGarbage: FarsideError | null = null;

    const sink: AgentSink = {
      deliver: (adu) => deliver(adu),
      // AAP v1 has no acknowledgement: written is not delivered; the bundle settles (delivery.ts).
      unacknowledged: true,
    };

    function deliver(adu: DeliveredAdu): Promise<boolean> {
      if (c.closed) return Promise.resolve(false);
      const parts = encodeAapMessageParts({ type: adu.isBibe === true ? 'RECVBIBE' : 'RECVBUNDLE', eid: adu.source, payload: adu.payload });
      if (!parts.ok) {
        log({ event: 'aap.deliver_failed', conn, source: adu.source, error: toLogFormat(parts.error) });
        return Promise.resolve(false);
      }
      return writeParts(socket, parts.value);
    }

    /** Answer a run of undecodable bytes (one NACK each, written at once) and log it as one line. */
    function flushGarbage(): void {
      if (garbage === 0 || firstGarbage === null) return;
      send(garbage === 1 ? NACK : new Uint8Array(garbage).fill(NACK[0] as number));
      log({ event: 'aap.undecodable', conn, bytes: garbage, first: toLogFormat(firstGarbage) });
      garbage = 0;
      firstGarbage = null;
    }

    function register(agentId: string): void {
      c.release();
      const eid = agentEid(host.nodeId, agentId);
      if (!eid.ok || isBuiltinAgentEid(host.nodeId, eid.value)) {
        log({ event: 'aap.register_refused', conn, agentId, reason: eid.ok ? 'built-in agent' : toLogFormat(eid.error) });
        send(NACK);
        return;
      }
      const r = host.register(eid.value, sink, { role: 'v1' });
      if (!r.ok) {
        log({ event: 'aap.register_refused', conn, agentId, reason: toLogFormat(r.error) });
        send(NACK);
        return;
      }
      c.register({ eid: eid.value, release: r.value.release });
      log({ event: 'aap.registered', conn, eid: eid.value });
      send(ACK);
    }

    async function submit(message: AapMessageOf<'SENDBUNDLE'> | AapMessageOf<'SENDBIBE'>): Promise<void> {
      const registration = c.registration;
      if (registration === null) {
        log({ event: 'aap.send_refused', conn, reason: 'not registered' });
        send(NACK);
        return;
      }
      const destination = checkDestination(message.eid);
      if (!destination.ok) {
        log({ event: 'aap.send_refused', conn, reason: toLogFormat(destination.error) });
        send(NACK);
        return;
      }
      const bibe = message.type === 'SENDBIBE';
      const r = await host.submit({ source: registration.eid, destination: destination.value, payload: message.payload, bibe });
      if (!r.ok) {
        log({ event: 'aap.send_refused', conn, reason: toLogFormat(r.error) });
        send(NACK);
        return;
      }
      const confirm = encodeAapMessage({ type: 'SENDCONFIRM', bundleId: encodeAapBundleId(r.value.creationTime, r.value.sequence) });
      send(confirm.ok ? confirm.value : NACK);
    }

    /** Handle one decoded message; a Promise when the answer needs the processor. */
    function handle(message: AapMessage): Promise<void> | undefined {
      const valid = validateAapMessage(message, 'client');
      if (!valid.ok) {
        log({ event: 'aap.invalid_request', conn, type: message.type, error: toLogFormat(valid.error) });
        send(NACK);
        return undefined;
      }
      switch (message.type) {
        case 'PING':
          send(ACK);
          return undefined;
        case 'REGISTER':
          register(message.eid);
          return undefined;
        case 'SENDBUNDLE':
        case 'SENDBIBE':
          return submit(message);
        case 'CANCELBUNDLE':
          // Not implemented, as in uD3TN v0.13 ("Bundle cancellation failed (NOT IMPLEMENTED)").
          send(NACK);
          return undefined;
        default:
          // validateAapMessage lets only client messages through; a new client type would land here.
          send(NACK);
          return undefined;
      }
    }

    function onDecodeError(error: FarsideError): void {
      if (error.code === 'LIMIT_EXCEEDED') {
        flushGarbage();
        send(NACK);
        shut('payload length over the limit', { error: toLogFormat(error) });
        return;
      }
      if (garbage === 0) firstGarbage = error;
      garbage++;
    }

    /** Decode and answer everything buffered, one request at a time, in order. */
    function pump(): Promise<void> {
      return c.pump(step, () => send(NACK), () => decoder.buffered > 0);
    }

    function step(): PumpStep {
      const s = decoder.next();
      if (s.kind === 'error') {
        onDecodeError(s.error);
        return undefined;
      }
      flushGarbage();
      return s.kind === 'need-more' ? 'need-more' : handle(s.message);
    }

    if (!welcome.ok) {
      shut('node ID does not encode', { error: toLogFormat(welcome.error) });
      return;
    }
    send(welcome.value);
  }

  return createListeners('aap', serve, log);
}
