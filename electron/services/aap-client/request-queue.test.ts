import { describe, expect, it } from 'vitest';
import { ok, err } from '../../../shared/errors';
import { createRequestQueue } from './request-queue';

type Msg = { kind: 'ack' } | { kind: 'confirm'; id: number } | { kind: 'nack' };

const ackMatch = (m: Msg) => (m.kind === 'ack' ? ok('acked') : m.kind === 'nack' ? err('AAP_NACK', 'refused') : undefined);
const confirmMatch = (m: Msg) => (m.kind === 'confirm' ? ok(m.id) : undefined);

describe('createRequestQueue', () => {
  it('writes one request at a time, the next only after the reply to the previous', async () => {
    const written: string[] = [];
    const q = createRequestQueue<Msg>(1000, () => undefined);
    const a = q.request('A', () => written.push('A'), ackMatch);
    const b = q.request('B', () => written.push('B'), confirmMatch);
    expect(written).toEqual(['A']);
    expect(q.offer({ kind: 'ack' })).toBe(true);
    expect(await a).toEqual(ok('acked'));
    expect(written).toEqual(['A', 'B']);
    expect(q.offer({ kind: 'confirm', id: 7 })).toBe(true);
    expect(await b).toEqual(ok(7));
    expect(q.idle).toBe(true);
  });

  it('rejects a message that cannot answer the request in flight, and any message with none in flight', () => {
    const q = createRequestQueue<Msg>(1000, () => undefined);
    expect(q.offer({ kind: 'ack' })).toBe(false);
    void q.request('B', () => undefined, confirmMatch);
    expect(q.offer({ kind: 'ack' })).toBe(false);
    q.close('CONNECTION_CLOSED', 'test over');
  });

  it('turns NACK into the matcher error', async () => {
    const q = createRequestQueue<Msg>(1000, () => undefined);
    const a = q.request('A', () => undefined, ackMatch);
    q.offer({ kind: 'nack' });
    const r = await a;
    expect(r.ok ? 'ok' : r.error.code).toBe('AAP_NACK');
  });

  it('times out a request without reply and reports it, once', async () => {
    const timedOut: string[] = [];
    const q = createRequestQueue<Msg>(30, (what) => {
      timedOut.push(what);
      q.close('CONNECTION_CLOSED', 'dropped after timeout');
    });
    const a = q.request('A', () => undefined, ackMatch);
    const b = q.request('B', () => undefined, ackMatch);
    const ra = await a;
    const rb = await b;
    expect(ra.ok ? 'ok' : ra.error.code).toBe('TIMEOUT');
    expect(rb.ok ? 'ok' : rb.error.code).toBe('CONNECTION_CLOSED');
    expect(timedOut).toEqual(['A']);
  });

  it('fails everything pending on close and every later request at once', async () => {
    const written: string[] = [];
    const q = createRequestQueue<Msg>(1000, () => undefined);
    const a = q.request('A', () => written.push('A'), ackMatch);
    const b = q.request('B', () => written.push('B'), ackMatch);
    q.close('CONNECTION_CLOSED', 'node went away');
    const rs = await Promise.all([a, b, q.request('C', () => written.push('C'), ackMatch)]);
    expect(rs.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['CONNECTION_CLOSED', 'CONNECTION_CLOSED', 'CONNECTION_CLOSED']);
    expect(written).toEqual(['A']);
  });
});
