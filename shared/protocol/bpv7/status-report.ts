/**
 * Bundle status report (RFC 9171 §6.1.1): the content of an administrative record of type 1.
 *
 * Layout (protocols.md §3.11; uD3TN v0.13 components/bundle7/reports.c), a definite-length CBOR array:
 *
 * | # | Item                                    | CBOR                                          |
 * |---|-----------------------------------------|-----------------------------------------------|
 * | 1 | status information                      | array of 4 assertions: received, forwarded,   |
 * |   |                                         | delivered, deleted; each [false], [true] or   |
 * |   |                                         | [true, DTN time ms]                           |
 * | 2 | reason code                             | uint (report-reasons.ts)                      |
 * | 3 | source node ID of the subject bundle    | EID                                           |
 * | 4 | creation timestamp of the subject       | [DTN time ms, sequence number]                |
 * | 5 | subject fragment offset                 | uint, only when the subject was a fragment    |
 * | 6 | subject payload length                  | uint, only when the subject was a fragment    |
 *
 * FIELDS below is that table; size, write and read are all derived from it.
 */
import type { FarsideError } from '../../errors';
import type { CborReader } from '../cbor/reader';
import { FAILED } from '../cbor/reader';
import { isUint, uintSize, writeArrayHead, writeUint } from '../cbor/writer';
import { eidSize, readEid, writeEid } from './eid';
import type { CreationTimestamp, Eid } from './types';

/**
 * One status assertion (RFC 9171 §6.1.1), kept exactly as received so that a round trip is lossless:
 * `false` = not asserted (`[false]`); `true` = asserted without a time (`[true]`); a number = asserted
 * at that DTN time in ms (`[true, t]`), where 0 is a real value (uD3TN always sends 0, ud3tn-behaviour §8).
 */
export type StatusAssertion = boolean | number;

/** The four assertions in wire order (RFC 9171 §6.1.1). */
export const STATUS_ITEMS = ['received', 'forwarded', 'delivered', 'deleted'] as const;
export type StatusItem = (typeof STATUS_ITEMS)[number];

export type StatusInformation = { readonly [K in StatusItem]: StatusAssertion };

/** What a fragment subject adds: its offset and its payload length (items 5 and 6). */
export interface SubjectFragment {
  readonly offset: number;
  readonly length: number;
}

export interface StatusReport extends StatusInformation {
  readonly reason: number;
  readonly subjectSource: Eid;
  readonly subjectCreation: CreationTimestamp;
  /** Present exactly when the report has 6 items, i.e. the subject bundle was a fragment. */
  readonly subjectFragment?: SubjectFragment;
}

/** True when the assertion asserts the status (with or without a time). */
export function isAsserted(a: StatusAssertion): boolean {
  return a !== false;
}

/** The DTN time an assertion carries, or undefined when it carries none. */
export function assertionTime(a: StatusAssertion): number | undefined {
  return typeof a === 'number' ? a : undefined;
}

// ---- the layout table ----------------------------------------------------------------------------

type Draft = {
  -readonly [K in keyof StatusReport]?: StatusReport[K];
};

interface Field {
  readonly what: string;
  /** Whether this report has the field (the fragment items are conditional). */
  readonly present: (r: StatusReport) => boolean;
  readonly size: (r: StatusReport) => number;
  readonly write: (out: Uint8Array, o: number, r: StatusReport) => number;
  /** Reads the field into `d`; false on failure (the reader holds the error). */
  readonly read: (reader: CborReader, d: Draft) => boolean;
  /** A reason the value cannot be encoded, or undefined. */
  readonly check: (r: StatusReport) => string | undefined;
}

const always = (): boolean => true;
const isFragmentReport = (r: StatusReport): boolean => r.subjectFragment !== undefined;

function assertionSize(a: StatusAssertion): number {
  return typeof a === 'number' ? 2 + uintSize(a) : 2;
}

function writeAssertion(out: Uint8Array, o: number, a: StatusAssertion): number {
  if (typeof a === 'number') {
    out[o] = 0x82; // array(2)
    out[o + 1] = 0xf5; // true
    return writeUint(out, o + 2, a);
  }
  out[o] = 0x81; // array(1)
  out[o + 1] = a ? 0xf5 : 0xf4;
  return o + 2;
}

function readAssertion(r: CborReader, what: string): StatusAssertion | undefined {
  const start = r.pos;
  const n = r.arrayHead(what);
  if (n === FAILED) return undefined;
  if (n !== 1 && n !== 2) {
    r.fail('MALFORMED', `${what} has ${n} items; RFC 9171 §6.1.1 allows 1 or 2`, start);
    return undefined;
  }
  const asserted = r.bool(what);
  if (asserted === undefined) return undefined;
  if (n === 1) return asserted;
  // A time only accompanies an asserted status (§6.1.1): [false, t] is not a valid assertion.
  if (!asserted) {
    r.fail('MALFORMED', `${what} is [false, time]; a time only accompanies true`, start);
    return undefined;
  }
  const t = r.uint(`${what} time`);
  return t === FAILED ? undefined : t;
}

function checkAssertion(a: StatusAssertion, what: string): string | undefined {
  if (typeof a === 'boolean' || isUint(a)) return undefined;
  return `${what} time must be an integer DTN time in [0, 2^53-1], got ${String(a)}`;
}

const FIELDS: readonly Field[] = [
  {
    what: 'status information',
    present: always,
    size: (r) => 1 + assertionSize(r.received) + assertionSize(r.forwarded) + assertionSize(r.delivered) + assertionSize(r.deleted),
    write: (out, o, r) => {
      let p = writeArrayHead(out, o, STATUS_ITEMS.length);
      for (const k of STATUS_ITEMS) p = writeAssertion(out, p, r[k]);
      return p;
    },
    read: (reader, d) => {
      const start = reader.pos;
      const n = reader.arrayHead('status information');
      if (n === FAILED) return false;
      if (n !== STATUS_ITEMS.length) {
        reader.fail('MALFORMED', `status information has ${n} assertions; RFC 9171 §6.1.1 has 4`, start);
        return false;
      }
      for (const k of STATUS_ITEMS) {
        const a = readAssertion(reader, `"${k}" assertion`);
        if (a === undefined) return false;
        d[k] = a;
      }
      return true;
    },
    check: (r) => {
      for (const k of STATUS_ITEMS) {
        const problem = checkAssertion(r[k], `"${k}" assertion`);
        if (problem !== undefined) return problem;
      }
      return undefined;
    },
  },
  {
    what: 'reason code',
    present: always,
    size: (r) => uintSize(r.reason),
    write: (out, o, r) => writeUint(out, o, r.reason),
    read: (reader, d) => {
      const v = reader.uint('reason code');
      if (v === FAILED) return false;
      d.reason = v;
      return true;
    },
    check: (r) => (isUint(r.reason) ? undefined : `reason code must be a uint, got ${String(r.reason)}`),
  },
  {
    what: 'subject source node ID',
    present: always,
    size: (r) => eidSize(r.subjectSource),
    write: (out, o, r) => writeEid(out, o, r.subjectSource),
    read: (reader, d) => {
      const eid = readEid(reader, 'subject source node ID');
      if (eid === undefined) return false;
      d.subjectSource = eid;
      return true;
    },
    check: () => undefined, // the EID codec validates EIDs (encodeAdminRecord calls it)
  },
  {
    what: 'subject creation timestamp',
    present: always,
    size: (r) => 1 + uintSize(r.subjectCreation.time) + uintSize(r.subjectCreation.sequence),
    write: (out, o, r) => writeUint(out, writeUint(out, writeArrayHead(out, o, 2), r.subjectCreation.time), r.subjectCreation.sequence),
    read: (reader, d) => {
      const start = reader.pos;
      const n = reader.arrayHead('subject creation timestamp');
      if (n === FAILED) return false;
      if (n !== 2) {
        reader.fail('MALFORMED', `subject creation timestamp has ${n} items; RFC 9171 §4.2.7 has 2`, start);
        return false;
      }
      const time = reader.uint('subject creation time');
      const sequence = reader.uint('subject sequence number');
      if (time === FAILED || sequence === FAILED) return false;
      d.subjectCreation = { time, sequence };
      return true;
    },
    check: (r) =>
      isUint(r.subjectCreation.time) && isUint(r.subjectCreation.sequence)
        ? undefined
        : 'subject creation time and sequence number must be uints',
  },
  {
    what: 'subject fragment offset',
    present: isFragmentReport,
    size: (r) => uintSize(r.subjectFragment?.offset ?? 0),
    write: (out, o, r) => writeUint(out, o, r.subjectFragment?.offset ?? 0),
    read: (reader, d) => {
      const offset = reader.uint('subject fragment offset');
      if (offset === FAILED) return false;
      d.subjectFragment = { offset, length: 0 };
      return true;
    },
    check: (r) => (r.subjectFragment === undefined || isUint(r.subjectFragment.offset) ? undefined : 'subject fragment offset must be a uint'),
  },
  {
    what: 'subject payload length',
    present: isFragmentReport,
    size: (r) => uintSize(r.subjectFragment?.length ?? 0),
    write: (out, o, r) => writeUint(out, o, r.subjectFragment?.length ?? 0),
    read: (reader, d) => {
      const length = reader.uint('subject payload length');
      if (length === FAILED) return false;
      d.subjectFragment = { offset: d.subjectFragment?.offset ?? 0, length };
      return true;
    },
    check: (r) => (r.subjectFragment === undefined || isUint(r.subjectFragment.length) ? undefined : 'subject payload length must be a uint'),
  },
];

/** Item counts RFC 9171 §6.1.1 allows: 4, or 6 for a fragment subject. */
const ITEMS_PLAIN = FIELDS.filter((f) => f.present === always).length;
const ITEMS_FRAGMENT = FIELDS.length;

// ---- derived codec ---------------------------------------------------------------------------------

/** A reason `report` cannot be encoded (INVALID_ARGUMENT), or undefined. EIDs are checked by the EID codec. */
export function checkStatusReport(report: StatusReport): FarsideError | undefined {
  for (const f of FIELDS) {
    if (!f.present(report)) continue;
    const problem = f.check(report);
    if (problem !== undefined) return { code: 'INVALID_ARGUMENT', message: `status report: ${problem}` };
  }
  return undefined;
}

/** Encoded size of the report content (the array), for a report that passed checkStatusReport. */
export function statusReportSize(report: StatusReport): number {
  let n = 1; // array head: 4 or 6 < 24
  for (const f of FIELDS) if (f.present(report)) n += f.size(report);
  return n;
}

/** Writes the report content at `offset`; returns the offset after it. */
export function writeStatusReport(out: Uint8Array, offset: number, report: StatusReport): number {
  let o = writeArrayHead(out, offset, isFragmentReport(report) ? ITEMS_FRAGMENT : ITEMS_PLAIN);
  for (const f of FIELDS) if (f.present(report)) o = f.write(out, o, report);
  return o;
}

/** Reads the report content at the reader's position; undefined on failure (the reader holds the error). */
export function readStatusReport(reader: CborReader): StatusReport | undefined {
  const start = reader.pos;
  const n = reader.arrayHead('status report');
  if (n === FAILED) return undefined;
  if (n !== ITEMS_PLAIN && n !== ITEMS_FRAGMENT) {
    reader.fail('MALFORMED', `status report has ${n} items; RFC 9171 §6.1.1 has ${ITEMS_PLAIN} (or ${ITEMS_FRAGMENT} for a fragment)`, start);
    return undefined;
  }
  const d: Draft = {};
  for (let i = 0; i < n; i++) {
    const f = FIELDS[i] as Field;
    if (!f.read(reader, d)) return undefined;
  }
  const { received, forwarded, delivered, deleted, reason, subjectSource, subjectCreation, subjectFragment } = d;
  if (
    received === undefined ||
    forwarded === undefined ||
    delivered === undefined ||
    deleted === undefined ||
    reason === undefined ||
    subjectSource === undefined ||
    subjectCreation === undefined
  ) {
    reader.fail('INTERNAL', 'status report fields missing after a successful read', start);
    return undefined;
  }
  const base = { received, forwarded, delivered, deleted, reason, subjectSource, subjectCreation };
  return subjectFragment === undefined ? base : { ...base, subjectFragment };
}
