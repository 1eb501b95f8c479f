/**
 * The AAP v1 settle window (delivery.ts) with real sockets: the AAP v1 server (aap/aap-server.ts) in front
 * of the bundle processor with a real store, and byte-level AAP v1 clients (aap/test-support/raw-client.ts)
 * that play an application killed right after a RECVBUNDLE, or one that stays connected.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createAapDecoder, encodeAapMessage, type AapMessage } from '../../shared/protocol/aap';
import { createAapServer } from './aap/aap-server';
import { connectRaw, type RawClient, type RawTarget } from './aap/test-support/raw-client';
import { listenOn } from './aap/test-support/serve';
import { createFakeNetwork } from './test-support/fake-network';
import { startTestNode, type TestNode } from './test-support/test-node';

/** Long enough for a loaded machine to see a client's close, short enough for a test. */
const SETTLE_MS = 400;
const NODE = 'dtn://earth.dtn/';
const INBOX = 'dtn://earth.dtn/inbox';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

function frame(message: AapMessage): Uint8Array {
  const r = encodeAapMessage(message);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

async function setup(): Promise<{ node: TestNode; target: RawTarget }> {
  const node = await startTestNode({ nodeId: NODE, network: createFakeNetwork(), address: 'earth:1', options: { deliverySettleMs: SETTLE_MS } });
  cleanups.push(() => node.destroy());
  const server = await listenOn(createAapServer({ host: node.bpa, log: () => undefined }), 'tcp');
  cleanups.push(server.cleanup);
  return { node, target: server.target };
}

/** An AAP v1 client: WELCOME read, REGISTER inbox answered with ACK; reads whole messages. */
async function agent(target: RawTarget): Promise<{ client: RawClient; next(timeoutMs?: number): Promise<AapMessage> }> {
  const client = await connectRaw(target);
  cleanups.push(() => client.destroy());
  const decoder = createAapDecoder();
  const next = async (timeoutMs = 3000): Promise<AapMessage> => {
    for (;;) {
      const step = decoder.next();
      if (step.kind === 'message') return step.message;
      if (step.kind === 'error') throw new Error(step.error.message);
      decoder.push(await client.read(1, timeoutMs));
    }
  };
  expect(await next()).toEqual({ type: 'WELCOME', eid: NODE });
  await client.write(frame({ type: 'REGISTER', eid: 'inbox' }));
  expect(await next()).toEqual({ type: 'ACK' });
  return { client, next };
}

async function submit(node: TestNode, text: string): Promise<string> {
  const r = await node.bpa.submit({ source: 'dtn://earth.dtn/smtp', destination: INBOX, payload: new TextEncoder().encode(text) });
  if (!r.ok) throw new Error(r.error.message);
  return `${r.value.source} ${r.value.creationTime} ${r.value.sequence}`;
}

function received(text: string): AapMessage {
  return { type: 'RECVBUNDLE', eid: 'dtn://earth.dtn/smtp', payload: new TextEncoder().encode(text) };
}

describe('AAP v1 deliveries settle (delivery.ts)', () => {
  it('an agent whose socket is destroyed right after the RECVBUNDLE gets nothing settled: the next registration gets the bundle again, then it settles once', async () => {
    const { node, target } = await setup();
    const first = await agent(target);
    const id = await submit(node, 'mail 1');
    expect(await first.next()).toEqual(received('mail 1'));
    first.client.destroy();

    await node.waitFor('delivery.requeued', (e) => e.agent === INBOX);
    expect(node.store.get(id).ok).toBe(true);
    expect(node.named('bundle.delivered')).toEqual([]);

    const second = await agent(target);
    expect(await second.next()).toEqual(received('mail 1'));
    await node.waitFor('bundle.delivered', (e) => e.id === id, SETTLE_MS * 10);
    expect(node.store.get(id).ok).toBe(false);
    expect(node.named('bundle.delivered')).toHaveLength(1);
  });

  it('an agent killed before it read the RECVBUNDLE (still in its socket buffer) loses nothing', async () => {
    const { node, target } = await setup();
    const first = await agent(target);
    const ids = [await submit(node, 'mail 1'), await submit(node, 'mail 2')];
    // Both RECVBUNDLEs are written to the connection within a few ms; the agent never reads them.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(node.store.get(ids[0] as string).ok).toBe(true);
    first.client.destroy();

    const second = await agent(target);
    expect(await second.next()).toEqual(received('mail 1'));
    expect(await second.next()).toEqual(received('mail 2'));
    for (const id of ids) await node.waitFor('bundle.delivered', (e) => e.id === id, SETTLE_MS * 10);
  });

  it('an agent that stays connected past the window: the bundle leaves the store and is not delivered again after re-registration', async () => {
    const { node, target } = await setup();
    const first = await agent(target);
    const id = await submit(node, 'mail 1');
    expect(await first.next()).toEqual(received('mail 1'));
    // Still stored while it settles.
    expect(node.store.get(id).ok).toBe(true);
    const delivered = await node.waitFor('bundle.delivered', (e) => e.id === id, SETTLE_MS * 10);
    expect(delivered).toMatchObject({ agent: INBOX, bytes: 6, admin: false });
    expect(node.store.get(id).ok).toBe(false);
    expect(node.bpa.status().bundles).toBe(0);
    first.client.destroy();

    const second = await agent(target);
    await expect(second.next(SETTLE_MS)).rejects.toThrow(/expected 1 bytes, got 0/);
    expect(node.named('delivery.requeued')).toEqual([]);
  });

  it('a restart before the window ends delivers the bundle again (it is still stored)', async () => {
    const { node, target } = await setup();
    const first = await agent(target);
    const id = await submit(node, 'mail 1');
    expect(await first.next()).toEqual(received('mail 1'));
    const again = await node.restart({ deliverySettleMs: SETTLE_MS });
    cleanups.push(() => again.destroy());
    const server = await listenOn(createAapServer({ host: again.bpa, log: () => undefined }), 'tcp');
    cleanups.push(server.cleanup);
    const second = await agent(server.target);
    expect(await second.next()).toEqual(received('mail 1'));
    await again.waitFor('bundle.delivered', (e) => e.id === id, SETTLE_MS * 10);
  });
});
