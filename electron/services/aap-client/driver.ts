/**
 * The seam between the protocol-neutral client (client.ts) and one protocol's connections
 * (aap1-driver.ts, aap2-driver.ts). Arguments reach a driver already validated.
 */
import { err, type FarsideError, type Result } from '../../../shared/errors';
import type { Inbox } from './inbox';
import type { LinkState } from './link';
import type { AapClientLogEvent, AapTransport, BundleId, SendOptions } from './types';

/** What to register: an agent ID (last EID part) or a full EID whose node part must match the node. */
export type Registration = { readonly agentId: string } | { readonly endpoint: string };

export interface DriverOptions {
  readonly transport: AapTransport;
  readonly registration: Registration | null;
  /** '' = none (the field is left out). */
  readonly secret: string;
  readonly keepaliveSeconds: number;
  /** AAP 2.0 subscriber: confirm a pushed ADU after this long even if not taken yet; null = only when taken. */
  readonly subscriberConfirmDeadlineMs: number | null;
  readonly requestTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly reconnect: { readonly initialMs: number; readonly maxMs: number };
  readonly maxPayloadBytes: number;
  readonly inbox: Inbox;
  readonly log: (e: AapClientLogEvent) => void;
  /** State of the sending connection's link. */
  readonly onLinkState: (state: LinkState) => void;
}

export interface ProtocolDriver {
  readonly nodeId: string | null;
  readonly endpoint: string | null;
  connect(): Promise<Result<{ readonly nodeId: string }>>;
  register(agentId: string): Promise<Result<{ readonly endpoint: string }>>;
  send(destination: string, payload: Uint8Array, options: SendOptions): Promise<Result<BundleId>>;
  ping(): Promise<Result<void>>;
  /** The caller wants received bundles (AAP 2.0 opens its subscriber connection). */
  receive(): void;
  /** Backpressure from the inbox. */
  setPaused(paused: boolean): void;
  close(): Promise<void>;
}

/** Both protocols' links stop in 'failed' on a version mismatch: reconnecting to the same node cannot fix it. */
export function isFatalLinkError(e: FarsideError): boolean {
  return e.code === 'AAP_VERSION_MISMATCH';
}

/** What send() and ping() answer while the link has no connection. */
export function notConnected(link: { readonly state: LinkState }): Result<never> {
  return err('CONNECTION_CLOSED', `not connected (${link.state})`);
}

/**
 * The node ID from a new connection's welcome, logged when it differs from the one before (the node
 * behind the socket was replaced or reconfigured between two connections).
 */
export function welcomedNodeId(log: DriverOptions['log'], previous: string | null, next: string): string {
  if (previous !== null && previous !== next) log({ event: 'aap-node-id-changed', from: previous, to: next });
  return next;
}
