/**
 * The AAP client's public contract: one interface over uD3TN's AAP v1 (binary) and AAP 2.0 (Protobuf),
 * and over Farside's embedded BPA, which speaks both (protocols.md §4, §5; ud3tn-behaviour.md §0).
 */
import type { Result } from '../../../shared/errors';
import type { ReportRequestBits } from '../../../shared/protocol/bpv7/flags';

/** Where the node listens. AAP v1: TCP or UNIX socket; AAP 2.0: UNIX socket (v0.13) or TCP (≥ 0.14). */
export type AapTransport =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'unix'; readonly path: string };

export type AapProtocol = 'aap1' | 'aap2';

/**
 * The BPv7 bundle ID of a bundle the node created for us (RFC 9171 §4.3.1: source node ID + creation
 * timestamp). `creationTime` is DTN time in ms (since 2000-01-01T00:00:00Z). AAP v1 rebuilds it from the
 * SENDCONFIRM id (time and sequence, protocols.md §4.4) and the registered EID; AAP 2.0 reads it from
 * AAPResponse.bundle_headers (§5.1).
 */
export interface BundleId {
  readonly source: string;
  readonly creationTime: number;
  readonly sequence: number;
}

/** A bundle (ADU) the node delivered to our endpoint. */
export interface ReceivedBundle {
  readonly source: string;
  /** Our endpoint: AAP 2.0 carries it; for AAP v1 it is the EID registered when the bundle arrived. */
  readonly destination: string;
  /** The whole ADU: a view of the bytes read from the socket, which the client never reuses or changes. */
  readonly payload: Uint8Array;
  /** AAP 2.0 only: the pushed BundleADU carries creation time and sequence. AAP v1 RECVBUNDLE has none. */
  readonly bundleId: BundleId | null;
  /** A BIBE protocol data unit (AAP v1 RECVBIBE, AAP 2.0 BUNDLE_ADU_BPDU) rather than an ordinary ADU. */
  readonly isBibe: boolean;
  /**
   * An administrative record, e.g. a BPv7 status report (RFC 9171 §6.1): AAP 2.0 adu_flags bit
   * ADMIN_RECORD, which Farside's embedded BPA sets (docs/status-reports.md §2). Always false over AAP
   * v1: RECVBUNDLE has no flags, so a v1 client cannot tell (a report then arrives from the reporting
   * node's ID, with the record as payload).
   */
  readonly isAdminRecord: boolean;
}

/**
 * Which BPv7 status reports (RFC 9171 §6.1) the bundle asks for. Farside's embedded BPA then sends them,
 * with status times, to the sending endpoint (docs/status-reports.md §1); a uD3TN v0.13 node creates the
 * bundle without any.
 */
export type StatusReportRequest = ReportRequestBits;

export interface SendOptions {
  /** AAP 2.0 only (adu_flags); over AAP v1 asking for any report fails with UNSUPPORTED. */
  readonly reports?: StatusReportRequest;
}

/**
 * idle: before connect(); connecting: first attempt; connected: the sending connection is up (and
 * registered when an agent was given); reconnecting: it dropped and the client is backing off;
 * failed: a condition retrying cannot fix (e.g. AAP_VERSION_MISMATCH); closed: close() was called.
 */
export type AapClientState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'closed';

/** A structured log event (one line each); never payloads or secrets. */
export interface AapClientLogEvent {
  readonly event: string;
  readonly [field: string]: string | number | boolean | null | undefined;
}

export interface AapClientOptions {
  readonly transport: AapTransport;
  readonly protocol: AapProtocol;
  /**
   * The agent to register at connect() and again after every reconnect: the last EID part (`email` on
   * dtn://node/, a decimal service number on ipn:N.0). Give either this or `endpoint`, or neither and call
   * register() once nodeId is known.
   */
  readonly agentId?: string;
  /** The full EID to register (`dtn://node/email`, `ipn:2.25`); its node part must be the node's ID. */
  readonly endpoint?: string;
  /**
   * AAP 2.0 only: ConnectionConfig.secret, sent on both connections (the second registration of an
   * agent ID must present the first one's secret, protocols.md §5.1). Absent: none is sent. uD3TN v0.13
   * compares secrets with strcmp() without a NULL check (agent_manager.c agent_register), so a
   * registration with a secret for an agent ID whose other role is held without one (any AAP v1 client,
   * or an AAP 2.0 client without a secret), or the reverse, crashes the node (SIGSEGV, seen on v0.13).
   */
  readonly secret?: string;
  /**
   * Receive bundles from the start. AAP 2.0 needs a second, subscriber connection for that (§5.1); it is
   * opened at connect() when this is true, otherwise at the first bundles() call. AAP v1 delivers on the
   * registered connection in any case.
   */
  readonly receive?: boolean;
  /**
   * Liveness interval in seconds, 0 or absent = off. AAP 2.0: ConnectionConfig.keepalive_seconds on both
   * connections; the client sends Keepalive on the idle active connection and answers the node's on the
   * subscriber. AAP v1 has no keepalive: the client sends PING when idle that long (the node never pings).
   */
  readonly keepaliveSeconds?: number;
  /**
   * AAP 2.0 subscriber: answer a pushed ADU with SUCCESS after this many ms even when the consumer has
   * not taken it yet (it stays in the client's buffer: nothing is lost here). Absent: SUCCESS only once
   * the consumer is done with the bundle (it asks for the next one or ends its iteration, inbox.ts). uD3TN v0.13 waits 1 s for that answer (AAP2_AGENT_TIMEOUT_MS),
   * then closes the subscriber connection and drops its own copy, and bundles that arrive before the
   * client has reconnected are dropped as well (ud3tn-behaviour.md §11). With a consumer that may hold a
   * bundle longer than that, set this below 1000 for a v0.13 node.
   */
  readonly subscriberConfirmDeadlineMs?: number;
  /** How long a request waits for its reply (uD3TN does not answer some errors at all, §5.3). */
  readonly requestTimeoutMs: number;
  /** How long opening a connection and reading WELCOME may take; defaults to requestTimeoutMs. */
  readonly connectTimeoutMs?: number;
  /** Exponential backoff between reconnect attempts: initialMs, doubling, capped at maxMs. */
  readonly reconnect: { readonly initialMs: number; readonly maxMs: number };
  /** Largest ADU accepted from the node; defaults to LIMITS.aapDefaultMaxPayload / aap2DefaultMaxPayload. */
  readonly maxPayloadBytes?: number;
  /** Received bytes buffered for a slow consumer before the client stops reading the socket. */
  readonly inboxHighWaterBytes?: number;
  readonly log: (e: AapClientLogEvent) => void;
  /** Milliseconds since the Unix epoch (contact defaults); Date.now when absent. */
  readonly clock?: () => number;
}

/** A contact for uD3TN's config agent (protocols.md §7.2). Times are Unix milliseconds. */
export interface ContactRequest {
  /** The peer's node ID, e.g. `dtn://mars.dtn/` or `ipn:2.0`. */
  readonly node: string;
  /** The CLA address, e.g. `mtcp:127.0.0.1:4224`. */
  readonly cla: string;
  /** Contact start, Unix ms; default now. */
  readonly start?: number;
  /** Contact end, Unix ms; default start + 1 day. */
  readonly end?: number;
  /** Bytes per second; default unlimited. */
  readonly rateBytesPerSec?: number;
}

export interface ContactSent {
  /** The SENDCONFIRM of the config bundle: the config agent answers nothing else (protocols.md §7.1). */
  readonly bundleId: BundleId;
  /** Where it went: `<nodeId>config` or `ipn:N.9000`. */
  readonly destination: string;
  /** The config text sent. */
  readonly config: string;
}

export interface AapClient {
  readonly protocol: AapProtocol;
  /** The node ID from WELCOME / Welcome; null before the first connection. */
  readonly nodeId: string | null;
  /** The registered EID; null while unregistered. */
  readonly endpoint: string | null;
  readonly state: AapClientState;
  /**
   * One connection attempt: open, read WELCOME, and register when an agent was given. Fails with
   * CONNECTION_FAILED, TIMEOUT, AAP_VERSION_MISMATCH (an AAP 2.0 node met with aap1, or the reverse),
   * AAP_NACK / AAP_STATUS (registration refused). After success, drops are repaired automatically.
   */
  connect(): Promise<Result<{ readonly nodeId: string }>>;
  /** Register (or re-register as) an agent; remembered and repeated after every reconnect. */
  register(agentId: string): Promise<Result<{ readonly endpoint: string }>>;
  /**
   * Send one ADU. The destination EID is validated first (a bad one aborts a debug uD3TN). Fails with
   * TIMEOUT (no reply; the client then reconnects) or CONNECTION_CLOSED (the connection dropped with the
   * request pending or queued). Neither is retried: the node may or may not have accepted the bundle.
   * Asking for status reports over AAP v1 fails with UNSUPPORTED before anything is sent.
   */
  send(destination: string, payload: Uint8Array, options?: SendOptions): Promise<Result<BundleId>>;
  /** Configure a contact through the node's config agent. */
  addContact(contact: ContactRequest): Promise<Result<ContactSent>>;
  /**
   * The received bundles, in arrival order, for one consumer. A bundle leaves the client's buffer only
   * when the consumer takes it; AAP 2.0 confirms it to the node (SUCCESS) only once the consumer asks for
   * the next bundle or ends its iteration, so a consumer that stores each bundle before asking for the next
   * never lets the node forget one it has not stored. The iterator ends after close(), once the buffer is
   * drained.
   */
  bundles(): AsyncIterableIterator<ReceivedBundle>;
  /** Liveness check: AAP v1 PING → ACK, AAP 2.0 Keepalive → ACK. */
  ping(): Promise<Result<void>>;
  /** Close every connection; pending requests fail with CONNECTION_CLOSED. */
  close(): Promise<void>;
  /** Subscribe to state changes; returns the unsubscribe function. */
  onStateChange(listener: (state: AapClientState) => void): () => void;
}
