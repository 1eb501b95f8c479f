/**
 * The Batch SMTP grammar, described once for encode.ts and decode.ts.
 *
 * RFC 2442 defines no grammar of its own: a BSMTP object is exactly what an ESMTP client sends (protocols.md
 * §2.4). The rules below are RFC 5321 §4.1 (commands, paths, ESMTP parameters) and the parameters RFC 2442
 * obliges a processor to accept: SIZE (RFC 1870), BODY (RFC 6152) and the DSN parameters (RFC 3461).
 *
 * Command lines are US-ASCII (RFC 5321 §2.4 and §4.1.2). SMTPUTF8 (RFC 6531) is not among RFC 2442's
 * required extensions and Farside does not use it (protocols.md §2.4), so an 8-bit octet in a command line
 * is a syntax error rather than something to guess an encoding for.
 *
 *   stream      = [greeting] *( transaction / "RSET" CRLF / "NOOP" [SP text] CRLF ) ["QUIT" CRLF]
 *   greeting    = ("EHLO" / "HELO") SP domain CRLF
 *   transaction = "MAIL FROM:" "<" [path] ">" *(SP param) CRLF
 *                 *("RCPT TO:" "<" path ">" *(SP param) CRLF)
 *                 "DATA" CRLF  *(stuffed text line CRLF)  "." CRLF
 *   param       = keyword ["=" value]      ; RFC 5321 §4.1.2 esmtp-param
 */
import { LIMITS } from '../limits';
import { err, ok } from '../../errors';
import type { Result } from '../../errors';
import type { EsmtpParams } from './types';
import { isXtext } from './xtext';

export const CR = 0x0d;
export const LF = 0x0a;
export const DOT = 0x2e;
export const NUL = 0x00;
export const CRLF = '\r\n';

/**
 * The commands a BSMTP object may hold. RFC 2442 makes the object the client side of a mail transaction:
 * the greeting, MAIL/RCPT/DATA, RSET between messages (which a processor MUST accept), NOOP and QUIT.
 * Everything else needs a server reply or a live session (VRFY, EXPN, ETRN, TURN, AUTH, STARTTLS) or is not
 * DATA (BDAT, RFC 3030), and is refused.
 */
export const ALLOWED_VERBS: ReadonlySet<string> = new Set(['EHLO', 'HELO', 'MAIL', 'RCPT', 'DATA', 'RSET', 'NOOP', 'QUIT']);

/** RFC 5321 §4.1.1.2 and §4.1.1.3: the verb, one SP and the keyword, written exactly (matched case-insensitively). */
export const MAIL_FROM_PREFIX = 'MAIL FROM:';
export const RCPT_TO_PREFIX = 'RCPT TO:';

/**
 * Characters of a path between the angle brackets and of the EHLO/HELO argument: printable US-ASCII without
 * SP, "<" and ">". This keeps a path one token on the command line, so no CR, LF, NUL or second path can be
 * injected through it. (A quoted local-part holding SP, legal in RFC 5321 §4.1.2, is refused on purpose.)
 */
const PATH_TEXT = /^[\x21-\x3b\x3d\x3f-\x7e]+$/;
/** RFC 5321 §4.1.2: esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-"). */
const ESMTP_KEYWORD = /^[A-Za-z0-9][A-Za-z0-9-]*$/;
/** RFC 5321 §4.1.2: esmtp-value = 1*(%d33-60 / %d62-126), any printable character but "=". */
const ESMTP_VALUE = /^[\x21-\x3c\x3e-\x7e]+$/;
/** A verb as RFC 5321 §4.1 writes commands: letters only. Anything else on a command line is not a command. */
export const VERB = /^[A-Za-z]+$/;

/**
 * RFC 5321 §4.1.2 Domain: sub-domain *("." sub-domain), sub-domain = Let-dig [Ldh-str], matched
 * case-insensitively (RFC 5321 §2.4); a label at most 63 characters and the name at most 253 (RFC 1035
 * §2.3.4, 255 octets on the wire). One label is a Domain too; callers that need a dot check for it.
 */
const DOMAIN = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export function isDomain(text: string): boolean {
  return DOMAIN.test(text);
}

export function isPathText(text: string): boolean {
  return PATH_TEXT.test(text);
}

export function isEsmtpKeyword(text: string): boolean {
  return ESMTP_KEYWORD.test(text);
}

export function isEsmtpValue(text: string): boolean {
  return ESMTP_VALUE.test(text);
}

/** Checks a known parameter's value; returns the problem, or null when the value is well-formed. */
type ParamRule = (value: string | null) => string | null;
/** Known parameters of one command, keyword (upper case) → rule. */
export type ParamRules = Readonly<Record<string, ParamRule>>;

const SIZE_VALUE = /^[0-9]{1,20}$/;
/** RFC 3461 §4.1: NEVER alone, or SUCCESS, FAILURE, DELAY in any order, each at most once (the look-aheads). */
const NOTIFY_VALUE = /^(?:NEVER|(SUCCESS|FAILURE|DELAY)(?:,(?!\1)(SUCCESS|FAILURE|DELAY)(?:,(?!\1|\2)(?:SUCCESS|FAILURE|DELAY))?)?)$/i;
/** RFC 3461 §4.2: addr-type is an atom (RFC 5322 atext). */
const ADDR_TYPE = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+$/;

function xtextWithin(max: number, name: string): ParamRule {
  return (value) => {
    if (value === null) return `${name} needs a value`;
    if (value.length > max) return `${name} is longer than ${max} characters`;
    return isXtext(value) ? null : `${name} is not xtext (RFC 3461 §4)`;
  };
}

/**
 * MAIL FROM parameters Farside knows, keyword → rule. Values are case-insensitive keywords where the RFCs
 * define keywords (RFC 5321 §2.4). These keywords are also the ones the encoder writes from typed options.
 */
export const MAIL_PARAM_RULES: ParamRules = {
  // RFC 1870 §3: size-value ::= 1*20DIGIT
  SIZE: (v) => (v !== null && SIZE_VALUE.test(v) ? null : 'SIZE must be 1 to 20 digits (RFC 1870 §3)'),
  // RFC 6152 §2: BODY=7BIT / BODY=8BITMIME. BODY=BINARYMIME (RFC 3030 §3) requires BDAT, which a BSMTP
  // object cannot carry, so a message announced as binary cannot be in this object.
  BODY: (v) => {
    const upper = v?.toUpperCase();
    if (upper === '7BIT' || upper === '8BITMIME') return null;
    return upper === 'BINARYMIME' ? 'BODY=BINARYMIME requires BDAT (RFC 3030 §3), which BSMTP cannot carry' : 'BODY must be 7BIT or 8BITMIME (RFC 6152)';
  },
  // RFC 3461 §4.3
  RET: (v) => {
    const upper = v?.toUpperCase();
    return upper === 'FULL' || upper === 'HDRS' ? null : 'RET must be FULL or HDRS (RFC 3461 §4.3)';
  },
  // RFC 3461 §4.4: ENVID=xtext of at most 100 characters
  ENVID: xtextWithin(100, 'ENVID'),
};

/** RCPT TO parameters Farside knows (RFC 3461 §4.1, §4.2). */
export const RCPT_PARAM_RULES: ParamRules = {
  NOTIFY: (v) => (v !== null && NOTIFY_VALUE.test(v) ? null : 'NOTIFY must be NEVER or a list of SUCCESS, FAILURE, DELAY (RFC 3461 §4.1)'),
  // ORCPT=addr-type ";" xtext, at most 500 characters in all
  ORCPT: (v) => {
    if (v === null) return 'ORCPT needs a value';
    if (v.length > 500) return 'ORCPT is longer than 500 characters (RFC 3461 §4.2)';
    const semi = v.indexOf(';');
    if (semi <= 0 || !ADDR_TYPE.test(v.slice(0, semi))) return 'ORCPT must be addr-type;xtext (RFC 3461 §4.2)';
    return isXtext(v.slice(semi + 1)) ? null : 'ORCPT address is not xtext (RFC 3461 §4.2)';
  },
};

/** The ORCPT address type for RFC 822 / RFC 5322 addresses (RFC 3461 §4.2). */
export const ORCPT_RFC822 = 'rfc822';

/**
 * Parse the parameters after a path: "" or (SP param)+. Keywords are upper-cased; values kept as written;
 * known keywords are checked against `rules`; unknown ones are kept (design.md principle 5). A repeated
 * keyword is refused: which one a processor would honour is undefined.
 */
export function parseEsmtpParams(text: string, rules: ParamRules, offset: number): Result<EsmtpParams> {
  const params: EsmtpParams = {};
  if (text === '') return ok(params);
  if (text.charCodeAt(0) !== 0x20) return err('BSMTP_SYNTAX', 'expected SP before ESMTP parameters (RFC 5321 §4.1.2)', offset);
  for (const param of text.slice(1).split(' ')) {
    const eq = param.indexOf('=');
    const keyword = eq < 0 ? param : param.slice(0, eq);
    const value = eq < 0 ? null : param.slice(eq + 1);
    if (!isEsmtpKeyword(keyword)) return err('BSMTP_SYNTAX', `malformed ESMTP parameter keyword "${keyword}" (RFC 5321 §4.1.2)`, offset);
    if (value !== null && !isEsmtpValue(value)) return err('BSMTP_SYNTAX', `malformed value of ESMTP parameter ${keyword} (RFC 5321 §4.1.2)`, offset);
    const upper = keyword.toUpperCase();
    if (Object.hasOwn(params, upper)) return err('BSMTP_SYNTAX', `ESMTP parameter ${upper} given twice`, offset);
    const rule = Object.hasOwn(rules, upper) ? rules[upper] : undefined;
    const problem = rule === undefined ? null : rule(value);
    if (problem !== null) return err('BSMTP_SYNTAX', problem, offset);
    params[upper] = value;
  }
  return ok(params);
}

/** " KEY=value KEY2" for params already checked by the caller, in insertion order. */
export function formatEsmtpParams(params: Readonly<EsmtpParams>): string {
  let out = '';
  for (const [keyword, value] of Object.entries(params)) out += value === null ? ` ${keyword}` : ` ${keyword}=${value}`;
  return out;
}

/** RFC 5321 §4.5.3.1.4 counts the CRLF in a command line's length; so does LIMITS.smtpMaxCommandLine. */
export function commandLineFits(line: string): boolean {
  return line.length + CRLF.length <= LIMITS.smtpMaxCommandLine;
}
