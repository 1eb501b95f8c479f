/** uD3TN AAP v1: layout table, encoder, resumable decoder, SENDCONFIRM bundle IDs, validity rules. */
export { AAP_LAYOUT, AAP_VERSION, AAP2_INDICATOR_BYTE } from './layout';
export type { AapMessage, AapMessageOf, AapMessageType, AapFieldValues, AapSender } from './layout';
export { encodeAapMessage, encodeAapMessageParts } from './encode';
export { createAapDecoder } from './decoder';
export type { AapDecoder, AapDecoderOptions, AapDecodeStep, AapRecovery } from './decoder';
export { decodeAapBundleId, encodeAapBundleId } from './bundle-id';
export type { AapBundleId } from './bundle-id';
export { validateAapMessage } from './validate';
