/**
 * Forwarding over the contact plan, through two processors on in-process CLAs: contacts in the future,
 * proactive fragmentation (maximum bundle size and contact volume), "must not fragment", data-rate pacing,
 * one-way light time, link failures and contact ends.
 */
import { describe, expect, it } from 'vitest';
import { decodeBundle } from '../../shared/protocol/bpv7/bundle';
import { BundleFlag } from '../../shared/protocol/bpv7/flags';
import type { PlanCommand } from './router/types';
import { createFakeNetwork } from './test-support/fake-network';
import { recordingAgent, until, type TestNode, type TestNodeOptions } from './test-support/test-node';
import { testNodes } from './test-support/unit-fixtures';

const { node } = testNodes();

type ContactSpec = { start: number; end: number; rate?: number; owlt?: number };

function plan(nodeId: string, claAddress: string, ...contacts: ContactSpec[]): PlanCommand {
  return {
    command: 'add',
    nodeId,
    claAddress,
    reachableEids: [],
    contacts: contacts.map((c) => ({ start: c.start, end: c.end, rateBytesPerSec: c.rate ?? 1_000_000_000, owltMs: c.owlt ?? 0, reachableEids: [] })),
  };
}

function apply(n: TestNode, command: PlanCommand): void {
  const r = n.bpa.applyPlan([command]);
  if (!r.ok) throw new Error(r.error.message);
}

function payloadOf(n: number, seed = 7): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

/**
 * Date.now(), but LAG_MS behind on the first reading after LAG_MS of quiet (a timer that just fired), and
 * never going back: Node's timers run on the loop's monotonic time and can fire before Date.now() has
 * reached the time they were set for (by a millisecond in practice; more here, so that it always happens).
 */
function earlyTimerClock(): () => number {
  const LAG_MS = 5;
  let last = 0;
  let lastRealRead = 0;
  return () => {
    const real = Date.now();
    const quiet = real - lastRealRead >= LAG_MS;
    lastRealRead = real;
    last = Math.max(last, quiet ? real - LAG_MS : real);
    return last;
  };
}

async function pair(earthOptions: TestNodeOptions['options'] = {}, earthClock?: () => number) {
  const network = createFakeNetwork();
  const earth = await node('dtn://earth.dtn/', network, 'earth:1', { options: earthOptions, ...(earthClock === undefined ? {} : { clock: earthClock }) });
  const mars = await node('dtn://mars.dtn/', network, 'mars:1');
  const inbox = recordingAgent();
  mars.bpa.register('dtn://mars.dtn/smtp', inbox.sink);
  const send = (payload: Uint8Array, extra: { mustNotFragment?: boolean } = {}) =>
    earth.bpa.submit({ source: 'dtn://earth.dtn/smtp', destination: 'dtn://mars.dtn/smtp', payload, ...extra });
  return { network, earth, mars, inbox, send };
}

describe('contacts', () => {
  it('a bundle waits for a contact that opens later and goes when it starts', async () => {
    const { network, earth, inbox, send } = await pair();
    const start = Date.now() + 400;
    apply(earth, plan('dtn://mars.dtn/', 'mtcp:mars:1', { start, end: start + 60_000 }));
    await send(payloadOf(100));
    await earth.waitFor('bundle.waiting');
    expect(network.sent).toHaveLength(0);
    await inbox.waitFor(1);
    expect(network.sent[0]?.at).toBeGreaterThanOrEqual(start);
  });

  it('without a route a bundle stays stored and goes once a contact is configured', async () => {
    const { earth, inbox, send } = await pair();
    await send(payloadOf(10));
    await earth.waitFor('bundle.no_route');
    expect(earth.store.usage().bundles).toBe(1);
    apply(earth, plan('dtn://mars.dtn/', 'mtcp:mars:1', { start: Date.now() - 1, end: Date.now() + 60_000 }));
    await inbox.waitFor(1);
  });

  it('retries a link that cannot be opened and keeps the bundle until it went', async () => {
    const { network, earth, inbox, send } = await pair();
    network.breakAddress('mars:1');
    apply(earth, plan('dtn://mars.dtn/', 'mtcp:mars:1', { start: Date.now() - 1, end: Date.now() + 60_000 }));
    await send(payloadOf(10));
    await earth.waitFor('link.retry');
    expect(earth.store.usage().bundles).toBe(1);
    network.healthy('mars:1');
    await inbox.waitFor(1, 5000);
    await until(() => earth.store.usage().bundles === 0);
  });

  it('keeps a written bundle until the link proved usable after it: bytes a dying peer never read are sent again', async () => {
    const network = createFakeNetwork();
    const earth = await node('dtn://earth.dtn/', network, 'earth:1', { options: { sentConfirmMs: 400 } });
    const mars = await node('dtn://mars.dtn/', network, 'mars:1');
    const inbox = recordingAgent();
    mars.bpa.register('dtn://mars.dtn/smtp', inbox.sink);
    apply(earth, plan('dtn://mars.dtn/', 'mtcp:mars:1', { start: Date.now() - 1, end: Date.now() + 60_000 }));
    const send = (m: string) => earth.bpa.submit({ source: 'dtn://earth.dtn/smtp', destination: 'dtn://mars.dtn/smtp', payload: new TextEncoder().encode(m) });
    network.blackhole('mars:1'); // the kernel takes the bytes, the peer dies before reading them
    await send('lost on the wire');
    await earth.waitFor('bundle.forwarded');
    network.breakAddress('mars:1'); // the peer's RST: the link reports its connection gone
    await earth.waitFor('link.lost');
    await send('next');
    expect(earth.store.usage().bundles).toBe(2);
    network.healthy('mars:1'); // the peer is back
    await inbox.waitFor(2, 5000);
    expect(inbox.received.map((a) => new TextDecoder().decode(a.payload))).toEqual(['lost on the wire', 'next']);
    await until(() => earth.store.usage().bundles === 0, 3000);
  });

  it('closes the link when the contact ends; what was not sent waits for the next contact', async () => {
    const { network, earth, inbox, send } = await pair();
    const now = Date.now();
    apply(earth, plan('dtn://mars.dtn/', 'mtcp:mars:1', { start: now - 1, end: now + 300 }, { start: now + 800, end: now + 60_000 }));
    await send(payloadOf(10));
    await inbox.waitFor(1);
    await earth.waitFor('link.closed', () => true, 3000);
    expect(earth.named('contact.ended')).toHaveLength(1);
    await send(payloadOf(11));
    await inbox.waitFor(2, 3000);
    expect(network.sent[1]?.at).toBeGreaterThanOrEqual(now + 800);
  });
});

describe('proactive fragmentation (RFC 9171 §5.8)', () => {
  it('splits a bundle above the maximum bundle size; every fragment on the wire fits; the receiver delivers one ADU', async () => {
    const { network, earth, inbox, send } = await pair({ maxBundleSize: 1024 });
    apply(earth, plan('dtn://mars.dtn/', 'mtcp:mars:1', { start: Date.now() - 1, end: Date.now() + 60_000 }));
    const payload = payloadOf(3113);
    await send(payload);
    const [adu] = await inbox.waitFor(1);
    expect(adu?.payload).toEqual(payload);
    expect(network.sent.length).toBeGreaterThanOrEqual(4);
    for (const f of network.sent) {
      expect(f.bytes.length).toBeLessThanOrEqual(1024);
      const d = decodeBundle(f.bytes);
      expect(d.ok && (d.value.bundle.primary.flags & BundleFlag.IS_FRAGMENT) !== 0).toBe(true);
    }
    const fragmented = earth.named('bundle.fragmented');
    expect(fragmented.map((e) => `${e['n']}/${e['of']}`)).toEqual(fragmented.map((_, i) => `${i + 1}/${fragmented.length}`));
    await until(() => earth.store.usage().bundles === 0);
  });

  it('starts a contact whose timer fired before the clock read its start time', async () => {
    // The timer run reads the clock once: its tick() saw the contact not started yet, so the next timer
    // must be for the start, not for the end (router.nextEvent of a later reading), or the bundle would
    // wait the whole minute.
    const clock = earlyTimerClock();
    const { network, earth, inbox, send } = await pair({}, clock);
    const start = clock() + 300;
    apply(earth, plan('dtn://mars.dtn/', 'mtcp:mars:1', { start, end: start + 60_000 }));
    await send(payloadOf(100));
    await earth.waitFor('bundle.waiting');
    const [adu] = await inbox.waitFor(1, 3000);
    expect(adu?.payload).toEqual(payloadOf(100));
    expect(network.sent[0]?.at).toBeGreaterThanOrEqual(start - 5);
    expect(earth.named('contact.started')).toHaveLength(1);
  });

  it('splits a bundle to the remaining volume of a contact and sends the rest on the next one', async () => {
    const { network, earth, inbox, send } = await pair();
    const now = Date.now();
    // 2 s at 1500 B/s = 3000 bytes, half of it left now (uD3TN reckons the remaining volume by time left).
    apply(earth, plan('dtn://mars.dtn/', 'mtcp:mars:1', { start: now - 1000, end: now + 1000, rate: 1500 }, { start: now + 1200, end: now + 60_000 }));
    const payload = payloadOf(2500);
    await send(payload);
    const [adu] = await inbox.waitFor(1, 6000);
    expect(adu?.payload).toEqual(payload);
    // The first fragment fills what is left of the first contact; the rest (one fragment, or two when the
    // pacing of the first leaves no time for a second) goes when the next contact starts.
    expect(network.sent.length).toBeGreaterThanOrEqual(2);
    expect(network.sent[0]?.bytes.length).toBeLessThanOrEqual(1500);
    expect(network.sent[0]?.at).toBeLessThan(now + 1200);
    expect(network.sent[network.sent.length - 1]?.at).toBeGreaterThanOrEqual(now + 1200);
  });

  it('"must not fragment": waits for a contact with room for all of it; larger than the maximum bundle size, it is deleted (reason 7)', async () => {
    const { network, earth, inbox, send } = await pair({ maxBundleSize: 4096 });
    const now = Date.now();
    // The first contact has about 125 bytes left: too few for the 2000-byte bundle, which waits for the second.
    apply(earth, plan('dtn://mars.dtn/', 'mtcp:mars:1', { start: now - 1000, end: now + 250, rate: 500 }, { start: now + 300, end: now + 60_000 }));
    await send(payloadOf(2000), { mustNotFragment: true });
    await send(payloadOf(5000), { mustNotFragment: true });
    const deleted = await earth.waitFor('bundle.deleted');
    expect(deleted['reason']).toBe(7);
    const [adu] = await inbox.waitFor(1, 4000);
    expect(adu?.payload.length).toBe(2000);
    expect(network.sent[0]?.at).toBeGreaterThanOrEqual(now + 300);
    expect(earth.named('bundle.fragmented')).toHaveLength(0);
  });
});

describe('the link model: data rate and one-way light time', () => {
  it('paces bundles at the contact rate (transmission time = bytes / rate)', async () => {
    const { network, earth, inbox, send } = await pair();
    apply(earth, plan('dtn://mars.dtn/', 'mtcp:mars:1', { start: Date.now() - 1, end: Date.now() + 60_000, rate: 10_000 }));
    const t0 = Date.now();
    for (let i = 0; i < 3; i++) await send(payloadOf(1000, i));
    await inbox.waitFor(3, 5000);
    const size = network.sent[0]?.bytes.length ?? 0;
    // Each ~1060-byte bundle takes ~106 ms at 10 kB/s; the third is written after three transmission times.
    expect(network.sent[2]?.at ?? 0).toBeGreaterThanOrEqual(t0 + Math.floor((3 * size * 1000) / 10_000) - 5);
    expect((network.sent[1]?.at ?? 0) - (network.sent[0]?.at ?? 0)).toBeGreaterThanOrEqual(Math.floor((size * 1000) / 10_000) - 5);
  });

  it('holds the bytes for the one-way light time; the bundle stays stored until they were written', async () => {
    const { network, earth, inbox, send } = await pair();
    apply(earth, plan('dtn://mars.dtn/', 'mtcp:mars:1', { start: Date.now() - 1, end: Date.now() + 60_000, owlt: 500 }));
    const t0 = Date.now();
    await send(payloadOf(50));
    await new Promise((r) => setTimeout(r, 250));
    expect(network.sent).toHaveLength(0);
    expect(earth.store.usage().bundles).toBe(1);
    await inbox.waitFor(1, 3000);
    expect(network.sent[0]?.at).toBeGreaterThanOrEqual(t0 + 500);
    await until(() => earth.store.usage().bundles === 0);
  });
});
