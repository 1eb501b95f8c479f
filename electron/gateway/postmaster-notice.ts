/**
 * The notice that hands an object the gateway cannot process to the local postmaster (RFC 2442: a
 * processor SHOULD pass a syntactically invalid object to the postmaster for manual handling; issue 4:
 * "never silently away"). A multipart/mixed message (RFC 2046 §5.1.3): what was wrong and where the
 * object came from, then the object itself as an application/octet-stream attachment in base64 (it may
 * hold anything, bare CRs and NULs included), cut at LIMITS.gatewayPostmasterAttachmentBytes. It is sent
 * with the null reverse-path, so no DSN can ever answer it.
 */
import { randomUUID } from 'node:crypto';
import type { FarsideError } from '../../shared/errors';
import { toLogFormat } from '../../shared/errors';
import { sanitizeFieldText } from '../../shared/mail/dsn';
import { formatRfc5322Date } from '../../shared/mail/date';
import { LIMITS } from '../../shared/protocol/limits';

export interface NoticeInput {
  readonly hostname: string;
  /** Where it goes, e.g. postmaster@mars.example (also the MAILER-DAEMON domain). */
  readonly postmaster: string;
  readonly source: string;
  /** The bundle ID text, or the payload digest key when the node gave none. */
  readonly bundleKey: string;
  /** What the payload looked like: 'bsmtp', 'rfc5322' or 'unknown'. */
  readonly form: string;
  readonly error: FarsideError;
  readonly payload: Uint8Array;
  readonly now: number;
}

export interface Notice {
  readonly message: Uint8Array;
  readonly messageId: string;
}

export function buildPostmasterNotice(input: NoticeInput): Notice {
  const unique = randomUUID();
  const boundary = `farside-notice-${unique}`;
  const messageId = `notice.${unique}@${input.hostname}`;
  const domain = input.postmaster.slice(input.postmaster.lastIndexOf('@') + 1);
  const cut = input.payload.length > LIMITS.gatewayPostmasterAttachmentBytes;
  const attached = cut ? input.payload.subarray(0, LIMITS.gatewayPostmasterAttachmentBytes) : input.payload;
  const text = [
    `The mail gateway ${input.hostname} received an object it cannot process and did not deliver it.`,
    '',
    `Source EID:  ${input.source}`,
    `Bundle:      ${input.bundleKey}`,
    `Form:        ${input.form}`,
    `Size:        ${input.payload.length} octets`,
    `Problem:     ${toLogFormat(input.error)}`,
    '',
    cut
      ? `The first ${attached.length} octets of the object are attached (the rest was cut, LIMITS.gatewayPostmasterAttachmentBytes).`
      : 'The object is attached unchanged.',
  ]
    .map(sanitizeFieldText)
    .join('\r\n');
  const base64 = Buffer.from(attached.buffer, attached.byteOffset, attached.byteLength).toString('base64').replace(/.{1,76}/g, '$&\r\n');
  const message =
    `From: Mail Delivery System <MAILER-DAEMON@${domain}>\r\n` +
    `To: <${input.postmaster}>\r\n` +
    `Subject: ${sanitizeFieldText(`Invalid mail object from ${input.source}`)}\r\n` +
    `Date: ${formatRfc5322Date(input.now)}\r\n` +
    `Message-ID: <${messageId}>\r\n` +
    'Auto-Submitted: auto-generated\r\n' +
    'MIME-Version: 1.0\r\n' +
    `Content-Type: multipart/mixed; boundary="${boundary}"\r\n` +
    '\r\n' +
    `--${boundary}\r\n` +
    'Content-Type: text/plain; charset=us-ascii\r\n' +
    '\r\n' +
    `${text}\r\n` +
    `\r\n--${boundary}\r\n` +
    'Content-Type: application/octet-stream\r\n' +
    'Content-Transfer-Encoding: base64\r\n' +
    'Content-Disposition: attachment; filename="object.bin"\r\n' +
    '\r\n' +
    base64 +
    `\r\n--${boundary}--\r\n`;
  return { message: new TextEncoder().encode(message), messageId };
}
