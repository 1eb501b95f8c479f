/**
 * Status reports from the processor (RFC 9171 §6.1), checked against the reports a real uD3TN v0.13
 * node made for the same hand-crafted bundles (../shared/vectors/ud3tn/status-reports, README there):
 * same statuses, reasons and subjects; Farside's differences are the real times (uD3TN writes 0), a
 * report where uD3TN has none (expired, a bundle kept for an absent agent), and no deletion where uD3TN
 * drops a bundle without route.
 */
import { describe, expect, it } from 'vitest';
import { decodeAdminRecord } from '../../shared/protocol/bpv7/admin-record';
import { decodeBundle, payloadBlockOf } from '../../shared/protocol/bpv7/bundle';
import { DTN_EPOCH_UNIX_MS } from '../../shared/protocol/bpv7/dtn-time';
import type { StatusReport } from '../../shared/protocol/bpv7/status-report';
import { haveVectors, ud3tnVector } from '../../shared/test-support/vectors';
import { createFakeNetwork } from './test-support/fake-network';
import { recordingAgent, until } from './test-support/test-node';
import { contactTo, testNodes } from './test-support/unit-fixtures';
import type { DeliveredAdu } from './types';

const { node } = testNodes();

function reportOf(adu: DeliveredAdu): StatusReport {
  const r = decodeAdminRecord(adu.payload);
  if (!r.ok || r.value.kind !== 'status-report') throw new Error('not a status report');
  return r.value.report;
}

function ud3tnReport(name: string): StatusReport {
  const d = decodeBundle(ud3tnVector(`status-reports/${name}.bundle.bin`));
  if (!d.ok) throw new Error(d.error.message);
  const r = decodeAdminRecord(payloadBlockOf(d.value.bundle)?.data ?? new Uint8Array(0));
  if (!r.ok || r.value.kind !== 'status-report') throw new Error('not a status report');
  return r.value.report;
}

/** The crafted bundles were made at DTN 848946042000 with a one-hour lifetime: run the nodes' clocks just after. */
const CRAFTED_AT = DTN_EPOCH_UNIX_MS + 848946042000 + 700;
const CRAFTED_AT_DTN = 848946042700;

/** mars (reports on) with an agent on smtp and a contact to earth, where an agent collects reports. */
async function marsAndEarth(clock: () => number = () => CRAFTED_AT) {
  const network = createFakeNetwork();
  const mars = await node('dtn://mars.dtn/', network, 'mars:1', { clock, options: { statusReports: true } });
  const earth = await node('dtn://earth.dtn/', network, 'earth:1', { clock });
  mars.bpa.applyPlan([contactTo('dtn://earth.dtn/', 'mtcp:earth:1', clock())]);
  const reports = recordingAgent();
  earth.bpa.register('dtn://earth.dtn/reports', reports.sink);
  return { network, mars, earth, reports };
}

describe.runIf(haveVectors)('status reports about the uD3TN crafted bundles', () => {
  it('crafted-01 (agent connected): reception and delivery reports with real times, as uD3TN 01 and 02 otherwise', async () => {
    const { network, mars, reports } = await marsAndEarth();
    const smtp = recordingAgent();
    mars.bpa.register('dtn://mars.dtn/smtp', smtp.sink);
    network.inject('mars:1', ud3tnVector('status-reports/crafted-01_delivered.bundle.bin'));
    await smtp.waitFor(1);
    await reports.waitFor(2);
    const got = reports.received.map(reportOf);
    expect(reports.received.every((a) => a.isAdminRecord && a.source === 'dtn://mars.dtn/' && a.destination === 'dtn://earth.dtn/reports')).toBe(true);
    // uD3TN: [true, 0]; here the subject asked for status time (0x40), so the assertion carries the time.
    expect(got).toEqual([
      { ...ud3tnReport('mars-to-earth_01'), received: CRAFTED_AT_DTN },
      { ...ud3tnReport('mars-to-earth_02'), delivered: CRAFTED_AT_DTN },
    ]);
    // Two reports in the same millisecond still have two bundle IDs (uD3TN gives both sequence 1).
    expect(new Set(reports.received.map((a) => `${a.creationTime} ${a.sequence}`)).size).toBe(2);
  });

  it('crafted-02 (no agent): reception now, and delivery only when the agent registers (uD3TN reports delivery and drops it)', async () => {
    const { network, mars, reports } = await marsAndEarth();
    network.inject('mars:1', ud3tnVector('status-reports/crafted-02_no-agent.bundle.bin'));
    await reports.waitFor(1);
    expect(reportOf(reports.received[0] as DeliveredAdu)).toEqual({ ...ud3tnReport('mars-to-earth_03'), received: CRAFTED_AT_DTN });
    await until(() => mars.bpa.status().waitingForAgent['dtn://mars.dtn/nobody'] === 1);
    expect(reports.received).toHaveLength(1);
    const nobody = recordingAgent();
    mars.bpa.register('dtn://mars.dtn/nobody', nobody.sink);
    await nobody.waitFor(1);
    await reports.waitFor(2);
    expect(reportOf(reports.received[1] as DeliveredAdu)).toEqual({ ...ud3tnReport('mars-to-earth_04'), delivered: CRAFTED_AT_DTN });
  });

  it('crafted-03 (forwarded): reception and forwarding reports, and the bundle itself reaches earth', async () => {
    const { network, earth, reports } = await marsAndEarth();
    const smtp = recordingAgent();
    earth.bpa.register('dtn://earth.dtn/smtp', smtp.sink);
    network.inject('mars:1', ud3tnVector('status-reports/crafted-03_forwarded.bundle.bin'));
    const [bundle] = await smtp.waitFor(1);
    expect(new TextDecoder().decode(bundle?.payload)).toBe('via mars\r\n');
    await reports.waitFor(2);
    expect(reports.received.map(reportOf)).toEqual([
      { ...ud3tnReport('mars-to-earth_05'), received: CRAFTED_AT_DTN },
      { ...ud3tnReport('mars-to-earth_07'), forwarded: CRAFTED_AT_DTN },
    ]);
  });

  it('crafted-04 (expired on arrival): a deletion report with reason 1 (uD3TN sends none)', async () => {
    const { network, mars, reports } = await marsAndEarth();
    network.inject('mars:1', ud3tnVector('status-reports/crafted-04_expired.bundle.bin'));
    await reports.waitFor(1);
    const r = reportOf(reports.received[0] as DeliveredAdu);
    expect(r).toMatchObject({ received: false, forwarded: false, delivered: false, deleted: CRAFTED_AT_DTN, reason: 1 });
    expect(r.subjectCreation).toEqual({ time: 848945982000, sequence: 4 });
    // Nothing kept: the expired bundle was never stored, the report leaves once its sending is confirmed.
    await until(() => mars.store.usage().bundles === 0);
    expect(mars.named('bundle.received')).toHaveLength(0);
  });

  it('crafted-05 (no route): reception report; the bundle waits for a route instead of uD3TN\'s deletion (reason 6)', async () => {
    const { network, mars, reports } = await marsAndEarth();
    network.inject('mars:1', ud3tnVector('status-reports/crafted-05_no-route.bundle.bin'));
    await reports.waitFor(1);
    expect(reportOf(reports.received[0] as DeliveredAdu)).toEqual({ ...ud3tnReport('mars-to-earth_08'), received: CRAFTED_AT_DTN });
    await mars.waitFor('bundle.no_route');
    await until(() => mars.store.usage().bundles === 1); // the subject; its reception report went to earth
    // Once a route appears the bundle moves on and is reported forwarded.
    const venus = await node('dtn://venus.dtn/', network, 'venus:1', { clock: () => CRAFTED_AT });
    const inbox = recordingAgent();
    venus.bpa.register('dtn://venus.dtn/smtp', inbox.sink);
    mars.bpa.applyPlan([contactTo('dtn://venus.dtn/', 'mtcp:venus:1', CRAFTED_AT)]);
    await inbox.waitFor(1);
    await reports.waitFor(2);
    expect(reportOf(reports.received[1] as DeliveredAdu)).toMatchObject({ forwarded: CRAFTED_AT_DTN, reason: 0 });
  });

  it('sends nothing when status reporting is off (uD3TN without -r)', async () => {
    const network = createFakeNetwork();
    const mars = await node('dtn://mars.dtn/', network, 'mars:1', { clock: () => CRAFTED_AT });
    mars.bpa.applyPlan([contactTo('dtn://earth.dtn/', 'mtcp:earth:1', CRAFTED_AT)]);
    const smtp = recordingAgent();
    mars.bpa.register('dtn://mars.dtn/smtp', smtp.sink);
    network.inject('mars:1', ud3tnVector('status-reports/crafted-01_delivered.bundle.bin'));
    await smtp.waitFor(1);
    await until(() => mars.store.usage().bundles === 0);
    expect(mars.named('report.sent')).toHaveLength(0);
    expect(network.sent).toHaveLength(0);
  });
});

describe('reports a local agent asked for', () => {
  it('reception, forwarding and delivery reports come back to the sending agent as administrative records', async () => {
    const network = createFakeNetwork();
    const earth = await node('dtn://earth.dtn/', network, 'earth:1', { options: { statusReports: true } });
    const mars = await node('dtn://mars.dtn/', network, 'mars:1', { options: { statusReports: true } });
    earth.bpa.applyPlan([contactTo('dtn://mars.dtn/', 'mtcp:mars:1', Date.now())]);
    mars.bpa.applyPlan([contactTo('dtn://earth.dtn/', 'mtcp:earth:1', Date.now())]);
    const sender = recordingAgent();
    earth.bpa.register('dtn://earth.dtn/smtp', sender.sink);
    const receiver = recordingAgent();
    mars.bpa.register('dtn://mars.dtn/smtp', receiver.sink);
    const before = Date.now() - DTN_EPOCH_UNIX_MS;
    const r = await earth.bpa.submit({
      source: 'dtn://earth.dtn/smtp',
      destination: 'dtn://mars.dtn/smtp',
      payload: new TextEncoder().encode('mail'),
      reports: { reception: true, forwarding: true, delivery: true },
    });
    if (!r.ok) throw new Error(r.error.message);
    await receiver.waitFor(1);
    await sender.waitFor(3);
    const bySource = new Map(sender.received.map((a) => [a.source, reportOf(a)] as const));
    expect(sender.received.every((a) => a.isAdminRecord)).toBe(true);
    const fromEarth = sender.received.filter((a) => a.source === 'dtn://earth.dtn/').map(reportOf);
    const fromMars = sender.received.filter((a) => a.source === 'dtn://mars.dtn/').map(reportOf);
    expect(fromEarth).toHaveLength(1);
    expect(fromEarth[0]?.forwarded).toBeGreaterThanOrEqual(before);
    expect(fromMars.map((x) => (x.received !== false ? 'received' : 'delivered')).sort()).toEqual(['delivered', 'received']);
    for (const x of [...fromEarth, ...fromMars]) expect(x.subjectCreation).toEqual({ time: r.value.creationTime, sequence: r.value.sequence });
    expect(bySource.size).toBe(2);
  });

  it('an expired bundle gets a deletion report with reason 1 (RFC 9171 §5.10)', async () => {
    const earth = await node('dtn://earth.dtn/', createFakeNetwork(), 'earth:1', { options: { statusReports: true } });
    const sender = recordingAgent();
    earth.bpa.register('dtn://earth.dtn/smtp', sender.sink);
    await earth.bpa.submit({ source: 'dtn://earth.dtn/smtp', destination: 'dtn://venus.dtn/smtp', payload: new Uint8Array(3), lifetimeMs: 200, reports: { deletion: true } });
    const [adu] = await sender.waitFor(1, 3000);
    const report = reportOf(adu as DeliveredAdu);
    expect(report).toMatchObject({ reason: 1 });
    // asserted with its status time (a DTN time, a number), not merely asserted (true)
    expect(typeof report.deleted).toBe('number');
    expect(earth.named('bundle.expired')).toHaveLength(1);
  });
});

describe.runIf(haveVectors)('reports from a uD3TN node that reuses one bundle ID (every report has sequence 1)', () => {
  it('delivers both of uD3TN\'s reports 01 and 02 (same source and creation timestamp, different records) and still drops a true duplicate', async () => {
    // mars-to-earth_01 (reception) and _02 (delivery) were made in the same millisecond: same bundle ID.
    const clock = (): number => DTN_EPOCH_UNIX_MS + 848946042860 + 1000;
    const network = createFakeNetwork();
    const earth = await node('dtn://earth.dtn/', network, 'earth:1', { clock });
    const reports = recordingAgent();
    earth.bpa.register('dtn://earth.dtn/reports', reports.sink);
    const origin = { cla: 'mtcp' as const, remote: 'mars:9' };
    for (const name of ['mars-to-earth_01', 'mars-to-earth_02', 'mars-to-earth_02']) {
      earth.bpa.sink(ud3tnVector(`status-reports/${name}.bundle.bin`), origin);
    }
    await until(() => reports.received.length >= 2);
    await earth.waitFor('bundle.duplicate');
    expect(reports.received.map((a) => reportOf(a))).toEqual([ud3tnReport('mars-to-earth_01'), ud3tnReport('mars-to-earth_02')]);
    expect(reports.received.every((a) => a.isAdminRecord)).toBe(true);
  });
});
