/** The adu_flags bits of docs/status-reports.md, whose values are the RFC 9171 §4.2.3 flags (protocols.md §3.5). */
import { describe, expect, it } from 'vitest';
import { createAapClient } from './client';
import { ADU_FLAGS, reportRequestFlags } from './status-reports';

describe('adu_flags for status reports', () => {
  it('has the values of the docs/status-reports.md table', () => {
    expect(ADU_FLAGS).toEqual({
      BPDU: 0x000001,
      ADMIN_RECORD: 0x000002,
      REPORT_RECEPTION: 0x004000,
      REPORT_FORWARDING: 0x010000,
      REPORT_DELIVERY: 0x020000,
      REPORT_DELETION: 0x040000,
    });
  });

  it('sets one bit per requested report, none for false or absent ones', () => {
    expect(reportRequestFlags(undefined)).toBe(0);
    expect(reportRequestFlags({})).toBe(0);
    expect(reportRequestFlags({ reception: false, forwarding: false, delivery: false, deletion: false })).toBe(0);
    expect(reportRequestFlags({ reception: true })).toBe(0x004000);
    expect(reportRequestFlags({ forwarding: true })).toBe(0x010000);
    expect(reportRequestFlags({ delivery: true })).toBe(0x020000);
    expect(reportRequestFlags({ deletion: true })).toBe(0x040000);
    expect(reportRequestFlags({ reception: true, forwarding: true, delivery: true, deletion: true })).toBe(0x074000);
  });
});

describe('send() with reports over AAP v1', () => {
  it('fails with UNSUPPORTED before anything is sent, even before connect()', async () => {
    const logs: unknown[] = [];
    const client = createAapClient({
      transport: { kind: 'tcp', host: '127.0.0.1', port: 1 },
      protocol: 'aap1',
      agentId: 'smtp',
      requestTimeoutMs: 100,
      reconnect: { initialMs: 10, maxMs: 10 },
      log: (e) => logs.push(e),
    });
    const r = await client.send('dtn://mars.dtn/smtp', new Uint8Array(3), { reports: { delivery: true } });
    expect(r).toEqual({ ok: false, error: { code: 'UNSUPPORTED', message: 'AAP v1 cannot request status reports (use AAP 2.0: docs/status-reports.md)' } });
    // no report asked for: the usual answer of an unconnected client
    expect(await client.send('dtn://mars.dtn/smtp', new Uint8Array(3), { reports: { delivery: false } })).toMatchObject({ ok: false, error: { code: 'CONNECTION_CLOSED' } });
    await client.close();
  });
});
