/**
 * The JSON view of a decoded bundle that `farside bundle decode` prints (issue 2): header fields with
 * EIDs in text form, every canonical block in wire order, the payload's length and SHA-256, the CRC
 * verdict, and for a status report its content.
 */
import { createHash } from 'node:crypto';
import { decodeAdminRecord } from '../../shared/protocol/bpv7/admin-record';
import type { DecodedBundle } from '../../shared/protocol/bpv7/bundle';
import { payloadBlockOf } from '../../shared/protocol/bpv7/bundle';
import { formatEid } from '../../shared/protocol/bpv7/eid';
import { BundleFlag, hasFlag } from '../../shared/protocol/bpv7/flags';
import type { StatusAssertion } from '../../shared/protocol/bpv7/status-report';

type StatusJson = number | true | null;

export interface StatusReportJson {
  readonly received: StatusJson;
  readonly forwarded: StatusJson;
  readonly delivered: StatusJson;
  readonly deleted: StatusJson;
  readonly reason: number;
  readonly subjectSource: string;
  readonly subjectCreationTime: number;
  readonly subjectSequence: number;
  readonly fragmentOffset: number | null;
  readonly fragmentLength: number | null;
}

export interface BundleJson {
  readonly version: number;
  readonly flags: number;
  readonly crcType: number;
  readonly destination: string;
  readonly source: string;
  readonly reportTo: string;
  readonly creationTime: number;
  readonly sequence: number;
  readonly lifetime: number;
  readonly fragmentOffset?: number;
  readonly totalAduLength?: number;
  readonly blocks: readonly { type: number; number: number; flags: number; crcType: number; dataLength: number }[];
  readonly payloadLength: number;
  readonly payloadSha256: string;
  readonly crcOk: boolean;
  readonly statusReport?: StatusReportJson;
  /** Set when the admin-record payload could not be decoded as a record (the bundle itself is fine). */
  readonly adminRecordError?: string;
  /** Record type of an administrative record other than a status report. */
  readonly adminRecordType?: number;
}

/** RFC 9171 §6.1.1 assertion → issue 2's JSON: null when not asserted, the time (even 0), or true without one. */
function assertionJson(a: StatusAssertion): StatusJson {
  if (a === false) return null;
  return a === true ? true : a;
}

export function bundleToJson(decoded: DecodedBundle): BundleJson {
  const { primary, blocks } = decoded.bundle;
  const payload = payloadBlockOf(decoded.bundle)?.data ?? new Uint8Array(0);
  const base: BundleJson = {
    version: primary.version,
    flags: primary.flags,
    crcType: primary.crcType,
    destination: formatEid(primary.destination),
    source: formatEid(primary.source),
    reportTo: formatEid(primary.reportTo),
    creationTime: primary.creation.time,
    sequence: primary.creation.sequence,
    lifetime: primary.lifetime,
    ...(primary.fragment
      ? { fragmentOffset: primary.fragment.offset, totalAduLength: primary.fragment.totalAduLength }
      : {}),
    blocks: blocks.map((b) => ({ type: b.type, number: b.number, flags: b.flags, crcType: b.crcType, dataLength: b.data.length })),
    payloadLength: payload.length,
    payloadSha256: createHash('sha256').update(payload).digest('hex'),
    crcOk: decoded.crcOk,
  };
  // A fragment of an administrative record carries only a slice of the record: nothing to decode.
  if (!hasFlag(primary.flags, BundleFlag.ADMIN_RECORD) || primary.fragment) return base;
  const record = decodeAdminRecord(payload);
  if (!record.ok) return { ...base, adminRecordError: `${record.error.code}: ${record.error.message}` };
  if (record.value.kind !== 'status-report') return { ...base, adminRecordType: record.value.type };
  const r = record.value.report;
  return {
    ...base,
    statusReport: {
      received: assertionJson(r.received),
      forwarded: assertionJson(r.forwarded),
      delivered: assertionJson(r.delivered),
      deleted: assertionJson(r.deleted),
      reason: r.reason,
      subjectSource: formatEid(r.subjectSource),
      subjectCreationTime: r.subjectCreation.time,
      subjectSequence: r.subjectCreation.sequence,
      fragmentOffset: r.subjectFragment?.offset ?? null,
      fragmentLength: r.subjectFragment?.length ?? null,
    },
  };
}
