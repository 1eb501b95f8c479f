/**
 * The delivery status notifications the inbound processor sends back over BP (issue 4; protocols.md
 * §1.4, §2.7): an RFC 3464 report to the transaction's reverse-path, as a BSMTP object with
 * `MAIL FROM:<>`, addressed to the gateway the message came from.
 *
 * Whether one is due follows RFC 3461:
 * - never for a transaction whose reverse-path is null: DSNs are sent with MAIL FROM:<> (§6.1) so that
 *   they cannot cause notifications themselves, and no notification goes to <> (RFC 5321 §4.5.5);
 * - per recipient by its NOTIFY (§4.1): "failed" when NOTIFY holds FAILURE or is absent (absent means
 *   FAILURE; the optional DELAY default is not taken), "delayed" only for DELAY, "delivered" and "relayed"
 *   only for SUCCESS, nothing for NEVER.
 * Original-Envelope-Id and Original-Recipient are the ENVID and ORCPT values xtext-decoded (RFC 3461
 * §6.3); an undecodable value is left out rather than reported wrongly.
 */
import { randomUUID } from 'node:crypto';
import { err, ok } from '../../shared/errors';
import type { Result } from '../../shared/errors';
import { buildDsn, sanitizeFieldText } from '../../shared/mail/dsn';
import type { DsnAction, DsnRecipientFields, TypedValue } from '../../shared/mail/dsn';
import { formatRfc5322Date } from '../../shared/mail/date';
import { decodeXtext, encodeBsmtpMessage } from '../../shared/protocol/bsmtp';
import type { EsmtpParams } from '../../shared/protocol/bsmtp';

export interface ReportedRecipient {
  readonly address: string;
  /** The RCPT parameters of the reported transaction (NOTIFY, ORCPT). */
  readonly params: EsmtpParams;
  readonly action: DsnAction;
  readonly status: string;
  /** The SMTP reply that settled it, e.g. "550 5.1.1 <bob@…>: User unknown". */
  readonly reply?: string;
  /** The MTA that gave the reply (its host), when it came from the MTA rather than the gateway's policy. */
  readonly remoteMta?: string;
  /** For "delayed": until when delivery is retried. */
  readonly willRetryUntil?: number;
}

export interface DsnBundleInput {
  /** The gateway's host name: Reporting-MTA, the BSMTP EHLO, the Message-ID's domain. */
  readonly hostname: string;
  /** A local domain: the From address is MAILER-DAEMON@ this domain. */
  readonly domain: string;
  /** The reverse-path of the reported transaction: the DSN's recipient. */
  readonly mailFrom: string;
  /** Its MAIL FROM parameters (ENVID, RET). */
  readonly mailParams: EsmtpParams;
  /** The reported message (returned whole for RET=FULL, else its header). */
  readonly message: Uint8Array;
  readonly recipients: readonly ReportedRecipient[];
  /** When the gateway received the message (Arrival-Date), Unix ms. */
  readonly arrivedAt: number;
  /** Now, Unix ms. */
  readonly now: number;
}

export interface DsnBundle {
  readonly bsmtp: Uint8Array;
  /** Message-ID of the DSN (without brackets). */
  readonly messageId: string;
  /** The recipients reported. */
  readonly recipients: readonly string[];
}

/** RFC 3461 §4.1: does this recipient's NOTIFY ask for a report of `action`? */
export function notifyWants(params: EsmtpParams, action: DsnAction): boolean {
  const notify = params['NOTIFY']?.toUpperCase();
  if (notify === 'NEVER') return false;
  const conditions = notify === undefined ? ['FAILURE'] : notify.split(',');
  if (action === 'failed') return conditions.includes('FAILURE');
  if (action === 'delayed') return conditions.includes('DELAY');
  return conditions.includes('SUCCESS');
}

function decodedOrUndefined(xtext: string | null | undefined): string | undefined {
  if (xtext === undefined || xtext === null) return undefined;
  const d = decodeXtext(xtext);
  return d.ok && /^[\x20-\x7e]+$/.test(d.value) ? d.value : undefined;
}

function originalRecipientOf(params: EsmtpParams): TypedValue | undefined {
  const orcpt = params['ORCPT'];
  if (orcpt === undefined || orcpt === null) return undefined;
  const semi = orcpt.indexOf(';');
  const value = decodedOrUndefined(orcpt.slice(semi + 1));
  return semi > 0 && value !== undefined ? { type: orcpt.slice(0, semi).toLowerCase(), value } : undefined;
}

/**
 * The DSN BSMTP object for the recipients whose NOTIFY asks for their action; ok(null) when none does or
 * the reverse-path is null.
 */
export function buildDsnBundle(input: DsnBundleInput): Result<DsnBundle | null> {
  if (input.mailFrom === '') return ok(null);
  const wanted = input.recipients.filter((r) => notifyWants(r.params, r.action));
  if (wanted.length === 0) return ok(null);
  const recipients: DsnRecipientFields[] = wanted.map((r) => {
    const originalRecipient = originalRecipientOf(r.params);
    return {
      ...(originalRecipient === undefined ? {} : { originalRecipient }),
      finalRecipient: { type: 'rfc822', value: r.address },
      action: r.action,
      status: r.status,
      ...(r.remoteMta === undefined ? {} : { remoteMta: { type: 'dns', value: r.remoteMta } }),
      ...(r.reply === undefined ? {} : { diagnosticCode: { type: 'smtp', value: sanitizeFieldText(r.reply) } }),
      lastAttemptDate: formatRfc5322Date(input.now),
      ...(r.willRetryUntil === undefined ? {} : { willRetryUntil: formatRfc5322Date(r.willRetryUntil) }),
    };
  });
  const envid = decodedOrUndefined(input.mailParams['ENVID']);
  const ret = input.mailParams['RET']?.toUpperCase() === 'FULL' ? 'FULL' : 'HDRS';
  const unique = randomUUID();
  const messageId = `dsn.${unique}@${input.hostname}`;
  const dsn = buildDsn({
    report: {
      reportingMta: { type: 'dns', value: input.hostname },
      ...(envid === undefined ? {} : { originalEnvelopeId: envid }),
      arrivalDate: formatRfc5322Date(input.arrivedAt),
      recipients,
    },
    from: `MAILER-DAEMON@${input.domain}`,
    to: input.mailFrom,
    date: input.now,
    messageId,
    boundary: `farside-dsn-${unique}`,
    original: { message: input.message, ret },
  });
  if (!dsn.ok) return dsn;
  const bsmtp = encodeBsmtpMessage({
    ehlo: input.hostname,
    envelope: {
      mailFrom: '',
      ...(dsn.value.eightBit ? { body: '8BITMIME' as const } : {}),
      size: 'auto',
      rcptTo: [{ address: input.mailFrom }],
    },
    message: dsn.value.message,
  });
  if (!bsmtp.ok) return err(bsmtp.error.code, `DSN to ${input.mailFrom}: ${bsmtp.error.message}`);
  return ok({ bsmtp: bsmtp.value, messageId, recipients: wanted.map((r) => r.address) });
}
