/**
 * The delivery queue (delivery.ts) on its own: a fake bundle index and agent sinks the test drives, fake
 * timers (performance.now included, the settle window's clock). The rules under test are delivery.ts's
 * file comment: an unacknowledged (AAP v1) delivery is only written, settles after settleMs of its
 * registration, and goes back to the front of the queue, in order, when the registration ends sooner.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ok } from '../../shared/errors';
import type { Bundle } from '../../shared/protocol/bpv7/types';
import type { BundleIndex, Tracked } from './bundle-index';
import { createDelivery, type DeliveredFacts, type Delivery } from './delivery';
import { bundleForSubmit } from './submitted-bundle';
import type { AgentSink, DeliveredAdu, LogEvent } from './types';

const EID = 'dtn://earth.dtn/inbox';
const WINDOW = 100;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A stored bundle for EID whose payload is `name`, tracked as the processor would. */
function tracked(name: string, sequence: number): Tracked {
  const shape = bundleForSubmit({ source: 'dtn://mars.dtn/smtp', destination: EID, payload: new TextEncoder().encode(name) }, { time: 1000, sequence }, 60_000);
  if (!shape.ok) throw new Error(shape.error.message);
  return {
    id: `dtn://mars.dtn/smtp 1000 ${sequence}`,
    source: 'dtn://mars.dtn/smtp',
    destination: EID,
    expiresAt: Date.now() + 60_000,
    reportFlags: 0,
    receivedAt: Date.now(),
    origin: 'cla',
    size: 64,
    state: 'deliver',
    gone: false,
    bundle: shape.value.bundle,
    contactId: undefined,
    committed: 0,
    outgoing: undefined,
  };
}

/** The index as delivery.ts uses it: decode, uncache, commitRemovals. A bundle is kept for decode after uncache (the store has it). */
function fakeIndex(): BundleIndex & { readonly uncached: string[]; commits: number } {
  const stored = new Map<string, Bundle>();
  const index = {
    uncached: [] as string[],
    commits: 0,
    size: 0,
    get: () => undefined,
    all: () => new Map<string, Tracked>().values(),
    add: () => {
      throw new Error('not used by delivery.ts');
    },
    uncache(t: Tracked) {
      if (t.bundle !== undefined) stored.set(t.id, t.bundle);
      t.bundle = undefined;
      index.uncached.push(t.id);
    },
    decode(t: Tracked) {
      const b = t.bundle ?? stored.get(t.id);
      if (b === undefined) throw new Error(`no bundle ${t.id}`);
      return ok(b);
    },
    remove: () => true,
    commitRemovals() {
      index.commits++;
    },
    forget: () => undefined,
    cachedBytes: () => 0,
  };
  return index;
}

interface Harness {
  readonly delivery: Delivery;
  readonly index: ReturnType<typeof fakeIndex>;
  /** Payload names of settled bundles, in the order delivered() was called. */
  readonly delivered: string[];
  readonly facts: DeliveredFacts[];
  readonly events: LogEvent[];
}

function harness(settleMs: number = WINDOW): Harness {
  const index = fakeIndex();
  const delivered: string[] = [];
  const facts: DeliveredFacts[] = [];
  const events: LogEvent[] = [];
  const delivery = createDelivery({
    index,
    log: (e) => events.push(e),
    settleMs,
    delivered(t, f) {
      const b = index.decode(t);
      if (!b.ok) throw new Error('undecodable');
      const payload = b.value.blocks.find((x) => x.type === 1);
      delivered.push(payload === undefined ? '?' : text(payload.data));
      facts.push(f);
    },
    unreadable: () => undefined,
  });
  return { delivery, index, delivered, facts, events };
}

/** An AAP v1-like sink: answers true at once (written), or holds the answer while `hold` is set. */
function v1Sink(opts: { unacknowledged?: boolean } = {}): AgentSink & { readonly got: string[]; hold: boolean; answer(v: boolean): void } {
  const pending: ((v: boolean) => void)[] = [];
  const sink = {
    got: [] as string[],
    hold: false,
    unacknowledged: opts.unacknowledged ?? true,
    deliver(adu: DeliveredAdu): Promise<boolean> {
      sink.got.push(text(adu.payload));
      if (!sink.hold) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => pending.push(resolve));
    },
    answer(v: boolean) {
      for (const r of pending.splice(0)) r(v);
    },
  };
  return sink;
}

/** Let the queue's promise chains run (no timer moves). */
async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

function register(h: Harness, sink: AgentSink): { release(): void } {
  const r = h.delivery.register(EID, sink, { role: 'v1' });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

describe('an unacknowledged (AAP v1) delivery settles', () => {
  it('writes every queued bundle at once (no round trip per ADU) and reports none delivered before the window', async () => {
    const h = harness();
    const sink = v1Sink();
    register(h, sink);
    for (const [i, n] of ['a', 'b', 'c'].entries()) h.delivery.enqueue(tracked(n, i + 1));
    await flush();
    expect(sink.got).toEqual(['a', 'b', 'c']);
    expect(h.delivered).toEqual([]);
    expect(h.index.uncached).toEqual(['dtn://mars.dtn/smtp 1000 1', 'dtn://mars.dtn/smtp 1000 2', 'dtn://mars.dtn/smtp 1000 3']);
    await vi.advanceTimersByTimeAsync(WINDOW - 1);
    expect(h.delivered).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.delivered).toEqual(['a', 'b', 'c']);
    expect(h.facts[0]).toEqual({ bytes: 1, admin: false });
  });

  it('settles what was written a window ago when the next write proves the connection still there', async () => {
    const h = harness();
    const sink = v1Sink();
    register(h, sink);
    h.delivery.enqueue(tracked('a', 1));
    await flush();
    await vi.advanceTimersByTimeAsync(WINDOW / 2);
    h.delivery.enqueue(tracked('b', 2));
    await flush();
    expect(h.delivered).toEqual([]);
    await vi.advanceTimersByTimeAsync(WINDOW / 2);
    expect(h.delivered).toEqual(['a']);
    await vi.advanceTimersByTimeAsync(WINDOW / 2);
    expect(h.delivered).toEqual(['a', 'b']);
  });

  it('a registration released within the window puts its unsettled bundles back at the front, in order, for the next registration', async () => {
    const h = harness();
    const first = v1Sink();
    const reg = register(h, first);
    for (const [i, n] of ['a', 'b', 'c'].entries()) h.delivery.enqueue(tracked(n, i + 1));
    await flush();
    expect(first.got).toEqual(['a', 'b', 'c']);
    await vi.advanceTimersByTimeAsync(WINDOW / 2);
    reg.release();
    h.delivery.enqueue(tracked('d', 4));
    await flush();
    expect(h.delivered).toEqual([]);
    expect(h.delivery.waiting().get(EID)).toBe(4);
    expect(h.events).toContainEqual({ event: 'delivery.requeued', agent: EID, bundles: 3 });
    // The first registration's timer must no longer settle them.
    await vi.advanceTimersByTimeAsync(WINDOW * 2);
    expect(h.delivered).toEqual([]);
    const second = v1Sink();
    register(h, second);
    await flush();
    expect(second.got).toEqual(['a', 'b', 'c', 'd']);
    await vi.advanceTimersByTimeAsync(WINDOW);
    expect(h.delivered).toEqual(['a', 'b', 'c', 'd']);
  });

  it('the ADU in hand-over when the registration ends goes behind the requeued ones, whatever the stale sink answers', async () => {
    const h = harness();
    const first = v1Sink();
    const reg = register(h, first);
    h.delivery.enqueue(tracked('a', 1));
    h.delivery.enqueue(tracked('b', 2));
    await flush();
    first.hold = true;
    h.delivery.enqueue(tracked('c', 3));
    h.delivery.enqueue(tracked('d', 4));
    await flush();
    expect(first.got).toEqual(['a', 'b', 'c']);
    reg.release();
    const second = v1Sink();
    register(h, second);
    await flush();
    // The queue is still waiting for the first sink's answer; a late "written" must not count.
    expect(second.got).toEqual([]);
    first.answer(true);
    await flush();
    expect(second.got).toEqual(['a', 'b', 'c', 'd']);
    await vi.advanceTimersByTimeAsync(WINDOW);
    expect(h.delivered).toEqual(['a', 'b', 'c', 'd']);
  });

  it('on release, what already lasted the window is delivered (its timer was late) and only the rest comes again', async () => {
    // Only the clock is fake here: the real settle timer cannot fire within this synchronous test, as
    // when a busy event loop runs it late.
    vi.useRealTimers();
    vi.useFakeTimers({ toFake: ['performance'] });
    const h = harness();
    const first = v1Sink();
    const reg = register(h, first);
    h.delivery.enqueue(tracked('a', 1));
    await flush();
    vi.advanceTimersByTime(WINDOW - 20);
    h.delivery.enqueue(tracked('b', 2));
    await flush();
    vi.advanceTimersByTime(30);
    expect(h.delivered).toEqual([]);
    reg.release();
    expect(h.delivered).toEqual(['a']);
    const second = v1Sink();
    register(h, second);
    await flush();
    expect(second.got).toEqual(['b']);
    h.delivery.close();
  });

  it('a bundle that expired while it settled is neither delivered nor requeued, and nothing throws', async () => {
    const h = harness();
    const first = v1Sink();
    const reg = register(h, first);
    const a = tracked('a', 1);
    const b = tracked('b', 2);
    h.delivery.enqueue(a);
    h.delivery.enqueue(b);
    await flush();
    a.gone = true;
    await vi.advanceTimersByTimeAsync(WINDOW);
    expect(h.delivered).toEqual(['b']);
    const c = tracked('c', 3);
    h.delivery.enqueue(c);
    await flush();
    c.gone = true;
    reg.release();
    expect(h.events.filter((e) => e.event === 'delivery.requeued')).toEqual([]);
    const second = v1Sink();
    register(h, second);
    await flush();
    expect(second.got).toEqual([]);
  });

  it('a store failing while a release settles is logged, not thrown into the connection\'s close handler', async () => {
    vi.useRealTimers();
    vi.useFakeTimers({ toFake: ['performance'] });
    const events: LogEvent[] = [];
    const index = fakeIndex();
    const delivery = createDelivery({
      index,
      log: (e) => events.push(e),
      settleMs: WINDOW,
      delivered: () => {
        throw new Error('disk I/O error');
      },
      unreadable: () => undefined,
    });
    const sink = v1Sink();
    const r = delivery.register(EID, sink, { role: 'v1' });
    if (!r.ok) throw new Error(r.error.message);
    delivery.enqueue(tracked('a', 1));
    await flush();
    vi.advanceTimersByTime(WINDOW);
    expect(() => r.value.release()).not.toThrow();
    expect(events).toContainEqual({ event: 'bpa.internal_error', where: 'delivery', agent: EID, message: 'disk I/O error' });
    delivery.close();
  });

  it('close() (a clean stop) leaves unsettled bundles undelivered: they stay stored for the next start', async () => {
    const h = harness();
    const sink = v1Sink();
    const reg = register(h, sink);
    h.delivery.enqueue(tracked('a', 1));
    await flush();
    h.delivery.close();
    reg.release();
    await vi.advanceTimersByTimeAsync(WINDOW * 3);
    expect(h.delivered).toEqual([]);
    expect(h.events.filter((e) => e.event === 'delivery.requeued')).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('commits the removals made so far before each hand-over (settled deletes ride along)', async () => {
    const h = harness();
    register(h, v1Sink());
    h.delivery.enqueue(tracked('a', 1));
    h.delivery.enqueue(tracked('b', 2));
    await flush();
    expect(h.index.commits).toBe(2);
  });
});

describe('sinks that answer when the application has the ADU', () => {
  it('an acknowledged sink (AAP 2.0 subscriber, built-in agent) is delivered at its true, with no window', async () => {
    const h = harness();
    const sink = v1Sink({ unacknowledged: false });
    register(h, sink);
    h.delivery.enqueue(tracked('a', 1));
    await flush();
    expect(h.delivered).toEqual(['a']);
    expect(h.index.uncached).toEqual([]);
  });

  it('an acknowledged sink that confirmed just before its registration ended still counts as delivered', async () => {
    const h = harness();
    const sink = v1Sink({ unacknowledged: false });
    sink.hold = true;
    const reg = register(h, sink);
    h.delivery.enqueue(tracked('a', 1));
    h.delivery.enqueue(tracked('b', 2));
    await flush();
    sink.answer(true);
    reg.release();
    await flush();
    expect(h.delivered).toEqual(['a']);
    const second = v1Sink();
    register(h, second);
    await flush();
    expect(second.got).toEqual(['b']);
  });

  it('settleMs 0 turns the window off: an AAP v1 write is a delivery', async () => {
    const h = harness(0);
    register(h, v1Sink());
    h.delivery.enqueue(tracked('a', 1));
    await flush();
    expect(h.delivered).toEqual(['a']);
  });
});
