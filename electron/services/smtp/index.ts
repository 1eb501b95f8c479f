/** A strict SMTP client that passes ESMTP parameters verbatim and reports every reply (RFC 5321). */
export { openSmtpSession, recipientAccepted } from './smtp-client';
export type { SmtpClientOptions, SmtpEnvelope, SmtpRecipient, SmtpSendResult, SmtpSession } from './smtp-client';
export { createReplyDecoder, formatReply, replyClass } from './reply-decoder';
export type { ReplyDecoder, ReplyDecoderOptions, SmtpReply } from './reply-decoder';
