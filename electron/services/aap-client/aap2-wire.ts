/**
 * The client's view of the AAP 2.0 codec (shared/protocol/aap2): what a client reads from a node and
 * writes to it, in the terms aap2-connection.ts works with. A pushed BundleADU and the raw payload that
 * follows it (protocols.md §5.1 framing item 3) come back as one message here.
 */
import type { FarsideError, Result } from '../../../shared/errors';
import { createAap2Decoder, type Aap2Expect } from '../../../shared/protocol/aap2/decoder';
import {
  AAP2_RESPONSE_STATUS,
  encodeAap2AduParts,
  encodeAap2Message,
  encodeAap2Response,
  type Aap2BundleAdu,
} from '../../../shared/protocol/aap2/messages';
import { ADU_FLAGS } from './status-reports';

export const AAP2_STATUS = AAP2_RESPONSE_STATUS;

const STATUS_NAMES = new Map<number, string>(Object.entries(AAP2_RESPONSE_STATUS).map(([name, n]) => [n, name]));

/** RESPONSE_STATUS_<NAME> for a status number (the node may send one this table does not know). */
export function statusName(status: number): string {
  return `RESPONSE_STATUS_${STATUS_NAMES.get(status) ?? status}`;
}

export interface Aap2Config {
  readonly endpoint: string;
  readonly secret: string;
  /** 0 = no keepalives. */
  readonly keepaliveSeconds: number;
}

/** AAPResponse.bundle_headers: the BPv7 bundle ID of the bundle the node created (protocols.md §5.1). */
export interface BundleHeaders {
  readonly source: string;
  readonly destination: string;
  readonly creationTime: number;
  readonly sequence: number;
}

export type NodeMessage =
  | { readonly kind: 'welcome'; readonly nodeId: string }
  | {
      readonly kind: 'adu';
      readonly source: string;
      readonly destination: string;
      readonly creationTime: number;
      readonly sequence: number;
      readonly payload: Uint8Array;
      readonly isBpdu: boolean;
      /** adu_flags ADMIN_RECORD (Farside's BPA, docs/status-reports.md §2). */
      readonly isAdminRecord: boolean;
    }
  | { readonly kind: 'keepalive' }
  | { readonly kind: 'response'; readonly status: number; readonly bundle: BundleHeaders | null }
  /** A client-only message (config) coming from the node: the caller treats it as out of step. */
  | { readonly kind: 'config' };

export type ReaderStep =
  | { readonly kind: 'message'; readonly message: NodeMessage }
  | { readonly kind: 'need-more' }
  | { readonly kind: 'error'; readonly error: FarsideError };

export interface Aap2Reader {
  push(chunk: Uint8Array): void;
  /** The next node message, decoded as `expect` says (AAPMessage or AAPResponse; the Welcome is a message). */
  next(expect: Aap2Expect): ReaderStep;
}

const NEED_MORE: ReaderStep = Object.freeze({ kind: 'need-more' });

export function createAap2Reader(maxPayload: number): Aap2Reader {
  const decoder = createAap2Decoder({ role: 'client', maxPayload });
  /** A BundleADU whose payload has not fully arrived yet. */
  let pendingAdu: Aap2BundleAdu | null = null;

  function withPayload(adu: Aap2BundleAdu, payload: Uint8Array): ReaderStep {
    return {
      kind: 'message',
      message: {
        kind: 'adu',
        source: adu.srcEid,
        destination: adu.dstEid,
        creationTime: adu.creationTimestampMs,
        sequence: adu.sequenceNumber,
        payload,
        // adu_flags is a set of bits (uD3TN tests `adu_flags & BUNDLE_ADU_BPDU`; docs/status-reports.md)
        isBpdu: (adu.aduFlags & ADU_FLAGS.BPDU) !== 0,
        isAdminRecord: (adu.aduFlags & ADU_FLAGS.ADMIN_RECORD) !== 0,
      },
    };
  }

  function next(expect: Aap2Expect): ReaderStep {
    if (pendingAdu === null && decoder.expecting !== expect) decoder.expect(expect);
    const step = decoder.next();
    switch (step.kind) {
      case 'need-more':
        return NEED_MORE;
      case 'error':
        return step;
      case 'payload': {
        const adu = pendingAdu;
        pendingAdu = null;
        if (adu === null) return { kind: 'error', error: { code: 'INTERNAL', message: 'AAP 2.0 payload without a BundleADU' } };
        return withPayload(adu, step.payload);
      }
      case 'response': {
        const h = step.response.bundleHeaders;
        const bundle = h
          ? { source: h.srcEid, destination: h.dstEid, creationTime: h.creationTimestampMs, sequence: h.sequenceNumber }
          : null;
        return { kind: 'message', message: { kind: 'response', status: step.response.responseStatus, bundle } };
      }
      case 'message': {
        const m = step.message;
        if (m.kind === 'welcome') return { kind: 'message', message: { kind: 'welcome', nodeId: m.welcome.nodeId } };
        if (m.kind === 'keepalive') return { kind: 'message', message: { kind: 'keepalive' } };
        if (m.kind === 'config') return { kind: 'message', message: { kind: 'config' } };
        // The payload follows as its own decoder step; an empty one is returned at once.
        pendingAdu = m.adu;
        return next(expect);
      }
    }
  }

  return { push: (chunk) => decoder.push(chunk), next };
}

export function encodeConfig(c: Aap2Config & { readonly subscriber: boolean }): Result<Uint8Array> {
  return encodeAap2Message({
    kind: 'config',
    config: { isSubscriber: c.subscriber, secret: c.secret, endpointId: c.endpoint, keepaliveSeconds: c.keepaliveSeconds },
  });
}

/**
 * [AAPMessage{adu{dst_eid, payload_length, adu_flags}} frame, payload]; the payload is not copied.
 * adu_flags 0 is not written (proto3 default), so a send without reports has uD3TN's exact bytes.
 */
export function encodeAdu(destination: string, payload: Uint8Array, aduFlags: number): Result<readonly Uint8Array[]> {
  return encodeAap2AduParts({ dstEid: destination, aduFlags }, payload);
}

export function encodeKeepalive(): Result<Uint8Array> {
  return encodeAap2Message({ kind: 'keepalive', keepalive: {} });
}

export function encodeResponse(status: number): Result<Uint8Array> {
  return encodeAap2Response({ responseStatus: status });
}
