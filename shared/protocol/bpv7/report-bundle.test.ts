import { describe, expect, it } from 'vitest';
import { hex, ud3tnVector } from '../../test-support/vectors';
import { decodeAdminRecord } from './admin-record';
import { decodeBundle, encodeBundle } from './bundle';
import { BundleFlag } from './flags';
import { buildStatusReportBundle, statusAssertionFor } from './report-bundle';
import type { StatusReportBundleRequest } from './report-bundle';
import { StatusReason } from './report-reasons';
import type { Bundle, CanonicalBlock, PrimaryBlock } from './types';

function decoded(name: string): Bundle {
  const r = decodeBundle(ud3tnVector(`status-reports/${name}.bundle.bin`));
  if (!r.ok) throw new Error(r.error.message);
  return r.value.bundle;
}

function built(req: StatusReportBundleRequest): Bundle {
  const r = buildStatusReportBundle(req);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

const MARS = { scheme: 'dtn', ssp: '//mars.dtn/' } as const;

describe('status report bundles (RFC 9171 §6.1)', () => {
  it('reproduces uD3TN report 09 byte for byte when given uD3TN\'s choices (time 0, seq 1, remaining lifetime)', () => {
    // crafted-05_no-route: created 848946042000 with lifetime 3 600 000 ms; mars deleted it 3665 ms later.
    const subject = decoded('crafted-05_no-route').primary;
    const now = 848946045665;
    const bundle = built({
      subject,
      reportingNode: MARS,
      assertions: { deleted: 0 },
      reason: StatusReason.NO_KNOWN_ROUTE,
      now,
      sequence: 1,
      lifetime: subject.creation.time + subject.lifetime - now,
    });
    expect(hex(encodeBundle(bundle))).toBe(hex(ud3tnVector('status-reports/mars-to-earth_09.bundle.bin')));
  });

  it('reproduces uD3TN reports 01, 05 and 07 the same way', () => {
    const cases: ReadonlyArray<[string, string, 'received' | 'forwarded', number]> = [
      ['crafted-01_delivered', '01', 'received', 848946042860],
      ['crafted-03_forwarded', '05', 'received', 848946044262],
      ['crafted-03_forwarded', '07', 'forwarded', 848946044263],
    ];
    for (const [input, out, status, now] of cases) {
      const subject = decoded(input).primary;
      const bundle = built({
        subject,
        reportingNode: MARS,
        assertions: { [status]: 0 },
        reason: 0,
        now,
        sequence: 1,
        lifetime: subject.creation.time + subject.lifetime - now,
      });
      expect(hex(encodeBundle(bundle))).toBe(hex(ud3tnVector(`status-reports/mars-to-earth_${out}.bundle.bin`)));
    }
  });

  it('Farside stamps the real time when the subject asked for it, and none when it did not', () => {
    const subject = decoded('crafted-02_no-agent').primary;
    expect(subject.flags & BundleFlag.STATUS_TIME_REQUESTED).toBe(BundleFlag.STATUS_TIME_REQUESTED);
    const now = 848946050000;
    expect(statusAssertionFor(subject, now)).toBe(now);
    expect(statusAssertionFor({ ...subject, flags: BundleFlag.REPORT_DELIVERY }, now)).toBe(true);

    const bundle = built({
      subject,
      reportingNode: MARS,
      assertions: { received: statusAssertionFor(subject, now), delivered: statusAssertionFor(subject, now) },
      reason: 0,
      now,
      sequence: 42,
      lifetime: 86_400_000,
    });
    expect(bundle.primary).toEqual({
      version: 7,
      flags: BundleFlag.ADMIN_RECORD,
      crcType: 1,
      destination: subject.reportTo,
      source: MARS,
      reportTo: { scheme: 'dtn', ssp: 'none' },
      creation: { time: now, sequence: 42 },
      lifetime: 86_400_000,
    });
    const record = decodeAdminRecord((bundle.blocks[0] as CanonicalBlock).data);
    expect(record).toMatchObject({
      ok: true,
      value: { kind: 'status-report', report: { received: now, forwarded: false, delivered: now, deleted: false, subjectCreation: subject.creation } },
    });
  });

  it('reports on a fragment carry its offset and payload length', () => {
    const subject: PrimaryBlock = { ...decoded('crafted-01_delivered').primary, flags: 0x074041, fragment: { offset: 945, totalAduLength: 3113 } };
    const req: StatusReportBundleRequest = { subject, reportingNode: MARS, assertions: { received: true }, reason: 0, now: 1, sequence: 1, lifetime: 1 };
    expect(buildStatusReportBundle(req)).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    const bundle = built({ ...req, subjectPayloadLength: 945 });
    const record = decodeAdminRecord((bundle.blocks[0] as CanonicalBlock).data);
    expect(record).toMatchObject({ ok: true, value: { report: { subjectFragment: { offset: 945, length: 945 } } } });
  });

  it('refuses what cannot be a valid report', () => {
    const subject = decoded('crafted-01_delivered').primary;
    const good: StatusReportBundleRequest = { subject, reportingNode: MARS, assertions: { received: true }, reason: 0, now: 1, sequence: 1, lifetime: 1 };
    const bad: ReadonlyArray<[string, StatusReportBundleRequest, string]> = [
      ['report-to dtn:none', { ...good, subject: { ...subject, reportTo: { scheme: 'dtn', ssp: 'none' } } }, 'INVALID_ARGUMENT'],
      ['nothing asserted', { ...good, assertions: { delivered: false } }, 'INVALID_ARGUMENT'],
      ['reporter not a node ID', { ...good, reportingNode: { scheme: 'dtn', ssp: '//mars.dtn/smtp' } }, 'INVALID_ARGUMENT'],
      ['invalid reporter', { ...good, reportingNode: { scheme: 'dtn', ssp: 'mars' } }, 'INVALID_EID'],
      ['negative time', { ...good, now: -1 }, 'INVALID_ARGUMENT'],
      ['fractional lifetime', { ...good, lifetime: 0.5 }, 'INVALID_ARGUMENT'],
      ['bad assertion time', { ...good, assertions: { received: -5 } }, 'INVALID_ARGUMENT'],
      ['bad reason', { ...good, reason: 1.5 }, 'INVALID_ARGUMENT'],
    ];
    for (const [name, req, code] of bad) {
      expect([name, buildStatusReportBundle(req)]).toMatchObject([name, { ok: false, error: { code } }]);
    }
  });
});
