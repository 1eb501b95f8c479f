/**
 * The AAP client against a real uD3TN (interop tier, design.md principle 11). Runs only when
 * FARSIDE_UD3TN names a uD3TN binary (v0.13 is what the vectors and docs describe): it starts one node
 * with startUd3tn (loopback, a temporary directory, ports chosen at run time, stopped by its pid).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ud3tnVector } from '../../../shared/test-support/vectors';
import { startUd3tn, ud3tnBinary, type Ud3tnNode } from '../../bpa/test-support/ud3tn';
import { createAapClient } from './client';
import type { AapClient, AapClientOptions, AapTransport, ReceivedBundle } from './types';

async function take(it: AsyncIterator<ReceivedBundle>, timeoutMs = 5000): Promise<ReceivedBundle> {
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no bundle in time')), timeoutMs));
  const r = await Promise.race([it.next(), timeout]);
  if (r.done) throw new Error('bundle stream ended');
  return r.value;
}

// The one allowed skip: without a uD3TN binary there is nothing to interoperate with.
describe.skipIf(!ud3tnBinary)('AAP client against a real uD3TN (FARSIDE_UD3TN)', () => {
  let node: Ud3tnNode | undefined;
  let aap1: AapTransport = { kind: 'tcp', host: '127.0.0.1', port: 0 };
  let aap2: AapTransport = { kind: 'unix', path: '' };
  const clients: AapClient[] = [];
  const BSMTP = ud3tnVector('aap1/bsmtp_payload.bin');

  function client(extra: Partial<AapClientOptions> & Pick<AapClientOptions, 'transport' | 'protocol'>): AapClient {
    const c = createAapClient({ requestTimeoutMs: 3000, reconnect: { initialMs: 50, maxMs: 500 }, log: () => undefined, ...extra });
    clients.push(c);
    return c;
  }

  beforeAll(async () => {
    node = await startUd3tn({ nodeId: 'dtn://earth.dtn/', clas: ['mtcp'] });
    ({ aap1, aap2 } = node);
  });

  afterAll(async () => {
    for (const c of clients) await c.close();
    await node?.stop();
  });

  it('AAP v1: WELCOME, REGISTER, SENDBUNDLE to the echo agent → bundle ID, then the echoed RECVBUNDLE; PING', async () => {
    const c = client({ transport: aap1, protocol: 'aap1', agentId: 'smtp' });
    expect(await c.connect()).toEqual({ ok: true, value: { nodeId: 'dtn://earth.dtn/' } });
    const it = c.bundles();
    const sent = await c.send('dtn://earth.dtn/echo', BSMTP);
    expect(sent.ok).toBe(true);
    if (sent.ok) {
      expect(sent.value.source).toBe('dtn://earth.dtn/smtp');
      expect(sent.value.sequence).toBeGreaterThanOrEqual(1);
      expect(Math.abs(sent.value.creationTime - (Date.now() - 946_684_800_000))).toBeLessThan(60_000);
    }
    const echoed = await take(it);
    expect(echoed.source).toBe('dtn://earth.dtn/echo');
    expect(Buffer.from(echoed.payload).equals(Buffer.from(BSMTP))).toBe(true);
    expect(await c.ping()).toEqual({ ok: true, value: undefined });
  });

  it('AAP v1: a bad destination is refused locally and the node stays up', async () => {
    const c = client({ transport: aap1, protocol: 'aap1', agentId: 'probe' });
    expect((await c.connect()).ok).toBe(true);
    const r = await c.send('not-an-eid', BSMTP);
    expect(r.ok ? 'ok' : r.error.code).toBe('INVALID_EID');
    expect(await c.ping()).toEqual({ ok: true, value: undefined });
    expect(node?.exit()).toBeNull();
  });

  it('AAP v1: the config agent confirms a contact with SENDCONFIRM', async () => {
    const c = client({ transport: aap1, protocol: 'aap1', agentId: 'config-client' });
    expect((await c.connect()).ok).toBe(true);
    const r = await c.addContact({ node: 'dtn://mars.dtn/', cla: 'mtcp:127.0.0.1:4224' });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value.destination).toBe('dtn://earth.dtn/config');
  });

  it('AAP v1 client on the AAP 2.0 socket: AAP_VERSION_MISMATCH', async () => {
    const c = client({ transport: aap2, protocol: 'aap1' });
    const r = await c.connect();
    expect(r.ok ? 'ok' : r.error.code).toBe('AAP_VERSION_MISMATCH');
  });

  it('AAP v1 and AAP 2.0 on one agent ID: no secret by default, so uD3TN v0.13 does not crash (strcmp on a NULL secret)', async () => {
    const v1 = client({ transport: aap1, protocol: 'aap1', agentId: 'shared' });
    expect((await v1.connect()).ok).toBe(true);
    const v2 = client({ transport: aap2, protocol: 'aap2', agentId: 'shared' });
    expect(await v2.connect()).toEqual({ ok: true, value: { nodeId: 'dtn://earth.dtn/' } });
    expect(await v1.ping()).toEqual({ ok: true, value: undefined });
    expect(node?.exit()).toBeNull();
  });

  it('AAP 2.0: active + subscriber connections; the echo comes back with its bundle ID', async () => {
    const c = client({ transport: aap2, protocol: 'aap2', agentId: 'mail', receive: true });
    expect(await c.connect()).toEqual({ ok: true, value: { nodeId: 'dtn://earth.dtn/' } });
    const it = c.bundles();
    const sent = await c.send('dtn://earth.dtn/echo', BSMTP);
    expect(sent.ok).toBe(true);
    const echoed = await take(it);
    expect(echoed.source).toBe('dtn://earth.dtn/echo');
    expect(echoed.destination).toBe('dtn://earth.dtn/mail');
    expect(echoed.bundleId?.source).toBe('dtn://earth.dtn/echo');
    expect(Buffer.from(echoed.payload).equals(Buffer.from(BSMTP))).toBe(true);
    expect(await c.ping()).toEqual({ ok: true, value: undefined });
  });
});
