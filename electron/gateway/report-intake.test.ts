/**
 * adminRecordEvent against real uD3TN v0.13 status reports (../shared/vectors/ud3tn/status-reports: mars
 * with -r, times always 0) and against reports built by the RFC 9171 §6.1.1 layout with the fields a
 * Farside BPA fills (status times, a fragment subject).
 */
import { describe, expect, it } from 'vitest';
import { encodeAdminRecord } from '../../shared/protocol/bpv7/admin-record';
import { decodeBundle, payloadBlockOf } from '../../shared/protocol/bpv7/bundle';
import type { StatusReport } from '../../shared/protocol/bpv7/status-report';
import { fromHex, ud3tnVector } from '../../shared/test-support/vectors';
import type { ReceivedBundle } from '../services/aap-client/types';
import { adminRecordEvent, subjectBundleId } from './report-intake';
import type { HandedOverLookup } from './report-intake';
import type { QueuedBundle } from './store/gateway-store';

/** A report bundle from the vectors as the AAP client hands it over (AAP 2.0: bundle ID known). */
function received(file: string): Pick<ReceivedBundle, 'source' | 'bundleId' | 'payload'> {
  const b = decodeBundle(ud3tnVector(`status-reports/${file}`));
  if (!b.ok) throw new Error(b.error.message);
  const p = b.value.bundle.primary;
  const payload = payloadBlockOf(b.value.bundle)?.data;
  if (payload === undefined) throw new Error('no payload block');
  return { source: 'dtn://mars.dtn/', bundleId: { source: 'dtn://mars.dtn/', creationTime: p.creation.time, sequence: p.creation.sequence }, payload };
}

const queued = (over: Partial<QueuedBundle>): QueuedBundle => ({
  id: 7,
  origin: 'mail',
  destination: 'dtn://mars.dtn/email',
  messageId: 'm1@earth.example',
  envid: null,
  recipients: 1,
  size: 400,
  queuedAt: 0,
  attempts: 1,
  bundleId: null,
  ...over,
});

const nothing: HandedOverLookup = () => undefined;

describe('adminRecordEvent', () => {
  it("logs uD3TN's deletion report (mars-to-earth_09): reason 6 with its text, time 0 shown as no time, linked to the message handed over as the subject", () => {
    const asked: string[] = [];
    const e = adminRecordEvent(received('mars-to-earth_09.bundle.bin'), (id) => {
      asked.push(id);
      return queued({ bundleId: id });
    });
    expect(asked).toEqual(['dtn://sender.dtn/smtp 848946042000 5']);
    expect(e).toEqual({
      event: 'report-received',
      reporter: 'dtn://mars.dtn/',
      report: 'dtn://mars.dtn/ 848946045665 1',
      subject: 'dtn://sender.dtn/smtp 848946042000 5',
      subjectSource: 'dtn://sender.dtn/smtp',
      subjectCreationTime: 848946042000,
      subjectSequence: 5,
      assertions: 'deleted',
      deletedAt: null,
      reason: 6,
      reasonName: 'No known route to destination from here',
      reasonText: 'the node knows no route towards the destination',
      queueId: 7,
      origin: 'mail',
      messageId: 'm1@earth.example',
      destination: 'dtn://mars.dtn/email',
    });
  });

  it("logs uD3TN's delivery report (mars-to-earth_02) about a bundle this gateway did not send: not linked", () => {
    const e = adminRecordEvent(received('mars-to-earth_02.bundle.bin'), nothing);
    expect(e).toMatchObject({ event: 'report-received', subject: 'dtn://sender.dtn/smtp 848946042000 1', assertions: 'delivered', deliveredAt: null, reason: 0, reasonName: 'No additional information', queueId: null, messageId: null, origin: null });
    expect(e).not.toHaveProperty('receivedAt');
    expect(e).not.toHaveProperty('fragmentOffset');
  });

  it('gives each asserted status its time (ISO 8601 from DTN ms) and the subject fragment, and links a fragment by its bundle', () => {
    const report: StatusReport = {
      received: 848954871000,
      forwarded: false,
      delivered: true,
      deleted: false,
      reason: 0,
      subjectSource: { scheme: 'dtn', ssp: '//earth.dtn/email' },
      subjectCreation: { time: 848954867197, sequence: 1 },
      subjectFragment: { offset: 262036, length: 262036 },
    };
    const payload = encodeAdminRecord({ kind: 'status-report', type: 1, report });
    if (!payload.ok) throw new Error(payload.error.message);
    const lookup: HandedOverLookup = (id) => (id === 'dtn://earth.dtn/email 848954867197 1' ? queued({ id: 1, bundleId: id, messageId: 'alice-1@earth.example' }) : undefined);
    const e = adminRecordEvent({ source: 'dtn://mars.dtn/', bundleId: null, payload: payload.value }, lookup);
    expect(e).toMatchObject({
      event: 'report-received',
      report: null,
      subject: 'dtn://earth.dtn/email 848954867197 1',
      fragmentOffset: 262036,
      fragmentLength: 262036,
      assertions: 'received,delivered',
      // DTN 848954871000 ms = 2000-01-01 + 848954871 s
      receivedAt: '2026-11-25T20:47:51.000Z',
      deliveredAt: null,
      queueId: 1,
      messageId: 'alice-1@earth.example',
    });
  });

  it('names an ipn subject the way AAP bundle IDs are recorded at hand-over', () => {
    const r: StatusReport = { received: true, forwarded: false, delivered: false, deleted: false, reason: 0, subjectSource: { scheme: 'ipn', node: 1, service: 25, allocator: 0 }, subjectCreation: { time: 5, sequence: 2 } };
    expect(subjectBundleId(r)).toBe('ipn:1.25 5 2');
  });

  it('drops an administrative record that cannot be read, and one that is not a status report, saying why', () => {
    const truncated = adminRecordEvent({ source: 'dtn://mars.dtn/', bundleId: null, payload: fromHex('820184') }, nothing);
    expect(truncated).toMatchObject({ event: 'admin-record-dropped', source: 'dtn://mars.dtn/', report: null, size: 3, reason: 'undecodable' });
    expect(String(truncated['error'])).not.toBe('');
    // [3, h''] a BIBE protocol data unit record (type 3, protocols.md §3.11)
    const bibe = adminRecordEvent({ source: 'dtn://mars.dtn/', bundleId: { source: 'dtn://mars.dtn/', creationTime: 9, sequence: 1 }, payload: fromHex('820340') }, nothing);
    expect(bibe).toEqual({ event: 'admin-record-dropped', source: 'dtn://mars.dtn/', report: 'dtn://mars.dtn/ 9 1', size: 3, reason: 'administrative record type 3 is not a status report' });
  });
});
