/**
 * Replaying one stored transaction into the site MTA: which parameters go on the wire, and what each
 * recipient's replies mean. Pure; the processor does the I/O.
 *
 * Parameters (RFC 2442 makes the processor accept SIZE, BODY and the DSN parameters; issue 4 asks for
 * them to be passed on): each goes to the MTA verbatim when the MTA advertises its extension — SIZE
 * (RFC 1870), BODY (8BITMIME, RFC 6152), RET/ENVID/NOTIFY/ORCPT (DSN, RFC 3461). A parameter of an
 * extension the MTA lacks, or one no extension the gateway knows defines, is left off (an MTA answers an
 * unknown parameter with 555 and would refuse the whole message). Two cases change what happens:
 * - BODY=8BITMIME towards an MTA without 8BITMIME: the gateway does not downgrade content, so the
 *   recipients fail with 5.6.3 (RFC 6152 §3 forbids sending 8-bit data to such a server);
 * - NOTIFY=SUCCESS towards an MTA without DSN: the gateway reports "relayed" itself once the MTA took the
 *   message, as RFC 3461 §4.1 asks of an MTA that relays to a non-DSN server.
 *
 * The message goes out with the trace fields stored at intake prepended (trace-fields.ts), byte for byte
 * the same at every attempt. SIZE, when passed on, grows by their length: RFC 1870 §3 asks for the size
 * of the message as transmitted, and an MTA may refuse a message larger than it was announced.
 *
 * Replies (RFC 5321 §4.2.1): a recipient is delivered when MAIL, its RCPT and the data were all accepted;
 * failed on a 5yz to MAIL, to its RCPT or to the data; still pending (retried later) on a 4yz.
 */
import type { EsmtpParams } from '../../shared/protocol/bsmtp';
import type { SmtpReply } from '../services/smtp/reply-decoder';
import { formatReply, replyClass } from '../services/smtp/reply-decoder';
import type { SmtpEnvelope, SmtpSendResult } from '../services/smtp/smtp-client';
import type { Delivery, DeliveryRecipient } from './store/gateway-store';

const MAIL_PARAM_EXTENSION: Readonly<Record<string, string>> = { SIZE: 'SIZE', BODY: '8BITMIME', RET: 'DSN', ENVID: 'DSN' };
const RCPT_PARAM_EXTENSION: Readonly<Record<string, string>> = { NOTIFY: 'DSN', ORCPT: 'DSN' };

function filterParams(params: EsmtpParams, rules: Readonly<Record<string, string>>, extensions: ReadonlyMap<string, string>): { kept: EsmtpParams; dropped: string[] } {
  const kept: EsmtpParams = {};
  const dropped: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    const ext = rules[k];
    if (ext !== undefined && extensions.has(ext)) kept[k] = v;
    else dropped.push(k);
  }
  return { kept, dropped };
}

export interface ReplayPlan {
  /** The envelope for the MTA: the pending recipients only. */
  readonly envelope: SmtpEnvelope;
  /** What goes after DATA: the stored trace fields, then the message unchanged. */
  readonly message: Uint8Array;
  /** Index in delivery.recipients of each envelope recipient. */
  readonly indices: readonly number[];
  /** Parameters left off (for the log). */
  readonly dropped: readonly string[];
  /** Set when the message cannot be sent to this MTA at all (every pending recipient fails with it). */
  readonly refusal: { readonly status: string; readonly reply: string } | null;
}

/** The message as replayed: the stored trace fields before the stored message. */
export function replayMessage(d: Pick<Delivery, 'trace' | 'message'>): Uint8Array {
  if (d.trace.length === 0) return d.message;
  // trace fields are printable ASCII (trace-fields.ts): one byte per character
  const out = new Uint8Array(d.trace.length + d.message.length);
  for (let i = 0; i < d.trace.length; i++) out[i] = d.trace.charCodeAt(i);
  out.set(d.message, d.trace.length);
  return out;
}

export function planReplay(d: Delivery, extensions: ReadonlyMap<string, string>): ReplayPlan {
  const indices: number[] = [];
  d.recipients.forEach((r, i) => {
    if (r.state === 'pending') indices.push(i);
  });
  const mail = filterParams(d.mailParams, MAIL_PARAM_EXTENSION, extensions);
  const size = mail.kept['SIZE'];
  // SIZE is 1 to 20 digits (RFC 1870 §3, checked by the BSMTP decoder): BigInt keeps every such value exact
  if (typeof size === 'string' && /^[0-9]{1,20}$/.test(size)) mail.kept['SIZE'] = String(BigInt(size) + BigInt(d.trace.length));
  const dropped = [...mail.dropped];
  const rcptTo = indices.map((i) => {
    const r = d.recipients[i]!;
    const p = filterParams(r.params, RCPT_PARAM_EXTENSION, extensions);
    dropped.push(...p.dropped);
    return { address: r.address, params: p.kept };
  });
  const eightBit = d.mailParams['BODY']?.toUpperCase() === '8BITMIME';
  const refusal = eightBit && !extensions.has('8BITMIME') ? { status: '5.6.3', reply: '554 5.6.3 the MTA does not offer 8BITMIME and the gateway does not convert 8-bit content' } : null;
  return { envelope: { mailFrom: d.mailFrom, mailParams: mail.kept, rcptTo }, message: replayMessage(d), indices, dropped: [...new Set(dropped)], refusal };
}

function statusOf(reply: SmtpReply): string {
  return reply.enhanced ?? `${replyClass(reply) === 2 ? 2 : replyClass(reply) === 4 ? 4 : 5}.0.0`;
}

/** The recipients after one attempt: each pending one delivered, failed or still pending. */
export function applyReplies(d: Delivery, plan: ReplayPlan, result: SmtpSendResult): DeliveryRecipient[] {
  const next = [...d.recipients];
  plan.indices.forEach((i, k) => {
    const r = d.recipients[i]!;
    const settle = (reply: SmtpReply): DeliveryRecipient => {
      const c = replyClass(reply);
      const state = c === 2 ? 'delivered' : c === 4 ? 'pending' : 'failed';
      return { ...r, state, reply: formatReply(reply), status: statusOf(reply), fromMta: true };
    };
    const rcpt = result.rcpt[k];
    if (replyClass(result.mail) !== 2) next[i] = settle(result.mail);
    else if (rcpt === undefined) next[i] = { ...r, state: 'pending', reply: 'no reply to RCPT', fromMta: true };
    else if (replyClass(rcpt) !== 2) next[i] = settle(rcpt);
    else if (result.data === null) next[i] = { ...r, state: 'pending', reply: 'DATA not sent', fromMta: true };
    else next[i] = settle(result.data);
  });
  return next;
}
