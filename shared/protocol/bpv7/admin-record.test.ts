import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { eidArb } from '../../test-support/bpv7-arbitraries';
import { fromHex, hex, ud3tnVector } from '../../test-support/vectors';
import { AdminRecordType, decodeAdminRecord, encodeAdminRecord } from './admin-record';
import { decodeBundle, payloadBlockOf } from './bundle';
import { BundleFlag } from './flags';
import type { AdminRecord } from './admin-record';
import { describeStatusReason, isKnownStatusReason, StatusReason } from './report-reasons';
import { assertionTime, isAsserted } from './status-report';
import type { StatusAssertion, StatusReport } from './status-report';

/** The payload of a uD3TN status-report bundle (README "Decoded bundles": 45 bytes, flags 0x02). */
function reportPayload(n: string): Uint8Array {
  const r = decodeBundle(ud3tnVector(`status-reports/mars-to-earth_${n}.bundle.bin`));
  if (!r.ok) throw new Error(r.error.message);
  expect(r.value.bundle.primary.flags).toBe(BundleFlag.ADMIN_RECORD);
  const payload = payloadBlockOf(r.value.bundle);
  expect(payload?.data.length).toBe(45);
  return payload?.data ?? new Uint8Array(0);
}

const SENDER = { scheme: 'dtn', ssp: '//sender.dtn/smtp' } as const;
const NO: StatusAssertion = false;

/** What README.md "Decoded bundles" says each uD3TN report holds. */
const GOLDEN: ReadonlyArray<[string, Partial<Record<'received' | 'forwarded' | 'delivered' | 'deleted', StatusAssertion>>, number, number]> = [
  ['01', { received: 0 }, 0, 1],
  ['02', { delivered: 0 }, 0, 1],
  ['03', { received: 0 }, 0, 2],
  ['04', { delivered: 0 }, 0, 2],
  ['05', { received: 0 }, 0, 3],
  ['07', { forwarded: 0 }, 0, 3],
  ['08', { received: 0 }, 0, 5],
  ['09', { deleted: 0 }, 6, 5],
];

function decoded(bytes: Uint8Array): AdminRecord {
  const r = decodeAdminRecord(bytes);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

function encoded(record: AdminRecord): Uint8Array {
  const r = encodeAdminRecord(record);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

describe('uD3TN v0.13 status reports (status-reports/mars-to-earth_NN)', () => {
  for (const [n, asserted, reason, seq] of GOLDEN) {
    it(`${n} decodes as the README says and re-encodes byte-identically`, () => {
      const payload = reportPayload(n);
      const record = decoded(payload);
      const expected: StatusReport = {
        received: asserted.received ?? NO,
        forwarded: asserted.forwarded ?? NO,
        delivered: asserted.delivered ?? NO,
        deleted: asserted.deleted ?? NO,
        reason,
        subjectSource: SENDER,
        subjectCreation: { time: 848946042000, sequence: seq },
      };
      expect(record).toEqual({ kind: 'status-report', type: 1, report: expected });
      expect(hex(encoded(record))).toBe(hex(payload));
    });
  }

  it('09 is byte for byte the record of protocols.md §3.12 (e)', () => {
    expect(hex(reportPayload('09'))).toBe(
      '8201' + '84' + '8481f481f481f482f500' + '06' + '820171' + hex(new TextEncoder().encode('//sender.dtn/smtp')) + '821b000000c5a920949005',
    );
  });

  it('uD3TN asserts with time 0, which is not the same as asserting without time', () => {
    const report = decoded(reportPayload('09'));
    if (report.kind !== 'status-report') throw new Error('not a report');
    expect(report.report.deleted).toBe(0);
    expect(isAsserted(report.report.deleted)).toBe(true);
    expect(assertionTime(report.report.deleted)).toBe(0);
    expect(isAsserted(report.report.received)).toBe(false);
    expect(assertionTime(report.report.received)).toBeUndefined();
  });
});

describe('status report forms (RFC 9171 §6.1.1)', () => {
  // [1, [[[true],[false],[false],[false]], 0, ipn:1.2, [0, 0], 945, 945]]: a fragment subject, asserted without time.
  const FRAGMENT_REPORT = '8201' + '86' + '8481f581f481f481f4' + '00' + '8202820102' + '820000' + '1903b1' + '1903b1';

  it('a fragment subject gives 6 items with offset and payload length', () => {
    const record = decoded(fromHex(FRAGMENT_REPORT));
    expect(record).toEqual({
      kind: 'status-report',
      type: 1,
      report: {
        received: true,
        forwarded: false,
        delivered: false,
        deleted: false,
        reason: 0,
        subjectSource: { scheme: 'ipn', allocator: 0, node: 1, service: 2, wireForm: 2 },
        subjectCreation: { time: 0, sequence: 0 },
        subjectFragment: { offset: 945, length: 945 },
      },
    });
    expect(hex(encoded(record))).toBe(FRAGMENT_REPORT);
  });

  it('keeps [true], [true, 0] and [true, t] apart through a round trip', () => {
    // received [true], forwarded [true, 0], delivered [true, 1000], deleted [false]; reason 10; dtn:none; [1, 2]
    const fixed = fromHex('8201' + '84' + '84' + '81f5' + '82f500' + '82f51903e8' + '81f4' + '0a' + '820100' + '820102');
    const record = decoded(fixed);
    if (record.kind !== 'status-report') throw new Error('not a report');
    expect([record.report.received, record.report.forwarded, record.report.delivered, record.report.deleted]).toEqual([true, 0, 1000, false]);
    expect(record.report.subjectSource).toEqual({ scheme: 'dtn', ssp: 'none' });
    expect(describeStatusReason(record.report.reason).name).toBe('Traffic pared');
    expect(hex(encoded(record))).toBe(hex(fixed));
  });

  it('accepts non-shortest integers (re-encoding then uses the shortest form)', () => {
    const long = fromHex('8201' + '84' + '84' + '81f4' + '81f4' + '81f4' + '82f51a00000000' + '1800' + '820100' + '82' + '1800' + '00');
    const record = decoded(long);
    expect(hex(encoded(record))).toBe('8201' + '84' + '84' + '81f4' + '81f4' + '81f4' + '82f500' + '00' + '820100' + '820000');
  });
});

describe('other administrative record types', () => {
  it('a BIBE PDU (type 3) is carried through as its content bytes', () => {
    // [3, [0, 0, h'9f ff']]: transmission ID 0, retransmission time 0, an (empty) encapsulated bundle.
    const bytes = fromHex('8203' + '830000' + '429fff');
    const record = decoded(bytes);
    expect(record.kind).toBe('other');
    expect(record.type).toBe(AdminRecordType.BIBE_PDU);
    if (record.kind !== 'other') throw new Error('not other');
    expect(hex(record.content)).toBe('830000429fff');
    expect(record.content.buffer).toBe(bytes.buffer); // a view, not a copy
    expect(hex(encoded(record))).toBe(hex(bytes));
  });

  it('an unknown type with any well-formed content round-trips', () => {
    const bytes = fromHex('82' + '18c8' + 'a1' + '6161' + 'f6'); // [200, {"a": null}]
    const record = decoded(bytes);
    expect(record).toMatchObject({ kind: 'other', type: 200 });
    expect(hex(encoded(record))).toBe(hex(bytes));
  });

  it('refuses to encode a type 1 record as raw content, or content that is not one CBOR item', () => {
    expect(encodeAdminRecord({ kind: 'other', type: 1, content: fromHex('80') })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    expect(encodeAdminRecord({ kind: 'other', type: 3, content: fromHex('0000') })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    expect(encodeAdminRecord({ kind: 'other', type: 3, content: fromHex('') })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    expect(encodeAdminRecord({ kind: 'other', type: -1, content: fromHex('00') })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
  });
});

describe('hostile and malformed records are typed errors', () => {
  const SUBJECT = '820100' + '820000'; // dtn:none, [0, 0]
  const cases: ReadonlyArray<[string, string, string]> = [
    ['empty input', '', 'TRUNCATED'],
    ['not an array', '01', 'CBOR_MALFORMED'],
    ['one-item record', '8101', 'MALFORMED'],
    ['three-item record', '83010000', 'MALFORMED'],
    ['indefinite-length record', '9f01' + '84' + '8481f481f481f481f4' + '00' + SUBJECT + 'ff', 'UNSUPPORTED'],
    ['negative record type', '8220' + '00', 'CBOR_MALFORMED'],
    ['record type above 2^53-1', '821bffffffffffffffff00', 'LIMIT_EXCEEDED'],
    ['five-item report', '8201' + '85' + '8481f481f481f481f4' + '00' + SUBJECT + '00', 'MALFORMED'],
    ['three status assertions', '8201' + '84' + '8381f481f481f4' + '00' + SUBJECT, 'MALFORMED'],
    ['[false, time]', '8201' + '84' + '8482f40081f481f481f4' + '00' + SUBJECT, 'MALFORMED'],
    ['empty assertion', '8201' + '84' + '848081f481f481f4' + '00' + SUBJECT, 'MALFORMED'],
    ['three-item assertion', '8201' + '84' + '8483f5000081f481f481f4' + '00' + SUBJECT, 'MALFORMED'],
    ['assertion not a boolean', '8201' + '84' + '848101' + '81f481f481f4' + '00' + SUBJECT, 'CBOR_MALFORMED'],
    ['null instead of a boolean', '8201' + '84' + '8481f6' + '81f481f481f4' + '00' + SUBJECT, 'CBOR_MALFORMED'],
    ['time above 2^53-1', '8201' + '84' + '8482f51b0020000000000000' + '81f481f481f4' + '00' + SUBJECT, 'LIMIT_EXCEEDED'],
    ['negative reason', '8201' + '84' + '8481f481f481f481f4' + '20' + SUBJECT, 'CBOR_MALFORMED'],
    ['bad EID scheme', '8201' + '84' + '8481f481f481f481f4' + '00' + '820900' + '820000', 'INVALID_EID'],
    ['one-item creation timestamp', '8201' + '84' + '8481f481f481f481f4' + '00' + '820100' + '8100', 'MALFORMED'],
    ['truncated', '8201' + '84' + '8481f481f481f4', 'TRUNCATED'],
    ['trailing bytes', '8201' + '84' + '8481f481f481f481f4' + '00' + SUBJECT + '00', 'TRAILING_BYTES'],
    ['array length beyond the input', '8201' + '9b00000000ffffffff', 'TRUNCATED'],
    ['tagged content of another type', '8203' + 'c100', 'UNSUPPORTED'],
    ['other content truncated', '8203' + '43aabb', 'TRUNCATED'],
  ];
  for (const [name, h, code] of cases) {
    it(`${name} → ${code}`, () => {
      const r = decodeAdminRecord(fromHex(h));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe(code);
    });
  }
});

describe('encoding refuses values the wire cannot carry', () => {
  const base: StatusReport = {
    received: true,
    forwarded: false,
    delivered: false,
    deleted: false,
    reason: 0,
    subjectSource: SENDER,
    subjectCreation: { time: 1, sequence: 2 },
  };
  const bad: ReadonlyArray<[string, StatusReport, string]> = [
    ['negative time', { ...base, received: -1 }, 'INVALID_ARGUMENT'],
    ['fractional time', { ...base, delivered: 1.5 }, 'INVALID_ARGUMENT'],
    ['unsafe time', { ...base, deleted: 2 ** 53 }, 'INVALID_ARGUMENT'],
    ['negative reason', { ...base, reason: -1 }, 'INVALID_ARGUMENT'],
    ['fractional sequence', { ...base, subjectCreation: { time: 0, sequence: 0.5 } }, 'INVALID_ARGUMENT'],
    ['negative fragment offset', { ...base, subjectFragment: { offset: -1, length: 1 } }, 'INVALID_ARGUMENT'],
    ['NaN fragment length', { ...base, subjectFragment: { offset: 0, length: Number.NaN } }, 'INVALID_ARGUMENT'],
    ['invalid subject EID', { ...base, subjectSource: { scheme: 'dtn', ssp: 'no-slashes' } }, 'INVALID_EID'],
  ];
  for (const [name, report, code] of bad) {
    it(name, () => {
      expect(encodeAdminRecord({ kind: 'status-report', type: 1, report })).toMatchObject({ ok: false, error: { code } });
    });
  }
});

describe('reason codes (RFC 9171 §6.1.1, RFC 9172 §11.2)', () => {
  it('names every assigned code 0–16 and the reserved 255', () => {
    for (let code = 0; code <= 16; code++) expect(isKnownStatusReason(code)).toBe(true);
    expect(isKnownStatusReason(255)).toBe(true);
    expect(isKnownStatusReason(17)).toBe(false);
    expect(new Set(Object.values(StatusReason)).size).toBe(18);
  });
  it('uses the registry names of protocols.md §3.11', () => {
    expect(describeStatusReason(StatusReason.NO_KNOWN_ROUTE).name).toBe('No known route to destination from here');
    expect(describeStatusReason(1).name).toBe('Lifetime expired');
    expect(describeStatusReason(9).name).toBe('Hop limit exceeded');
    expect(describeStatusReason(16).name).toBe('Conflicting security operation');
  });
  it('keeps an unknown code as a number and says so', () => {
    const d = describeStatusReason(77);
    expect(d.code).toBe(77);
    expect(d.text).toContain('77');
  });
});

describe('properties', () => {
  const assertionArb = fc.oneof(fc.boolean(), fc.constant(0), fc.maxSafeNat());
  const reportArb = fc.record(
    {
      received: assertionArb,
      forwarded: assertionArb,
      delivered: assertionArb,
      deleted: assertionArb,
      reason: fc.oneof(fc.integer({ min: 0, max: 16 }), fc.constant(255), fc.maxSafeNat()),
      subjectSource: eidArb,
      subjectCreation: fc.record({ time: fc.maxSafeNat(), sequence: fc.maxSafeNat() }),
      subjectFragment: fc.record({ offset: fc.maxSafeNat(), length: fc.maxSafeNat() }),
    },
    { requiredKeys: ['received', 'forwarded', 'delivered', 'deleted', 'reason', 'subjectSource', 'subjectCreation'] },
  );

  it('status reports round-trip exactly (assertion kinds, fragment fields, EIDs)', () => {
    fc.assert(
      fc.property(reportArb, (report) => {
        const bytes = encoded({ kind: 'status-report', type: 1, report });
        const back = decoded(bytes);
        if (back.kind !== 'status-report') return false;
        // ipn EIDs come back with the wire form they were written in; compare everything else exactly.
        const { subjectSource: a, ...restA } = back.report;
        const { subjectSource: b, ...restB } = report;
        expect(restA).toEqual(restB);
        expect({ ...a, wireForm: undefined }).toEqual({ ...b, wireForm: undefined });
        expect(hex(encoded(back))).toBe(hex(bytes));
        return true;
      }),
    );
  });

  it('other records round-trip with their content unchanged', () => {
    const contentArb = fc.oneof(fc.uint8Array({ maxLength: 40 }).map((b) => Uint8Array.of(0x40 | Math.min(b.length, 23), ...b.subarray(0, 23))), fc.constant(fromHex('80')));
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 2 ** 40 }), contentArb, (type, content) => {
        const bytes = encoded({ kind: 'other', type, content });
        const back = decoded(bytes);
        expect(back).toMatchObject({ kind: 'other', type });
        if (back.kind === 'other') expect(hex(back.content)).toBe(hex(content));
      }),
    );
  });
});
