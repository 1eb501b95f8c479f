/**
 * Recognise and read a delivery status notification (RFC 3464) so that the sending side can match it to
 * what it sent: Original-Envelope-Id against the ENVID it chose, Original-Recipient against each ORCPT,
 * and the returned message's Message-ID (protocols.md §2.5, §8.2).
 *
 * A DSN is a message whose Content-Type is multipart/report with report-type=delivery-status (RFC 6522 §3)
 * and that holds a message/delivery-status part (RFC 3464 §2; message/global-delivery-status of RFC 6533
 * is read the same way). Anything else is not a DSN: parseDsn returns ok(null). A message that claims to
 * be a DSN but lacks what RFC 3464 requires (Reporting-MTA; per recipient Final-Recipient, Action and a
 * well-formed Status) is MALFORMED, so that it is never taken for evidence it does not carry.
 *
 * Field values are returned as written, trimmed: Farside's ENVIDs and ORCPT addresses contain no
 * character that xtext would encode, so the xtext-decoded form an MTA writes (RFC 3461 §6.3) equals
 * what was sent.
 */
import { err, ok } from '../../errors';
import type { Result } from '../../errors';
import { LIMITS } from '../../protocol/limits';
import { parseContentType } from '../content-type';
import { fieldValue, messageIdOf, parseHeader } from '../header-fields';
import type { HeaderField } from '../header-fields';
import { splitMultipart } from '../multipart';
import { decodeTransferEncoding } from '../transfer-encoding';
import { DSN_ACTIONS } from './types';
import type { DsnAction, DsnFields, DsnRecipientFields, TypedValue } from './types';

export interface ParsedDsn extends DsnFields {
  /** Message-ID (without brackets) of the reported message, from the returned message or header part. */
  readonly returnedMessageId?: string;
}

const STATUS = /^([245]\.\d{1,3}\.\d{1,3})(?:\s|\(|$)/;
const STATUS_TYPES = new Set(['message/delivery-status', 'message/global-delivery-status']);
const RETURNED_TYPES = new Set(['message/rfc822', 'message/global', 'text/rfc822-headers', 'message/global-headers']);

function typedValue(text: string | undefined): TypedValue | undefined {
  if (text === undefined) return undefined;
  const semi = text.indexOf(';');
  if (semi <= 0) return undefined;
  return { type: text.slice(0, semi).trim().toLowerCase(), value: text.slice(semi + 1).trim() };
}

/** The header-like groups of a delivery-status body, split at empty lines (RFC 3464 §2.1). */
function groupsOf(body: Uint8Array): Result<HeaderField[][]> {
  const groups: HeaderField[][] = [];
  let at = 0;
  while (at < body.length) {
    const { fields, bodyStart } = parseHeader(body, at);
    if (fields.length > 0) {
      if (groups.length > LIMITS.dsnMaxRecipients) return err('LIMIT_EXCEEDED', `DSN with more than ${LIMITS.dsnMaxRecipients} recipients`);
      groups.push([...fields]);
    }
    if (bodyStart <= at) break;
    at = bodyStart;
  }
  return ok(groups);
}

function recipientOf(fields: readonly HeaderField[], index: number): Result<DsnRecipientFields> {
  const where = `DSN recipient ${index}`;
  const finalRecipient = typedValue(fieldValue(fields, 'Final-Recipient'));
  if (finalRecipient === undefined) return err('MALFORMED', `${where}: no Final-Recipient "type; address" (RFC 3464 §2.3.2)`);
  const actionText = fieldValue(fields, 'Action')?.split(/[\s(]/)[0]?.toLowerCase();
  const action = DSN_ACTIONS.find((a) => a === actionText);
  if (action === undefined) return err('MALFORMED', `${where}: Action is not one of ${DSN_ACTIONS.join(', ')} (RFC 3464 §2.3.3)`);
  const status = STATUS.exec(fieldValue(fields, 'Status') ?? '')?.[1];
  if (status === undefined) return err('MALFORMED', `${where}: Status is not class.subject.detail (RFC 3464 §2.3.4)`);
  const originalRecipient = typedValue(fieldValue(fields, 'Original-Recipient'));
  const remoteMta = typedValue(fieldValue(fields, 'Remote-MTA'));
  const diagnosticCode = typedValue(fieldValue(fields, 'Diagnostic-Code'));
  const lastAttemptDate = fieldValue(fields, 'Last-Attempt-Date');
  const willRetryUntil = fieldValue(fields, 'Will-Retry-Until');
  return ok({
    ...(originalRecipient === undefined ? {} : { originalRecipient }),
    finalRecipient,
    action: action satisfies DsnAction,
    status,
    ...(remoteMta === undefined ? {} : { remoteMta }),
    ...(diagnosticCode === undefined ? {} : { diagnosticCode }),
    ...(lastAttemptDate === undefined ? {} : { lastAttemptDate }),
    ...(willRetryUntil === undefined ? {} : { willRetryUntil }),
  });
}

export function parseDsn(message: Uint8Array): Result<ParsedDsn | null> {
  const top = parseHeader(message);
  const ct = parseContentType(fieldValue(top.fields, 'Content-Type') ?? '');
  if (ct === undefined || ct.type !== 'multipart' || ct.subtype !== 'report') return ok(null);
  if (ct.params.get('report-type')?.toLowerCase() !== 'delivery-status') return ok(null);
  const boundary = ct.params.get('boundary');
  if (boundary === undefined || boundary === '') return err('MALFORMED', 'multipart/report without a boundary (RFC 2046 §5.1.1)');

  let statusBody: Uint8Array | null = null;
  let returnedMessageId: string | undefined;
  for (const span of splitMultipart(message, boundary, top.bodyStart)) {
    const part = parseHeader(message, span.start, span.end);
    const type = parseContentType(fieldValue(part.fields, 'Content-Type') ?? 'text/plain');
    const name = type === undefined ? '' : `${type.type}/${type.subtype}`;
    const decoded = decodeTransferEncoding(fieldValue(part.fields, 'Content-Transfer-Encoding'), message.subarray(part.bodyStart, span.end));
    if (!decoded.ok) return decoded;
    if (statusBody === null && STATUS_TYPES.has(name)) statusBody = decoded.value;
    else if (returnedMessageId === undefined && RETURNED_TYPES.has(name)) returnedMessageId = messageIdOf(fieldValue(parseHeader(decoded.value).fields, 'Message-ID'));
  }
  if (statusBody === null) return ok(null);

  const groups = groupsOf(statusBody);
  if (!groups.ok) return groups;
  const [perMessage, ...perRecipient] = groups.value;
  const reportingMta = typedValue(fieldValue(perMessage ?? [], 'Reporting-MTA'));
  if (perMessage === undefined || reportingMta === undefined) return err('MALFORMED', 'DSN without a Reporting-MTA "type; name" (RFC 3464 §2.2.2)');
  if (perRecipient.length === 0) return err('MALFORMED', 'DSN without a per-recipient group (RFC 3464 §2.1)');
  const recipients: DsnRecipientFields[] = [];
  for (let i = 0; i < perRecipient.length; i++) {
    const r = recipientOf(perRecipient[i]!, i);
    if (!r.ok) return r;
    recipients.push(r.value);
  }
  const originalEnvelopeId = fieldValue(perMessage, 'Original-Envelope-Id');
  const dsnGateway = typedValue(fieldValue(perMessage, 'DSN-Gateway'));
  const receivedFromMta = typedValue(fieldValue(perMessage, 'Received-From-MTA'));
  const arrivalDate = fieldValue(perMessage, 'Arrival-Date');
  return ok({
    reportingMta,
    ...(originalEnvelopeId === undefined ? {} : { originalEnvelopeId }),
    ...(dsnGateway === undefined ? {} : { dsnGateway }),
    ...(receivedFromMta === undefined ? {} : { receivedFromMta }),
    ...(arrivalDate === undefined ? {} : { arrivalDate }),
    recipients,
    ...(returnedMessageId === undefined ? {} : { returnedMessageId }),
  });
}
