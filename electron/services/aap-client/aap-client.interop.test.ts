/**
 * The AAP client against a real uD3TN (interop tier, design.md principle 11). Runs only when
 * FARSIDE_UD3TN names a uD3TN binary (v0.13 is what the vectors and docs describe): it starts one node
 * on loopback with a temporary directory and ports chosen at run time, and stops it by its pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ud3tnVector } from '../../../shared/test-support/vectors';
import { createAapClient } from './client';
import type { AapClient, AapClientOptions, AapTransport, ReceivedBundle } from './types';

const binary = process.env['FARSIDE_UD3TN'];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = a && typeof a === 'object' ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

async function waitForTcp(port: number, timeoutMs: number): Promise<void> {
  const start = Date.now();
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const s = createConnection({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (up) return;
    if (Date.now() - start > timeoutMs) throw new Error(`uD3TN did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function take(it: AsyncIterator<ReceivedBundle>, timeoutMs = 5000): Promise<ReceivedBundle> {
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no bundle in time')), timeoutMs));
  const r = await Promise.race([it.next(), timeout]);
  if (r.done) throw new Error('bundle stream ended');
  return r.value;
}

// The one allowed skip: without a uD3TN binary there is nothing to interoperate with.
describe.skipIf(!binary)('AAP client against a real uD3TN (FARSIDE_UD3TN)', () => {
  let dir = '';
  let node: ChildProcess | null = null;
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
    dir = mkdtempSync(join(tmpdir(), 'farside-ud3tn-'));
    const [port, claPort] = [await freePort(), await freePort()];
    aap1 = { kind: 'tcp', host: '127.0.0.1', port };
    aap2 = { kind: 'unix', path: join(dir, 'aap2.socket') };
    node = spawn(binary as string, ['-e', 'dtn://earth.dtn/', '-a', '127.0.0.1', '-p', String(port), '-S', aap2.path, '-c', `mtcp:127.0.0.1,${claPort}`], {
      cwd: dir,
      stdio: 'ignore',
    });
    await waitForTcp(port, 10_000);
  });

  afterAll(async () => {
    for (const c of clients) await c.close();
    if (node?.pid !== undefined && node.exitCode === null) {
      const exited = new Promise((r) => node?.once('exit', r));
      process.kill(node.pid, 'SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
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
    expect(node?.exitCode).toBeNull();
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
    expect(node?.exitCode).toBeNull();
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
