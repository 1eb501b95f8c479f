/**
 * The seams of the embedded Bundle Protocol Agent (electron/bpa). The bundle processor (bpa.ts) sits in
 * the middle; convergence-layer adapters (cla/) bring bundles in and take them out; application agent
 * servers (aap/: AAP v1 and AAP 2.0) and built-in agents (echo, config) register endpoints and submit
 * ADUs. Every part is built by a factory that receives its dependencies (design.md principle 7).
 */
import type { Result } from '../../shared/errors';
import type { ReportRequestBits } from '../../shared/protocol/bpv7/flags';

/** A structured log event; the BPA prints one line per bundle event (issue 3). Never contains payloads or secrets. */
export interface LogEvent {
  readonly event: string;
  readonly [field: string]: string | number | boolean | null | undefined;
}
export type Log = (e: LogEvent) => void;

/** Milliseconds since the Unix epoch; injected so tests can control time. */
export type Clock = () => number;

// ---------------------------------------------------------------------------------------------------
// Convergence-layer adapters

export type ClaName = 'mtcp' | 'smtcp' | 'tcpclv3';

/** Where a bundle came from, for the log, for previous-node checks and for "forwarded over unidirectional link". */
export interface ClaOrigin {
  readonly cla: ClaName;
  /** Peer's node ID when the CLA learned it (TCPCLv3 contact header), else undefined (MTCP has no handshake). */
  readonly peerNodeId?: string;
  /** "host:port" of the remote socket. */
  readonly remote: string;
}

/** The processor's side of a CLA: called for every complete bundle read off the wire (bytes are the encoded bundle). */
export type BundleSink = (bytes: Uint8Array, origin: ClaOrigin) => void;

/** An outgoing link to one peer, opened for a contact. */
export interface ClaLink {
  readonly cla: ClaName;
  /** The CLA address it was opened for, e.g. "mtcp:127.0.0.1:4224". */
  readonly address: string;
  /**
   * Send one encoded bundle, given as gather parts (header, payload view, trailer) so large payloads are
   * never concatenated. Resolves once the bytes were handed to the socket (written, not acknowledged:
   * MTCP has no acknowledgements). Fails with CONNECTION_CLOSED / CONNECTION_FAILED.
   */
  send(parts: readonly Uint8Array[]): Promise<Result<void>>;
  close(): Promise<void>;
  /**
   * Resolves once the connection under the link is gone, whoever closed it (the peer reset it, an error,
   * or close()). MTCP has no acknowledgements, so a sender learns of a receiver that died only this way
   * (or by a later send failing): bundles written but not yet confirmed must then be sent again.
   */
  readonly closed: Promise<void>;
}

export interface ClaListener {
  readonly cla: ClaName;
  /** "host:port" actually bound (port 0 resolves to the real port). */
  readonly address: string;
  close(): Promise<void>;
}

export interface Cla {
  readonly name: ClaName;
  /** Listen on host:port; bundles received go to the sink given at construction. */
  listen(host: string, port: number): Promise<Result<ClaListener>>;
  /**
   * Open a link to "host:port" (the part of a CLA address after "<cla>:"). `peerNodeId` is the node the
   * contact is for: a CLA whose sessions carry bundles both ways (TCPCLv3) reuses an open session with
   * that peer, incoming ones included, instead of dialing; MTCP and SMTCP ignore it.
   */
  connect(hostPort: string, peerNodeId?: string): Promise<Result<ClaLink>>;
  /** Close every listener and link. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------
// Application agents

/** A bundle (or reassembled ADU) handed to a local application agent. */
export interface DeliveredAdu {
  readonly source: string;
  readonly destination: string;
  readonly creationTime: number;
  readonly sequence: number;
  readonly payload: Uint8Array;
  /** True for administrative records (e.g. status reports delivered to the agent that asked for them). */
  readonly isAdminRecord: boolean;
  /** True when the ADU is a BIBE protocol data unit (AAP v1 RECVBIBE). */
  readonly isBibe?: boolean;
  /**
   * How the bundle reached this node: submitted by a local agent, or received over a CLA. The config
   * agent accepts remote configuration only when allowed (uD3TN's -R, protocols.md §7.3). Undefined
   * means unknown; the config agent then falls back to uD3TN's check of the source node.
   */
  readonly receivedFrom?: 'local' | 'cla';
}

/** What an agent connection offers the processor: deliver resolves true once the application has the ADU. */
export interface AgentSink {
  deliver(adu: DeliveredAdu): Promise<boolean>;
  /**
   * True when deliver's true means only "written to the connection" (AAP v1 has no acknowledgement):
   * the bundle then stays stored until the registration has lasted the BPA's settle window after the
   * write, and goes to the next registration if it ends sooner (delivery.ts).
   */
  readonly unacknowledged?: boolean;
}

/** Status reports an application may ask for on a bundle it submits (Farside extension; uD3TN cannot). */
export interface ReportRequest extends ReportRequestBits {
  /** Report-to EID; defaults to the submitting agent's EID so the reports come back to it. */
  readonly reportTo?: string;
}

export interface SubmitRequest {
  /** The submitting agent's full EID (node ID + agent ID). */
  readonly source: string;
  readonly destination: string;
  readonly payload: Uint8Array;
  readonly lifetimeMs?: number;
  readonly reports?: ReportRequest;
  readonly mustNotFragment?: boolean;
  /** The payload is a BIBE PDU (AAP v1 SENDBIBE): wrapped as administrative record type 3. */
  readonly bibe?: boolean;
}

export interface SubmittedBundle {
  readonly source: string;
  readonly destination: string;
  readonly creationTime: number;
  readonly sequence: number;
  readonly lifetimeMs: number;
  readonly payloadLength: number;
}

/** The processor as seen by AAP servers and built-in agents. */
export interface AgentHost {
  readonly nodeId: string;
  /**
   * Register `eid` for a connection. AAP v1 allows one registration per EID; AAP 2.0 allows one active
   * and one subscriber per EID with a shared secret (protocols.md §5.1). Bundles waiting for the EID are
   * delivered to a sink that can receive (subscriber or v1 connection) once it registers.
   */
  register(eid: string, sink: AgentSink | null, opts?: { secret?: string; role?: 'v1' | 'active' | 'subscriber' }): Result<{ release(): void }>;
  /** Create a bundle from an ADU; resolves once it is durably stored (then the AAP server confirms). */
  submit(req: SubmitRequest): Promise<Result<SubmittedBundle>>;
}
