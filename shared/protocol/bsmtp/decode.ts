/**
 * Strict Batch SMTP processor front end (RFC 2442): bytes → the transactions they hold, or one typed error
 * for the whole object. There is never a partial result: a gateway must not deliver the first messages of
 * an object whose later bytes show it was crafted (SMTP smuggling) or damaged.
 *
 * Refused, with the code in brackets:
 * - every line end but CRLF, anywhere (RFC 2442: "CRLF line terminators MUST be used"; RFC 5321 §2.3.8):
 *   bare LF, bare CR, and so the smuggling end-of-data look-alikes <LF>.<LF>, <CR><LF>.<LF>, <LF>.<CR><LF>;
 *   NUL octets [BSMTP_SMUGGLING]
 * - command lines over LIMITS.smtpMaxCommandLine, text lines over LIMITS.smtpMaxTextLine, more recipients or
 *   transactions than LIMITS allows, input over LIMITS.bsmtpMaxBytes [LIMIT_EXCEEDED]
 * - input ending inside a line, inside DATA (no "." CRLF) or inside a transaction [TRUNCATED]; bytes after
 *   QUIT [TRAILING_BYTES]
 * - commands RFC 2442 has no place for (VRFY, EXPN, ETRN, TURN, AUTH, STARTTLS, BDAT, …), and EHLO/HELO
 *   anywhere but first [BSMTP_COMMAND_NOT_ALLOWED]
 * - anything else off the grammar of grammar.ts [BSMTP_SYNTAX]; a plain RFC 5322 message [BSMTP_NOT_BSMTP]
 *
 * Decisions where the RFCs leave room:
 * - MAIL without a preceding EHLO/HELO is accepted (`ehlo: null`): the processor greets its own MTA anyway,
 *   and RFC 5321 §4.1.4 lets servers accept it.
 * - RCPT or DATA before MAIL, and MAIL inside an open transaction, are sequence errors [BSMTP_SYNTAX]
 *   (RFC 5321 §4.1.4, 503 "bad sequence").
 * - DATA with no RCPT yields a transaction with `rcptTo: []`: RFC 2442 makes a processor accept DATA even when
 *   no valid recipient is left, so the data is read as data, never as commands; the caller decides.
 * - A transaction opened by MAIL must end with DATA or RSET; QUIT or the end of input inside it is refused.
 * - A missing QUIT is tolerated (protocols.md §2.4) when no transaction is open.
 *
 * Cost: one pass over the bytes. Command lines (short, US-ASCII) become strings; mail data is only scanned
 * and returned as a view, or copied once when it has stuffed lines.
 */
import { LIMITS } from '../limits';
import { err, ok } from '../../errors';
import type { Err, FarsideError, Result } from '../../errors';
import { detectPayloadForm } from './detect';
import { unstuffMessage } from './dot-stuffing';
import { lowOctetScanner, nextLowOctet } from './line-scan';
import {
  ALLOWED_VERBS,
  CR,
  DOT,
  LF,
  MAIL_FROM_PREFIX,
  MAIL_PARAM_RULES,
  NUL,
  RCPT_PARAM_RULES,
  RCPT_TO_PREFIX,
  VERB,
  isPathText,
  parseEsmtpParams,
} from './grammar';
import type { ParamRules } from './grammar';
import type { DecodedBsmtp, EsmtpParams, Recipient, Transaction } from './types';

interface OpenTransaction {
  readonly mailFrom: string;
  readonly mailParams: EsmtpParams;
  readonly rcptTo: Recipient[];
}

export function decodeBsmtp(bytes: Uint8Array): Result<DecodedBsmtp> {
  const n = bytes.length;
  if (n > LIMITS.bsmtpMaxBytes) return err('LIMIT_EXCEEDED', `BSMTP object of ${n} octets exceeds LIMITS.bsmtpMaxBytes`, 0);
  if (n === 0) return err('BSMTP_SYNTAX', 'empty input: a BSMTP object holds at least one command', 0);
  if (detectPayloadForm(bytes) === 'rfc5322') {
    return err('BSMTP_NOT_BSMTP', 'payload starts with a header field: plain RFC 5322 (draft-blanchet-dtn-email-over-bp-00 form), not Batch SMTP', 0);
  }

  const transactions: Transaction[] = [];
  let ehlo: string | null = null;
  let open: OpenTransaction | null = null;
  let pos = 0;
  while (pos < n) {
    const lineStart = pos;
    const line = readCommandLine(bytes, pos);
    if (!line.ok) return line;
    pos = line.value.next;
    const text = line.value.text;
    const sp = text.indexOf(' ');
    const word = sp < 0 ? text : text.slice(0, sp);
    if (!VERB.test(word)) return err('BSMTP_SYNTAX', 'line is not an SMTP command', lineStart);
    const verb = word.toUpperCase(); // RFC 5321 §2.4: verbs are case-insensitive
    if (!ALLOWED_VERBS.has(verb)) return err('BSMTP_COMMAND_NOT_ALLOWED', `${verb} has no place in Batch SMTP (RFC 2442)`, lineStart);

    switch (verb) {
      case 'EHLO':
      case 'HELO': {
        if (lineStart !== 0) return err('BSMTP_COMMAND_NOT_ALLOWED', `${verb} is allowed only as the first command`, lineStart);
        const domain = sp < 0 ? '' : text.slice(sp + 1);
        if (!isPathText(domain)) return err('BSMTP_SYNTAX', `${verb} takes one domain or address literal (RFC 5321 §4.1.1.1)`, lineStart);
        ehlo = domain;
        break;
      }
      case 'MAIL': {
        if (open !== null) return err('BSMTP_SYNTAX', 'MAIL inside an open transaction (RFC 5321 §4.1.4)', lineStart);
        const from = parsePathCommand(text, MAIL_FROM_PREFIX, MAIL_PARAM_RULES, lineStart);
        if (!from.ok) return from;
        open = { mailFrom: from.value.address, mailParams: from.value.params, rcptTo: [] };
        break;
      }
      case 'RCPT': {
        if (open === null) return err('BSMTP_SYNTAX', 'RCPT before MAIL (RFC 5321 §4.1.4)', lineStart);
        if (open.rcptTo.length >= LIMITS.smtpMaxRecipients) {
          return err('LIMIT_EXCEEDED', `more than LIMITS.smtpMaxRecipients (${LIMITS.smtpMaxRecipients}) recipients in one transaction`, lineStart);
        }
        const to = parsePathCommand(text, RCPT_TO_PREFIX, RCPT_PARAM_RULES, lineStart);
        if (!to.ok) return to;
        // RFC 5321 §4.1.1.3: the forward-path is never null
        if (to.value.address === '') return err('BSMTP_SYNTAX', 'RCPT TO:<> has no forward-path', lineStart);
        open.rcptTo.push(to.value);
        break;
      }
      case 'DATA': {
        if (sp >= 0) return err('BSMTP_SYNTAX', 'DATA takes no argument (RFC 5321 §4.1.1.4)', lineStart);
        if (open === null) return err('BSMTP_SYNTAX', 'DATA before MAIL (RFC 5321 §4.1.4)', lineStart);
        if (transactions.length >= LIMITS.bsmtpMaxTransactions) {
          return err('LIMIT_EXCEEDED', `more than LIMITS.bsmtpMaxTransactions (${LIMITS.bsmtpMaxTransactions}) transactions`, lineStart);
        }
        const data = readMailData(bytes, pos);
        if (!data.ok) return data;
        transactions.push({ envelope: open, message: data.value.message });
        open = null;
        pos = data.value.next;
        break;
      }
      case 'RSET':
        // RFC 5321 §4.1.1.5: abort the open transaction, if any; RFC 2442 processors MUST accept it
        if (sp >= 0) return err('BSMTP_SYNTAX', 'RSET takes no argument (RFC 5321 §4.1.1.5)', lineStart);
        open = null;
        break;
      case 'NOOP':
        // RFC 5321 §4.1.1.9: NOOP [SP String]; the argument has no meaning
        break;
      case 'QUIT':
        if (sp >= 0) return err('BSMTP_SYNTAX', 'QUIT takes no argument (RFC 5321 §4.1.1.10)', lineStart);
        if (open !== null) return err('BSMTP_SYNTAX', 'QUIT inside a transaction that has no DATA', lineStart);
        if (pos < n) return err('TRAILING_BYTES', 'bytes after QUIT', pos);
        return ok({ ehlo, transactions });
    }
  }
  if (open !== null) return err('TRUNCATED', 'input ends inside a transaction (MAIL without DATA)', n);
  return ok({ ehlo, transactions });
}

/**
 * One command line from `start`: its text without CRLF, and where the next line starts. LIMITS counts the
 * CRLF in the length, as RFC 5321 §4.5.3.1.4 does, so the CR of a line that fits lies at most at
 * start + limit - 2; scanning stops there, so an over-long line costs no more than the limit.
 */
function readCommandLine(bytes: Uint8Array, start: number): Result<{ readonly text: string; readonly next: number }> {
  const n = bytes.length;
  const stop = Math.min(n, start + LIMITS.smtpMaxCommandLine - 1);
  const codes: number[] = []; // printable US-ASCII, turned into the line's text in one call at its end
  for (let i = start; i < stop; i++) {
    const b = bytes[i]!;
    if (b >= 0x20 && b <= 0x7e) {
      codes.push(b);
      continue;
    }
    if (b === CR) {
      if (i + 1 === n) return err('TRUNCATED', 'input ends between CR and LF', i + 1);
      if (bytes[i + 1] !== LF) return err('BSMTP_SMUGGLING', 'bare CR in a command line (only CRLF ends a line, RFC 5321 §2.3.8)', i);
      return ok({ text: String.fromCharCode.apply(null, codes), next: i + 2 });
    }
    return badOctet(bytes, i, start, 'a command line');
  }
  if (stop < n) return err('LIMIT_EXCEEDED', `command line longer than LIMITS.smtpMaxCommandLine (${LIMITS.smtpMaxCommandLine}) octets with its CRLF`, start);
  return err('TRUNCATED', 'input ends inside a command line (no CRLF)', start);
}

/**
 * "MAIL FROM:<path> params" or "RCPT TO:<path> params" (RFC 5321 §4.1.1.2-3): the keyword exactly
 * (case-insensitive), the path in angle brackets right after the colon, then SP-separated parameters.
 * An empty path is returned as "" (the null reverse-path; the RCPT caller refuses it).
 */
function parsePathCommand(
  text: string,
  prefix: string,
  rules: ParamRules,
  offset: number,
): Result<Recipient> {
  const open = prefix.length;
  if (text.slice(0, open).toUpperCase() !== prefix || text.charCodeAt(open) !== 0x3c /* < */) {
    return err('BSMTP_SYNTAX', `expected "${prefix}<path>" (RFC 5321 §4.1.1)`, offset);
  }
  const close = text.indexOf('>', open + 1);
  if (close < 0) return err('BSMTP_SYNTAX', 'path without ">"', offset);
  const address = text.slice(open + 1, close);
  if (address !== '' && !isPathText(address)) return err('BSMTP_SYNTAX', 'path holds SP, "<" or a character outside printable US-ASCII', offset);
  const params = parseEsmtpParams(text.slice(close + 1), rules, offset);
  if (!params.ok) return params;
  return ok({ address, params: params.value });
}

/**
 * The mail data after DATA CRLF up to and including the terminating "." CRLF (RFC 5321 §4.1.1.4). The scan
 * checks every octet once: only CRLF may end a line, no NUL, and each text line fits
 * LIMITS.smtpMaxTextLine. That limit counts the CRLF and not a stuffing dot, exactly as RFC 5321
 * §4.5.3.1.6 defines the 1000-octet text line, so a line the encoder may write is never refused here.
 */
function readMailData(bytes: Uint8Array, start: number): Result<{ readonly message: Uint8Array; readonly next: number }> {
  const n = bytes.length;
  const scanner = lowOctetScanner(bytes);
  let lineStart = start;
  let stuffedLines = 0;
  for (let i = nextLowOctet(scanner, start); i < n; i = nextLowOctet(scanner, i)) {
    const b = bytes[i]!;
    if (b === CR) {
      if (i + 1 === n) break;
      if (bytes[i + 1] !== LF) return err('BSMTP_SMUGGLING', 'bare CR in the mail data (only CRLF ends a line, RFC 5321 §2.3.8)', i);
      const length = i + 2 - lineStart;
      if (bytes[lineStart] === DOT) {
        if (length === 3) {
          // "." CRLF: the end of the data. RFC 5321 §4.5.2: drop the first "." of every other line that has one
          const message = stuffedLines === 0 ? bytes.subarray(start, lineStart) : unstuffMessage(bytes, start, lineStart, stuffedLines);
          return ok({ message, next: i + 2 });
        }
        stuffedLines++;
        if (length - 1 > LIMITS.smtpMaxTextLine) return textLineTooLong(lineStart);
      } else if (length > LIMITS.smtpMaxTextLine) {
        return textLineTooLong(lineStart);
      }
      lineStart = i + 2;
      i = lineStart;
    } else if (b === LF || b === NUL) {
      return badOctet(bytes, i, lineStart, 'the mail data');
    } else {
      i++; // TAB and the other controls are text (RFC 5321 §4.5.2 leaves the data alone)
    }
  }
  return err('TRUNCATED', 'input ends inside the mail data (no "." CRLF terminator)', start);
}

function textLineTooLong(lineStart: number): Err<FarsideError> {
  return err('LIMIT_EXCEEDED', `text line longer than LIMITS.smtpMaxTextLine (${LIMITS.smtpMaxTextLine}) octets with its CRLF (RFC 5321 §4.5.3.1.6)`, lineStart);
}

/** The error for an octet that may not appear in a line: LF (not after CR), NUL, other controls, 8-bit. */
function badOctet(bytes: Uint8Array, i: number, lineStart: number, where: string): Err<FarsideError> {
  const b = bytes[i]!;
  if (b === LF) return err('BSMTP_SMUGGLING', `bare LF in ${where}${smugglingVariant(bytes, i, lineStart)} (only CRLF ends a line, RFC 5321 §2.3.8)`, i);
  if (b === NUL) return err('BSMTP_SMUGGLING', `NUL octet in ${where}`, i);
  if (b >= 0x80) return err('BSMTP_SYNTAX', `8-bit octet in ${where}: commands are US-ASCII (SMTPUTF8 is not used)`, i);
  return err('BSMTP_SYNTAX', `control octet 0x${b.toString(16).padStart(2, '0')} in ${where}`, i);
}

/** Names the end-of-data look-alike around a bare LF at `i`, the forms SMTP smuggling relies on. */
function smugglingVariant(bytes: Uint8Array, i: number, lineStart: number): string {
  if (i === lineStart + 1 && bytes[lineStart] === DOT) {
    return lineStart >= 2 && bytes[lineStart - 1] === LF && bytes[lineStart - 2] === CR ? ': <CR><LF>.<LF>' : ': .<LF>';
  }
  if (bytes[i + 1] === DOT && bytes[i + 2] === LF) return ': <LF>.<LF>';
  if (bytes[i + 1] === DOT && bytes[i + 2] === CR && bytes[i + 3] === LF) return ': <LF>.<CR><LF>';
  return '';
}
