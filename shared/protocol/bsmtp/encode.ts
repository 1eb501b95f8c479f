/**
 * Batch SMTP generator (RFC 2442): the bytes an ESMTP client would send for the given transactions,
 * assuming every reply is positive (RFC 2442 generation model, protocols.md §2.3-2.4):
 *
 *   EHLO <name>                                 RFC 5321 §4.1.1.1 (EHLO, because ESMTP parameters follow)
 *   MAIL FROM:<path>[ BODY=][ SIZE=][ RET=][ ENVID=][ more]       RFC 5321 §4.1.1.2, RFC 6152, 1870, 3461
 *   RCPT TO:<path>[ NOTIFY=][ ORCPT=rfc822;xtext][ more]           one per recipient, Bcc included
 *   DATA
 *   <message: CRLF line ends, dot-stuffed, ending in CRLF>         RFC 5321 §2.3.8, §4.5.2
 *   .
 *   RSET                                        between transactions only
 *   QUIT
 *
 * Every line ends in CRLF. Everything the caller passes is checked so that no CR, LF, NUL, SP or angle
 * bracket can reach a command line (no command injection through an address or parameter), and so that
 * the output is accepted by decodeBsmtp (same grammar, same limits).
 */
import { LIMITS } from '../limits';
import { err, ok } from '../../errors';
import type { Result } from '../../errors';
import { measureMessage, writeStuffedMessage } from './dot-stuffing';
import type { MessageShape } from './dot-stuffing';
import {
  CR,
  CRLF,
  LF,
  MAIL_FROM_PREFIX,
  MAIL_PARAM_RULES,
  ORCPT_RFC822,
  RCPT_PARAM_RULES,
  RCPT_TO_PREFIX,
  commandLineFits,
  formatEsmtpParams,
  isEsmtpKeyword,
  isEsmtpValue,
  isPathText,
} from './grammar';
import type { ParamRules } from './grammar';
import type {
  DsnCondition,
  DsnNotify,
  EncodeEnvelope,
  EncodeInput,
  EncodeRecipient,
  EncodeTransaction,
  EsmtpParams,
} from './types';
import { encodeXtext } from './xtext';

/** RFC 3461 §4.1 conditions in the order Farside writes them. */
const NOTIFY_ORDER: readonly DsnCondition[] = ['SUCCESS', 'FAILURE', 'DELAY'];
const TERMINATOR = `.${CRLF}`;

interface PreparedTransaction {
  /** MAIL, RCPT… and DATA lines, without CRLF. */
  readonly commands: readonly string[];
  readonly message: Uint8Array;
  readonly shape: MessageShape;
}

/** Encode one BSMTP object holding `input.transactions` in order. */
export function encodeBsmtp(input: EncodeInput): Result<Uint8Array> {
  if (!isPathText(input.ehlo)) return err('INVALID_ARGUMENT', 'EHLO name must be printable US-ASCII without SP, "<" or ">"');
  const ehloLine = `EHLO ${input.ehlo}`;
  if (!commandLineFits(ehloLine)) return err('LIMIT_EXCEEDED', 'EHLO line exceeds LIMITS.smtpMaxCommandLine');
  if (input.transactions.length > LIMITS.bsmtpMaxTransactions) {
    return err('LIMIT_EXCEEDED', `more than LIMITS.bsmtpMaxTransactions (${LIMITS.bsmtpMaxTransactions}) transactions`);
  }

  const prepared: PreparedTransaction[] = [];
  // EHLO and QUIT lines, plus RSET between transactions
  let total = ehloLine.length + 2 + 'QUIT'.length + 2 + Math.max(0, input.transactions.length - 1) * ('RSET'.length + 2);
  for (let t = 0; t < input.transactions.length; t++) {
    const p = prepareTransaction(input.transactions[t]!, t);
    if (!p.ok) return p;
    prepared.push(p.value);
    for (const line of p.value.commands) total += line.length + 2;
    total += p.value.shape.stuffedSize + TERMINATOR.length;
  }
  if (total > LIMITS.bsmtpMaxBytes) return err('LIMIT_EXCEEDED', `BSMTP object of ${total} octets exceeds LIMITS.bsmtpMaxBytes`);

  const out = new Uint8Array(total);
  let o = writeLine(out, 0, ehloLine);
  for (let t = 0; t < prepared.length; t++) {
    const p = prepared[t]!;
    if (t > 0) o = writeLine(out, o, 'RSET');
    for (const line of p.commands) o = writeLine(out, o, line);
    if (p.shape.stuffedSize === p.message.length) {
      // already CRLF-only, ends in CRLF (or is empty) and has no line beginning with ".": copy as is
      out.set(p.message, o);
      o += p.message.length;
    } else {
      o = writeStuffedMessage(p.message, out, o);
    }
    o = writeAscii(out, o, TERMINATOR);
  }
  o = writeLine(out, o, 'QUIT');
  return o === total ? ok(out) : err('INTERNAL', `BSMTP size mismatch: computed ${total}, wrote ${o}`);
}

/** Convenience for the usual case, one message per object (protocols.md §1.4). */
export function encodeBsmtpMessage(input: { readonly ehlo: string; readonly envelope: EncodeEnvelope; readonly message: Uint8Array }): Result<Uint8Array> {
  return encodeBsmtp({ ehlo: input.ehlo, transactions: [{ envelope: input.envelope, message: input.message }] });
}

function prepareTransaction(transaction: EncodeTransaction, index: number): Result<PreparedTransaction> {
  const { envelope, message } = transaction;
  const where = `transaction ${index}`;
  if (envelope.mailFrom !== '' && !isPathText(envelope.mailFrom)) {
    return err('INVALID_ARGUMENT', `${where}: MAIL FROM address must be printable US-ASCII without SP, "<" or ">"`);
  }
  if (envelope.rcptTo.length === 0) return err('INVALID_ARGUMENT', `${where}: at least one recipient is needed`);
  if (envelope.rcptTo.length > LIMITS.smtpMaxRecipients) {
    return err('LIMIT_EXCEEDED', `${where}: more than LIMITS.smtpMaxRecipients (${LIMITS.smtpMaxRecipients}) recipients`);
  }
  // the one scan of the message before it is written: size, stuffing and longest line
  const shape = measureMessage(message);
  if (shape.longestLine > LIMITS.smtpMaxTextLine) {
    return err('LIMIT_EXCEEDED', `${where}: a message line of ${shape.longestLine} octets (CRLF included) exceeds LIMITS.smtpMaxTextLine (RFC 5321 §4.5.3.1.6)`);
  }

  const mailParams = mailParamsOf(envelope, shape);
  if (!mailParams.ok) return err(mailParams.error.code, `${where}: ${mailParams.error.message}`);
  const commands = [`${MAIL_FROM_PREFIX}<${envelope.mailFrom}>${formatEsmtpParams(mailParams.value)}`];
  for (let r = 0; r < envelope.rcptTo.length; r++) {
    const rcpt = envelope.rcptTo[r]!;
    if (!isPathText(rcpt.address)) {
      return err('INVALID_ARGUMENT', `${where}: recipient ${r} must be a non-empty printable US-ASCII address without SP, "<" or ">"`);
    }
    const params = rcptParamsOf(rcpt);
    if (!params.ok) return err(params.error.code, `${where}, recipient ${r}: ${params.error.message}`);
    commands.push(`${RCPT_TO_PREFIX}<${rcpt.address}>${formatEsmtpParams(params.value)}`);
  }
  commands.push('DATA');
  for (const line of commands) {
    if (!commandLineFits(line)) return err('LIMIT_EXCEEDED', `${where}: a command line exceeds LIMITS.smtpMaxCommandLine`);
  }
  return ok({ commands, message, shape });
}

function mailParamsOf(envelope: EncodeEnvelope, shape: MessageShape): Result<EsmtpParams> {
  const typed: EsmtpParams = {};
  if (envelope.body !== undefined) typed['BODY'] = envelope.body;
  if (envelope.size !== undefined) {
    const size = envelope.size === 'auto' ? shape.size : envelope.size;
    if (!Number.isSafeInteger(size) || size < 0) return err('INVALID_ARGUMENT', 'SIZE must be a non-negative integer or "auto"');
    typed['SIZE'] = String(size);
  }
  if (envelope.ret !== undefined) typed['RET'] = envelope.ret;
  if (envelope.envid !== undefined) {
    const envid = encodeXtext(envelope.envid);
    if (!envid.ok) return envid;
    typed['ENVID'] = envid.value;
  }
  return withExtras(typed, envelope.extraParams, MAIL_PARAM_RULES);
}

function rcptParamsOf(rcpt: EncodeRecipient): Result<EsmtpParams> {
  const typed: EsmtpParams = {};
  if (rcpt.notify !== undefined) {
    const notify = notifyValue(rcpt.notify);
    if (!notify.ok) return notify;
    typed['NOTIFY'] = notify.value;
  }
  if (rcpt.orcpt !== undefined) {
    if (rcpt.orcpt === '') return err('INVALID_ARGUMENT', 'ORCPT address must not be empty');
    const orcpt = encodeXtext(rcpt.orcpt);
    if (!orcpt.ok) return orcpt;
    typed['ORCPT'] = `${ORCPT_RFC822};${orcpt.value}`;
  }
  return withExtras(typed, rcpt.extraParams, RCPT_PARAM_RULES);
}

function notifyValue(notify: DsnNotify): Result<string> {
  if (notify === 'NEVER') return ok('NEVER');
  if (typeof notify === 'string' || notify.length === 0) return err('INVALID_ARGUMENT', 'NOTIFY must be "NEVER" or a non-empty list of SUCCESS, FAILURE, DELAY');
  const wanted = new Set<string>(notify);
  if (wanted.size !== notify.length) return err('INVALID_ARGUMENT', 'NOTIFY lists a condition twice');
  const ordered = NOTIFY_ORDER.filter((c) => wanted.has(c));
  if (ordered.length !== wanted.size) return err('INVALID_ARGUMENT', 'NOTIFY conditions are SUCCESS, FAILURE and DELAY (RFC 3461 §4.1)');
  return ok(ordered.join(','));
}

/**
 * Append the caller's further parameters to the typed ones and check every parameter against the one
 * grammar the decoder uses: keywords and values per RFC 5321 §4.1.2, known keywords per their RFC. A keyword
 * may come from a typed option or from extraParams, not both; a decoded envelope's params can therefore be
 * passed back as extraParams unchanged.
 */
function withExtras(
  typed: EsmtpParams,
  extras: Readonly<EsmtpParams> | undefined,
  rules: ParamRules,
): Result<EsmtpParams> {
  const params = typed;
  if (extras !== undefined) {
    for (const [keyword, value] of Object.entries(extras)) {
      if (!isEsmtpKeyword(keyword)) return err('INVALID_ARGUMENT', `ESMTP keyword "${keyword}" is not (ALPHA / DIGIT) *(ALPHA / DIGIT / "-") (RFC 5321 §4.1.2)`);
      if (value !== null && !isEsmtpValue(value)) return err('INVALID_ARGUMENT', `value of ${keyword} must be printable US-ASCII without SP or "=" (RFC 5321 §4.1.2)`);
      const upper = keyword.toUpperCase();
      if (Object.hasOwn(params, upper)) return err('INVALID_ARGUMENT', `ESMTP parameter ${upper} given twice`);
      params[upper] = value;
    }
  }
  for (const [keyword, value] of Object.entries(params)) {
    const rule = Object.hasOwn(rules, keyword) ? rules[keyword] : undefined;
    const problem = rule === undefined ? null : rule(value);
    if (problem !== null) return err('INVALID_ARGUMENT', problem);
  }
  return ok(params);
}

/** Command lines are US-ASCII (checked above), so one char is one octet. */
function writeAscii(out: Uint8Array, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i);
  return at + text.length;
}

function writeLine(out: Uint8Array, at: number, line: string): number {
  const o = writeAscii(out, at, line);
  out[o] = CR;
  out[o + 1] = LF;
  return o + 2;
}
