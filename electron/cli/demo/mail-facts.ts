/**
 * What the demo checks in a message it finds in an IMAP inbox: the headers a reader would look at, each
 * attachment's size and SHA-256 (compared with what was sent), and, for a delivery status notification,
 * the RFC 3464 fields (shared/mail/dsn).
 */
import { createHash } from 'node:crypto';
import { simpleParser } from 'mailparser';
import type { AddressObject } from 'mailparser';
import { parseDsn } from '../../../shared/mail/dsn';
import type { ParsedDsn } from '../../../shared/mail/dsn';

export interface AttachmentFacts {
  readonly filename: string;
  readonly size: number;
  /** Hex SHA-256 of the decoded content. */
  readonly sha256: string;
}

export interface MessageFacts {
  /** Without angle brackets; '' when the message has none. */
  readonly messageId: string;
  readonly inReplyTo: string;
  readonly subject: string;
  readonly from: string;
  /** Size of the message as stored (headers Postfix and Dovecot added included). */
  readonly size: number;
  readonly attachments: readonly AttachmentFacts[];
  /** The delivery-status report, when the message is one (multipart/report; report-type=delivery-status). */
  readonly dsn: ParsedDsn | null;
}

const unbracket = (id: string | undefined): string => (id ?? '').trim().replace(/^<|>$/g, '');

function addressText(a: AddressObject | AddressObject[] | undefined): string {
  if (a === undefined) return '';
  return (Array.isArray(a) ? a : [a]).map((x) => x.value.map((v) => v.address ?? '').join(', ')).join(', ');
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function readMessageFacts(source: Buffer): Promise<MessageFacts> {
  const dsn = parseDsn(source);
  const parsed = await simpleParser(source, { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true });
  // A DSN's own parts (the status fields, the returned headers) are not attachments a reader sent.
  const attachments = dsn.ok && dsn.value !== null ? [] : parsed.attachments;
  return {
    messageId: unbracket(parsed.messageId),
    inReplyTo: unbracket(parsed.inReplyTo),
    subject: parsed.subject ?? '',
    from: addressText(parsed.from),
    size: source.length,
    attachments: attachments.map((a) => ({ filename: a.filename ?? '(no name)', size: a.content.length, sha256: sha256Hex(a.content) })),
    dsn: dsn.ok ? dsn.value : null,
  };
}
