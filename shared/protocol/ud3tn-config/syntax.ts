/**
 * The text layout of one uD3TN configuration command, described once; the encoder and the parser both
 * read it (sources: uD3TN v0.13 `doc/contacts_data_format.md`, `components/agents/config_parser.c`,
 * `include/ud3tn/router.h`; protocols.md §7.2):
 *
 *   <CMD>(<node-id>)[,<reliability>][:[(<cla-addr>)][:[<eid-list>][:[<contact-list>]]]];
 *   eid-list     = [ (<eid>),(<eid>)… ]
 *   contact-list = [ {<start>,<end>,<rate>[,<eid-list>]},… ]
 *
 * Each field is introduced by ':' and every later field may be left out; an empty field is written as
 * nothing between two ':' (e.g. "1(dtn://a/):(mtcp:h:1)::[{…}];" has no reachable-EID list). Strings sit
 * in parentheses with no escaping, so they cannot contain ')'.
 *
 * What uD3TN accepts and so do we: empty lists "[]", a ',' before a list's closing ']' (its state machine
 * returns to the "element or end" state after each ','), leading zeros, '(' inside an EID.
 * Where we are stricter than uD3TN, because uD3TN misreads the input rather than rejecting it:
 * an empty number (strtoull("") = 0), numbers that overflow (atoi/strtoul wrap, e.g. reliability 65636
 * becomes 100), empty node IDs and EIDs. And one leniency of our own: CR/LF between and after commands,
 * so that a file with one command per line parses (uD3TN ignores every byte after the first ';').
 *
 * uD3TN v0.13 applies only the FIRST command of a payload: once a command is complete the parser's
 * status is DONE and `config_parser_read_byte` ignores every further byte until the next bundle resets
 * it. Send one command per bundle to a real uD3TN; Farside's BPA applies them all.
 */
import { LIMITS } from '../limits';
import type { ConfigCommandName } from './types';

/** Command bytes: ASCII digits (router.h: ROUTER_COMMAND_ADD = 0x31 … ROUTER_COMMAND_QUERY = 0x34). */
export const COMMAND_CODES: Readonly<Record<ConfigCommandName, number>> = {
  add: 0x31,
  replace: 0x32,
  delete: 0x33,
  query: 0x34,
};

const COMMAND_BY_CODE: readonly (ConfigCommandName | undefined)[] = (() => {
  const table: (ConfigCommandName | undefined)[] = new Array<ConfigCommandName | undefined>(256).fill(undefined);
  for (const [name, code] of Object.entries(COMMAND_CODES) as [ConfigCommandName, number][]) table[code] = name;
  return table;
})();

export function commandForCode(byte: number): ConfigCommandName | undefined {
  return COMMAND_BY_CODE[byte];
}

/** Delimiters (config_parser.c: EID_START_DELIMITER … COMMAND_END_MARKER). */
export const OPEN_STRING = 0x28; // (
export const CLOSE_STRING = 0x29; // )
export const OPEN_LIST = 0x5b; // [
export const CLOSE_LIST = 0x5d; // ]
export const OPEN_CONTACT = 0x7b; // {
export const CLOSE_CONTACT = 0x7d; // }
export const ELEMENT_SEPARATOR = 0x2c; // , (list elements, contact fields, before the reliability)
export const FIELD_SEPARATOR = 0x3a; // :
export const COMMAND_END = 0x3b; // ;
export const CR = 0x0d;
export const LF = 0x0a;

/**
 * EID characters (config_parser.c `read_eid`): 0x21..0x5F, 'a'..'z' and '~'. ')' ends the string, so it
 * is not an EID character here.
 */
const EID_CHARS: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let b = 0x21; b <= 0x5f; b++) t[b] = 1;
  for (let b = 0x61; b <= 0x7a; b++) t[b] = 1;
  t[0x7e] = 1;
  t[CLOSE_STRING] = 0;
  return t;
})();

/** CLA address characters (config_parser.c `read_cla_addr`): [0-9A-Za-z:.[]#/-]. */
const CLA_CHARS: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let b = 0x30; b <= 0x39; b++) t[b] = 1;
  for (let b = 0x41; b <= 0x5a; b++) t[b] = 1;
  for (let b = 0x61; b <= 0x7a; b++) t[b] = 1;
  for (const c of ':.[]#/-') t[c.charCodeAt(0)] = 1;
  return t;
})();

export function isEidChar(byte: number): boolean {
  return EID_CHARS[byte] === 1;
}

export function isClaChar(byte: number): boolean {
  return CLA_CHARS[byte] === 1;
}

/** Inclusive range of an integer field. */
export interface IntegerRange {
  readonly min: number;
  readonly max: number;
  readonly what: string;
}

/** config_parser.c: reliability must be 100..1000 ("likelihood … divided by 1000.0"). */
export const RELIABILITY: IntegerRange = { min: 100, max: 1000, what: 'reliability' };

/**
 * Start and end are DTN seconds; uD3TN rejects values ≥ UINT64_MAX/1000 and multiplies by 1000. We keep
 * the millisecond value exact in a JS number, so the bound is MAX_SAFE_INTEGER/1000 (year 287,000).
 */
export const MAX_DTN_SECONDS = Math.floor(Number.MAX_SAFE_INTEGER / 1000);
export const CONTACT_START: IntegerRange = { min: 0, max: MAX_DTN_SECONDS, what: 'contact start' };
export const CONTACT_END: IntegerRange = { min: 0, max: MAX_DTN_SECONDS, what: 'contact end' };

/** node.h: `uint32_t bitrate_bytes_per_s`. */
export const CONTACT_RATE: IntegerRange = { min: 0, max: 0xffff_ffff, what: 'data rate' };

export const MAX_DIGITS = LIMITS.ud3tnConfigMaxDigits;
