/**
 * The AAP v1 client against a scripted uD3TN on real sockets (TCP and UNIX), replaying the bytes a real
 * uD3TN v0.13 wrote (../shared/vectors/ud3tn/aap1) and reproducing its quirks (ud3tn-behaviour.md §0, §5):
 * one message parsed per socket read, no reply to some requests, RECVBUNDLE interleaved before a reply,
 * an AAP 2.0 node met by the v1 client, a connection dropped mid-message.
 */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeAapBundleId, encodeAapMessage, type AapMessage } from '../../../shared/protocol/aap';
import { ud3tnVector } from '../../../shared/test-support/vectors';
import { nextBundle as take, scriptedClient, until } from './test-support/scripted-client';
import { startScriptedNode, type NodeConnection, type ScriptedNode } from './test-support/scripted-node';
import { ud3tnAap1, type Aap1Hooks, type Aap1Node } from './test-support/ud3tn-aap1';
import type { AapClient, AapClientLogEvent, AapClientOptions } from './types';

const v = (name: string): Uint8Array => ud3tnVector(`aap1/${name}`);
const BSMTP = v('bsmtp_payload.bin');
const RECVBUNDLE = v('mars-smtp_04_n2c_RECVBUNDLE.bin');

function bytesOf(m: AapMessage): Uint8Array {
  const r = encodeAapMessage(m);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

/** SENDCONFIRM bytes: the first is the real one from earth-smtp_05, later ones count the sequence up. */
function confirmFrom(first: Uint8Array): (n: number) => Uint8Array {
  return (n) => (n === 0 ? first : bytesOf({ type: 'SENDCONFIRM', bundleId: encodeAapBundleId(848946032538, n + 1) }));
}

function earthReplies(welcome = v('earth-smtp_01_n2c_WELCOME.bin')) {
  return {
    welcome,
    ack: v('earth-smtp_03_n2c_ACK.bin'),
    nack: v('earth-smtp_09_n2c_NACK.bin'),
    confirm: confirmFrom(v('earth-smtp_05_n2c_SENDCONFIRM.bin')),
  };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function nodeWith(kind: 'tcp' | 'unix', behaviour: Aap1Node): Promise<ScriptedNode> {
  const node = await startScriptedNode(kind, behaviour);
  cleanups.push(() => node.close());
  return node;
}

const clientFor = (node: ScriptedNode, extra: Partial<AapClientOptions> = {}): { client: AapClient; logs: AapClientLogEvent[] } =>
  scriptedClient(node, 'aap1', (f) => cleanups.push(f), extra);

function sameBytes(a: Uint8Array, b: Uint8Array): void {
  expect(Buffer.from(a).toString('hex')).toBe(Buffer.from(b).toString('hex'));
}

describe.each(['tcp', 'unix'] as const)('AAP v1 client over %s', (kind) => {
  it('replays earth-smtp: WELCOME, REGISTER/ACK, SENDBUNDLE/SENDCONFIRM → bundle ID 848946032538/1, PING/ACK', async () => {
    const behaviour = ud3tnAap1(earthReplies());
    const node = await nodeWith(kind, behaviour);
    const { client } = clientFor(node, { agentId: 'smtp' });

    const connected = await client.connect();
    expect(connected).toEqual({ ok: true, value: { nodeId: 'dtn://earth.dtn/' } });
    expect(client.nodeId).toBe('dtn://earth.dtn/');
    expect(client.endpoint).toBe('dtn://earth.dtn/smtp');
    expect(client.state).toBe('connected');

    const sent = await client.send('dtn://mars.dtn/smtp', BSMTP);
    expect(sent).toEqual({ ok: true, value: { source: 'dtn://earth.dtn/smtp', creationTime: 848946032538, sequence: 1 } });
    expect(await client.ping()).toEqual({ ok: true, value: undefined });

    // What the client wrote is byte for byte what the recording client wrote to the real node.
    const conn = await node.waitForConnections(1);
    sameBytes(
      conn.received(),
      Buffer.concat([v('earth-smtp_02_c2n_REGISTER.bin'), v('earth-smtp_04_c2n_SENDBUNDLE.bin'), v('earth-smtp_06_c2n_PING.bin')]),
    );
  });

  it('receives mars-smtp_04 RECVBUNDLE as a bundle from dtn://earth.dtn/smtp to its own endpoint', async () => {
    const node = await nodeWith(kind, ud3tnAap1({ ...earthReplies(v('mars-smtp_01_n2c_WELCOME.bin')) }));
    const { client } = clientFor(node, { agentId: 'smtp' });
    expect((await client.connect()).ok).toBe(true);
    const it = client.bundles();
    (await node.waitForConnections(1)).write(RECVBUNDLE);
    const b = await take(it);
    expect(b.source).toBe('dtn://earth.dtn/smtp');
    expect(b.destination).toBe('dtn://mars.dtn/smtp');
    expect(b.bundleId).toBeNull();
    expect(b.isBibe).toBe(false);
    expect(b.isAdminRecord).toBe(false);
    sameBytes(b.payload, BSMTP);
  });

  it('demultiplexes a RECVBUNDLE that arrives right before the SENDCONFIRM', async () => {
    const hooks: Aap1Hooks = { beforeConfirm: () => RECVBUNDLE };
    const node = await nodeWith(kind, ud3tnAap1(earthReplies(), hooks));
    const { client } = clientFor(node, { agentId: 'smtp' });
    expect((await client.connect()).ok).toBe(true);
    const sent = await client.send('dtn://mars.dtn/smtp', BSMTP);
    expect(sent).toEqual({ ok: true, value: { source: 'dtn://earth.dtn/smtp', creationTime: 848946032538, sequence: 1 } });
    const b = await take(client.bundles());
    sameBytes(b.payload, BSMTP);
  });

  it('serialises concurrent requests: a node that parses one message per read answers all of them', async () => {
    const behaviour = ud3tnAap1(earthReplies());
    const node = await nodeWith(kind, behaviour);
    const { client } = clientFor(node, { agentId: 'smtp' });
    expect((await client.connect()).ok).toBe(true);
    // A pipelining client would leave requests unparsed in the node's buffer and time out.
    const sends = Array.from({ length: 8 }, () => client.send('dtn://mars.dtn/smtp', BSMTP));
    const pings = [client.ping(), client.ping()];
    const sent = await Promise.all(sends);
    expect((await Promise.all(pings)).every((r) => r.ok)).toBe(true);
    expect(sent.map((r) => (r.ok ? r.value.sequence : r.error.code))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(behaviour.parsed.map((p) => p.message.type)).toEqual(['REGISTER', ...Array(8).fill('SENDBUNDLE'), 'PING', 'PING']);
  });

  it('reports an AAP 2.0 node (first byte 0x2F) as AAP_VERSION_MISMATCH, pointing at --aap2, and does not retry', async () => {
    const greeting = Buffer.concat([
      ud3tnVector('aap2/earth-sender_01_n2c_VERSION_INDICATOR.bin'),
      ud3tnVector('aap2/earth-sender_02_n2c_AAPMessage-welcome.bin'),
    ]);
    const node = await nodeWith(kind, { ...ud3tnAap1(earthReplies()), greeting });
    const { client } = clientFor(node, { agentId: 'smtp' });
    const r = await client.connect();
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('AAP_VERSION_MISMATCH');
      expect(r.error.message).toContain('--aap2');
    }
    expect(client.state).toBe('failed');
    await new Promise((res) => setTimeout(res, 100));
    expect(node.connections.length).toBe(1);
  });

  it('times out a request the node never answers, then reconnects and registers again', async () => {
    const silent: Aap1Hooks = {
      intercept: (_c, m) => m.type === 'SENDBUNDLE' && m.eid === 'dtn://mars.dtn/silent',
    };
    const behaviour = ud3tnAap1(earthReplies(), silent);
    const node = await nodeWith(kind, behaviour);
    const { client, logs } = clientFor(node, { agentId: 'smtp', requestTimeoutMs: 150 });
    expect((await client.connect()).ok).toBe(true);

    const started = Date.now();
    const r = await client.send('dtn://mars.dtn/silent', BSMTP);
    expect(r.ok ? 'ok' : r.error.code).toBe('TIMEOUT');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);

    await node.waitForConnections(2);
    await until(() => client.state === 'connected' && behaviour.parsed.some((p) => p.conn === 1 && p.message.type === 'REGISTER'));
    const again = await client.send('dtn://mars.dtn/smtp', BSMTP);
    expect(again.ok).toBe(true);
    expect(logs.some((e) => e.event === 'aap-connection-lost' && e['code'] === 'TIMEOUT')).toBe(true);
  });

  it('refuses send() before registration without writing anything (uD3TN would never answer)', async () => {
    const behaviour = ud3tnAap1(earthReplies());
    const node = await nodeWith(kind, behaviour);
    const { client } = clientFor(node);
    expect((await client.connect()).ok).toBe(true);
    const r = await client.send('dtn://mars.dtn/smtp', BSMTP);
    expect(r.ok ? 'ok' : r.error.code).toBe('INVALID_ARGUMENT');
    expect(await client.register('smtp')).toEqual({ ok: true, value: { endpoint: 'dtn://earth.dtn/smtp' } });
    expect((await client.send('dtn://mars.dtn/smtp', BSMTP)).ok).toBe(true);
    expect(behaviour.parsed.map((p) => p.message.type)).toEqual(['REGISTER', 'SENDBUNDLE']);
  });

  it('validates EIDs locally: a bad destination never reaches the node', async () => {
    const behaviour = ud3tnAap1(earthReplies());
    const node = await nodeWith(kind, behaviour);
    const { client } = clientFor(node, { agentId: 'smtp' });
    expect((await client.connect()).ok).toBe(true);
    for (const bad of ['not-an-eid', 'dtn:none', 'dtn://mars dtn/smtp', 'dtn://mars.dtn', 'ipn:1.2.3', 'ipn:01.2']) {
      const r = await client.send(bad, BSMTP);
      expect(r.ok ? 'ok' : r.error.code, bad).toBe('INVALID_EID');
    }
    for (const bad of ['a b', '', 'tab\t']) {
      const r = await client.register(bad);
      expect(r.ok, JSON.stringify(bad)).toBe(false);
    }
    expect(behaviour.parsed.map((p) => p.message.type)).toEqual(['REGISTER']);
  });

  it('returns AAP_NACK when the node refuses a registration', async () => {
    const node = await nodeWith(kind, ud3tnAap1(earthReplies()));
    const { client } = clientFor(node);
    expect((await client.connect()).ok).toBe(true);
    const r = await client.register('config');
    expect(r.ok ? 'ok' : r.error.code).toBe('AAP_NACK');
    expect(client.endpoint).toBeNull();
  });

  it('fails a pending request with CONNECTION_CLOSED when the node drops mid-message, then reconnects and re-registers', async () => {
    let dropped = false;
    const hooks: Aap1Hooks = {
      intercept: (c: NodeConnection, m) => {
        if (dropped || m.type !== 'SENDBUNDLE') return false;
        dropped = true;
        // Half a RECVBUNDLE, then the node goes away.
        c.write(RECVBUNDLE.subarray(0, 100));
        setTimeout(() => c.drop(), 20);
        return true;
      },
    };
    const behaviour = ud3tnAap1(earthReplies(), hooks);
    const node = await nodeWith(kind, behaviour);
    const { client } = clientFor(node, { agentId: 'smtp' });
    const states: string[] = [];
    client.onStateChange((s) => states.push(s));
    expect((await client.connect()).ok).toBe(true);

    const r = await client.send('dtn://mars.dtn/smtp', BSMTP);
    expect(r.ok ? 'ok' : r.error.code).toBe('CONNECTION_CLOSED');

    await node.waitForConnections(2);
    await until(() => client.state === 'connected');
    expect(behaviour.parsed.filter((p) => p.message.type === 'REGISTER').map((p) => p.conn)).toEqual([0, 1]);
    expect(states).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);
    // Nothing half-received was delivered as a bundle; the next send works on the new connection.
    expect((await client.send('dtn://mars.dtn/smtp', BSMTP)).ok).toBe(true);
  });

  it('keeps reconnecting with exponential backoff while the node is away, and registers again when it is back', async () => {
    const first = await startScriptedNode(kind === 'unix' ? 'unix' : 'tcp', ud3tnAap1(earthReplies()));
    const { client, logs } = clientFor(first, { agentId: 'smtp', reconnect: { initialMs: 10, maxMs: 40 } });
    expect((await client.connect()).ok).toBe(true);
    // The node goes away (its socket path is kept for the restart; the listener is gone).
    const at = first.transport;
    const keepDir = at.kind === 'unix' ? dirname(at.path) : null;
    await first.close({ keepDir: true });
    const scheduled = (): number => logs.filter((e) => e.event === 'aap-reconnect-scheduled').length;
    await until(() => scheduled() >= 5);
    const behaviour = ud3tnAap1(earthReplies());
    const second = await startScriptedNode(at, behaviour);
    cleanups.push(async () => {
      await second.close();
      if (keepDir) rmSync(keepDir, { recursive: true, force: true });
    });
    await until(() => client.state === 'connected');
    const delays = logs.filter((e) => e.event === 'aap-reconnect-scheduled').map((e) => e['delayMs']);
    expect(delays.slice(0, 5)).toEqual([10, 20, 40, 40, 40]);
    expect(behaviour.parsed.map((p) => p.message.type)).toEqual(['REGISTER']);
    expect((await client.send('dtn://mars.dtn/smtp', BSMTP)).ok).toBe(true);
  });

  it('loses no received bundle under a slow consumer, with sends going on in between', async () => {
    const node = await nodeWith(kind, ud3tnAap1(earthReplies(v('mars-smtp_01_n2c_WELCOME.bin'))));
    const { client } = clientFor(node, { agentId: 'smtp', inboxHighWaterBytes: 4096 });
    expect((await client.connect()).ok).toBe(true);
    const conn = await node.waitForConnections(1);
    const count = 300;
    // Numbered payloads so that order and completeness can be checked.
    const frames = Array.from({ length: count }, (_, i) =>
      bytesOf({ type: 'RECVBUNDLE', eid: 'dtn://earth.dtn/smtp', payload: new TextEncoder().encode(`bundle ${i}\r\n`) }),
    );
    conn.write(Buffer.concat(frames));
    const sendWhileFlooded = client.send('dtn://earth.dtn/smtp', BSMTP);

    const got: string[] = [];
    const it = client.bundles();
    while (got.length < count) {
      const b = await take(it);
      got.push(new TextDecoder().decode(b.payload));
      if (got.length % 50 === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(got).toEqual(Array.from({ length: count }, (_, i) => `bundle ${i}\r\n`));
    expect((await sendWhileFlooded).ok).toBe(true);
  });

  it('keeps bundles read before a drop: they are still delivered after the reconnect', async () => {
    const node = await nodeWith(kind, ud3tnAap1(earthReplies(v('mars-smtp_01_n2c_WELCOME.bin'))));
    const { client } = clientFor(node, { agentId: 'smtp' });
    expect((await client.connect()).ok).toBe(true);
    const conn = await node.waitForConnections(1);
    conn.write(RECVBUNDLE);
    // The node cannot see what the client has read: give loopback a moment to carry the bytes.
    await new Promise((r) => setTimeout(r, 50));
    conn.drop();
    await node.waitForConnections(2);
    await until(() => client.state === 'connected');
    const b = await take(client.bundles());
    sameBytes(b.payload, BSMTP);
  });

  it('sends PING on an idle connection when keepaliveSeconds is set (the node never pings)', async () => {
    const behaviour = ud3tnAap1(earthReplies());
    const node = await nodeWith(kind, behaviour);
    const { client } = clientFor(node, { agentId: 'smtp', keepaliveSeconds: 1 });
    expect((await client.connect()).ok).toBe(true);
    await until(() => behaviour.parsed.some((p) => p.message.type === 'PING'), 2500);
    expect(client.state).toBe('connected');
  });

  it('configures a contact through the config agent: earth-config_02/_04 bytes, SENDCONFIRM 848946031934/1', async () => {
    const replies = { ...earthReplies(), confirm: () => v('earth-config_05_n2c_SENDCONFIRM.bin') };
    const node = await nodeWith(kind, ud3tnAap1(replies));
    const { client } = clientFor(node, { agentId: 'config-client' });
    expect((await client.connect()).ok).toBe(true);
    const dtnToUnixMs = (s: number): number => (s + 946_684_800) * 1000;
    const r = await client.addContact({
      node: 'dtn://mars.dtn/',
      cla: 'mtcp:127.0.0.1:15225',
      start: dtnToUnixMs(848946030),
      end: dtnToUnixMs(849032430),
      rateBytesPerSec: 1_000_000_000,
    });
    expect(r).toEqual({
      ok: true,
      value: {
        bundleId: { source: 'dtn://earth.dtn/config-client', creationTime: 848946031934, sequence: 1 },
        destination: 'dtn://earth.dtn/config',
        config: '1(dtn://mars.dtn/):(mtcp:127.0.0.1:15225)::[{848946030,849032430,1000000000}];',
      },
    });
    const conn = await node.waitForConnections(1);
    sameBytes(conn.received(), Buffer.concat([v('earth-config_02_c2n_REGISTER.bin'), v('earth-config_04_c2n_SENDBUNDLE.bin')]));
  });

  it('fails pending and queued requests with CONNECTION_CLOSED on close()', async () => {
    const hooks: Aap1Hooks = { intercept: (_c, m) => m.type === 'SENDBUNDLE' };
    const node = await nodeWith(kind, ud3tnAap1(earthReplies(), hooks));
    const { client } = clientFor(node, { agentId: 'smtp', requestTimeoutMs: 5000 });
    expect((await client.connect()).ok).toBe(true);
    const pending = [client.send('dtn://mars.dtn/smtp', BSMTP), client.ping()];
    await new Promise((r) => setTimeout(r, 30));
    await client.close();
    const results = await Promise.all(pending);
    expect(results.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['CONNECTION_CLOSED', 'CONNECTION_CLOSED']);
    expect(client.state).toBe('closed');
    const after = await client.bundles().next();
    expect(after.done).toBe(true);
  });
});
