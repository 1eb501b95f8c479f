import { describe, expect, it } from 'vitest';
import { createInbox } from './inbox';
import type { ReceivedBundle } from './types';

const bundle = (i: number, size = 10): ReceivedBundle => ({
  source: 'dtn://earth.dtn/smtp',
  destination: 'dtn://mars.dtn/smtp',
  payload: new Uint8Array(size).fill(i & 0xff),
  bundleId: null,
  isBibe: false,
  isAdminRecord: false,
});

describe('createInbox', () => {
  it('hands bundles out in arrival order and runs onTaken only once the consumer comes back for the next one', async () => {
    const taken: number[] = [];
    const inbox = createInbox({ highWaterBytes: 1 << 20, onFull: () => undefined, onDrained: () => undefined });
    inbox.push(bundle(1), () => taken.push(1));
    inbox.push(bundle(2), () => taken.push(2));
    expect(taken).toEqual([]);
    const it = inbox.iterator();
    expect((await it.next()).value?.payload[0]).toBe(1);
    // handed over, still being processed: not taken yet
    expect(taken).toEqual([]);
    expect((await it.next()).value?.payload[0]).toBe(2);
    expect(taken).toEqual([1]);
    await it.return?.();
    expect(taken).toEqual([1, 2]);
  });

  it('serves a waiting consumer directly, and a for-await loop takes each bundle as its body finishes', async () => {
    const inbox = createInbox({ highWaterBytes: 1 << 20, onFull: () => undefined, onDrained: () => undefined });
    const taken: number[] = [];
    const seenWhenTaken: number[][] = [];
    const seen: number[] = [];
    const loop = (async (): Promise<void> => {
      for await (const b of inbox.iterator()) {
        seen.push(b.payload[0] ?? -1);
        if (seen.length === 2) break;
      }
    })();
    inbox.push(bundle(9), () => {
      taken.push(9);
      seenWhenTaken.push([...seen]);
    });
    inbox.push(bundle(8), () => {
      taken.push(8);
      seenWhenTaken.push([...seen]);
    });
    await loop;
    expect(seen).toEqual([9, 8]);
    expect(taken).toEqual([9, 8]);
    // 9 was taken once the body that saw it had finished (the loop asked for 8), 8 when the loop broke
    expect(seenWhenTaken).toEqual([[9], [9, 8]]);
    expect(inbox.length).toBe(0);
  });

  it('a bundle handed out stays untaken until the consumer comes back, through every iterator', async () => {
    const inbox = createInbox({ highWaterBytes: 1 << 20, onFull: () => undefined, onDrained: () => undefined });
    const taken: number[] = [];
    inbox.push(bundle(1), () => taken.push(1));
    inbox.push(bundle(2), () => taken.push(2));
    expect((await inbox.iterator().next()).value?.payload[0]).toBe(1);
    await new Promise((r) => setTimeout(r, 10));
    expect(taken).toEqual([]);
    // one consumer at a time: a fresh iterator's next() means the previous bundle is done with
    expect((await inbox.iterator().next()).value?.payload[0]).toBe(2);
    expect(taken).toEqual([1]);
    await inbox.iterator().return?.();
    expect(taken).toEqual([1, 2]);
  });

  it('keeps the buffer when a consumer leaves its loop, for the next iterator', async () => {
    const inbox = createInbox({ highWaterBytes: 1 << 20, onFull: () => undefined, onDrained: () => undefined });
    for (let i = 0; i < 3; i++) inbox.push(bundle(i));
    for await (const b of inbox.iterator()) {
      expect(b.payload[0]).toBe(0);
      break;
    }
    const rest: number[] = [];
    inbox.end();
    for await (const b of inbox.iterator()) rest.push(b.payload[0] ?? -1);
    expect(rest).toEqual([1, 2]);
  });

  it('signals full at the high-water mark and drained at half of it', async () => {
    const events: string[] = [];
    const inbox = createInbox({ highWaterBytes: 4 * 266, onFull: () => events.push('full'), onDrained: () => events.push('drained') });
    for (let i = 0; i < 4; i++) inbox.push(bundle(i));
    expect(events).toEqual(['full']);
    const it = inbox.iterator();
    await it.next();
    expect(events).toEqual(['full']);
    await it.next();
    expect(events).toEqual(['full', 'drained']);
    expect(inbox.bufferedBytes).toBe(2 * 266);
  });

  it('keeps order over many bundles (queue compaction)', async () => {
    const inbox = createInbox({ highWaterBytes: 1 << 30, onFull: () => undefined, onDrained: () => undefined });
    const numbered = (i: number): ReceivedBundle => ({ ...bundle(0, 0), payload: new Uint8Array(new Uint32Array([i]).buffer) });
    const it = inbox.iterator();
    const seen: number[] = [];
    const takeOne = async (): Promise<void> => {
      const r = await it.next();
      if (!r.done) seen.push(new Uint32Array(r.value.payload.slice().buffer)[0] ?? -1);
    };
    let pushed = 0;
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 1500; i++) inbox.push(numbered(pushed++));
      for (let i = 0; i < 1000; i++) await takeOne();
    }
    inbox.end();
    while (seen.length < pushed) await takeOne();
    expect(seen).toEqual(Array.from({ length: pushed }, (_, i) => i));
    expect((await it.next()).done).toBe(true);
  });

  it('ends waiting consumers on end()', async () => {
    const inbox = createInbox({ highWaterBytes: 100, onFull: () => undefined, onDrained: () => undefined });
    const pending = inbox.iterator().next();
    inbox.end();
    expect((await pending).done).toBe(true);
  });
});
