import { afterEach, describe, expect, it } from 'vitest';
import { concat } from '../../../shared/test-support/fuzz';
import { fromHex, ud3tnVector, ud3tnVectorNames } from '../../../shared/test-support/vectors';
import type { Socket } from 'node:net';
import type { Cla, ClaLink } from '../types';
import { capture, patternBytes, portOf, rawConnect, rawServer, recordingLog, recordingSink, flipBit, waitUntil, writeAll } from './cla-test-support';
import { createMtcpCla } from './mtcp-cla';

/** Every MTCP frame uD3TN wrote in the vectors, with the bundle inside it (cla-mtcp/, fragments/, status-reports/). */
const ud3tnFrames = ['cla-mtcp', 'fragments', 'status-reports'].flatMap((folder) =>
  ud3tnVectorNames(folder)
    .filter((n) => n.endsWith('.mtcp.bin'))
    .map((n) => ({
      name: `${folder}/${n}`,
      frame: ud3tnVector(`${folder}/${n}`),
      bundle: ud3tnVector(`${folder}/${n.replace(/\.mtcp\.bin$/, '.bundle.bin')}`),
    })),
);

const open: Cla[] = [];

/** An MTCP link from a new sender to a raw server, and the server's end of the connection. */
async function linkTo(raw: { readonly port: number; next(): Promise<Socket> }): Promise<{ link: ClaLink; socket: Socket }> {
  const sender = createMtcpCla({ sink: recordingSink().sink, log: recordingLog().log });
  open.push(sender);
  const link = await sender.connect(`127.0.0.1:${raw.port}`);
  if (!link.ok) throw new Error(link.error.message);
  return { link: link.value, socket: await raw.next() };
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

async function listener(opts: { mtcpMaxFrameBytes?: number } = {}) {
  const rec = recordingSink();
  const logs = recordingLog();
  const cla = createMtcpCla({ sink: rec.sink, log: logs.log, limits: opts });
  open.push(cla);
  const l = await cla.listen('127.0.0.1', 0);
  if (!l.ok) throw new Error(l.error.message);
  return { cla, rec, logs, port: portOf(l.value.address), address: l.value.address };
}

describe('MTCP CLA over loopback', () => {
  it('has 18 real uD3TN frames to replay', () => {
    expect(ud3tnFrames.length).toBe(18);
  });

  it('link → listener: bundles arrive byte-identical and in order, a 20 MiB one included', async () => {
    const { rec, port, logs } = await listener();
    const sender = createMtcpCla({ sink: recordingSink().sink, log: recordingLog().log });
    open.push(sender);
    const link = await sender.connect(`127.0.0.1:${port}`);
    if (!link.ok) throw new Error(link.error.message);
    expect(link.value.address).toBe(`mtcp:127.0.0.1:${port}`);

    // Sizes around every CBOR head width (1, 2, 3, 5 bytes), the empty bundle, and 20 MiB.
    const sizes = [0, 1, 23, 24, 255, 256, 1000, 65535, 65536, 70_000, 20 * 1024 * 1024, 5, 442];
    const bundles = sizes.map((n, i) => patternBytes(n, i + 1));
    for (const b of bundles) {
      // Gather parts (head, payload view, trailer) as the processor hands them over: never concatenated.
      const cut1 = Math.floor(b.length / 3);
      const cut2 = Math.floor((2 * b.length) / 3);
      const r = await link.value.send([b.subarray(0, cut1), b.subarray(cut1, cut2), b.subarray(cut2)]);
      expect(r).toEqual({ ok: true, value: undefined });
    }
    const got = await rec.waitFor(bundles.length, 8000);
    expect(got.length).toBe(bundles.length);
    got.forEach((g, i) => {
      expect(g.bytes.length).toBe(sizes[i]);
      expect(Buffer.from(g.bytes).equals(Buffer.from(bundles[i] as Uint8Array))).toBe(true);
      expect(g.origin.cla).toBe('mtcp');
      expect(g.origin.peerNodeId).toBeUndefined();
    });
    expect(logs.named('cla.connected')).toHaveLength(1);
    expect(logs.named('cla.resync')).toHaveLength(0);
    await link.value.close();
  });

  it('frames a bundle exactly as uD3TN does (the link writes the *.mtcp.bin bytes)', async () => {
    const raw = await rawServer();
    try {
      const { link, socket } = await linkTo(raw);
      const peer = capture(socket);
      for (const v of ud3tnFrames) expect((await link.send([v.bundle])).ok).toBe(true);
      const expected = concat(ud3tnFrames.map((v) => v.frame));
      const got = await peer.waitForBytes(expected.length);
      expect(Buffer.from(got).equals(Buffer.from(expected))).toBe(true);
    } finally {
      await raw.close();
    }
  });

  it('delivers the bundles inside real uD3TN frames written raw, in any chunking', async () => {
    const { rec, port } = await listener();
    const stream = concat(ud3tnFrames.map((v) => v.frame));
    for (const chunk of [stream.length, 1, 7, 1000]) {
      const before = rec.received.length;
      const s = await rawConnect(port);
      for (let at = 0; at < stream.length; at += chunk) await writeAll(s, stream.subarray(at, Math.min(stream.length, at + chunk)));
      const got = (await rec.waitFor(before + ud3tnFrames.length)).slice(before);
      got.forEach((g, i) => expect(Buffer.from(g.bytes).equals(Buffer.from(ud3tnFrames[i]?.bundle ?? new Uint8Array()))).toBe(true));
      s.destroy();
    }
  });

  it('skips a garbage prefix and a corrupt header mid-stream, like uD3TN, and keeps the frames after them', async () => {
    const { rec, port, logs } = await listener();
    const [a, b, c] = ud3tnFrames;
    if (a === undefined || b === undefined || c === undefined) throw new Error('vectors missing');
    // ud3tn-behaviour.md §4: "3 garbage bytes before a valid frame: garbage skipped, bundle delivered".
    // None of the garbage bytes is a byte-string head (0x40..0x5b), so each is skipped on its own.
    const garbage = fromHex('00ff13');
    const corrupt = fromHex('9f 5f 1c 80 a1 ff 00'); // an array, an indefinite byte string, reserved info 28, …
    const s = await rawConnect(port);
    await writeAll(s, concat([garbage, a.frame, b.frame, corrupt, c.frame]));
    const got = await rec.waitFor(3);
    expect(got.map((g) => Buffer.from(g.bytes).toString('hex'))).toEqual([a.bundle, b.bundle, c.bundle].map((x) => Buffer.from(x).toString('hex')));
    const resync = logs.named('cla.resync');
    expect(resync.length).toBeGreaterThan(0);
    expect(resync.reduce((n, e) => n + Number(e['skippedBytes']), 0)).toBe(garbage.length + corrupt.length);
    s.destroy();
  });

  it('drops a frame cut by a disconnect without crashing, and serves the next connection', async () => {
    const { rec, port, logs } = await listener();
    const [a, b] = ud3tnFrames;
    if (a === undefined || b === undefined) throw new Error('vectors missing');
    const s = await rawConnect(port);
    await writeAll(s, concat([a.frame, b.frame.subarray(0, 100)]));
    await rec.waitFor(1);
    s.end();
    const dropped = await logs.waitFor('cla.partial_frame_dropped');
    // The decoder held the cut frame (its head and up to 97 bundle bytes); nothing of it was delivered.
    expect(Number(dropped['bytes'])).toBeGreaterThan(0);
    expect(Number(dropped['bytes'])).toBeLessThanOrEqual(100);
    expect(rec.received).toHaveLength(1);

    const s2 = await rawConnect(port);
    await writeAll(s2, b.frame);
    const got = await rec.waitFor(2);
    expect(Buffer.from(got[1]?.bytes ?? []).equals(Buffer.from(b.bundle))).toBe(true);
    s2.destroy();
  });

  it('refuses a frame above mtcpMaxFrameBytes before buffering it, and keeps reading', async () => {
    const { rec, port, logs } = await listener({ mtcpMaxFrameBytes: 500 });
    const big = ud3tnFrames.find((v) => v.bundle.length > 500);
    const small = ud3tnFrames.find((v) => v.bundle.length <= 500);
    if (big === undefined || small === undefined) throw new Error('vectors missing');
    const s = await rawConnect(port);
    await writeAll(s, concat([big.frame, small.frame]));
    const got = await rec.waitFor(1);
    expect(Buffer.from(got[0]?.bytes ?? []).equals(Buffer.from(small.bundle))).toBe(true);
    // The whole frame (head and bundle) was skipped, not buffered.
    expect((await logs.waitFor('cla.frame_too_large'))['skippedBytes']).toBe(big.frame.length);
    s.destroy();
  });

  it('survives random and mutated streams from many peers, then still delivers', async () => {
    const { rec, port } = await listener({ mtcpMaxFrameBytes: 4096 });
    const stream = concat(ud3tnFrames.map((v) => v.frame));
    const peers = [];
    for (let i = 0; i < 40; i++) {
      const junk = i % 2 === 0 ? patternBytes(1 + ((i * 977) % 5000), i + 100) : Uint8Array.from(stream);
      if (i % 2 === 1) for (let k = 0; k < 20; k++) flipBit(junk, i * 131 + k * 7919, k % 8);
      const s = await rawConnect(port);
      s.on('error', () => undefined);
      peers.push(writeAll(s, junk).then(() => s.destroy()));
    }
    await Promise.all(peers);
    // Junk connections may still be delivering (flipped bits inside a bundle are not the CLA's business):
    // look only at what arrived from the last connection.
    const s = await rawConnect(port);
    const me = `127.0.0.1:${s.localPort}`;
    await writeAll(s, stream);
    const mine = await waitUntil(() => {
      const from = rec.received.filter((g) => g.origin.remote === me);
      return from.length >= ud3tnFrames.length ? from : undefined;
    });
    expect(mine.every((g, i) => Buffer.from(g.bytes).equals(Buffer.from(ud3tnFrames[i]?.bundle ?? [])))).toBe(true);
    s.destroy();
  });

  it('a sink that throws does not stop the listener', async () => {
    const logs = recordingLog();
    const seen: number[] = [];
    const cla = createMtcpCla({
      sink: (bytes) => {
        seen.push(bytes.length);
        throw new Error('processor failure');
      },
      log: logs.log,
    });
    open.push(cla);
    const l = await cla.listen('127.0.0.1', 0);
    if (!l.ok) throw new Error(l.error.message);
    const s = await rawConnect(portOf(l.value.address));
    const [a, b] = ud3tnFrames;
    if (a === undefined || b === undefined) throw new Error('vectors missing');
    await writeAll(s, concat([a.frame, b.frame]));
    await logs.waitFor('cla.sink_failed');
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual([a.bundle.length, b.bundle.length]);
    s.destroy();
  });

  it('backpressure: sends wait for a slow reader instead of buffering without bound', async () => {
    const raw = await rawServer();
    try {
      const { link, socket: peer } = await linkTo(raw);
      peer.pause(); // the reader stops reading: kernel buffers fill, then the socket's

      const bundle = patternBytes(4 * 1024 * 1024, 99);
      const sends = Array.from({ length: 6 }, () => link.send([bundle]));
      const settled: boolean[] = sends.map(() => false);
      sends.forEach((p, i) => void p.then(() => (settled[i] = true)));
      await new Promise((r) => setTimeout(r, 300));
      // 24 MiB cannot all fit in loopback buffers: the last sends must still be waiting.
      expect(settled[5]).toBe(false);

      const got = capture(peer);
      peer.resume();
      const results = await Promise.all(sends);
      expect(results.every((r) => r.ok)).toBe(true);
      const frameLen = 5 + bundle.length; // head 5a + 4-byte length
      const bytes = await got.waitForBytes(6 * frameLen, 8000);
      expect(Buffer.from(bytes.subarray(0, 5)).toString('hex')).toBe('5a00400000');
      expect(Buffer.from(bytes.subarray(5 * frameLen + 5)).equals(Buffer.from(bundle))).toBe(true);
    } finally {
      await raw.close();
    }
  });

  it('reports connection errors as Results', async () => {
    const raw = await rawServer();
    const deadPort = raw.port;
    await raw.close();
    const logs = recordingLog();
    const cla = createMtcpCla({ sink: recordingSink().sink, log: logs.log });
    open.push(cla);
    const r = await cla.connect(`127.0.0.1:${deadPort}`);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('CONNECTION_FAILED');
    expect(logs.named('cla.connect_failed')).toHaveLength(1);
    const bad = await cla.connect('no-port-here');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.code).toBe('INVALID_ARGUMENT');

    // A link whose peer went away fails its sends with CONNECTION_CLOSED.
    const raw2 = await rawServer();
    const link = await cla.connect(`127.0.0.1:${raw2.port}`);
    if (!link.ok) throw new Error(link.error.message);
    (await raw2.next()).destroy();
    await logs.waitFor('cla.disconnected');
    const sent = await link.value.send([patternBytes(10, 1)]);
    expect(sent.ok).toBe(false);
    if (!sent.ok) expect(sent.error.code).toBe('CONNECTION_CLOSED');
    await raw2.close();
  });

  it('close() closes listeners and links', async () => {
    const { cla, port } = await listener();
    const other = createMtcpCla({ sink: recordingSink().sink, log: recordingLog().log });
    open.push(other);
    const link = await other.connect(`127.0.0.1:${port}`);
    if (!link.ok) throw new Error(link.error.message);
    await other.close();
    const after = await link.value.send([patternBytes(3, 3)]);
    expect(after.ok).toBe(false);
    await cla.close();
    await expect(rawConnect(port)).rejects.toThrow();
    const again = await cla.listen('127.0.0.1', 0);
    expect(again.ok).toBe(false);
  });
});
