import { describe, expect, it } from 'vitest';
import { ok } from '../../shared/errors';
import type { Bundle } from '../../shared/protocol/bpv7/types';
import type { Tracked } from './bundle-index';
import { createContactSession } from './contact-session';
import type { Contact } from './router/types';
import type { ClaLink } from './types';

const CONTACT: Contact = { id: 'c1', peerNodeId: 'dtn://mars.dtn/', claAddress: 'mtcp:mars:1', start: 0, end: Number.MAX_SAFE_INTEGER, rateBytesPerSec: 0, owltMs: 0, reachableEids: [] };
const BUNDLE: Bundle = { primary: {} as Bundle['primary'], blocks: [] };

function tracked(n: number): Tracked {
  return { id: `b${n}`, source: '', destination: 'dtn://mars.dtn/x', expiresAt: 0, reportFlags: 0, receivedAt: 0, origin: 'local', size: 10, state: 'forward', gone: false, bundle: undefined, contactId: undefined, committed: 0, outgoing: undefined };
}

describe('contact session: confirmation of written bundles', () => {
  it('confirms every bundle of a long stream once, in write order, after confirmMs of a usable link', async () => {
    const N = 5000;
    const link: ClaLink = { cla: 'mtcp', address: 'mtcp:mars:1', closed: new Promise(() => undefined), send: () => Promise.resolve(ok(undefined)), close: () => Promise.resolve() };
    const written: string[] = [];
    const sent: string[] = [];
    const session = createContactSession({
      contactId: 'c1',
      clock: Date.now,
      log: () => undefined,
      maxBufferedBytes: 1 << 20,
      confirmMs: 20,
      contact: () => CONTACT,
      openLink: () => Promise.resolve(ok(link)),
      prepare: () => ({ bundle: BUNDLE, parts: [new Uint8Array(10)], size: 10, elapsedMs: 0 }),
      written: (t) => written.push(t.id),
      sent: (t) => sent.push(t.id),
      returned: () => undefined,
    });
    // Pushed in runs with pauses, so that confirmations (a later write, or the timer) come while the
    // stream goes on: thousands are confirmed one or a few at a time.
    for (let i = 0; i < N; i++) {
      session.push(tracked(i));
      if (i % 250 === 249) await new Promise((r) => setTimeout(r, 5));
    }
    const deadline = Date.now() + 10_000;
    while (sent.length < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const expected = Array.from({ length: N }, (_, i) => `b${i}`);
    expect(written).toEqual(expected);
    expect(sent).toEqual(expected);
    await session.close();
  });

  it('holds no parts for bundles waiting in the delay line: each is prepared again at its write, with the same elapsed time', async () => {
    const sends: string[] = [];
    let release: (() => void) | undefined;
    // The first send waits (a socket that does not drain) while more bundles enter the line.
    const link: ClaLink = {
      cla: 'mtcp',
      address: 'mtcp:mars:1',
      closed: new Promise(() => undefined),
      send: (parts) => {
        sends.push(new TextDecoder().decode(parts[0]));
        return sends.length === 1 ? new Promise((r) => (release = () => r(ok(undefined)))) : Promise.resolve(ok(undefined));
      },
      close: () => Promise.resolve(),
    };
    const prepared: [string, number | undefined][] = [];
    let clockMs = 1000;
    const session = createContactSession({
      contactId: 'c1',
      clock: () => clockMs,
      log: () => undefined,
      maxBufferedBytes: 1 << 20,
      confirmMs: 10_000,
      contact: () => CONTACT,
      openLink: () => Promise.resolve(ok(link)),
      prepare: (t, elapsedMs) => {
        prepared.push([t.id, elapsedMs]);
        const e = elapsedMs ?? clockMs - 1000;
        return { bundle: BUNDLE, parts: [new TextEncoder().encode(`${t.id}@${e}`)], size: 10, elapsedMs: e };
      },
      written: () => undefined,
      sent: () => undefined,
      returned: () => undefined,
    });
    session.push(tracked(0));
    while (release === undefined) await new Promise((r) => setTimeout(r, 1));
    clockMs = 1005;
    session.push(tracked(1));
    session.push(tracked(2));
    await new Promise((r) => setTimeout(r, 5));
    clockMs = 1500;
    release();
    while (sends.length < 3) await new Promise((r) => setTimeout(r, 1));
    // b1 and b2 went out as prepared when they entered the line (elapsed 5 ms), not as of the write.
    expect(sends).toEqual(['b0@0', 'b1@5', 'b2@5']);
    expect(prepared).toEqual([
      ['b0', undefined],
      ['b1', undefined],
      ['b2', undefined],
      ['b1', 5],
      ['b2', 5],
    ]);
    await session.close();
  });
});
