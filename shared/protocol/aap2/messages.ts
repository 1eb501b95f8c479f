/**
 * The AAP 2.0 messages of uD3TN v0.13 (protocols.md §5.1; v0.13:components/aap2/aap2.proto), one field
 * table each, with the v0.13 field numbers. Post-0.13 uD3TN changes some encodings (repeated adu_flags,
 * new oneof members; protocols.md §5.2): these tables are for v0.13 only. Unknown fields, such as the
 * ≥ 0.14 AAPMessage members, are skipped by the decoder (protobuf.ts).
 *
 * Field names are the proto names in camelCase. uint64 fields are JS numbers (≤ 2^53-1, protobuf.ts).
 */
import { err, ok } from '../../errors';
import type { Result } from '../../errors';
import { LIMITS } from '../limits';
import { decodeMessage, defineMessage, encodeDelimited, oneofMember, readVarint } from './protobuf';
import type { MessageInit, MessageOf } from './protobuf';

/** The byte a v0.13 node sends right after connect, before any Protobuf (protocols.md §5.1). */
export const AAP2_VERSION_INDICATOR = 0x2f;

/** enum AuthType. */
export const AAP2_AUTH_TYPE = { DEFAULT: 0 } as const;

/** enum BundleADUFlags (a singular field in v0.13). */
export const AAP2_ADU_FLAGS = { NORMAL: 0, BPDU: 1 } as const;

/** enum ResponseStatus (each RESPONSE_STATUS_ in the proto). */
export const AAP2_RESPONSE_STATUS = {
  UNSPECIFIED: 0,
  SUCCESS: 1,
  ACK: 2,
  ERROR: 8,
  TIMEOUT: 9,
  INVALID_REQUEST: 10,
  NOT_FOUND: 11,
  UNAUTHORIZED: 12,
} as const;

export const WELCOME = defineMessage('Welcome', {
  nodeId: { no: 1, kind: 'string' },
});

export const CONNECTION_CONFIG = defineMessage('ConnectionConfig', {
  isSubscriber: { no: 1, kind: 'bool' },
  authType: { no: 2, kind: 'enum' },
  secret: { no: 3, kind: 'string' },
  /** The full EID, e.g. "dtn://earth.dtn/smtp". */
  endpointId: { no: 4, kind: 'string' },
  /** 0 or 30..600 per the proto comment; v0.13 accepts 1 (ud3tn-behaviour.md §6). */
  keepaliveSeconds: { no: 5, kind: 'uint32' },
});

export const BUNDLE_ADU = defineMessage('BundleADU', {
  srcEid: { no: 1, kind: 'string' },
  dstEid: { no: 2, kind: 'string' },
  creationTimestampMs: { no: 3, kind: 'uint64' },
  sequenceNumber: { no: 4, kind: 'uint64' },
  payloadLength: { no: 5, kind: 'uint64' },
  aduFlags: { no: 6, kind: 'enum' },
});

export const BUNDLE = defineMessage('Bundle', {
  srcEid: { no: 1, kind: 'string' },
  dstEid: { no: 2, kind: 'string' },
  creationTimestampMs: { no: 3, kind: 'uint64' },
  sequenceNumber: { no: 4, kind: 'uint64' },
  payloadLength: { no: 5, kind: 'uint64' },
  fragmentOffset: { no: 6, kind: 'uint64' },
  totalAduLength: { no: 7, kind: 'uint64' },
  lifetimeMs: { no: 8, kind: 'uint64' },
});

export const KEEPALIVE = defineMessage('Keepalive', {});

/** AAPMessage: `oneof msg`. */
export const AAP_MESSAGE = defineMessage(
  'AAPMessage',
  {
    welcome: { no: 1, kind: 'message', type: WELCOME },
    config: { no: 2, kind: 'message', type: CONNECTION_CONFIG },
    adu: { no: 3, kind: 'message', type: BUNDLE_ADU },
    keepalive: { no: 6, kind: 'message', type: KEEPALIVE },
  },
  { oneof: true },
);

export const AAP_RESPONSE = defineMessage('AAPResponse', {
  responseStatus: { no: 1, kind: 'enum' },
  bundleHeaders: { no: 3, kind: 'message', type: BUNDLE },
});

export type Aap2Welcome = MessageOf<typeof WELCOME.schema>;
export type Aap2ConnectionConfig = MessageOf<typeof CONNECTION_CONFIG.schema>;
export type Aap2BundleAdu = MessageOf<typeof BUNDLE_ADU.schema>;
export type Aap2Bundle = MessageOf<typeof BUNDLE.schema>;
export type Aap2Keepalive = MessageOf<typeof KEEPALIVE.schema>;
export type Aap2Response = MessageOf<typeof AAP_RESPONSE.schema>;
export type Aap2ResponseInit = MessageInit<typeof AAP_RESPONSE.schema>;

type AapMessageSchema = typeof AAP_MESSAGE.schema;

/** One AAPMessage: exactly one oneof member, named by `kind`. */
export type Aap2Message = {
  [K in keyof AapMessageSchema]: { readonly kind: K } & { readonly [P in K]: NonNullable<MessageOf<AapMessageSchema>[K]> };
}[keyof AapMessageSchema];

/** What encodeAap2Message takes: the member's fields may be left out (proto3 defaults). */
export type Aap2MessageInit = {
  [K in keyof AapMessageSchema]: { readonly kind: K } & { readonly [P in K]: NonNullable<MessageInit<AapMessageSchema>[K]> };
}[keyof AapMessageSchema];

export type Aap2BundleAduInit = MessageInit<typeof BUNDLE_ADU.schema>;

/** An AAPMessage as sent: varint length, then the message. INVALID_ARGUMENT for out-of-range values. */
export function encodeAap2Message(message: Aap2MessageInit): Result<Uint8Array> {
  const fields = message as Aap2MessageInit & Record<string, unknown>;
  return limited(encodeDelimited(AAP_MESSAGE, { [message.kind]: fields[message.kind] }));
}

/** An AAPResponse as sent: varint length, then the message. */
export function encodeAap2Response(response: Aap2ResponseInit): Result<Uint8Array> {
  return limited(encodeDelimited(AAP_RESPONSE, response));
}

/**
 * Gather form of an ADU: [AAPMessage{adu} frame, payload], the payload being the caller's own array.
 * payload_length is set from the payload; INVALID_ARGUMENT if `adu.payloadLength` says otherwise.
 */
export function encodeAap2AduParts(adu: Aap2BundleAduInit, payload: Uint8Array): Result<readonly Uint8Array[]> {
  if (adu.payloadLength !== undefined && adu.payloadLength !== payload.length) {
    return err('INVALID_ARGUMENT', `BundleADU.payloadLength ${adu.payloadLength} but the payload has ${payload.length} bytes`);
  }
  const frame = encodeAap2Message({ kind: 'adu', adu: { ...adu, payloadLength: payload.length } });
  return frame.ok ? ok([frame.value, payload]) : frame;
}

/**
 * Decode an AAPMessage body (without its length prefix). UNSUPPORTED when no v0.13 member is set (an
 * empty message, or only members of a later uD3TN).
 */
export function decodeAap2Message(body: Uint8Array): Result<Aap2Message> {
  const r = decodeMessage(AAP_MESSAGE, body);
  if (!r.ok) return r;
  const kind = oneofMember(AAP_MESSAGE, r.value) as Aap2Message['kind'] | undefined;
  if (kind === undefined) return err('UNSUPPORTED', 'AAPMessage holds no message known to uD3TN v0.13');
  // The oneof decoder leaves exactly this member set (protobuf.ts), so the record has the union's shape.
  return ok({ kind, [kind]: r.value[kind] } as unknown as Aap2Message);
}

/** Decode an AAPResponse body (without its length prefix). */
export function decodeAap2Response(body: Uint8Array): Result<Aap2Response> {
  return decodeMessage(AAP_RESPONSE, body);
}

/** A peer refuses messages above LIMITS.aap2MaxMessageBytes, so we never send one. */
function limited(frame: Result<Uint8Array>): Result<Uint8Array> {
  if (!frame.ok) return frame;
  const size = readVarint(frame.value, 0, frame.value.length);
  if (typeof size !== 'string' && size.value > LIMITS.aap2MaxMessageBytes) {
    return err('INVALID_ARGUMENT', `AAP 2.0 message of ${size.value} bytes exceeds ${LIMITS.aap2MaxMessageBytes}`);
  }
  return frame;
}
