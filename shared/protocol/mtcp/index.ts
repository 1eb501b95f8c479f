/** MTCP / SMTCP framing: one CBOR byte string per bundle. */
export { encodeMtcpFrame, encodeMtcpFrameParts, encodeMtcpHeader } from './frame';
export { createMtcpDecoder } from './decoder';
export type { MtcpDecodeStep, MtcpDecoder, MtcpDecoderOptions, MtcpRecovery } from './decoder';
