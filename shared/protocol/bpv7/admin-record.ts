/**
 * Administrative records (RFC 9171 §6.1; record types registry clarified by RFC 9713): the payload of a
 * bundle whose "ADU is an administrative record" flag (0x02) is set, a definite-length CBOR array
 * `[record type code (uint), record content]`.
 *
 * Type 1, the bundle status report, is decoded fully (status-report.ts). Every other type (2 was the
 * BPv6 custody signal; 3 is the BIBE protocol data unit, protocols.md §3.11) is carried through as the
 * raw bytes of its content item, checked only for CBOR well-formedness, and re-encoded unchanged.
 *
 * Reports arrive from the network and are hostile input: the decoder never throws, never hands the bytes
 * to a generic CBOR library, and rejects indefinite-length arrays (every uD3TN, ION and dtn7 encoder
 * writes definite ones, and accepting them would make re-encoding change the bytes).
 */
import { err, ok } from '../../errors';
import type { Result } from '../../errors';
import { CborReader, FAILED } from '../cbor/reader';
import { isUint, uintSize, writeArrayHead, writeUint } from '../cbor/writer';
import { eidProblem } from './eid';
import { checkStatusReport, readStatusReport, statusReportSize, writeStatusReport } from './status-report';
import type { StatusReport } from './status-report';

/** Administrative record type codes (RFC 9171 §6.1, RFC 9713; protocols.md §3.11). */
export const AdminRecordType = {
  STATUS_REPORT: 1,
  /** Bundle-in-bundle encapsulation PDU (draft-ietf-dtn-bibect); uD3TN's compatibility mode uses 7. */
  BIBE_PDU: 3,
} as const;

export type AdminRecord =
  | { readonly kind: 'status-report'; readonly type: 1; readonly report: StatusReport }
  /** Any other record type: `content` is the encoded content item, a view into the decoded input. */
  | { readonly kind: 'other'; readonly type: number; readonly content: Uint8Array };

/** Decodes an administrative record from a payload; the whole input must be the one record. */
export function decodeAdminRecord(bytes: Uint8Array): Result<AdminRecord> {
  const r = new CborReader(bytes);
  const start = r.pos;
  const n = r.arrayHead('administrative record');
  if (n !== FAILED && n !== 2) {
    r.fail('MALFORMED', `administrative record has ${n} items; RFC 9171 §6.1 has 2`, start);
  }
  const type = r.uint('administrative record type');
  let record: AdminRecord | undefined;
  if (type === AdminRecordType.STATUS_REPORT) {
    const report = readStatusReport(r);
    if (report !== undefined) record = { kind: 'status-report', type: AdminRecordType.STATUS_REPORT, report };
  } else if (type !== FAILED) {
    const contentStart = r.pos;
    if (r.skip(`administrative record type ${type} content`)) {
      record = { kind: 'other', type, content: bytes.subarray(contentStart, r.pos) };
    }
  }
  r.expectEnd('the administrative record');
  if (r.error !== undefined || record === undefined) {
    const e = r.takeError();
    return err(e.code, e.message, e.offset);
  }
  return ok(record);
}

/** Checks an 'other' record's content: exactly one well-formed CBOR item in the accepted subset. */
function checkOtherContent(content: Uint8Array): string | undefined {
  const r = new CborReader(content);
  r.skip('record content');
  r.expectEnd('the record content');
  return r.error === undefined ? undefined : r.error.message;
}

/** Encodes an administrative record (shortest-form integers, definite-length arrays). */
export function encodeAdminRecord(record: AdminRecord): Result<Uint8Array> {
  if (record.kind === 'status-report') {
    const problem = checkStatusReport(record.report);
    if (problem !== undefined) return err(problem.code, problem.message);
    const eid = eidProblem(record.report.subjectSource);
    if (eid !== undefined) return err('INVALID_EID', `status report subject source: ${eid}`);
    const out = new Uint8Array(1 + uintSize(record.type) + statusReportSize(record.report));
    let o = writeArrayHead(out, 0, 2);
    o = writeUint(out, o, AdminRecordType.STATUS_REPORT);
    writeStatusReport(out, o, record.report);
    return ok(out);
  }
  if (!isUint(record.type)) return err('INVALID_ARGUMENT', `administrative record type must be a uint, got ${String(record.type)}`);
  if (record.type === AdminRecordType.STATUS_REPORT) {
    return err('INVALID_ARGUMENT', 'a type 1 record is a status report: encode it as kind "status-report"');
  }
  const problem = checkOtherContent(record.content);
  if (problem !== undefined) return err('INVALID_ARGUMENT', `administrative record content: ${problem}`);
  const out = new Uint8Array(1 + uintSize(record.type) + record.content.length);
  let o = writeArrayHead(out, 0, 2);
  o = writeUint(out, o, record.type);
  out.set(record.content, o);
  return ok(out);
}
