/**
 * uD3TN AAP v1 (protocols.md §4.2; v0.13:components/aap/aap_parser.c, aap_serializer.c): every message
 * type, described once. The encoder, the size function and the resumable decoder are all derived from
 * AAP_LAYOUT.
 *
 * Wire form: one header byte `(version << 4) | type` with version 1, then the body fields in table order,
 * all integers big-endian:
 *   eid      u16 length + that many bytes of text (an EID, or the agent ID for REGISTER)
 *   payload  u64 length + that many bytes (always the last field)
 *   bundleId u64
 */

/** The version nibble of every AAP v1 header byte. */
export const AAP_VERSION = 1;

/** First byte an AAP 2.0 node sends on connect (protocols.md §5.1): version nibble 2, type 0xF. */
export const AAP2_INDICATOR_BYTE = 0x2f;

export type AapField = 'eid' | 'payload' | 'bundleId';

/**
 * Who may send the type: `node` (the node/BPA side), `client` (the application side) or `both`.
 * ACK is listed in protocols.md as "both", but only the node answers with it: uD3TN v0.13 ignores an ACK
 * from a client ("Cannot handle AAP messages of type 0", application_agent.c; probe_client_sends_ack).
 * PING is answered by ACK; the v0.13 node never sends one itself (ud3tn-behaviour.md §5.1).
 */
export type AapSender = 'node' | 'client' | 'both';

export interface AapTypeLayout {
  readonly code: number;
  readonly sender: AapSender;
  readonly fields: readonly AapField[];
}

export const AAP_LAYOUT = {
  ACK: { code: 0x0, sender: 'node', fields: [] },
  NACK: { code: 0x1, sender: 'node', fields: [] },
  REGISTER: { code: 0x2, sender: 'client', fields: ['eid'] },
  SENDBUNDLE: { code: 0x3, sender: 'client', fields: ['eid', 'payload'] },
  RECVBUNDLE: { code: 0x4, sender: 'node', fields: ['eid', 'payload'] },
  SENDCONFIRM: { code: 0x5, sender: 'node', fields: ['bundleId'] },
  CANCELBUNDLE: { code: 0x6, sender: 'client', fields: ['bundleId'] },
  WELCOME: { code: 0x7, sender: 'node', fields: ['eid'] },
  PING: { code: 0x8, sender: 'both', fields: [] },
  SENDBIBE: { code: 0x9, sender: 'client', fields: ['eid', 'payload'] },
  RECVBIBE: { code: 0xa, sender: 'node', fields: ['eid', 'payload'] },
  // 0xB..0xF are reserved (protocols.md §4.2).
} as const satisfies Record<string, AapTypeLayout>;

export type AapMessageType = keyof typeof AAP_LAYOUT;

/** What each body field holds once decoded. `eid` is text; an EID is parsed by the BPv7 EID module, not here. */
export interface AapFieldValues {
  readonly eid: string;
  readonly payload: Uint8Array;
  /** The raw u64; see bundle-id.ts for the v0.12+ structure of SENDCONFIRM IDs. */
  readonly bundleId: bigint;
}

type Fields<T extends AapMessageType> = (typeof AAP_LAYOUT)[T]['fields'][number];

/** One message of type T: `{ type: T }` plus exactly the fields its layout lists. */
export type AapMessageOf<T extends AapMessageType> = { readonly type: T } & {
  readonly [F in Fields<T>]: AapFieldValues[F];
};

/** Every AAP v1 message, as a union discriminated by `type`. */
export type AapMessage = { [T in AapMessageType]: AapMessageOf<T> }[AapMessageType];

export interface AapTypeEntry extends AapTypeLayout {
  readonly type: AapMessageType;
}

/** Type nibble → layout entry (undefined for reserved nibbles), derived from AAP_LAYOUT. */
export const AAP_BY_CODE: readonly (AapTypeEntry | undefined)[] = (() => {
  const table: (AapTypeEntry | undefined)[] = new Array<AapTypeEntry | undefined>(16).fill(undefined);
  for (const type of Object.keys(AAP_LAYOUT) as AapMessageType[]) {
    const layout: AapTypeLayout = AAP_LAYOUT[type];
    table[layout.code] = { type, ...layout };
  }
  return table;
})();

/** Bytes each fixed-size field part occupies: the eid's and the payload's length prefixes, the bundle ID. */
export const AAP_EID_LENGTH_BYTES = 2;
export const AAP_PAYLOAD_LENGTH_BYTES = 8;
export const AAP_BUNDLE_ID_BYTES = 8;
