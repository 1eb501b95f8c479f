/**
 * Build a delivery status notification: an RFC 5322 message whose body is multipart/report;
 * report-type=delivery-status (RFC 3462/6522 §3, RFC 3464 §2):
 *
 *   part 1  text/plain                      what happened, for people
 *   part 2  message/delivery-status         per-message group, blank line, one group per recipient
 *   part 3  message/rfc822 | text/rfc822-headers   the reported message (RET=FULL) or its header (RET=HDRS)
 *
 * The DSN is sent with the null reverse-path (RFC 3461 §6.1, RFC 5321 §4.5.5) by the caller, and carries
 * Auto-Submitted: auto-replied (RFC 3834 §5) so responders do not answer it. Pure: date, Message-ID and the
 * boundary seed are arguments. Every field value must be one line of printable US-ASCII (RFC 3464 §2.1
 * uses RFC 822 field syntax); sanitizeFieldText makes free text (SMTP reply text) fit. Long values are
 * folded at spaces (RFC 5322 §2.2.3).
 */
import { err, ok } from '../../errors';
import type { Result } from '../../errors';
import { LIMITS } from '../../protocol/limits';
import { formatRfc5322Date } from '../date';
import { formatField, parseHeader } from '../header-fields';
import type { DsnAction, DsnFields, DsnRecipientFields, TypedValue } from './types';

export interface BuildDsnInput {
  readonly report: DsnFields;
  /** The From address, e.g. MAILER-DAEMON@mars.example. */
  readonly from: string;
  /** The To address: the reverse-path of the reported transaction. */
  readonly to: string;
  /** Date field, Unix ms. */
  readonly date: number;
  /** Message-ID without angle brackets. */
  readonly messageId: string;
  /** A boundary seed unique to this message (bchars, RFC 2046 §5.1.1); extended if the content holds it. */
  readonly boundary: string;
  /** The human-readable part; generated from the report when absent. */
  readonly text?: string;
  /**
   * The reported message. FULL returns it whole as message/rfc822 when it is at most
   * LIMITS.dsnMaxReturnedBytes, HDRS (and a larger message) returns its header as text/rfc822-headers.
   */
  readonly original?: { readonly message: Uint8Array; readonly ret: 'FULL' | 'HDRS' };
}

export interface BuiltDsn {
  readonly message: Uint8Array;
  /** The returned content has 8-bit octets: send with BODY=8BITMIME (RFC 6152). */
  readonly eightBit: boolean;
}

const CRLF = '\r\n';
/** RFC 5322 §2.1.1: a line MUST be at most 998 characters (formatField folds to 78 where it can). */
const MAX_LINE = 998;
const PRINTABLE = /^[\x20-\x7e]*$/;
const ATOM = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+$/;
const STATUS = /^[245]\.\d{1,3}\.\d{1,3}$/;
const BCHARS = /^[0-9A-Za-z'()+_,\-./:=?]{1,60}$/;

/** Replace what may not appear in a one-line field value (controls, 8-bit) with "?"; collapse line breaks. */
export function sanitizeFieldText(text: string): string {
  return text.replace(/\r\n|[\r\n\t]/g, ' ').replace(/[^\x20-\x7e]/g, '?');
}

function typed(v: TypedValue): string {
  return `${v.type}; ${v.value}`;
}

type Fields = [string, string | undefined][];

function checkFields(fields: Fields, where: string): Result<string[]> {
  const out: string[] = [];
  for (const [name, value] of fields) {
    if (value === undefined) continue;
    if (!PRINTABLE.test(value)) return err('INVALID_ARGUMENT', `${where}: ${name} must be printable US-ASCII on one line (use sanitizeFieldText)`);
    const f = formatField(name, value);
    if (f === null) return err('INVALID_ARGUMENT', `${where}: ${name} has a word longer than ${MAX_LINE} characters`);
    out.push(f);
  }
  return ok(out);
}

function checkTyped(v: TypedValue | undefined, name: string): string | null {
  if (v === undefined) return null;
  return ATOM.test(v.type) ? null : `${name} type "${v.type}" is not an atom (RFC 3464 §2.1.2)`;
}

function recipientGroup(r: DsnRecipientFields, i: number): Result<string[]> {
  const where = `recipient ${i}`;
  for (const [v, name] of [[r.originalRecipient, 'Original-Recipient'], [r.finalRecipient, 'Final-Recipient'], [r.remoteMta, 'Remote-MTA'], [r.diagnosticCode, 'Diagnostic-Code']] as const) {
    const problem = checkTyped(v, name);
    if (problem !== null) return err('INVALID_ARGUMENT', `${where}: ${problem}`);
  }
  if (!STATUS.test(r.status)) return err('INVALID_ARGUMENT', `${where}: Status "${r.status}" is not class.subject.detail (RFC 3463 §2)`);
  return checkFields(
    [
      // RFC 3464 §2.3.1: written as given, addr-type ";" address (no space, as Postfix writes it)
      ['Original-Recipient', r.originalRecipient && `${r.originalRecipient.type};${r.originalRecipient.value}`],
      ['Final-Recipient', typed(r.finalRecipient)],
      ['Action', r.action],
      ['Status', r.status],
      ['Remote-MTA', r.remoteMta && typed(r.remoteMta)],
      ['Diagnostic-Code', r.diagnosticCode && typed(r.diagnosticCode)],
      ['Last-Attempt-Date', r.lastAttemptDate],
      ['Will-Retry-Until', r.willRetryUntil],
    ],
    where,
  );
}

/** The most telling action decides the Subject: a failure outweighs a delay, a delay a success. */
function subjectFor(actions: readonly DsnAction[]): string {
  if (actions.includes('failed')) return 'Delivery Status Notification (Failure)';
  if (actions.includes('delayed')) return 'Delivery Status Notification (Delay)';
  if (actions.includes('delivered')) return 'Delivery Status Notification (Success)';
  return 'Delivery Status Notification (Relayed)';
}

function defaultText(report: DsnFields): string {
  const lines = [`This is the mail gateway at ${report.reportingMta.value}.`, ''];
  const verb: Record<DsnAction, string> = {
    failed: 'could not be delivered to',
    delayed: 'has not yet been delivered to',
    delivered: 'was delivered to',
    relayed: 'was relayed towards',
    expanded: 'was expanded for',
  };
  for (const r of report.recipients) {
    const why = r.diagnosticCode === undefined ? '' : `: ${r.diagnosticCode.value}`;
    lines.push(`Your message ${verb[r.action]} <${r.finalRecipient.value}> (${r.status})${why}`);
  }
  return lines.map(sanitizeFieldText).join(CRLF);
}

function hasEightBit(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! > 0x7f) return true;
  return false;
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  const first = needle[0];
  for (let i = haystack.indexOf(first!); i >= 0 && i + needle.length <= haystack.length; i = haystack.indexOf(first!, i + 1)) {
    let j = 1;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) return true;
  }
  return false;
}

const encoder = new TextEncoder();

export function buildDsn(input: BuildDsnInput): Result<BuiltDsn> {
  const { report } = input;
  if (report.recipients.length === 0) return err('INVALID_ARGUMENT', 'a DSN reports at least one recipient (RFC 3464 §2.1)');
  if (!BCHARS.test(input.boundary)) return err('INVALID_ARGUMENT', 'boundary seed must be 1-60 bchars (RFC 2046 §5.1.1)');
  for (const [v, name] of [[report.reportingMta, 'Reporting-MTA'], [report.dsnGateway, 'DSN-Gateway'], [report.receivedFromMta, 'Received-From-MTA']] as const) {
    const problem = checkTyped(v, name);
    if (problem !== null) return err('INVALID_ARGUMENT', problem);
  }
  const perMessage = checkFields(
    [
      ['Reporting-MTA', typed(report.reportingMta)],
      ['DSN-Gateway', report.dsnGateway && typed(report.dsnGateway)],
      ['Original-Envelope-Id', report.originalEnvelopeId],
      ['Received-From-MTA', report.receivedFromMta && typed(report.receivedFromMta)],
      ['Arrival-Date', report.arrivalDate],
    ],
    'per-message fields',
  );
  if (!perMessage.ok) return perMessage;
  const groups = [perMessage.value.join(CRLF)];
  for (let i = 0; i < report.recipients.length; i++) {
    const g = recipientGroup(report.recipients[i]!, i);
    if (!g.ok) return g;
    groups.push(g.value.join(CRLF));
  }
  const status = `${groups.join(CRLF + CRLF)}${CRLF}`;

  const head = checkFields(
    [
      ['From', `Mail Delivery System <${input.from}>`],
      ['To', `<${input.to}>`],
      ['Subject', subjectFor(report.recipients.map((r) => r.action))],
      ['Date', formatRfc5322Date(input.date)],
      ['Message-ID', `<${input.messageId}>`],
      ['Auto-Submitted', 'auto-replied'],
    ],
    'header',
  );
  if (!head.ok) return head;
  const text = input.text ?? defaultText(report);
  if (!/^[\x20-\x7e\r\n]*$/.test(text)) return err('INVALID_ARGUMENT', 'the text part must be printable US-ASCII');

  // the reported message, whole or its header only
  let returned: { type: string; bytes: Uint8Array } | null = null;
  if (input.original !== undefined) {
    const m = input.original.message;
    if (input.original.ret === 'FULL' && m.length <= LIMITS.dsnMaxReturnedBytes) {
      returned = { type: 'message/rfc822', bytes: m };
    } else {
      const { headerEnd } = parseHeader(m);
      returned = { type: 'text/rfc822-headers', bytes: m.subarray(0, headerEnd) };
    }
  }
  const eightBit = returned !== null && hasEightBit(returned.bytes);

  let boundary = input.boundary;
  for (let n = 1; returned !== null && contains(returned.bytes, encoder.encode(`--${boundary}`)); n++) boundary = `${input.boundary}.${n}`;

  // RFC 2046 §5.1.1: each delimiter is CRLF "--" boundary, its CRLF not part of the preceding content,
  // so every part below ends in its own CRLF and a delimiter follows it
  const delimiter = `${CRLF}--${boundary}${CRLF}`;
  const textBody = text.replace(/\r?\n/g, CRLF);
  const front =
    [...head.value, 'MIME-Version: 1.0', `Content-Type: multipart/report; report-type=delivery-status;${CRLF}\tboundary="${boundary}"`].join(CRLF) +
    CRLF +
    CRLF +
    `This is a MIME-encapsulated message.${CRLF}` +
    delimiter +
    `Content-Description: Notification${CRLF}Content-Type: text/plain; charset=us-ascii${CRLF}${CRLF}${textBody}${textBody.endsWith(CRLF) ? '' : CRLF}` +
    delimiter +
    `Content-Description: Delivery report${CRLF}Content-Type: message/delivery-status${CRLF}${CRLF}${status}`;
  const parts: Uint8Array[] = [encoder.encode(front)];
  if (returned !== null) {
    const desc = returned.type === 'message/rfc822' ? 'Undelivered Message' : 'Message Headers';
    const cte = eightBit ? `${CRLF}Content-Transfer-Encoding: 8bit` : '';
    parts.push(encoder.encode(`${delimiter}Content-Description: ${desc}${CRLF}Content-Type: ${returned.type}${cte}${CRLF}${CRLF}`));
    parts.push(returned.bytes);
    if (returned.bytes[returned.bytes.length - 1] !== 0x0a) parts.push(encoder.encode(CRLF));
  }
  parts.push(encoder.encode(`${CRLF}--${boundary}--${CRLF}`));
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return ok({ message: out, eightBit });
}
