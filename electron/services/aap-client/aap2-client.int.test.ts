/**
 * The AAP 2.0 client against a node that replays what a real uD3TN v0.13 wrote
 * (../shared/vectors/ud3tn/aap2), on real sockets (UNIX, the v0.13 transport, and TCP, the ≥ 0.14 one).
 * The node expects the client's bytes to be exactly the recorded client bytes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ud3tnVector } from '../../../shared/test-support/vectors';
import { replayNode, type ReplayStep } from './test-support/replay-node';
import { nextBundle as take, scriptedClient, until } from './test-support/scripted-client';
import { startScriptedNode, type ScriptedNode } from './test-support/scripted-node';
import type { AapClient, AapClientLogEvent, AapClientOptions } from './types';

const v = (name: string): Uint8Array => ud3tnVector(`aap2/${name}`);
const cat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

const EARTH_HELLO = cat(v('earth-sender_01_n2c_VERSION_INDICATOR.bin'), v('earth-sender_02_n2c_AAPMessage-welcome.bin'));
const MARS_HELLO = cat(v('mars-subscriber_01_n2c_VERSION_INDICATOR.bin'), v('mars-subscriber_02_n2c_AAPMessage-welcome.bin'));
const SUCCESS = v('earth-sender_04_n2c_AAPResponse-SUCCESS.bin');
const ACK = v('earth-sender_09_n2c_AAPResponse-ACK.bin');
const PAYLOAD = v('earth-sender_06_c2n_ADU-payload.bin');

/** earth-sender_03 … _09: config, ADU + payload → bundle headers, Keepalive → ACK. */
const SENDER: readonly ReplayStep[] = [
  { expect: v('earth-sender_03_c2n_AAPMessage-config.bin'), reply: [SUCCESS] },
  { expect: cat(v('earth-sender_05_c2n_AAPMessage-adu.bin'), PAYLOAD), reply: [v('earth-sender_07_n2c_AAPResponse-SUCCESS.bin')] },
  { expect: v('earth-sender_08_c2n_AAPMessage-keepalive.bin'), reply: [ACK] },
];

/** An active connection whose exact bytes are not recorded: SUCCESS to its config, ACK to keepalives. */
const ANY_ACTIVE: readonly ReplayStep[] = [{ expect: 'any-read', reply: [SUCCESS] }, ...Array.from({ length: 50 }, () => ({ expect: 'any-read' as const, reply: [ACK] }))];

/** mars-subscriber_03 / _04: the subscriber's config (is_subscriber, mars-secret, keepalive 1) → SUCCESS. */
const SUBSCRIBE: ReplayStep = { expect: v('mars-subscriber_03_c2n_AAPMessage-config.bin'), reply: [v('mars-subscriber_04_n2c_AAPResponse-SUCCESS.bin')] };
const PUSH_ADU = cat(v('mars-subscriber_05_n2c_AAPMessage-adu.bin'), v('mars-subscriber_06_n2c_ADU-payload.bin'));

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(kind: 'tcp' | 'unix', behaviour: ReturnType<typeof replayNode>): Promise<ScriptedNode> {
  const node = await startScriptedNode(kind, behaviour);
  cleanups.push(() => node.close());
  return node;
}

const clientFor = (node: ScriptedNode, extra: Partial<AapClientOptions> = {}): { client: AapClient; logs: AapClientLogEvent[] } =>
  scriptedClient(node, 'aap2', (f) => cleanups.push(f), extra);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.each(['unix', 'tcp'] as const)('AAP 2.0 client over %s', (kind) => {
  it('replays earth-sender byte for byte: config, ADU → bundle ID 848946050699/1 from bundle_headers, Keepalive → ACK', async () => {
    const behaviour = replayNode(EARTH_HELLO, [SENDER]);
    const node = await start(kind, behaviour);
    const { client } = clientFor(node, { agentId: 'smtp', secret: 'earth-secret' });
    expect(await client.connect()).toEqual({ ok: true, value: { nodeId: 'dtn://earth.dtn/' } });
    expect(client.endpoint).toBe('dtn://earth.dtn/smtp');
    const sent = await client.send('dtn://mars.dtn/smtp', PAYLOAD);
    expect(sent).toEqual({ ok: true, value: { source: 'dtn://earth.dtn/smtp', creationTime: 848946050699, sequence: 1 } });
    expect(await client.ping()).toEqual({ ok: true, value: undefined });
    expect(behaviour.mismatches).toEqual([]);
    expect(behaviour.completed[0]).toBe(3);
    // Sending needs no subscriber: only one connection was opened.
    expect(node.connections.length).toBe(1);
  });

  it('receives with a second, subscriber connection (mars-subscriber bytes) and answers SUCCESS only once the bundle is taken', async () => {
    const behaviour = replayNode(MARS_HELLO, [
      ANY_ACTIVE,
      [
        SUBSCRIBE,
        { expect: v('mars-subscriber_07_c2n_AAPResponse-SUCCESS.bin'), reply: [v('mars-subscriber_08_n2c_AAPMessage-keepalive.bin')] },
        { expect: v('mars-subscriber_09_c2n_AAPResponse-ACK.bin'), reply: [] },
      ],
    ]);
    const node = await start(kind, behaviour);
    const { client } = clientFor(node, { agentId: 'smtp', secret: 'mars-secret', keepaliveSeconds: 1, receive: true });
    expect(await client.connect()).toEqual({ ok: true, value: { nodeId: 'dtn://mars.dtn/' } });
    const sub = await node.waitForConnections(2);
    expect(behaviour.completed[1]).toBe(1);

    sub.write(PUSH_ADU);
    await sleep(150);
    // Not taken yet: the node has had no answer (it would push nothing else meanwhile).
    expect(behaviour.completed[1]).toBe(1);
    expect(Buffer.from(sub.received()).equals(Buffer.from(v('mars-subscriber_03_c2n_AAPMessage-config.bin')))).toBe(true);

    const it = client.bundles();
    const b = await take(it);
    expect(b.source).toBe('dtn://earth.dtn/smtp');
    expect(b.destination).toBe('dtn://mars.dtn/smtp');
    expect(b.bundleId).toEqual({ source: 'dtn://earth.dtn/smtp', creationTime: 848946050699, sequence: 1 });
    expect(b.isBibe).toBe(false);
    expect(b.isAdminRecord).toBe(false);
    expect(Buffer.from(b.payload).equals(Buffer.from(PAYLOAD))).toBe(true);
    // Handed over but still being processed (a gateway storing it): the node has no answer yet, so a
    // kill -9 now gets the bundle pushed again rather than lost.
    await sleep(150);
    expect(behaviour.completed[1]).toBe(1);
    // The consumer comes back for the next one: SUCCESS (mars-subscriber_07), then the node's
    // Keepalive is answered with ACK (_09).
    const following = it.next();
    await until(() => behaviour.completed[1] === 3);
    await it.return?.();
    void following;
    expect(behaviour.mismatches).toEqual([]);
  });

  it('with subscriberConfirmDeadlineMs answers SUCCESS in time although nobody has taken the bundle, and keeps it', async () => {
    const behaviour = replayNode(MARS_HELLO, [
      ANY_ACTIVE,
      [SUBSCRIBE, { expect: v('mars-subscriber_07_c2n_AAPResponse-SUCCESS.bin'), reply: [] }],
    ]);
    const node = await start(kind, behaviour);
    const { client, logs } = clientFor(node, { agentId: 'smtp', secret: 'mars-secret', keepaliveSeconds: 1, receive: true, subscriberConfirmDeadlineMs: 100 });
    expect((await client.connect()).ok).toBe(true);
    (await node.waitForConnections(2)).write(PUSH_ADU);
    await until(() => behaviour.completed[1] === 2, 1000);
    expect(logs.some((e) => e.event === 'aap2-confirmed-before-taken')).toBe(true);
    const b = await take(client.bundles());
    expect(Buffer.from(b.payload).equals(Buffer.from(PAYLOAD))).toBe(true);
  });

  it('opens the subscriber lazily at the first bundles() call when receive was not asked for', async () => {
    const behaviour = replayNode(MARS_HELLO, [ANY_ACTIVE, [SUBSCRIBE]]);
    const node = await start(kind, behaviour);
    const { client } = clientFor(node, { agentId: 'smtp', secret: 'mars-secret', keepaliveSeconds: 1 });
    expect((await client.connect()).ok).toBe(true);
    await sleep(50);
    expect(node.connections.length).toBe(1);
    const it = client.bundles();
    const sub = await node.waitForConnections(2);
    await until(() => behaviour.completed[1] === 1);
    sub.write(PUSH_ADU);
    expect((await take(it)).source).toBe('dtn://earth.dtn/smtp');
  });

  it('sends Keepalive on the idle active connection when keepaliveSeconds is set (earth-sender_08 → ACK)', async () => {
    const behaviour = replayNode(EARTH_HELLO, [[{ expect: 'any-read', reply: [SUCCESS] }, SENDER[2] as ReplayStep]]);
    const node = await start(kind, behaviour);
    const { client } = clientFor(node, { agentId: 'smtp', keepaliveSeconds: 1 });
    expect((await client.connect()).ok).toBe(true);
    await until(() => behaviour.completed[0] === 2, 2500);
    expect(behaviour.mismatches).toEqual([]);
    expect(client.state).toBe('connected');
  });

  it('reconnects a subscriber whose node stopped sending Keepalives', async () => {
    const behaviour = replayNode(MARS_HELLO, [ANY_ACTIVE, [SUBSCRIBE]], ANY_ACTIVE);
    const node = await start(kind, behaviour);
    const { client, logs } = clientFor(node, { agentId: 'smtp', secret: 'mars-secret', keepaliveSeconds: 1, receive: true, requestTimeoutMs: 200 });
    expect((await client.connect()).ok).toBe(true);
    // The node never pushes a Keepalive on connection 1: after 2 × 1 s + 200 ms the client gives up on it.
    await node.waitForConnections(3, 4000);
    expect(logs.some((e) => e.event === 'aap-connection-lost' && e['link'] === 'aap2-subscriber' && e['code'] === 'TIMEOUT')).toBe(true);
  });

  it('maps refusals: UNAUTHORIZED (endpoint held, wrong secret) and INVALID_REQUEST → typed errors', async () => {
    const behaviour = replayNode(EARTH_HELLO, [
      [{ expect: 'any-read', reply: [v('earth-errors_07_n2c_AAPResponse-UNAUTHORIZED.bin')] }],
      [{ expect: 'any-read', reply: [v('earth-errors_09_n2c_AAPResponse-INVALID_REQUEST.bin')] }],
    ]);
    const node = await start(kind, behaviour);
    const first = clientFor(node, { agentId: 'smtp', secret: 'wrong' }).client;
    const r1 = await first.connect();
    expect(r1.ok ? 'ok' : r1.error.code).toBe('UNAUTHORIZED');
    const second = clientFor(node, { agentId: 'smtp' }).client;
    const r2 = await second.connect();
    expect(r2.ok ? 'ok' : r2.error.code).toBe('AAP_STATUS');
    if (!r2.ok) expect(r2.error.message).toContain('INVALID_REQUEST');
  });

  it('reports an AAP v1 node (WELCOME 0x17) as AAP_VERSION_MISMATCH', async () => {
    const node = await start(kind, replayNode(ud3tnVector('aap1/earth-smtp_01_n2c_WELCOME.bin'), []));
    const { client } = clientFor(node, { agentId: 'smtp' });
    const r = await client.connect();
    expect(r.ok ? 'ok' : r.error.code).toBe('AAP_VERSION_MISMATCH');
    expect(client.state).toBe('failed');
  });

  it('times out an ADU the node never answers, reconnects and configures the endpoint again', async () => {
    const behaviour = replayNode(EARTH_HELLO, [[SENDER[0] as ReplayStep, { expect: 'any-read', reply: [] }]], [SENDER[0] as ReplayStep, SENDER[1] as ReplayStep]);
    const node = await start(kind, behaviour);
    const { client } = clientFor(node, { agentId: 'smtp', secret: 'earth-secret', requestTimeoutMs: 150 });
    expect((await client.connect()).ok).toBe(true);
    const r = await client.send('dtn://mars.dtn/smtp', PAYLOAD);
    expect(r.ok ? 'ok' : r.error.code).toBe('TIMEOUT');
    await node.waitForConnections(2);
    await until(() => client.state === 'connected' && behaviour.completed[1] === 1);
    expect((await client.send('dtn://mars.dtn/smtp', PAYLOAD)).ok).toBe(true);
    expect(behaviour.mismatches).toEqual([]);
  });

  it('fails the pending send with CONNECTION_CLOSED when the node drops, then reconnects; the subscriber comes back too', async () => {
    const behaviour = replayNode(MARS_HELLO, [
      [{ expect: 'any-read', reply: [SUCCESS] }, { expect: 'any-read', reply: [] }],
      [SUBSCRIBE],
    ], ANY_ACTIVE);
    const node = await start(kind, behaviour);
    const { client } = clientFor(node, { agentId: 'smtp', secret: 'mars-secret', keepaliveSeconds: 1, receive: true, requestTimeoutMs: 5000 });
    expect((await client.connect()).ok).toBe(true);
    const pending = client.send('dtn://earth.dtn/smtp', PAYLOAD);
    await until(() => behaviour.completed[0] === 2);
    const [active, sub] = [node.connections[0], node.connections[1]];
    active?.drop();
    sub?.drop();
    const r = await pending;
    expect(r.ok ? 'ok' : r.error.code).toBe('CONNECTION_CLOSED');
    // Both links reconnect; the subscriber's config is again mars-subscriber_03 byte for byte.
    await until(() => node.connections.length >= 4 && client.state === 'connected');
    await until(() => node.connections.slice(2).some((c) => Buffer.from(c.received()).equals(Buffer.from(v('mars-subscriber_03_c2n_AAPMessage-config.bin')))));
  });
});
