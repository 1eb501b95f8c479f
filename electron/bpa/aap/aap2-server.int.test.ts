/**
 * The AAP 2.0 server on real sockets (UNIX, as uD3TN v0.13, and TCP, as uD3TN ≥ 0.14), against the bytes
 * a real uD3TN v0.13 exchanged (../shared/vectors/ud3tn/aap2; ud3tn-behaviour.md §6). Responses are
 * compared byte for byte, bundle_headers included: the fake host's clock returns uD3TN's creation time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { encodeAap2Message, type Aap2MessageInit } from '../../../shared/protocol/aap2';
import { ascii, fromHex, haveVectors, hex, ud3tnVector, ud3tnVectorNames } from '../../../shared/test-support/vectors';
import type { DeliveredAdu, LogEvent } from '../types';
import { createAap2Server, type Aap2KeepaliveCheck } from './aap2-server';
import { createFakeAgentHost, type FakeAgentHost } from './test-support/fake-agent-host';
import type { RawClient } from './test-support/raw-client';
import { serveRaw, type Transport } from './test-support/serve';

const EARTH = 'dtn://earth.dtn/';
const MARS = 'dtn://mars.dtn/';
/** 0x2F and Welcome{"dtn://earth.dtn/"} (earth-sender_01, _02). */
const GREETING_EARTH_BYTES = 22;
const SUCCESS = '020801';
const ACK = '020802';
const ERROR = '020808';
const INVALID_REQUEST = '02080a';
const NOT_FOUND = '02080b';
const UNAUTHORIZED = '02080c';
/** earth-sender's creation time (README: creation_timestamp_ms 848946050699). */
const SENDER_TIME = 848946050699;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

interface Node {
  host: FakeAgentHost;
  events: LogEvent[];
  connect(): Promise<RawClient>;
}

async function startNode(
  transport: Transport,
  nodeId: string,
  opts: { time?: number; keepaliveCheck?: Aap2KeepaliveCheck; readTimeoutMs?: number; maxPayload?: number; keepForAbsentAgents?: boolean } = {},
): Promise<Node> {
  const host = createFakeAgentHost({ nodeId, clock: () => opts.time ?? 1, keepForAbsentAgents: opts.keepForAbsentAgents ?? false });
  const events: LogEvent[] = [];
  const server = createAap2Server({
    host,
    log: (e) => events.push(e),
    keepaliveCheck: opts.keepaliveCheck ?? { secondMs: 1000, responseTimeoutMs: 2000 },
    readTimeoutMs: opts.readTimeoutMs ?? 300,
    ...(opts.maxPayload === undefined ? {} : { maxPayload: opts.maxPayload }),
  });
  const { connect } = await serveRaw(server, transport, (f) => cleanups.push(f));
  return { host, events, connect };
}

/** Write client→node files, read and compare node→client files; `before[file]` runs first. */
async function replay(
  client: RawClient,
  side: string,
  before: Record<string, () => Promise<void> | void> = {},
  upTo = Number.POSITIVE_INFINITY,
): Promise<void> {
  const files = ud3tnVectorNames('aap2').filter((n) => n.startsWith(`${side}_`) && Number(n.slice(side.length + 1, side.length + 3)) <= upTo);
  expect(files.length).toBeGreaterThan(0);
  for (const name of files) {
    await before[name]?.();
    const bytes = ud3tnVector(`aap2/${name}`);
    if (name.includes('_c2n_')) await client.write(bytes);
    else expect(hex(await client.read(bytes.length)), name).toBe(hex(bytes));
  }
}

function frame(message: Aap2MessageInit): Uint8Array {
  const r = encodeAap2Message(message);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

async function configured(node: Node, endpointId: string, extra: { isSubscriber?: boolean; keepaliveSeconds?: number; secret?: string } = {}): Promise<RawClient> {
  const c = await node.connect();
  await c.read(1);
  await readFrame(c);
  await c.write(frame({ kind: 'config', config: { endpointId, ...extra } }));
  expect(hex(await c.read(3))).toBe(SUCCESS);
  return c;
}

/** One varint-delimited frame (lengths < 128 here). */
async function readFrame(c: RawClient): Promise<Uint8Array> {
  const len = (await c.read(1))[0] as number;
  expect(len).toBeLessThan(128);
  return c.read(len);
}

const senderPayload = (): Uint8Array => ud3tnVector('aap2/earth-sender_06_c2n_ADU-payload.bin');

describe.runIf(haveVectors).each<Transport>(['unix', 'tcp'])('AAP 2.0 server over %s: uD3TN exchanges replayed', (transport) => {
  it('aap2/earth-sender: 0x2F, Welcome, config → SUCCESS, ADU → SUCCESS + bundle_headers (creation 848946050699, seq 1, lifetime 86400000), Keepalive → ACK', async () => {
    const earth = await startNode(transport, EARTH, { time: SENDER_TIME });
    const c = await earth.connect();
    await replay(c, 'earth-sender');
    expect(hex(await c.drain(50))).toBe('');
    expect(earth.host.submitted).toHaveLength(1);
    const s = earth.host.submitted[0];
    expect(s).toMatchObject({ source: 'dtn://earth.dtn/smtp', destination: 'dtn://mars.dtn/smtp', bibe: false });
    expect(s?.reports).toBeUndefined();
    expect(hex(s?.payload ?? new Uint8Array())).toBe(hex(senderPayload()));
  });

  it('aap2/mars-subscriber: config (subscriber, keepalive 1 s) → SUCCESS; pushed ADU + payload byte-identical; SUCCESS makes deliver true; Keepalive after 1 s idle, ACK', async () => {
    const mars = await startNode(transport, MARS);
    const c = await mars.connect();
    let delivered: Promise<boolean> = Promise.resolve(false);
    let pushedAt = 0;
    await replay(c, 'mars-subscriber', {
      'mars-subscriber_05_n2c_AAPMessage-adu.bin': () => {
        delivered = mars.host.deliver('dtn://mars.dtn/smtp', {
          source: 'dtn://earth.dtn/smtp',
          destination: 'dtn://mars.dtn/smtp',
          creationTime: SENDER_TIME,
          sequence: 1,
          payload: senderPayload(),
          isAdminRecord: false,
          receivedFrom: 'cla',
        });
      },
      'mars-subscriber_08_n2c_AAPMessage-keepalive.bin': async () => {
        await expect(delivered).resolves.toBe(true);
        pushedAt = Date.now();
      },
    });
    // The Keepalive came after keepalive_seconds (1 s) without a push.
    expect(Date.now() - pushedAt).toBeGreaterThanOrEqual(900);
    expect(hex(await c.drain(50))).toBe('');
    expect(c.isClosed()).toBe(false);
  });

  it('aap2/earth-errors: NOT_FOUND, UNAUTHORIZED, INVALID_REQUEST, SUCCESS, INVALID_REQUEST, then garbage closes the connection', async () => {
    const earth = await startNode(transport, EARTH);
    // The endpoint dtn://earth.dtn/smtp is held by earth-sender's connection (secret "earth-secret").
    const holder = await earth.connect();
    await replay(holder, 'earth-sender', {}, 4);
    const c = await earth.connect();
    await replay(c, 'earth-errors');
    await c.closed;
    expect(earth.host.submitted).toHaveLength(0);
    expect(earth.events.find((e) => e.event === 'aap2.closing')?.['reason']).toBe('undecodable input');
    // The other connection goes on.
    await holder.write(ud3tnVector('aap2/earth-sender_08_c2n_AAPMessage-keepalive.bin'));
    expect(hex(await holder.read(3))).toBe(ACK);
  });
});

describe.each<Transport>(['unix', 'tcp'])('AAP 2.0 server over %s: configuration', (transport) => {
  it.each([
    ['another node’s endpoint', 'dtn://mars.dtn/smtp', INVALID_REQUEST],
    ['the node ID itself', 'dtn://earth.dtn/', INVALID_REQUEST],
    ['an ipn EID on a dtn node', 'ipn:1.25', INVALID_REQUEST],
    ['not an EID', 'not an eid', INVALID_REQUEST],
    ['the echo agent’s endpoint', 'dtn://earth.dtn/echo', UNAUTHORIZED],
    ['the config agent’s endpoint', 'dtn://earth.dtn/config', UNAUTHORIZED],
    ['a free endpoint with "/" in its agent ID', 'dtn://earth.dtn/mail/inbox', SUCCESS],
  ])('%s (%s) → %s', async (_what, endpointId, status) => {
    const node = await startNode(transport, EARTH);
    const c = await node.connect();
    await c.read(GREETING_EARTH_BYTES);
    await c.write(frame({ kind: 'config', config: { endpointId } }));
    expect(hex(await c.read(3))).toBe(status);
  });

  it('allows one active and one subscriber per endpoint with the same secret; a second subscriber is UNAUTHORIZED', async () => {
    const node = await startNode(transport, EARTH);
    await configured(node, 'dtn://earth.dtn/smtp', { secret: 's' });
    await configured(node, 'dtn://earth.dtn/smtp', { secret: 's', isSubscriber: true });
    const third = await node.connect();
    await third.read(GREETING_EARTH_BYTES);
    await third.write(frame({ kind: 'config', config: { endpointId: 'dtn://earth.dtn/smtp', secret: 's', isSubscriber: true } }));
    expect(hex(await third.read(3))).toBe(UNAUTHORIZED);
    expect(node.host.registrations()).toEqual(['active dtn://earth.dtn/smtp', 'subscriber dtn://earth.dtn/smtp']);
  });

  it('registers ipn:1.25 on an ipn node', async () => {
    const node = await startNode(transport, 'ipn:1.0');
    const c = await node.connect();
    expect(hex(await c.read(13))).toBe(`2f0b0a090a07${hex(ascii('ipn:1.0'))}`);
    await c.write(frame({ kind: 'config', config: { endpointId: 'ipn:1.25' } }));
    expect(hex(await c.read(3))).toBe(SUCCESS);
    expect(node.host.registrations()).toEqual(['active ipn:1.25']);
  });

  it('a new config replaces the registration; closing releases it', async () => {
    const node = await startNode(transport, EARTH);
    const c = await configured(node, 'dtn://earth.dtn/a');
    await c.write(frame({ kind: 'config', config: { endpointId: 'dtn://earth.dtn/b' } }));
    expect(hex(await c.read(3))).toBe(SUCCESS);
    expect(node.host.registrations()).toEqual(['active dtn://earth.dtn/b']);
    c.end();
    await c.closed;
    await waitFor(() => node.host.registrations().length === 0);
  });
});

describe.each<Transport>(['unix', 'tcp'])('AAP 2.0 server over %s: sending', (transport) => {
  const adu = (fields: Partial<{ srcEid: string; dstEid: string; aduFlags: number }>, payload: Uint8Array): Uint8Array =>
    Buffer.concat([frame({ kind: 'adu', adu: { dstEid: 'dtn://mars.dtn/smtp', payloadLength: payload.length, ...fields } }), payload]);

  it.each([
    ['a destination that is not an EID', { dstEid: 'not-an-eid' }, INVALID_REQUEST],
    ['the destination dtn:none', { dstEid: 'dtn:none' }, INVALID_REQUEST],
    ['a src_eid other than the endpoint', { srcEid: 'dtn://earth.dtn/other' }, INVALID_REQUEST],
    ['the endpoint as src_eid', { srcEid: 'dtn://earth.dtn/smtp' }, ''],
    ['an adu_flags bit Farside does not define (0x8)', { aduFlags: 0x8 }, INVALID_REQUEST],
    ['ADMIN_RECORD (0x2), which only the node sets', { aduFlags: 0x2 }, INVALID_REQUEST],
  ])('ADU with %s → %s', async (_what, fields, status) => {
    const node = await startNode(transport, EARTH, { time: 77 });
    const c = await configured(node, 'dtn://earth.dtn/smtp');
    await c.write(adu(fields, ascii('hi')));
    const reply = await readFrame(c);
    if (status === '') expect(hex(reply.subarray(0, 2))).toBe('0801');
    else expect(`02${hex(reply)}`).toBe(status);
    await c.write(frame({ kind: 'keepalive', keepalive: {} }));
    expect(hex(await c.read(3))).toBe(ACK);
  });

  it('BUNDLE_ADU_BPDU (1) submits a BIBE PDU; bundle_headers.payload_length counts the [3, PDU] record', async () => {
    const node = await startNode(transport, EARTH, { time: 5 });
    const c = await configured(node, 'dtn://earth.dtn/bibe');
    await c.write(adu({ dstEid: 'dtn://mars.dtn/bibe', aduFlags: 1 }, fromHex('830000')));
    const reply = await readFrame(c);
    expect(node.host.submitted[0]).toMatchObject({ bibe: true });
    // Bundle{src 20 bytes, dst 19 bytes, creation 5, seq 1, payload_length 5, lifetime 86400000}
    expect(hex(reply)).toBe(
      `08011a360a14${hex(ascii('dtn://earth.dtn/bibe'))}1213${hex(ascii('dtn://mars.dtn/bibe'))}1805200128054080b89929`,
    );
  });

  it('the status-report request of docs/status-reports.md (adu_flags 0x074000) fills SubmitRequest.reports', async () => {
    const node = await startNode(transport, EARTH, { time: SENDER_TIME });
    const c = await configured(node, 'dtn://earth.dtn/smtp', { secret: 'earth-secret' });
    // Hand-written from the doc: 1e 1a 1c 12 13 "dtn://mars.dtn/smtp" 28 f2 02 30 80 80 1d, then 370 bytes.
    await c.write(fromHex(`1e1a1c1213${hex(ascii('dtn://mars.dtn/smtp'))}28f2023080801d`));
    await c.write(ud3tnVector('aap2/earth-sender_06_c2n_ADU-payload.bin'));
    // The same SUCCESS + bundle_headers as without the request (earth-sender_07).
    expect(hex(await c.read(65))).toBe(hex(ud3tnVector('aap2/earth-sender_07_n2c_AAPResponse-SUCCESS.bin')));
    expect(node.host.submitted[0]?.reports).toEqual({ reception: true, forwarding: true, delivery: true, deletion: true });
  });

  it('one report bit requests only that report', async () => {
    const node = await startNode(transport, EARTH);
    const c = await configured(node, 'dtn://earth.dtn/smtp');
    await c.write(adu({ aduFlags: 0x20000 }, ascii('x')));
    await readFrame(c);
    expect(node.host.submitted[0]?.reports).toEqual({ reception: false, forwarding: false, delivery: true, deletion: false });
  });

  it('ADU from a subscriber-less, unconfigured connection → NOT_FOUND; processor refusal → ERROR; both keep the connection', async () => {
    const node = await startNode(transport, EARTH);
    const c = await node.connect();
    await c.read(GREETING_EARTH_BYTES);
    await c.write(adu({}, ascii('x')));
    expect(hex(await c.read(3))).toBe(NOT_FOUND);
    await c.write(frame({ kind: 'config', config: { endpointId: 'dtn://earth.dtn/smtp' } }));
    expect(hex(await c.read(3))).toBe(SUCCESS);
    node.host.failNextSubmit('STORE_FULL');
    await c.write(adu({}, ascii('x')));
    expect(hex(await c.read(3))).toBe(ERROR);
    await c.write(frame({ kind: 'welcome', welcome: { nodeId: 'dtn://x/' } }));
    expect(hex(await c.read(3))).toBe(INVALID_REQUEST);
  });

  it('answers requests pipelined in one write, in order', async () => {
    const node = await startNode(transport, EARTH, { time: SENDER_TIME });
    const c = await node.connect();
    await c.read(GREETING_EARTH_BYTES);
    const requests = ['03', '05', '06', '08'].map((n) => ud3tnVectorNames('aap2').find((f) => f.startsWith(`earth-sender_${n}_`)) ?? '');
    await c.write(Buffer.concat(requests.map((f) => ud3tnVector(`aap2/${f}`))));
    const expected = ['04', '07', '09'].map((n) => ud3tnVectorNames('aap2').find((f) => f.startsWith(`earth-sender_${n}_`)) ?? '');
    const bytes = Buffer.concat(expected.map((f) => ud3tnVector(`aap2/${f}`)));
    expect(hex(await c.read(bytes.length))).toBe(hex(bytes));
  });

  it('ADU payload over maxPayload → ERROR and the connection is closed', async () => {
    const node = await startNode(transport, EARTH, { maxPayload: 16 });
    const c = await configured(node, 'dtn://earth.dtn/smtp');
    await c.write(frame({ kind: 'adu', adu: { dstEid: 'dtn://mars.dtn/smtp', payloadLength: 17 } }));
    expect(hex(await c.read(3))).toBe(ERROR);
    await c.closed;
  });

  it('an active client silent for twice keepalive_seconds is disconnected', async () => {
    const node = await startNode(transport, EARTH, { keepaliveCheck: { secondMs: 100 } });
    const c = await configured(node, 'dtn://earth.dtn/smtp', { keepaliveSeconds: 1 });
    const start = Date.now();
    await c.closed;
    expect(Date.now() - start).toBeGreaterThanOrEqual(150);
    expect(node.events.find((e) => e.event === 'aap2.closing')?.['reason']).toBe('client exceeded its keepalive interval');
  });
});

describe.each<Transport>(['unix', 'tcp'])('AAP 2.0 server over %s: subscriber', (transport) => {
  const report: DeliveredAdu = {
    source: 'dtn://mars.dtn/',
    destination: 'dtn://earth.dtn/smtp',
    creationTime: 5,
    sequence: 1,
    payload: fromHex('820184'),
    isAdminRecord: true,
  };

  it('pushes a status report with adu_flags ADMIN_RECORD (0x2) (docs/status-reports.md)', async () => {
    const node = await startNode(transport, EARTH);
    const c = await configured(node, 'dtn://earth.dtn/smtp', { isSubscriber: true });
    const delivered = node.host.deliver('dtn://earth.dtn/smtp', report);
    // AAPMessage{adu{src "dtn://mars.dtn/", dst "dtn://earth.dtn/smtp", creation 5, seq 1, length 3, flags 2}}
    const adu = `0a0f${hex(ascii('dtn://mars.dtn/'))}1214${hex(ascii('dtn://earth.dtn/smtp'))}180520012803${'3002'}`;
    expect(hex(await c.read(1 + 49 + 3))).toBe(`311a2f${adu}820184`);
    await c.write(fromHex(SUCCESS));
    await expect(delivered).resolves.toBe(true);
  });

  it('pushes a BIBE PDU with adu_flags BUNDLE_ADU_BPDU (1)', async () => {
    const node = await startNode(transport, EARTH);
    const c = await configured(node, 'dtn://earth.dtn/bibe', { isSubscriber: true });
    const delivered = node.host.deliver('dtn://earth.dtn/bibe', { ...report, destination: 'dtn://earth.dtn/bibe', isAdminRecord: false, isBibe: true });
    const pushed = await readFrame(c);
    expect(hex(pushed.subarray(pushed.length - 2))).toBe('3001');
    await c.read(3);
    await c.write(fromHex(SUCCESS));
    await expect(delivered).resolves.toBe(true);
  });

  it('another status than SUCCESS resolves deliver false and keeps the connection; pushes go one at a time', async () => {
    const node = await startNode(transport, EARTH);
    const c = await configured(node, 'dtn://earth.dtn/smtp', { isSubscriber: true });
    const first = node.host.deliver('dtn://earth.dtn/smtp', report);
    const second = node.host.deliver('dtn://earth.dtn/smtp', { ...report, sequence: 2 });
    await readFrame(c);
    await c.read(3);
    expect(hex(await c.drain(100)), 'the second push waits for the first answer').toBe('');
    await c.write(fromHex(ERROR));
    await expect(first).resolves.toBe(false);
    const next = await readFrame(c);
    expect(hex(next)).toContain('2002'); // sequence_number 2
    await c.read(3);
    await c.write(fromHex(SUCCESS));
    await expect(second).resolves.toBe(true);
  });

  it('no answer within responseTimeoutMs → deliver false and the connection closed', async () => {
    const node = await startNode(transport, EARTH, { keepaliveCheck: { responseTimeoutMs: 200 } });
    const c = await configured(node, 'dtn://earth.dtn/smtp', { isSubscriber: true });
    const delivered = node.host.deliver('dtn://earth.dtn/smtp', report);
    await expect(delivered).resolves.toBe(false);
    await c.closed;
    expect(node.host.registrations()).toEqual([]);
  });

  it('an unanswered Keepalive closes the connection after twice the interval', async () => {
    const node = await startNode(transport, EARTH, { keepaliveCheck: { secondMs: 100 } });
    const c = await configured(node, 'dtn://earth.dtn/smtp', { isSubscriber: true, keepaliveSeconds: 1 });
    expect(hex(await c.read(3))).toBe('023200');
    const sent = Date.now();
    await c.closed;
    expect(Date.now() - sent).toBeGreaterThanOrEqual(150);
    expect(node.events.find((e) => e.event === 'aap2.closing')?.['reason']).toBe('keepalive not acknowledged');
  });

  it('a response with nothing pending is a protocol error: the connection is closed', async () => {
    const node = await startNode(transport, EARTH);
    const c = await configured(node, 'dtn://earth.dtn/smtp', { isSubscriber: true });
    await c.write(fromHex(SUCCESS));
    await c.closed;
  });

  it('bundles kept for the endpoint, delivered as it registers, are pushed after SUCCESS, never before', async () => {
    const node = await startNode(transport, EARTH, { keepForAbsentAgents: true });
    const kept = node.host.deliver('dtn://earth.dtn/smtp', report);
    const c = await node.connect();
    await c.read(GREETING_EARTH_BYTES);
    await c.write(frame({ kind: 'config', config: { endpointId: 'dtn://earth.dtn/smtp', isSubscriber: true } }));
    expect(hex(await c.read(3))).toBe(SUCCESS);
    expect(hex(await c.read(1 + 49 + 3))).toContain('3002820184');
    await c.write(fromHex(SUCCESS));
    await expect(kept).resolves.toBe(true);
  });
});

describe.each<Transport>(['unix', 'tcp'])('AAP 2.0 server over %s: robustness', (transport) => {
  it('an AAP v1 REGISTER gets 0x2F + Welcome and nothing else; the unfinished frame is closed after the read timeout', async () => {
    const node = await startNode(transport, EARTH);
    const c = await node.connect();
    expect(hex(await c.read(GREETING_EARTH_BYTES))).toBe(`2f140a120a10${hex(ascii(EARTH))}`);
    await c.write(fromHex('120004736d7470'));
    await c.closed;
    expect(node.events.find((e) => e.event === 'aap2.closing')?.['reason']).toBe('frame unfinished after read timeout');
  });

  it.runIf(haveVectors)('garbage floods on other connections do not disturb a sender', async () => {
    const node = await startNode(transport, EARTH, { time: SENDER_TIME });
    let seed = 11;
    const junk = new Uint8Array(32 * 1024).map(() => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed >>> 24;
    });
    const floods = [0, 1, 2, 3].map(async (i) => {
      const f = await node.connect();
      await f.write(junk.subarray(i * 8192, (i + 1) * 8192));
      await f.closed;
    });
    const c = await node.connect();
    await replay(c, 'earth-sender');
    await Promise.all(floods);
    expect(node.host.submitted).toHaveLength(1);
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
