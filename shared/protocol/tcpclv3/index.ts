/** TCPCLv3 (RFC 7242): SDNVs, contact header, messages, and a resumable session decoder. */
export { decodeSdnv, encodeSdnv, readSdnv, sdnvSize, writeSdnv } from './sdnv';
export type { SdnvRead } from './sdnv';
export { encodeTcpclv3ContactHeader, TCPCLV3_CONTACT_FLAGS, TCPCLV3_MAGIC, TCPCLV3_VERSION } from './contact-header';
export type { Tcpclv3ContactHeader } from './contact-header';
export {
  encodeTcpclv3BundleParts,
  encodeTcpclv3DataSegmentHeader,
  encodeTcpclv3Message,
  encodeTcpclv3MessageParts,
  TCPCLV3_MESSAGE_CODES,
  TCPCLV3_REFUSE_REASON,
  TCPCLV3_SHUTDOWN_REASON,
} from './messages';
export type { Tcpclv3Message, Tcpclv3MessageType } from './messages';
export { createTcpclv3Decoder } from './decoder';
export type { Tcpclv3ControlMessage, Tcpclv3Decoder, Tcpclv3DecoderOptions, Tcpclv3DecodeStep } from './decoder';
