import { afterEach, describe, expect, it } from 'vitest';
import { ascii, fromHex, ud3tnVector } from '../../../shared/test-support/vectors';
import type { Socket } from 'node:net';
import type { Cla } from '../types';
import { capture, patternBytes, portOf, rawConnect, rawServer, recordingLog, recordingSink, flipBit, waitUntil, writeAll } from './cla-test-support';
import { createTcpclv3Cla } from './tcpclv3-cla';
import type { Tcpclv3ClaDeps } from './tcpclv3-cla';

// Real uD3TN bytes (protocols.md §6.4): earth connected to mars, both sent their contact header
// ("dtn!" 03 00 0000 <len> <node ID>), then earth sent one DATA_SEGMENT 0x13 with the 442-byte bundle.
const earthStream = ud3tnVector('cla-tcpclv3/earth-to-mars.stream.bin');
const earthHeader = ud3tnVector('cla-tcpclv3/earth-to-mars_01_CONTACT_HEADER.bin');
const marsHeader = ud3tnVector('cla-tcpclv3/mars-to-earth_01_CONTACT_HEADER.bin');
const bundle = ud3tnVector('cla-tcpclv3/earth-to-mars_02.bundle.bin');
const EARTH = 'dtn://earth.dtn/';
const MARS = 'dtn://mars.dtn/';

const open: Cla[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

function same(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && Buffer.from(a).equals(Buffer.from(b));
}

function cla(localNodeId: string, extra: Partial<Tcpclv3ClaDeps> = {}) {
  const rec = recordingSink();
  const logs = recordingLog();
  const c = createTcpclv3Cla({ sink: rec.sink, log: logs.log, localNodeId, handshakeTimeoutMs: 1000, ...extra });
  open.push(c);
  return { cla: c, rec, logs };
}

async function listening(localNodeId: string, extra: Partial<Tcpclv3ClaDeps> = {}) {
  const n = cla(localNodeId, extra);
  const l = await n.cla.listen('127.0.0.1', 0);
  if (!l.ok) throw new Error(l.error.message);
  return { ...n, port: portOf(l.value.address) };
}

/**
 * Earth dials a raw server that answers with uD3TN mars's contact header: earth's link once the handshake
 * is done, the server's end of the connection and what earth writes to it.
 */
async function earthLinkedTo(raw: { readonly port: number; next(): Promise<Socket> }) {
  const earth = cla(EARTH);
  const linking = earth.cla.connect(`127.0.0.1:${raw.port}`);
  const socket = await raw.next();
  const peer = capture(socket);
  await writeAll(socket, marsHeader);
  const link = await linking;
  if (!link.ok) throw new Error(link.error.message);
  return { earth, link: link.value, socket, peer };
}

describe('TCPCLv3 CLA over loopback', () => {
  it('uD3TN earth → our mars listener: answers with its contact header and delivers the bundle', async () => {
    const mars = await listening(MARS);
    const s = await rawConnect(mars.port);
    const peer = capture(s);
    await writeAll(s, earthStream);
    const got = await mars.rec.waitFor(1);
    expect(same(got[0]?.bytes, bundle)).toBe(true);
    expect(got[0]?.origin).toMatchObject({ cla: 'tcpclv3', peerNodeId: EARTH });
    // What mars (uD3TN) sent back is exactly what we send back.
    expect(same(await peer.waitForBytes(marsHeader.length), marsHeader)).toBe(true);
    expect((await mars.logs.waitFor('cla.session_established'))['peer']).toBe(EARTH);
    s.destroy();
  });

  it('delivers the same stream whatever its chunking', async () => {
    const mars = await listening(MARS);
    for (const size of [1, 3, 25, 26, 100]) {
      const before = mars.rec.received.length;
      const s = await rawConnect(mars.port);
      capture(s);
      for (let at = 0; at < earthStream.length; at += size) await writeAll(s, earthStream.subarray(at, Math.min(earthStream.length, at + size)));
      const got = await mars.rec.waitFor(before + 1);
      expect(same(got[before]?.bytes, bundle)).toBe(true);
      s.destroy();
    }
  });

  it('our earth link writes exactly uD3TN earth bytes: contact header + one S|E DATA_SEGMENT', async () => {
    const raw = await rawServer();
    try {
      const { earth, link, peer } = await earthLinkedTo(raw);
      expect(link.address).toBe(`tcpclv3:127.0.0.1:${raw.port}`);
      // Gather parts, as the processor sends them.
      expect((await link.send([bundle.subarray(0, 50), bundle.subarray(50, 400), bundle.subarray(400)])).ok).toBe(true);
      expect(same(await peer.waitForBytes(earthStream.length), earthStream)).toBe(true);
      expect(same((await peer.waitForBytes(earthHeader.length)).subarray(0, earthHeader.length), earthHeader)).toBe(true);
      expect(earth.cla.peers()).toEqual([MARS]);
    } finally {
      await raw.close();
    }
  });

  it('a session carries bundles both ways: the listener answers over the incoming session', async () => {
    const mars = await listening(MARS);
    const earth = cla(EARTH);
    const link = await earth.cla.connect(`127.0.0.1:${mars.port}`);
    if (!link.ok) throw new Error(link.error.message);
    const up = patternBytes(100_000, 7);
    expect((await link.value.send([up])).ok).toBe(true);
    const atMars = await mars.rec.waitFor(1);
    expect(same(atMars[0]?.bytes, up)).toBe(true);
    expect(atMars[0]?.origin.peerNodeId).toBe(EARTH);

    expect(mars.cla.peers()).toEqual([EARTH]);
    const back = mars.cla.linkFor(EARTH);
    if (back === undefined) throw new Error('no session for earth');
    expect((await back.send([bundle])).ok).toBe(true);
    // connect() with the peer's node ID reuses the session instead of dialing (the address is unused).
    const viaConnect = await mars.cla.connect('192.0.2.1:4556', EARTH);
    if (!viaConnect.ok) throw new Error(viaConnect.error.message);
    const down = patternBytes(5, 8);
    expect((await viaConnect.value.send([down])).ok).toBe(true);
    const atEarth = await earth.rec.waitFor(2);
    expect(same(atEarth[0]?.bytes, bundle)).toBe(true);
    expect(same(atEarth[1]?.bytes, down)).toBe(true);
    expect(atEarth[0]?.origin).toMatchObject({ cla: 'tcpclv3', peerNodeId: MARS });
    expect(mars.logs.named('cla.connected')).toHaveLength(1);
    expect(mars.cla.linkFor('dtn://venus.dtn/')).toBeUndefined();

    // A borrowed link's close() leaves the session open; the owner's close() shuts it down.
    await back.close();
    expect((await viaConnect.value.send([down])).ok).toBe(true);
    await link.value.close();
    await mars.logs.waitFor('cla.shutdown_received');
    await mars.logs.waitFor('cla.disconnected');
    expect(mars.cla.linkFor(EARTH)).toBeUndefined();
    const after = await viaConnect.value.send([down]);
    expect(after.ok).toBe(false);
    if (!after.ok) expect(after.error.code).toBe('CONNECTION_CLOSED');
  });

  it('accepts bundles split over segments, and reads ACK_SEGMENT, LENGTH, REFUSE_BUNDLE and KEEPALIVE', async () => {
    const mars = await listening(MARS);
    const s = await rawConnect(mars.port);
    capture(s);
    // RFC 7242 §5: 0x12 = DATA_SEGMENT S, 0x10 = middle, 0x11 = E; SDNV 64 = 100, 81 42 = 194, 81 14 = 148.
    const split = [
      fromHex('60833a'), // LENGTH 442 (SDNV 83 3a, as in uD3TN's DATA_SEGMENT)
      fromHex('1264'),
      bundle.subarray(0, 100),
      fromHex('40'), // KEEPALIVE between segments
      fromHex('108142'),
      bundle.subarray(100, 294),
      fromHex('20 64'), // ACK_SEGMENT 100
      fromHex('118114'),
      bundle.subarray(294),
      fromHex('31'), // REFUSE_BUNDLE
    ];
    await writeAll(s, Buffer.concat([earthHeader, ...split]));
    const got = await mars.rec.waitFor(1);
    expect(same(got[0]?.bytes, bundle)).toBe(true);
    await mars.logs.waitFor('cla.bundle_refused');
    // Still open: the next bundle arrives too.
    await writeAll(s, earthStream.subarray(earthHeader.length));
    await mars.rec.waitFor(2);
    s.destroy();
  });

  it('closes a connection that sends garbage, and keeps listening', async () => {
    const mars = await listening(MARS);
    const s = await rawConnect(mars.port);
    const peer = capture(s);
    await writeAll(s, ascii('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await peer.closed;
    expect((await mars.logs.waitFor('cla.handshake_failed'))['direction']).toBe('in');

    // A bad message after a good handshake closes that session only.
    const s2 = await rawConnect(mars.port);
    const peer2 = capture(s2);
    await writeAll(s2, Buffer.concat([earthHeader, fromHex('7f 00 00')]));
    await peer2.closed;
    await mars.logs.waitFor('cla.protocol_error');

    const s3 = await rawConnect(mars.port);
    capture(s3);
    await writeAll(s3, earthStream);
    const got = await mars.rec.waitFor(1);
    expect(same(got[0]?.bytes, bundle)).toBe(true);
    s3.destroy();
  });

  it('refuses a contact header whose node ID is not an EID, and drops a bundle cut by a disconnect', async () => {
    const mars = await listening(MARS);
    const s = await rawConnect(mars.port);
    const peer = capture(s);
    const bad = Buffer.concat([earthHeader.subarray(0, 8), fromHex('05'), ascii('earth')]);
    await writeAll(s, bad);
    await peer.closed;
    expect(String((await mars.logs.waitFor('cla.handshake_failed'))['reason'])).toContain('not an EID');

    const s2 = await rawConnect(mars.port);
    capture(s2);
    await writeAll(s2, earthStream.subarray(0, earthStream.length - 40));
    await mars.logs.waitFor('cla.session_established');
    s2.end();
    expect((await mars.logs.waitFor('cla.partial_bundle_dropped'))['bytes']).toBe(bundle.length - 40);
    expect(mars.rec.received).toHaveLength(0);
  });

  it('fails listen() and connect() when our node ID cannot go in a contact header', async () => {
    const odd = cla('dtn://' + 'x'.repeat(5000) + '/');
    const l = await odd.cla.listen('127.0.0.1', 0);
    expect(l.ok).toBe(false);
    if (!l.ok) expect(l.error.code).toBe('INVALID_ARGUMENT');
    const c = await odd.cla.connect('127.0.0.1:9');
    expect(c.ok).toBe(false);
    if (!c.ok) expect(c.error.code).toBe('INVALID_ARGUMENT');
  });

  it('survives random and mutated streams from many peers, then still serves', async () => {
    const mars = await listening(MARS, { handshakeTimeoutMs: 300, limits: { bundleMaxBytes: 4096, tcpclv3MaxSegmentBytes: 4096 } });
    const peers = [];
    for (let i = 0; i < 40; i++) {
      const junk = i % 2 === 0 ? patternBytes(1 + ((i * 977) % 3000), i + 200) : Uint8Array.from(earthStream);
      if (i % 2 === 1) for (let k = 0; k < 3; k++) flipBit(junk, i * 131 + k * 7919, (i + k) % 8);
      const s = await rawConnect(mars.port);
      s.on('error', () => undefined);
      s.on('data', () => undefined);
      peers.push(writeAll(s, junk).then(() => s.destroy()));
    }
    await Promise.all(peers);
    const s = await rawConnect(mars.port);
    capture(s);
    const me = `127.0.0.1:${s.localPort}`;
    await writeAll(s, earthStream);
    const mine = await waitUntil(() => mars.rec.received.find((g) => g.origin.remote === me));
    expect(same(mine.bytes, bundle)).toBe(true);
    s.destroy();
  });

  it('closes a connection whose contact header never comes', async () => {
    const mars = await listening(MARS, { handshakeTimeoutMs: 100 });
    const s = await rawConnect(mars.port);
    const peer = capture(s);
    await writeAll(s, earthHeader.subarray(0, 10));
    await peer.closed;
    expect((await mars.logs.waitFor('cla.handshake_failed'))['reason']).toContain('in time');
  });

  it('answers another protocol version with SHUTDOWN "version mismatch" (RFC 7242 §4.3)', async () => {
    const mars = await listening(MARS);
    const s = await rawConnect(mars.port);
    const peer = capture(s);
    const v4 = Uint8Array.from(earthHeader);
    v4[4] = 4;
    await writeAll(s, v4);
    await peer.closed;
    // Our contact header, then SHUTDOWN with a reason (0x52) and reason code 0x01.
    expect(Buffer.from(peer.bytes()).toString('hex')).toBe(Buffer.from(marsHeader).toString('hex') + '5201');
  });

  it('stops on SHUTDOWN from the peer', async () => {
    const raw = await rawServer();
    try {
      const { earth, link, socket, peer } = await earthLinkedTo(raw);
      await writeAll(socket, fromHex('50'));
      await peer.closed;
      expect((await earth.logs.waitFor('cla.shutdown_received'))['reason']).toBeNull();
      const r = await link.send([bundle]);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('CONNECTION_CLOSED');
      expect(earth.cla.peers()).toEqual([]);
    } finally {
      await raw.close();
    }
  });

  it('sends KEEPALIVE after an interval without traffic and ends an idle session (RFC 7242 §5.6)', async () => {
    let now = 1_000_000;
    const mars = await listening(MARS, { keepaliveSeconds: 1, clock: () => now });
    const s = await rawConnect(mars.port);
    const peer = capture(s);
    const header = Uint8Array.from(earthHeader);
    header[7] = 5; // earth offers 5 s; the session uses min(1, 5) = 1 s
    await writeAll(s, header);
    const established = await mars.logs.waitFor('cla.session_established');
    expect(established['keepaliveSeconds']).toBe(1);
    const marsKa = Uint8Array.from(marsHeader);
    marsKa[7] = 1;
    expect(same(await peer.waitForBytes(marsKa.length), marsKa)).toBe(true);

    now += 1000;
    const withKa = await peer.waitForBytes(marsKa.length + 1, 2000);
    expect(withKa[marsKa.length]).toBe(0x40);

    now += 1000; // two intervals since earth last sent anything
    await peer.closed;
    await mars.logs.waitFor('cla.idle_timeout');
    // KEEPALIVE(s), then SHUTDOWN with reason "idle timeout" (0x52 0x00).
    expect(Buffer.from(peer.bytes().subarray(-2)).toString('hex')).toBe('5200');
  });

  it('keeps no keepalive when either side offers 0 (uD3TN offers 0)', async () => {
    let now = 0;
    const mars = await listening(MARS, { keepaliveSeconds: 1, clock: () => now });
    const s = await rawConnect(mars.port);
    const peer = capture(s);
    await writeAll(s, earthHeader); // keepalive 0000
    expect((await mars.logs.waitFor('cla.session_established'))['keepaliveSeconds']).toBe(0);
    now += 10_000;
    await new Promise((r) => setTimeout(r, 400));
    expect(peer.bytes().length).toBe(marsHeader.length);
    s.destroy();
  });

  it('a newer session with the same peer takes over for sending', async () => {
    const mars = await listening(MARS);
    const e1 = cla(EARTH);
    const e2 = cla(EARTH);
    const l1 = await e1.cla.connect(`127.0.0.1:${mars.port}`);
    if (!l1.ok) throw new Error(l1.error.message);
    await mars.logs.waitFor('cla.session_established');
    const l2 = await e2.cla.connect(`127.0.0.1:${mars.port}`);
    if (!l2.ok) throw new Error(l2.error.message);
    await mars.logs.waitFor('cla.session_takeover');
    expect((await mars.cla.linkFor(EARTH)?.send([bundle]))?.ok).toBe(true);
    const got = await e2.rec.waitFor(1);
    expect(same(got[0]?.bytes, bundle)).toBe(true);
    expect(e1.rec.received).toHaveLength(0);
  });

  it('reports connection errors as Results and close() ends every session', async () => {
    const raw = await rawServer();
    const dead = raw.port;
    await raw.close();
    const earth = cla(EARTH);
    const r = await earth.cla.connect(`127.0.0.1:${dead}`);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('CONNECTION_FAILED');

    const mars = await listening(MARS);
    const link = await earth.cla.connect(`127.0.0.1:${mars.port}`);
    if (!link.ok) throw new Error(link.error.message);
    await mars.logs.waitFor('cla.session_established');
    await mars.cla.close();
    await earth.logs.waitFor('cla.shutdown_received');
    const after = await link.value.send([bundle]);
    expect(after.ok).toBe(false);
    await expect(rawConnect(mars.port)).rejects.toThrow();
  });
});
