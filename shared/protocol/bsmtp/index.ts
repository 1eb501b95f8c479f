/** Batch SMTP (RFC 2442) codec: the public API of shared/protocol/bsmtp. */
export { encodeBsmtp, encodeBsmtpMessage } from './encode';
export { decodeBsmtp } from './decode';
export { detectPayloadForm } from './detect';
export type { PayloadForm } from './detect';
export { encodeXtext, decodeXtext, isXtext } from './xtext';
export type {
  BodyType,
  DecodedBsmtp,
  DsnCondition,
  DsnNotify,
  DsnReturn,
  EncodeEnvelope,
  EncodeInput,
  EncodeRecipient,
  EncodeTransaction,
  Envelope,
  EsmtpParams,
  Recipient,
  Transaction,
} from './types';
