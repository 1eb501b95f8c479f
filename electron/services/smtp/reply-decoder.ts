/**
 * Resumable decoder for SMTP replies (RFC 5321 §4.2): bytes from the socket in any chunking → complete
 * replies, in order. The state between chunks is explicit: the bytes of an unfinished line and the lines
 * of an unfinished multi-line reply (need more bytes until a line with SP after the code arrives).
 *
 *   reply      = *( code "-" [ text ] CRLF ) code [ SP text ] CRLF        RFC 5321 §4.2
 *   code       = %x32-35 %x30-35 %x30-39
 *   enhanced   = class "." subject "." detail   at the start of the text   RFC 3463 §2, RFC 2034 §4
 *
 * Strict where it matters for a client that acts on replies: every line ends in CRLF, every line of a
 * multi-line reply repeats the same code, and line length and line count are bounded (LIMITS
 * .smtpMaxReplyLine / smtpMaxReplyLines) before anything is buffered. Text may hold any octet but CR and
 * LF; it is read as UTF-8 with replacement, since it is only ever shown or logged.
 */
import { err, ok } from '../../../shared/errors';
import type { Result } from '../../../shared/errors';
import { LIMITS } from '../../../shared/protocol/limits';

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HYPHEN = 0x2d;

export interface SmtpReply {
  /** The three-digit reply code, e.g. 250. */
  readonly code: number;
  /** The RFC 3463 enhanced status code of the first line ("5.1.1"), or null when the text has none. */
  readonly enhanced: string | null;
  /** Text of each line, code and separator removed. */
  readonly lines: readonly string[];
}

/** 2yz positive completion, 3yz intermediate, 4yz transient, 5yz permanent (RFC 5321 §4.2.1). */
export function replyClass(reply: SmtpReply): 2 | 3 | 4 | 5 {
  return Math.floor(reply.code / 100) as 2 | 3 | 4 | 5;
}

/** "550 5.1.1 text" as one line (multi-line replies joined with " / "), for logs and Diagnostic-Code. */
export function formatReply(reply: SmtpReply): string {
  return `${reply.code} ${reply.lines.join(' / ')}`.trimEnd();
}

const ENHANCED = /^([245])\.(\d{1,3})\.(\d{1,3})(?: |$)/;

export interface ReplyDecoderOptions {
  readonly maxLineBytes?: number;
  readonly maxLines?: number;
}

export interface ReplyDecoder {
  /**
   * Feed the next bytes; returns the replies completed by them (possibly none). After an error the
   * decoder stays failed: the connection can no longer be trusted to be in step.
   */
  push(chunk: Uint8Array): Result<SmtpReply[]>;
  /** True when no partial line or reply is pending (the server said nothing unanswered). */
  readonly idle: boolean;
}

const utf8 = new TextDecoder('utf-8');

export function createReplyDecoder(opts: ReplyDecoderOptions = {}): ReplyDecoder {
  const maxLine = opts.maxLineBytes ?? LIMITS.smtpMaxReplyLine;
  const maxLines = opts.maxLines ?? LIMITS.smtpMaxReplyLines;
  // bytes of the unfinished line, kept as views of the chunks they came in (copied once, at the line end)
  let partial: Uint8Array[] = [];
  let partialLength = 0;
  let lines: string[] = [];
  let code = 0;
  let failed: Result<SmtpReply[]> | null = null;

  const fail = (e: Result<SmtpReply[]>): Result<SmtpReply[]> => {
    failed = e;
    return e;
  };

  /** One complete line without its CRLF; returns a reply when it was the last line, else null. */
  const takeLine = (line: Uint8Array): Result<SmtpReply | null> => {
    if (line.length < 3) return err('MALFORMED', 'SMTP reply line shorter than its code (RFC 5321 §4.2)');
    const d0 = line[0]! - 0x30;
    const d1 = line[1]! - 0x30;
    const d2 = line[2]! - 0x30;
    if (d0 < 2 || d0 > 5 || d1 < 0 || d1 > 5 || d2 < 0 || d2 > 9) return err('MALFORMED', 'SMTP reply code is not 2-5, 0-5, 0-9 (RFC 5321 §4.2)');
    const lineCode = d0 * 100 + d1 * 10 + d2;
    const sep = line.length > 3 ? line[3] : SP;
    if (sep !== SP && sep !== HYPHEN) return err('MALFORMED', 'SMTP reply code must be followed by SP, "-" or CRLF (RFC 5321 §4.2)');
    if (lines.length > 0 && lineCode !== code) return err('MALFORMED', `multi-line SMTP reply changed its code from ${code} to ${lineCode} (RFC 5321 §4.2.1)`);
    if (lines.length >= maxLines) return err('LIMIT_EXCEEDED', `SMTP reply of more than ${maxLines} lines`);
    code = lineCode;
    lines.push(line.length > 4 ? utf8.decode(line.subarray(4)) : '');
    if (sep === HYPHEN) return ok(null);
    const first = lines[0]!;
    const m = ENHANCED.exec(first);
    // RFC 3463 §2: the class digit repeats the reply's first digit; anything else is not a status code
    const enhanced = m !== null && Number(m[1]) === d0 ? `${m[1]}.${m[2]}.${m[3]}` : null;
    const reply: SmtpReply = { code, enhanced, lines };
    lines = [];
    code = 0;
    return ok(reply);
  };

  return {
    get idle() {
      return partialLength === 0 && lines.length === 0;
    },
    push(chunk) {
      if (failed !== null) return failed;
      const out: SmtpReply[] = [];
      let start = 0;
      while (start < chunk.length) {
        const lf = chunk.indexOf(LF, start);
        const end = lf < 0 ? chunk.length : lf + 1;
        if (partialLength + (end - start) > maxLine) return fail(err('LIMIT_EXCEEDED', `SMTP reply line longer than ${maxLine} octets`));
        if (lf < 0) {
          partial.push(chunk.subarray(start));
          partialLength += chunk.length - start;
          break;
        }
        let line: Uint8Array;
        if (partialLength === 0) {
          line = chunk.subarray(start, end);
        } else {
          line = new Uint8Array(partialLength + end - start);
          let o = 0;
          for (const p of partial) {
            line.set(p, o);
            o += p.length;
          }
          line.set(chunk.subarray(start, end), o);
          partial = [];
          partialLength = 0;
        }
        start = end;
        if (line.length < 2 || line.indexOf(CR) !== line.length - 2) {
          return fail(err('MALFORMED', 'SMTP reply line not ended by CRLF, or a bare CR in it (RFC 5321 §2.3.8)'));
        }
        const taken = takeLine(line.subarray(0, line.length - 2));
        if (!taken.ok) return fail(taken);
        if (taken.value !== null) out.push(taken.value);
      }
      return ok(out);
    },
  };
}
