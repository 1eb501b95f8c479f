/**
 * What a received payload asks the gateway to do, decided before anything is stored: the transactions to
 * replay, each recipient either taken for local delivery or refused by the relay policy, or — for an
 * object that cannot be read — the reason it goes to the postmaster (RFC 2442 processing list,
 * protocols.md §2.6). Pure: no I/O, no clock.
 *
 * Forms (protocols.md §1.2-1.4):
 * - Batch SMTP (draft -01 and later): decodeBsmtp, which refuses the whole object on any smuggling variant
 *   or syntax error, so that no part of a crafted object is delivered.
 * - Plain RFC 5322 (draft -00, the author's testbed): only when the policy allows it. Like the testbed's
 *   `sendmail -t`, the recipients come from To, Cc and Bcc, and the Bcc field is removed before delivery
 *   (sendmail -t semantics) so that Bcc recipients stay undisclosed. The reverse-path is the From address.
 *
 * A recipient is delivered only when its domain is local (never an open relay, protocols.md §2.8);
 * others are refused with 5.7.1 and reported to the sender. The same address twice in one transaction is
 * delivered once.
 */
import type { FarsideError } from '../../shared/errors';
import { parseAddressList } from '../../shared/mail/address-list';
import { fieldValue, fieldValues, messageIdOf, parseHeader } from '../../shared/mail/header-fields';
import { decodeBsmtp, detectPayloadForm } from '../../shared/protocol/bsmtp';
import type { EsmtpParams, PayloadForm, Recipient } from '../../shared/protocol/bsmtp';
import { isPathText } from '../../shared/protocol/bsmtp/grammar';
import type { RelayPolicy } from './relay-policy';
import { domainOf } from './routes';

export interface RefusedRecipient {
  readonly recipient: Recipient;
  /** RFC 3463 status for the DSN. */
  readonly status: string;
  /** The SMTP-style reply the gateway stands for, for the DSN's Diagnostic-Code. */
  readonly reply: string;
}

export interface IntakeTransaction {
  readonly mailFrom: string;
  readonly mailParams: EsmtpParams;
  /** The message as delivered (for the -00 form: without its Bcc field). */
  readonly message: Uint8Array;
  readonly messageId: string | null;
  /** Recipients to deliver, in envelope order, each address once. */
  readonly local: readonly Recipient[];
  readonly refused: readonly RefusedRecipient[];
}

export type Intake =
  | { readonly kind: 'transactions'; readonly form: 'bsmtp' | 'rfc5322'; readonly transactions: readonly IntakeTransaction[] }
  | { readonly kind: 'invalid'; readonly form: PayloadForm; readonly error: FarsideError };

function split(recipients: readonly Recipient[], policy: RelayPolicy): { local: Recipient[]; refused: RefusedRecipient[] } {
  const local: Recipient[] = [];
  const refused: RefusedRecipient[] = [];
  const seen = new Set<string>();
  for (const r of recipients) {
    const key = r.address.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    if (policy.isLocalAddress(r.address)) {
      local.push(r);
    } else if (domainOf(r.address) === undefined) {
      refused.push({ recipient: r, status: '5.1.3', reply: `553 5.1.3 <${r.address}>: not a mailbox address with a domain` });
    } else {
      refused.push({ recipient: r, status: '5.7.1', reply: `550 5.7.1 <${r.address}>: relay access denied: not a local domain of this gateway` });
    }
  }
  return { local, refused };
}

function messageIdIn(message: Uint8Array): string | null {
  return messageIdOf(fieldValue(parseHeader(message).fields, 'Message-ID')) ?? null;
}

/** The -00 form: envelope from the header, Bcc removed. */
function fromHeaders(payload: Uint8Array, policy: RelayPolicy): Intake {
  const { fields } = parseHeader(payload);
  const recipients = ['To', 'Cc', 'Bcc'].flatMap((name) => fieldValues(fields, name).flatMap(parseAddressList));
  const from = parseAddressList(fieldValue(fields, 'From') ?? '')[0];
  if (recipients.length === 0) return { kind: 'invalid', form: 'rfc5322', error: { code: 'MALFORMED', message: 'plain RFC 5322 message without To, Cc or Bcc recipients' } };
  const usable = recipients.filter(isPathText);
  if (usable.length < recipients.length) {
    return { kind: 'invalid', form: 'rfc5322', error: { code: 'MALFORMED', message: 'a header recipient is not an address the gateway can relay (quoted local-part or 8-bit)' } };
  }
  // remove every Bcc field (sendmail -t does the same)
  const bcc = fields.filter((f) => f.name.toLowerCase() === 'bcc');
  let message = payload;
  if (bcc.length > 0) {
    const kept: Uint8Array[] = [];
    let at = 0;
    for (const f of bcc) {
      kept.push(payload.subarray(at, f.start));
      at = f.end;
    }
    kept.push(payload.subarray(at));
    message = new Uint8Array(kept.reduce((n, k) => n + k.length, 0));
    let o = 0;
    for (const k of kept) {
      message.set(k, o);
      o += k.length;
    }
  }
  const { local, refused } = split(
    usable.map((address) => ({ address, params: {} })),
    policy,
  );
  const mailFrom = from !== undefined && isPathText(from) ? from : '';
  return { kind: 'transactions', form: 'rfc5322', transactions: [{ mailFrom, mailParams: {}, message, messageId: messageIdIn(message), local, refused }] };
}

export function intakePayload(payload: Uint8Array, policy: RelayPolicy): Intake {
  const form = detectPayloadForm(payload);
  if (form === 'rfc5322') {
    if (!policy.acceptPlainRfc5322) {
      return { kind: 'invalid', form, error: { code: 'BSMTP_NOT_BSMTP', message: 'plain RFC 5322 payload (draft -00 form), which this gateway is not configured to accept' } };
    }
    return fromHeaders(payload, policy);
  }
  const decoded = decodeBsmtp(payload);
  if (!decoded.ok) return { kind: 'invalid', form, error: decoded.error };
  return {
    kind: 'transactions',
    form: 'bsmtp',
    transactions: decoded.value.transactions.map((t) => {
      const { local, refused } = split(t.envelope.rcptTo, policy);
      return { mailFrom: t.envelope.mailFrom, mailParams: t.envelope.mailParams, message: t.message, messageId: messageIdIn(t.message), local, refused };
    }),
  };
}
