/**
 * Strict parser for uD3TN's configuration text (layout and the rules where we differ from uD3TN:
 * syntax.ts). The whole payload is parsed or nothing is: the first problem is returned with its byte
 * offset. Codes: MALFORMED (a byte the grammar does not allow there), TRUNCATED (the input ends inside
 * a command), CONFIG_INVALID (a well-formed value out of range, an empty node ID or EID),
 * LIMIT_EXCEEDED (limits.ts ud3tnConfig*).
 */
import { err, ok } from '../../errors';
import type { Err, FarsideError, Result } from '../../errors';
import { decodeAscii } from '../cbor/utf8';
import { LIMITS } from '../limits';
import {
  CLOSE_CONTACT,
  CLOSE_LIST,
  CLOSE_STRING,
  COMMAND_END,
  CONTACT_END,
  CONTACT_RATE,
  CONTACT_START,
  CR,
  ELEMENT_SEPARATOR,
  FIELD_SEPARATOR,
  LF,
  MAX_DIGITS,
  OPEN_CONTACT,
  OPEN_LIST,
  OPEN_STRING,
  RELIABILITY,
  commandForCode,
  isClaChar,
  isEidChar,
} from './syntax';
import type { IntegerRange } from './syntax';
import type { ConfigCommand, ConfigCommandName, ConfigContact } from './types';

/** Parsing state: the input and the cursor. A failure is kept here and stops every later step. */
interface Reader {
  readonly bytes: Uint8Array;
  pos: number;
  failure: Err<FarsideError> | undefined;
}

function describe(byte: number | undefined): string {
  if (byte === undefined) return 'end of input';
  return byte >= 0x21 && byte <= 0x7e ? `'${String.fromCharCode(byte)}'` : `byte 0x${byte.toString(16).padStart(2, '0')}`;
}

function fail(r: Reader, code: 'MALFORMED' | 'TRUNCATED' | 'CONFIG_INVALID' | 'LIMIT_EXCEEDED', message: string, offset: number): undefined {
  r.failure ??= err(code, message, offset);
  return undefined;
}

/** Fails with TRUNCATED at the end of input, MALFORMED otherwise. */
function unexpected(r: Reader, expected: string): undefined {
  const byte = r.bytes[r.pos];
  if (byte === undefined) return fail(r, 'TRUNCATED', `input ends where ${expected} was expected`, r.pos);
  return fail(r, 'MALFORMED', `expected ${expected}, found ${describe(byte)}`, r.pos);
}

function expect(r: Reader, byte: number, expected: string): boolean {
  if (r.bytes[r.pos] === byte) {
    r.pos++;
    return true;
  }
  unexpected(r, expected);
  return false;
}

/** A parenthesised string whose characters pass `allowed`; the opening '(' is at r.pos. */
function readString(r: Reader, allowed: (b: number) => boolean, maxLength: number, what: string, allowEmpty: boolean): string | undefined {
  if (!expect(r, OPEN_STRING, `'(' opening the ${what}`)) return undefined;
  const start = r.pos;
  const bytes = r.bytes;
  let i = start;
  while (i < bytes.length && bytes[i] !== CLOSE_STRING) {
    if (!allowed(bytes[i] as number)) {
      r.pos = i;
      return fail(r, 'MALFORMED', `${describe(bytes[i])} is not allowed in the ${what}`, i);
    }
    if (i - start >= maxLength) return fail(r, 'LIMIT_EXCEEDED', `the ${what} is longer than ${maxLength} characters`, start);
    i++;
  }
  if (i >= bytes.length) return fail(r, 'TRUNCATED', `input ends inside the ${what}`, i);
  if (i === start && !allowEmpty) return fail(r, 'CONFIG_INVALID', `the ${what} is empty`, start);
  r.pos = i + 1;
  // Only printable ASCII passed the character check.
  return decodeAscii(bytes, start, i);
}

function readEid(r: Reader, what: string): string | undefined {
  return readString(r, isEidChar, LIMITS.eidMaxLength, what, false);
}

/** Decimal digits up to a delimiter (not consumed), checked against `range`. */
function readInteger(r: Reader, range: IntegerRange): number | undefined {
  const bytes = r.bytes;
  const start = r.pos;
  let value = 0;
  let i = start;
  for (; i < bytes.length; i++) {
    const d = (bytes[i] as number) - 0x30;
    if (d < 0 || d > 9) break;
    if (i - start >= MAX_DIGITS) return fail(r, 'LIMIT_EXCEEDED', `the ${range.what} has more than ${MAX_DIGITS} digits`, start);
    // Stays exact: once value exceeds the range it is rejected before it can grow past 2^53.
    value = value * 10 + d;
    if (value > range.max) return fail(r, 'CONFIG_INVALID', `the ${range.what} is above ${range.max}`, start);
  }
  if (i === start) return unexpected(r, `a digit (the ${range.what})`);
  // A number is always followed by a delimiter: at the end of input it may still be incomplete.
  if (i === bytes.length) return fail(r, 'TRUNCATED', `input ends inside the ${range.what}`, i);
  if (value < range.min) return fail(r, 'CONFIG_INVALID', `the ${range.what} ${value} is below ${range.min}`, start);
  r.pos = i;
  return value;
}

/** `[ (eid),(eid)… ]` with r.pos on '['. */
function readEidList(r: Reader, what: string): string[] | undefined {
  if (!expect(r, OPEN_LIST, `'[' opening the ${what}`)) return undefined;
  const eids: string[] = [];
  for (;;) {
    if (r.bytes[r.pos] === CLOSE_LIST) {
      r.pos++;
      return eids;
    }
    if (eids.length >= LIMITS.ud3tnConfigMaxEids) return fail(r, 'LIMIT_EXCEEDED', `the ${what} has more than ${LIMITS.ud3tnConfigMaxEids} EIDs`, r.pos);
    const eid = readEid(r, `EID in the ${what}`);
    if (eid === undefined) return undefined;
    eids.push(eid);
    const next = r.bytes[r.pos];
    if (next === ELEMENT_SEPARATOR) r.pos++;
    else if (next !== CLOSE_LIST) return unexpected(r, `',' or ']' in the ${what}`);
  }
}

/** `{start,end,rate[,[eids]]}` with r.pos on '{'. */
function readContact(r: Reader): ConfigContact | undefined {
  if (!expect(r, OPEN_CONTACT, "'{' opening a contact")) return undefined;
  const start = readInteger(r, CONTACT_START);
  if (start === undefined || !expect(r, ELEMENT_SEPARATOR, "',' after the contact start")) return undefined;
  const end = readInteger(r, CONTACT_END);
  if (end === undefined || !expect(r, ELEMENT_SEPARATOR, "',' after the contact end")) return undefined;
  const rate = readInteger(r, CONTACT_RATE);
  if (rate === undefined) return undefined;
  let reachableEids: string[] = [];
  if (r.bytes[r.pos] === ELEMENT_SEPARATOR) {
    r.pos++;
    const eids = readEidList(r, "contact's EID list");
    if (eids === undefined) return undefined;
    reachableEids = eids;
  }
  if (!expect(r, CLOSE_CONTACT, "'}' closing the contact")) return undefined;
  return { start, end, rate, reachableEids };
}

/** `[ {…},{…} ]` with r.pos on '['. */
function readContactList(r: Reader): ConfigContact[] | undefined {
  if (!expect(r, OPEN_LIST, "'[' opening the contact list")) return undefined;
  const contacts: ConfigContact[] = [];
  for (;;) {
    if (r.bytes[r.pos] === CLOSE_LIST) {
      r.pos++;
      return contacts;
    }
    if (contacts.length >= LIMITS.ud3tnConfigMaxContacts) return fail(r, 'LIMIT_EXCEEDED', `more than ${LIMITS.ud3tnConfigMaxContacts} contacts in one command`, r.pos);
    const contact = readContact(r);
    if (contact === undefined) return undefined;
    contacts.push(contact);
    const next = r.bytes[r.pos];
    if (next === ELEMENT_SEPARATOR) r.pos++;
    else if (next !== CLOSE_LIST) return unexpected(r, "',' or ']' in the contact list");
  }
}

interface CommandParts {
  command: ConfigCommandName;
  nodeId: string;
  reliability?: number;
  claAddress?: string;
  reachableEids: readonly string[];
  contacts: readonly ConfigContact[];
}

/**
 * One command, r.pos on its command byte. The optional fields follow uD3TN's stages in order
 * (RP_EXPECT_NODE_CONF_RELIABILITY_SEPARATOR … RP_EXPECT_COMMAND_END_MARKER): after each, ';' ends the
 * command and ':' moves to the next field.
 */
function readCommand(r: Reader): ConfigCommand | undefined {
  const code = r.bytes[r.pos];
  const command = code === undefined ? undefined : commandForCode(code);
  if (command === undefined) return unexpected(r, "a command '1' (add), '2' (replace), '3' (delete) or '4' (query)");
  r.pos++;
  const nodeId = readEid(r, 'node ID');
  if (nodeId === undefined) return undefined;
  const parts: CommandParts = { command, nodeId, reachableEids: [], contacts: [] };

  if (r.bytes[r.pos] === ELEMENT_SEPARATOR) {
    r.pos++;
    const reliability = readInteger(r, RELIABILITY);
    if (reliability === undefined) return undefined;
    parts.reliability = reliability;
  }
  if (endOfCommand(r)) return parts;
  if (!expect(r, FIELD_SEPARATOR, "':' or ';' after the node ID")) return undefined;

  // CLA address field
  if (r.bytes[r.pos] === OPEN_STRING) {
    const cla = readString(r, isClaChar, LIMITS.ud3tnConfigMaxClaAddressLength, 'CLA address', true);
    if (cla === undefined) return undefined;
    parts.claAddress = cla;
  }
  if (endOfCommand(r)) return parts;
  if (!expect(r, FIELD_SEPARATOR, "'(', ':' or ';' after the node ID's ':'")) return undefined;

  // Reachable-EID list field
  if (r.bytes[r.pos] === OPEN_LIST) {
    const eids = readEidList(r, "node's EID list");
    if (eids === undefined) return undefined;
    parts.reachableEids = eids;
  }
  if (endOfCommand(r)) return parts;
  if (!expect(r, FIELD_SEPARATOR, "'[', ':' or ';' after the CLA address field")) return undefined;

  // Contact list field: after it only ';' may follow (RP_EXPECT_COMMAND_END_MARKER).
  if (r.bytes[r.pos] === OPEN_LIST) {
    const contacts = readContactList(r);
    if (contacts === undefined) return undefined;
    parts.contacts = contacts;
  }
  if (endOfCommand(r)) return parts;
  return unexpected(r, "';' ending the command");
}

function endOfCommand(r: Reader): boolean {
  if (r.bytes[r.pos] !== COMMAND_END) return false;
  r.pos++;
  return true;
}

function skipLineBreaks(r: Reader): void {
  const bytes = r.bytes;
  while (r.pos < bytes.length && (bytes[r.pos] === CR || bytes[r.pos] === LF)) r.pos++;
}

/** Parse a config-agent payload: one or more commands, each ending with ';', CR/LF allowed between and after. */
export function parseConfig(bytes: Uint8Array): Result<ConfigCommand[]> {
  if (bytes.length > LIMITS.ud3tnConfigMaxBytes) {
    return err('LIMIT_EXCEEDED', `configuration payload of ${bytes.length} bytes is larger than ${LIMITS.ud3tnConfigMaxBytes}`, 0);
  }
  const r: Reader = { bytes, pos: 0, failure: undefined };
  const commands: ConfigCommand[] = [];
  skipLineBreaks(r);
  if (r.pos >= bytes.length) return err('MALFORMED', 'the configuration holds no command', r.pos);
  while (r.pos < bytes.length) {
    if (commands.length >= LIMITS.ud3tnConfigMaxCommands) {
      return err('LIMIT_EXCEEDED', `more than ${LIMITS.ud3tnConfigMaxCommands} commands in one payload`, r.pos);
    }
    const command = readCommand(r);
    if (command === undefined) return r.failure ?? err('INTERNAL', 'parser stopped without a reason', r.pos);
    commands.push(command);
    skipLineBreaks(r);
  }
  return ok(commands);
}
