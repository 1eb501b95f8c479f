/**
 * Status reports through the AAP client (docs/status-reports.md) with two real embedded BPAs (startBpa:
 * real stores, MTCP between them, AAP v1 and 2.0 servers on TCP), both sending reports (uD3TN's -r).
 * AAP 2.0 asks for them in adu_flags and receives them flagged as administrative records; AAP v1 can ask
 * for none, and receives reports addressed to its agent as ordinary bundles from the reporting node.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { decodeAdminRecord } from '../../../shared/protocol/bpv7/admin-record';
import { dtnTimeFromUnixMs } from '../../../shared/protocol/bpv7/dtn-time';
import { STATUS_ITEMS } from '../../../shared/protocol/bpv7/status-report';
import type { StatusReport } from '../../../shared/protocol/bpv7/status-report';
import { connectTestClient, takeBundles } from '../../bpa/test-support/agent';
import { startTcpBpa, type TcpBpa } from '../../bpa/test-support/farside-bpa';
import { contactTo } from '../../bpa/test-support/unit-fixtures';
import { until } from '../../test-support/waiting';
import type { AapClient, AapProtocol, ReceivedBundle } from './types';

type Node = TcpBpa;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

const startNode = (nodeId: string): Promise<Node> => startTcpBpa(nodeId, (f) => cleanups.push(f), { statusReports: true });

/** Earth and Mars with a contact each way, open now, no light time. */
async function twoNodes(): Promise<{ earth: Node; mars: Node }> {
  const earth = await startNode('dtn://earth.dtn/');
  const mars = await startNode('dtn://mars.dtn/');
  for (const [from, to] of [
    [earth, mars],
    [mars, earth],
  ] as const) {
    const applied = from.running.bpa.applyPlan([contactTo(to.running.bpa.nodeId, to.mtcp)]);
    if (!applied.ok) throw new Error(applied.error.message);
  }
  return { earth, mars };
}

const connected = (address: string, protocol: AapProtocol, agentId: string): Promise<AapClient> =>
  connectTestClient(address, agentId, (f) => cleanups.push(f), { protocol, receive: true, requestTimeoutMs: 5000 });

// done with them: the node hears SUCCESS for the last one too (AAP 2.0)
const take = (c: AapClient, n: number, timeoutMs = 10_000): Promise<ReceivedBundle[]> => takeBundles(c, n, timeoutMs, true);

function reportOf(b: ReceivedBundle): StatusReport {
  const rec = decodeAdminRecord(b.payload);
  if (!rec.ok || rec.value.kind !== 'status-report') throw new Error(`not a status report from ${b.source}`);
  return rec.value.report;
}

/** "dtn://mars.dtn/ received" */
const asserted = (b: ReceivedBundle, r: StatusReport): string => `${b.source} ${STATUS_ITEMS.filter((k) => r[k] !== false).join()}`;

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('status reports through the AAP client and the embedded BPA', () => {
  it('AAP 2.0: reports asked for in send() come back about the bundle send() returned, as administrative records with status times', async () => {
    const { earth, mars } = await twoNodes();
    const inbox = await connected(mars.aap2, 'aap2', 'smtp');
    const sender = await connected(earth.aap2, 'aap2', 'smtp');
    const before = Date.now();
    const sent = await sender.send('dtn://mars.dtn/smtp', utf8('mail with receipts'), { reports: { reception: true, forwarding: true, delivery: true, deletion: true } });
    if (!sent.ok) throw new Error(sent.error.message);

    const [mail] = await take(inbox, 1);
    expect(mail).toMatchObject({ source: 'dtn://earth.dtn/smtp', isAdminRecord: false, isBibe: false });

    const reports = await take(sender, 3);
    for (const b of reports) {
      expect(b).toMatchObject({ destination: 'dtn://earth.dtn/smtp', isAdminRecord: true, isBibe: false });
      const r = reportOf(b);
      expect(r.subjectSource).toEqual({ scheme: 'dtn', ssp: '//earth.dtn/smtp' });
      expect(r.subjectCreation).toEqual({ time: sent.value.creationTime, sequence: sent.value.sequence });
      expect(r.reason).toBe(0);
      // status time requested (0x40) comes with the report bits: each assertion carries a real DTN time
      const t = STATUS_ITEMS.map((k) => r[k]).find((a) => a !== false);
      if (typeof t !== 'number') throw new Error(`no status time in ${asserted(b, r)}`);
      expect(t).toBeGreaterThanOrEqual(dtnTimeFromUnixMs(before));
      expect(t).toBeLessThanOrEqual(dtnTimeFromUnixMs(Date.now()));
    }
    expect(reports.map((b) => asserted(b, reportOf(b))).sort()).toEqual(['dtn://earth.dtn/ forwarded', 'dtn://mars.dtn/ delivered', 'dtn://mars.dtn/ received']);
  });

  it('AAP 2.0: a send without reports asks for none (no node sends one)', async () => {
    const { earth, mars } = await twoNodes();
    const inbox = await connected(mars.aap2, 'aap2', 'smtp');
    const sender = await connected(earth.aap2, 'aap2', 'smtp');
    const sent = await sender.send('dtn://mars.dtn/smtp', utf8('mail without receipts'));
    if (!sent.ok) throw new Error(sent.error.message);
    await take(inbox, 1);
    // delivered at Mars, forwarded at Earth (confirmed once the link had it for a while): the moments a report would have been sent
    await until(() => mars.events.some((e) => e.event === 'bundle.delivered') && earth.events.some((e) => e.event === 'bundle.forwarded'), 10_000);
    expect([...earth.events, ...mars.events].filter((e) => e.event === 'report.sent')).toEqual([]);
  });

  it('AAP v1: asking for reports is UNSUPPORTED and sends nothing; reports for a v1 agent arrive from the reporting node, not marked (v1 cannot tell)', async () => {
    const { earth, mars } = await twoNodes();
    const inbox = await connected(mars.aap, 'aap1', 'smtp');
    const v1 = await connected(earth.aap, 'aap1', 'smtp');
    const refused = await v1.send('dtn://mars.dtn/smtp', utf8('mail'), { reports: { delivery: true } });
    expect(refused).toEqual({ ok: false, error: { code: 'UNSUPPORTED', message: 'AAP v1 cannot request status reports (use AAP 2.0: docs/status-reports.md)' } });
    expect(earth.events.some((e) => e.event === 'bundle.stored')).toBe(false);

    // a bundle of the v1 agent's endpoint that asks for a delivery report (submitted through the processor,
    // as an AAP 2.0 connection of the same application would)
    const submitted = await earth.running.bpa.submit({ source: 'dtn://earth.dtn/smtp', destination: 'dtn://mars.dtn/smtp', payload: utf8('mail'), reports: { delivery: true } });
    if (!submitted.ok) throw new Error(submitted.error.message);
    const [mail] = await take(inbox, 1);
    expect(mail).toMatchObject({ source: 'dtn://earth.dtn/smtp', bundleId: null, isAdminRecord: false });
    const [report] = await take(v1, 1);
    if (report === undefined) throw new Error('no report');
    expect(report).toMatchObject({ source: 'dtn://mars.dtn/', destination: 'dtn://earth.dtn/smtp', bundleId: null, isAdminRecord: false, isBibe: false });
    expect(asserted(report, reportOf(report))).toBe('dtn://mars.dtn/ delivered');
  });
});
