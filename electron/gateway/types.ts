/**
 * Types shared by the two halves of the mail gateway (issue 4): the outbound listener (mail → bundles) and
 * the inbound processor (bundles → mail), and the seams to the BP side that is wired in later.
 */
import type { Result } from '../../shared/errors';
import type { BundleId } from '../services/aap-client/types';

/**
 * One structured log line per event (issue 4: "one log line per message event"). Never message bodies,
 * never secrets; addresses, EIDs, bundle IDs, Message-IDs and reply codes are what operators need.
 */
export interface GatewayLogEvent {
  readonly event: string;
  readonly [field: string]: string | number | boolean | null | undefined;
}

export type GatewayLog = (e: GatewayLogEvent) => void;

/**
 * Hand one ADU to the local BP node for `destination`. The signature of AapClient.send, so the BP side can
 * pass `(d, p) => client.send(d, p)` unchanged. An error means the node may or may not have taken it;
 * the caller retries, and the receiving gateway's de-duplication by Message-ID absorbs a repeat.
 */
export type SendBundle = (destination: string, payload: Uint8Array) => Promise<Result<BundleId>>;

/** A bundle's ADU as the BP side received it for the gateway's endpoint. */
export interface ReceivedAdu {
  /** The bundle's source EID (the remote gateway, e.g. dtn://earth.dtn/email). */
  readonly source: string;
  /**
   * The bundle ID as text (electron/bpa/store/bundle-key.ts form: "source creationTime sequence"), or null
   * when the node gives none (AAP v1 RECVBUNDLE carries no ID; the payload's digest stands in then).
   */
  readonly bundleId: string | null;
  readonly payload: Uint8Array;
  /** The gateway's endpoint the bundle was delivered to, when the BP side knows it (the Received field's By comment). */
  readonly destination?: string;
}

/** The text form of an AAP BundleId, the same as electron/bpa/store/bundle-key.ts writes. */
export function bundleIdText(id: BundleId): string {
  return `${id.source} ${id.creationTime} ${id.sequence}`;
}
