/**
 * Reassembly for local delivery (RFC 9171 §5.9) through the processor: the four fragments a real uD3TN
 * made with `-m 1024` (../shared/vectors/ud3tn/fragments) in every arrival order give one ADU equal to
 * fragments/bsmtp_long_payload.bin, also across a restart in the middle; reports about fragments carry
 * the fragment fields (§6.1.1 items 5–6).
 */
import { describe, expect, it } from 'vitest';
import { decodeAdminRecord } from '../../shared/protocol/bpv7/admin-record';
import { encodeBundle } from '../../shared/protocol/bpv7/bundle';
import { DTN_EPOCH_UNIX_MS } from '../../shared/protocol/bpv7/dtn-time';
import { BundleFlag } from '../../shared/protocol/bpv7/flags';
import { fragmentBundle } from '../../shared/protocol/bpv7/fragment';
import type { Bundle } from '../../shared/protocol/bpv7/types';
import { haveVectors, ud3tnVector } from '../../shared/test-support/vectors';
import { createFakeNetwork } from './test-support/fake-network';
import { recordingAgent, until } from './test-support/test-node';
import { testNodes } from './test-support/unit-fixtures';

const { node, keep } = testNodes();

const FRAGMENTS = ['fragment_01', 'fragment_02', 'fragment_03', 'fragment_04'];
/** Their creation time is DTN 848946038379 with a day of lifetime. */
const CLOCK = (): number => DTN_EPOCH_UNIX_MS + 848946038379 + 5000;

describe.runIf(haveVectors)('uD3TN fragments delivered to a local agent', () => {
  const orders = [
    [0, 1, 2, 3],
    [3, 2, 1, 0],
    [2, 0, 3, 1],
  ];
  it.each(orders)('in the order %j: one ADU, byte-identical to the original', async (...order) => {
    const network = createFakeNetwork();
    const mars = await node('dtn://mars.dtn/', network, 'mars:1', { clock: CLOCK });
    const smtp = recordingAgent();
    mars.bpa.register('dtn://mars.dtn/smtp', smtp.sink);
    for (const i of order) network.inject('mars:1', ud3tnVector(`fragments/${FRAGMENTS[i] as string}.bundle.bin`));
    network.inject('mars:1', ud3tnVector(`fragments/${FRAGMENTS[order[0] as number] as string}.bundle.bin`)); // a duplicate
    const [adu] = await smtp.waitFor(1);
    expect(adu?.payload).toEqual(ud3tnVector('fragments/bsmtp_long_payload.bin'));
    expect(adu).toMatchObject({ source: 'dtn://earth.dtn/smtp', creationTime: 848946038379, sequence: 1, isAdminRecord: false });
    await until(() => mars.store.usage().bundles === 0);
    await new Promise((r) => setTimeout(r, 50));
    expect(smtp.received).toHaveLength(1);
    expect(mars.named('bundle.reassembled')).toEqual([expect.objectContaining({ id: 'dtn://earth.dtn/smtp 848946038379 1', fragments: 4, bytes: 3113 })]);
  });

  it('keeps fragments durably: half before a restart, half after, one ADU', async () => {
    const network = createFakeNetwork();
    const mars = await node('dtn://mars.dtn/', network, 'mars:1', { clock: CLOCK });
    network.inject('mars:1', ud3tnVector('fragments/fragment_03.bundle.bin'));
    network.inject('mars:1', ud3tnVector('fragments/fragment_01.bundle.bin'));
    await until(() => mars.store.usage().bundles === 2);
    const again = await mars.restart();
    keep(again);
    const smtp = recordingAgent();
    again.bpa.register('dtn://mars.dtn/smtp', smtp.sink);
    network.inject('mars:1', ud3tnVector('fragments/fragment_04.bundle.bin'));
    network.inject('mars:1', ud3tnVector('fragments/fragment_02.bundle.bin'));
    const [adu] = await smtp.waitFor(1);
    expect(adu?.payload).toEqual(ud3tnVector('fragments/bsmtp_long_payload.bin'));
  });

  it('an ADU completed while its agent is away waits, whole, and survives a restart', async () => {
    const network = createFakeNetwork();
    const mars = await node('dtn://mars.dtn/', network, 'mars:1', { clock: CLOCK });
    for (const f of FRAGMENTS) network.inject('mars:1', ud3tnVector(`fragments/${f}.bundle.bin`));
    await mars.waitFor('bundle.reassembled');
    await until(() => mars.store.usage().bundles === 1);
    const again = await mars.restart();
    keep(again);
    const smtp = recordingAgent();
    again.bpa.register('dtn://mars.dtn/smtp', smtp.sink);
    const [adu] = await smtp.waitFor(1);
    expect(adu?.payload).toEqual(ud3tnVector('fragments/bsmtp_long_payload.bin'));
    expect(adu?.receivedFrom).toBe('cla');
  });
});

describe('reports about fragments', () => {
  it('each fragment gets its reception report with its offset and length; delivery is reported for the whole ADU', async () => {
    const network = createFakeNetwork();
    const mars = await node('dtn://mars.dtn/', network, 'mars:1', { options: { statusReports: true } });
    const earth = await node('dtn://earth.dtn/', network, 'earth:1');
    const now = Date.now();
    mars.bpa.applyPlan([
      { command: 'add', nodeId: 'dtn://earth.dtn/', claAddress: 'mtcp:earth:1', reachableEids: [], contacts: [{ start: now - 1, end: now + 60_000, rateBytesPerSec: 1e9, owltMs: 0, reachableEids: [] }] },
    ]);
    const reports = recordingAgent();
    earth.bpa.register('dtn://earth.dtn/smtp', reports.sink);
    const smtp = recordingAgent();
    mars.bpa.register('dtn://mars.dtn/smtp', smtp.sink);
    const payload = new Uint8Array(2500).map((_, i) => i & 0xff);
    const whole: Bundle = {
      primary: {
        version: 7,
        flags: BundleFlag.REPORT_RECEPTION | BundleFlag.REPORT_DELIVERY | BundleFlag.STATUS_TIME_REQUESTED,
        crcType: 1,
        destination: { scheme: 'dtn', ssp: '//mars.dtn/smtp' },
        source: { scheme: 'dtn', ssp: '//earth.dtn/smtp' },
        reportTo: { scheme: 'dtn', ssp: '//earth.dtn/smtp' },
        creation: { time: now - DTN_EPOCH_UNIX_MS, sequence: 9 },
        lifetime: 60_000,
      },
      blocks: [{ type: 1, number: 1, flags: 0, crcType: 0, data: payload }],
    };
    const pieces = fragmentBundle(whole, 1024);
    if (!pieces.ok) throw new Error(pieces.error.message);
    for (const p of pieces.value) network.inject('mars:1', encodeBundle(p));
    await smtp.waitFor(1);
    await reports.waitFor(pieces.value.length + 1);
    const got = reports.received.map((a) => {
      const r = decodeAdminRecord(a.payload);
      if (!r.ok || r.value.kind !== 'status-report') throw new Error('not a report');
      return r.value.report;
    });
    const receptions = got.filter((r) => r.received !== false);
    expect(receptions.map((r) => r.subjectFragment).sort((a, b) => (a?.offset ?? 0) - (b?.offset ?? 0))).toEqual(
      pieces.value.map((p) => ({ offset: p.primary.fragment?.offset, length: p.blocks[p.blocks.length - 1]?.data.length })),
    );
    const deliveries = got.filter((r) => r.delivered !== false);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]?.subjectFragment).toBeUndefined();
    expect(smtp.received[0]?.payload).toEqual(payload);
  });
});
