/** uD3TN AAP 2.0 (v0.13): Protobuf messages from field tables, varint-delimited framing, resumable decoder. */
export {
  AAP2_ADU_FLAGS,
  AAP2_AUTH_TYPE,
  AAP2_RESPONSE_STATUS,
  AAP2_VERSION_INDICATOR,
  decodeAap2Message,
  decodeAap2Response,
  encodeAap2AduParts,
  encodeAap2Message,
  encodeAap2Response,
} from './messages';
export { FARSIDE_ADU_FLAGS, FARSIDE_REPORT_ADU_BITS } from './farside-adu-flags';
export type {
  Aap2Bundle,
  Aap2BundleAdu,
  Aap2BundleAduInit,
  Aap2ConnectionConfig,
  Aap2Keepalive,
  Aap2Message,
  Aap2MessageInit,
  Aap2Response,
  Aap2ResponseInit,
  Aap2Welcome,
} from './messages';
export { createAap2Decoder } from './decoder';
export type { Aap2DecodeStep, Aap2Decoder, Aap2DecoderOptions, Aap2Expect, Aap2Role } from './decoder';
