import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createGatewayMetrics, formatPrometheus, startMetricsServer } from './metrics';
import type { Gauges } from './metrics';

const gauges: Gauges = { outboundQueue: 3, inboundQueue: 1, node: { state: 'connected', endpoint: 'dtn://earth.dtn/email' } };

function get(port: number, path: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('gateway metrics', () => {
  it('counts the message events of the log and nothing else', () => {
    const m = createGatewayMetrics(() => gauges);
    const events = [
      { event: 'inbound-accepted' },
      { event: 'inbound-duplicate-bundle' },
      { event: 'inbound-duplicate-message', recipients: 'a@x,b@x' },
      { event: 'inbound-refused-source' },
      { event: 'inbound-invalid-object' },
      { event: 'inbound-refused-recipients', recipients: 'eve@venus.example,zed@venus.example' },
      { event: 'outbound-refused' },
      { event: 'inbound-delivered', kind: 'mail' },
      { event: 'inbound-delivered', kind: 'mail' },
      { event: 'inbound-delivered', kind: 'notice' },
      { event: 'inbound-failed', kind: 'mail' },
      { event: 'outbound-queued' },
      { event: 'bundle-handed-over', origin: 'mail' },
      { event: 'bundle-handed-over', origin: 'dsn' },
      { event: 'bundle-send-failed' },
      { event: 'inbound-deferred' },
      { event: 'aap-connected' },
      { event: 'dsn-queued' },
      { event: 'report-received', assertions: 'forwarded', queueId: 7 },
      { event: 'report-received', assertions: 'delivered', queueId: 7 },
      { event: 'report-received', assertions: 'deleted', queueId: null },
      { event: 'admin-record-dropped', reason: 'undecodable' },
    ];
    for (const e of events) m.count(e);
    expect(m.snapshot()).toEqual({
      counters: {
        received: 4,
        delivered: 2,
        delivery_failed: 1,
        postmaster_notices: 1,
        dsn_sent: 1,
        refused: 5,
        duplicates: 3,
        queued: 1,
        handed_over: 2,
        retries: 2,
        status_reports: 3,
        status_reports_linked: 2,
        admin_records_dropped: 1,
      },
      queue: { outbound: 3, inbound: 1 },
      node: { state: 'connected', endpoint: 'dtn://earth.dtn/email', connected: true },
    });
  });

  it('writes the Prometheus text format with one sample line per series', () => {
    const m = createGatewayMetrics(() => ({ ...gauges, node: { state: 'reconnecting', endpoint: null } }));
    m.count({ event: 'outbound-queued' });
    const text = formatPrometheus(m.snapshot());
    expect(text.endsWith('\n')).toBe(true);
    const samples = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(samples).toContain('farside_gateway_queued_total 1');
    expect(samples).toContain('farside_gateway_received_total 0');
    expect(samples).toContain('farside_gateway_queue_depth{queue="outbound"} 3');
    expect(samples).toContain('farside_gateway_queue_depth{queue="inbound"} 1');
    expect(samples).toContain('farside_gateway_node_connected{state="reconnecting",endpoint=""} 0');
    // every sample line is `name{labels} value` and each metric has its TYPE line
    for (const l of samples) expect(l).toMatch(/^[a-z_]+(\{[a-z]+="[^"]*"(,[a-z]+="[^"]*")*\})? \d+$/);
    expect(text).toMatch(/^# TYPE farside_gateway_queued_total counter$/m);
    expect(text).toMatch(/^# TYPE farside_gateway_queue_depth gauge$/m);
  });

  it('serves GET /metrics and /metrics.json on loopback; other paths and methods are refused', async () => {
    const m = createGatewayMetrics(() => gauges);
    m.count({ event: 'inbound-accepted' });
    const s = await startMetricsServer({ host: '127.0.0.1', port: 0, metrics: m });
    if (!s.ok) throw new Error(s.error.message);
    try {
      const text = await get(s.value.port, '/metrics');
      expect(text.status).toBe(200);
      expect(text.type).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(text.body).toContain('farside_gateway_received_total 1\n');
      const json = await get(s.value.port, '/metrics.json');
      expect(json.type).toBe('application/json');
      expect(JSON.parse(json.body)).toMatchObject({ counters: { received: 1 }, queue: { outbound: 3, inbound: 1 } });
      expect((await get(s.value.port, '/')).status).toBe(404);
      expect((await get(s.value.port, '/metrics', 'POST')).status).toBe(405);
    } finally {
      await s.value.close();
    }
  });
});
