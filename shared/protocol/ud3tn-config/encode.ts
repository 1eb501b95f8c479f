/**
 * Encoder for uD3TN's configuration text (layout: syntax.ts). It writes the form uD3TN's own tools write
 * (ud3tn_utils `ConfigMessage`: "{type}({eid}):({cla}):{eid_list}:{contacts};"), leaving out trailing
 * empty fields, so "3(dtn://a/);" deletes a node and "1(dtn://a/),500;" only sets the reliability.
 * Values the format cannot carry (a ')' in a string, a number out of range) are refused with
 * INVALID_ARGUMENT before anything is written.
 */
import { err, ok } from '../../errors';
import type { Result } from '../../errors';
import { LIMITS } from '../limits';
import {
  CLOSE_CONTACT,
  CLOSE_LIST,
  CLOSE_STRING,
  COMMAND_CODES,
  COMMAND_END,
  CONTACT_END,
  CONTACT_RATE,
  CONTACT_START,
  ELEMENT_SEPARATOR,
  FIELD_SEPARATOR,
  OPEN_CONTACT,
  OPEN_LIST,
  OPEN_STRING,
  RELIABILITY,
  isClaChar,
  isEidChar,
} from './syntax';
import type { IntegerRange } from './syntax';
import type { ConfigCommand, ConfigContact } from './types';

const ch = (byte: number): string => String.fromCharCode(byte);
const OPEN_S = ch(OPEN_STRING);
const CLOSE_S = ch(CLOSE_STRING);
const SEP = ch(ELEMENT_SEPARATOR);
const FIELD = ch(FIELD_SEPARATOR);

function checkString(value: string, allowed: (b: number) => boolean, maxLength: number, what: string, allowEmpty: boolean): string | undefined {
  if (value.length === 0 && !allowEmpty) return `the ${what} is empty`;
  if (value.length > maxLength) return `the ${what} is longer than ${maxLength} characters`;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c > 0xff || !allowed(c)) return `the ${what} ${JSON.stringify(value)} contains ${JSON.stringify(value[i])}, which the format cannot carry`;
  }
  return undefined;
}

function checkInteger(value: number, range: IntegerRange): string | undefined {
  if (!Number.isInteger(value) || value < range.min || value > range.max) {
    return `the ${range.what} must be an integer from ${range.min} to ${range.max}, got ${value}`;
  }
  return undefined;
}

function checkEids(eids: readonly string[], what: string): string | undefined {
  if (eids.length > LIMITS.ud3tnConfigMaxEids) return `the ${what} has more than ${LIMITS.ud3tnConfigMaxEids} EIDs`;
  for (const eid of eids) {
    const problem = checkString(eid, isEidChar, LIMITS.eidMaxLength, `EID in the ${what}`, false);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function checkContact(c: ConfigContact): string | undefined {
  return checkInteger(c.start, CONTACT_START) ?? checkInteger(c.end, CONTACT_END) ?? checkInteger(c.rate, CONTACT_RATE) ?? checkEids(c.reachableEids, "contact's EID list");
}

function checkCommand(c: ConfigCommand): string | undefined {
  if (!Object.hasOwn(COMMAND_CODES, c.command)) return `unknown command ${JSON.stringify(c.command)}`;
  const problem =
    checkString(c.nodeId, isEidChar, LIMITS.eidMaxLength, 'node ID', false) ??
    (c.reliability === undefined ? undefined : checkInteger(c.reliability, RELIABILITY)) ??
    (c.claAddress === undefined ? undefined : checkString(c.claAddress, isClaChar, LIMITS.ud3tnConfigMaxClaAddressLength, 'CLA address', true)) ??
    checkEids(c.reachableEids, "node's EID list");
  if (problem !== undefined) return problem;
  if (c.contacts.length > LIMITS.ud3tnConfigMaxContacts) return `more than ${LIMITS.ud3tnConfigMaxContacts} contacts in one command`;
  for (const contact of c.contacts) {
    const p = checkContact(contact);
    if (p !== undefined) return p;
  }
  return undefined;
}

function eidList(eids: readonly string[]): string {
  return ch(OPEN_LIST) + eids.map((e) => OPEN_S + e + CLOSE_S).join(SEP) + ch(CLOSE_LIST);
}

function contactText(c: ConfigContact): string {
  const eids = c.reachableEids.length > 0 ? SEP + eidList(c.reachableEids) : '';
  return ch(OPEN_CONTACT) + c.start + SEP + c.end + SEP + c.rate + eids + ch(CLOSE_CONTACT);
}

/** One command as text, already checked. */
function commandText(c: ConfigCommand): string {
  // The fields after the node ID, in layout order; trailing empty ones are dropped.
  const fields = [
    c.claAddress === undefined ? '' : OPEN_S + c.claAddress + CLOSE_S,
    c.reachableEids.length > 0 ? eidList(c.reachableEids) : '',
    c.contacts.length > 0 ? ch(OPEN_LIST) + c.contacts.map(contactText).join(SEP) + ch(CLOSE_LIST) : '',
  ];
  while (fields.length > 0 && fields[fields.length - 1] === '') fields.pop();
  const head = ch(COMMAND_CODES[c.command]) + OPEN_S + c.nodeId + CLOSE_S + (c.reliability === undefined ? '' : SEP + c.reliability);
  return head + fields.map((f) => FIELD + f).join('') + ch(COMMAND_END);
}

/** Encode commands into one config-agent payload (uD3TN v0.13 applies only the first: syntax.ts). */
export function encodeConfig(commands: readonly ConfigCommand[]): Result<Uint8Array> {
  if (commands.length === 0) return err('INVALID_ARGUMENT', 'a configuration needs at least one command');
  if (commands.length > LIMITS.ud3tnConfigMaxCommands) return err('INVALID_ARGUMENT', `more than ${LIMITS.ud3tnConfigMaxCommands} commands`);
  let text = '';
  for (let i = 0; i < commands.length; i++) {
    const c = commands[i] as ConfigCommand;
    const problem = checkCommand(c);
    if (problem !== undefined) return err('INVALID_ARGUMENT', commands.length > 1 ? `command ${i + 1}: ${problem}` : problem);
    text += commandText(c);
  }
  if (text.length > LIMITS.ud3tnConfigMaxBytes) return err('INVALID_ARGUMENT', `the configuration is larger than ${LIMITS.ud3tnConfigMaxBytes} bytes`);
  // Every character passed the ASCII character tables above, so one byte per character.
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return ok(out);
}
