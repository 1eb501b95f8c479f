/**
 * xtext (RFC 3461 §4), the encoding of the DSN parameters ENVID and ORCPT:
 *
 *   xtext   = *( xchar / hexchar )
 *   xchar   = any ASCII CHAR between "!" (33) and "~" (126) inclusive, except for "+" and "="
 *   hexchar = "+" followed by two upper-case hexadecimal digits
 *
 * RFC 3461 §4.2 and §4.4 restrict ORCPT addresses and envelope IDs to US-ASCII, so both directions work on
 * ASCII text only; anything else is refused rather than guessed at.
 */
import { err, ok } from '../../errors';
import type { Result } from '../../errors';

const HEX_DIGITS = '0123456789ABCDEF';
const PLUS = 0x2b;
const EQUALS = 0x3d;

function isXchar(code: number): boolean {
  return code >= 0x21 && code <= 0x7e && code !== PLUS && code !== EQUALS;
}

/** Upper-case hex digit value, or -1 (RFC 3461 §4 allows upper case only). */
function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10;
  return -1;
}

/** The same grammar as one expression, for checking without decoding: xchars, or "+" and hex of 0x00..0x7F. */
const XTEXT = /^(?:[\x21-\x2a\x2c-\x3c\x3e-\x7e]|\+[0-7][0-9A-F])*$/;

/** True when `text` is xtext that decodeXtext accepts. */
export function isXtext(text: string): boolean {
  return XTEXT.test(text);
}

/** Encode US-ASCII text as xtext; INVALID_ARGUMENT for characters above 0x7F. */
export function encodeXtext(text: string): Result<string> {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) return err('INVALID_ARGUMENT', `xtext carries US-ASCII only (RFC 3461 §4), got U+${code.toString(16).padStart(4, '0')}`);
    out += isXchar(code) ? text.charAt(i) : `+${HEX_DIGITS.charAt(code >> 4)}${HEX_DIGITS.charAt(code & 15)}`;
  }
  return ok(out);
}

/** Decode xtext to its US-ASCII text; BSMTP_SYNTAX for anything outside the RFC 3461 §4 grammar. */
export function decodeXtext(xtext: string): Result<string> {
  let out = '';
  for (let i = 0; i < xtext.length; i++) {
    const code = xtext.charCodeAt(i);
    if (code === PLUS) {
      const hi = hexValue(xtext.charCodeAt(i + 1));
      const lo = hexValue(xtext.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return err('BSMTP_SYNTAX', `xtext: "+" must be followed by two upper-case hex digits (RFC 3461 §4)`, i);
      const octet = (hi << 4) | lo;
      if (octet > 0x7f) return err('BSMTP_SYNTAX', `xtext: octet 0x${octet.toString(16)} is not US-ASCII`, i);
      out += String.fromCharCode(octet);
      i += 2;
    } else if (isXchar(code)) {
      out += xtext.charAt(i);
    } else {
      return err('BSMTP_SYNTAX', `xtext: character 0x${code.toString(16)} must be written as +HH (RFC 3461 §4)`, i);
    }
  }
  return ok(out);
}
