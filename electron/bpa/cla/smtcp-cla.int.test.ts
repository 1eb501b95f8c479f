import { afterEach, describe, expect, it } from 'vitest';
import { ud3tnVector } from '../../../shared/test-support/vectors';
import type { Cla } from '../types';
import { capture, patternBytes, portOf, rawConnect, recordingLog, recordingSink, writeAll } from './cla-test-support';
import { createSmtcpCla } from './smtcp-cla';

const bundle = ud3tnVector('cla-mtcp/bsmtp-dtn.bundle.bin');
const frame = ud3tnVector('cla-mtcp/bsmtp-dtn.mtcp.bin');

const open: Cla[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

function same(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && Buffer.from(a).equals(Buffer.from(b));
}

async function passive() {
  const rec = recordingSink();
  const logs = recordingLog();
  const cla = createSmtcpCla({ sink: rec.sink, log: logs.log });
  open.push(cla);
  const l = await cla.listen('127.0.0.1', 0);
  if (!l.ok) throw new Error(l.error.message);
  return { cla, rec, logs, port: portOf(l.value.address) };
}

describe('SMTCP CLA over loopback', () => {
  it('carries bundles both ways over the one connection (uD3TN cla_smtcp.c: RX and TX on every link)', async () => {
    const a = await passive();
    const bRec = recordingSink();
    const b = createSmtcpCla({ sink: bRec.sink, log: recordingLog().log });
    open.push(b);

    expect(a.cla.currentLink()).toBeUndefined();
    const toA = await b.connect(`127.0.0.1:${a.port}`);
    if (!toA.ok) throw new Error(toA.error.message);
    const sent1 = patternBytes(3000, 1);
    expect((await toA.value.send([sent1.subarray(0, 10), sent1.subarray(10)])).ok).toBe(true);
    const gotA = await a.rec.waitFor(1);
    expect(same(gotA[0]?.bytes, sent1)).toBe(true);
    expect(gotA[0]?.origin.cla).toBe('smtcp');

    // The passive side answers over the same connection, whatever address its contact names.
    const back = a.cla.currentLink();
    expect(back).toBeDefined();
    expect((await back?.send([bundle]))?.ok).toBe(true);
    const viaConnect = await a.cla.connect('192.0.2.1:9'); // never dialed: the open connection is used
    if (!viaConnect.ok) throw new Error(viaConnect.error.message);
    const sent2 = patternBytes(70_000, 2);
    expect((await viaConnect.value.send([sent2])).ok).toBe(true);
    const gotB = await bRec.waitFor(2);
    expect(same(gotB[0]?.bytes, bundle)).toBe(true);
    expect(same(gotB[1]?.bytes, sent2)).toBe(true);

    // A second connect() on the active side reuses its connection too.
    const again = await b.connect('192.0.2.1:9');
    expect(again.ok).toBe(true);
    expect(a.logs.named('cla.connected')).toHaveLength(1);
  });

  it('speaks plain MTCP framing: uD3TN bytes in, uD3TN bytes out', async () => {
    const a = await passive();
    const s = await rawConnect(a.port);
    const peer = capture(s);
    await writeAll(s, frame);
    const got = await a.rec.waitFor(1);
    expect(same(got[0]?.bytes, bundle)).toBe(true);
    const link = a.cla.currentLink();
    expect((await link?.send([bundle]))?.ok).toBe(true);
    const out = await peer.waitForBytes(frame.length);
    expect(Buffer.from(out).equals(Buffer.from(frame))).toBe(true);
    s.destroy();
  });

  it('serves one connection at a time: a second one waits until the first closes (backlog 1)', async () => {
    const a = await passive();
    const s1 = await rawConnect(a.port);
    const s2 = await rawConnect(a.port);
    await a.logs.waitFor('cla.queued');
    await writeAll(s2, frame); // not read yet
    await writeAll(s1, frame);
    await a.rec.waitFor(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(a.rec.received).toHaveLength(1);
    const p2 = capture(s2);
    s1.destroy();
    await a.logs.waitFor('cla.dequeued');
    await a.rec.waitFor(2);
    // Sends now go to the second connection.
    expect((await a.cla.currentLink()?.send([bundle]))?.ok).toBe(true);
    expect(Buffer.from(await p2.waitForBytes(frame.length)).equals(Buffer.from(frame))).toBe(true);
    // A third one beyond the backlog is refused while the second is served and another waits.
    const s3 = await rawConnect(a.port);
    await a.logs.waitFor('cla.queued');
    const s4 = await rawConnect(a.port);
    await capture(s4).closed;
    expect(a.logs.named('cla.refused')).toHaveLength(1);
    s2.destroy();
    s3.destroy();
  });

  it('fails sends with CONNECTION_CLOSED once the connection is gone, and close() ends everything', async () => {
    const a = await passive();
    const b = createSmtcpCla({ sink: recordingSink().sink, log: recordingLog().log });
    open.push(b);
    const link = await b.connect(`127.0.0.1:${a.port}`);
    if (!link.ok) throw new Error(link.error.message);
    await a.logs.waitFor('cla.connected');
    await a.cla.close();
    await new Promise((r) => setTimeout(r, 50));
    const r = await link.value.send([bundle]);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('CONNECTION_CLOSED');
    expect(b.currentLink()).toBeUndefined();
    await expect(rawConnect(a.port)).rejects.toThrow();
  });
});
