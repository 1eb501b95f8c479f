import { describe, expect, it } from 'vitest';
import { haveVectors, ud3tnVector } from '../../../shared/test-support/vectors';
import { parseConfig } from '../../../shared/protocol/ud3tn-config/parse';
import { createRouter } from './router';
import type { Router } from './router';
import type { ContactInput, PlanCommand } from './types';

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
const S = 1000;
const H = 3_600_000;

function contact(start: number, end: number, rateBytesPerSec: number, extra: Partial<ContactInput> = {}): ContactInput {
  return { start, end, rateBytesPerSec, owltMs: 0, reachableEids: [], ...extra };
}

function add(nodeId: string, claAddress: string, contacts: ContactInput[], reachableEids: string[] = []): PlanCommand {
  return { command: 'add', nodeId, claAddress, reachableEids, contacts };
}

function routerWith(commands: PlanCommand[], now = T0): Router {
  const router = createRouter();
  const r = router.applyPlan(commands, now);
  if (!r.ok) throw new Error(r.error.message);
  return router;
}

describe('config commands from uD3TN', () => {
  it.runIf(haveVectors)('the real config payload makes mars reachable over MTCP with unlimited volume', () => {
    const message = ud3tnVector('aap1/earth-config_04_c2n_SENDBUNDLE.bin');
    const commands = parseConfig(message.subarray(1 + 2 + 22 + 8));
    if (!commands.ok) throw new Error(commands.error.message);
    // {848946030,849032430,1000000000}: DTN seconds → 2026-11-25T16:20:30Z for one day.
    const start = Date.UTC(2000, 0, 1) + 848946030 * S;
    const router = createRouter();
    const applied = router.applyConfig(commands.value, start + 1);
    expect(applied.ok && applied.value.added.map((c) => [c.peerNodeId, c.claAddress, c.start, c.end, c.rateBytesPerSec])).toEqual([
      ['dtn://mars.dtn/', 'mtcp:127.0.0.1:15225', start, start + 86400 * S, 1000000000],
    ]);
    const d = router.route('dtn://mars.dtn/smtp', 442, start + 1);
    expect(d.kind === 'forward-now' && [d.contact.peerNodeId, d.maxBundleBytes]).toEqual(['dtn://mars.dtn/', Number.POSITIVE_INFINITY]);
  });

  it('applies OWLT to config contacts and refuses query like uD3TN leaves it unimplemented', () => {
    const router = createRouter();
    const dtn = (ms: number): number => (ms - Date.UTC(2000, 0, 1)) / S;
    const r = router.applyConfig(
      [{ command: 'add', nodeId: 'ipn:2.0', claAddress: 'mtcp:h:1', reachableEids: [], contacts: [{ start: dtn(T0), end: dtn(T0 + H), rate: 10, reachableEids: [] }] }],
      T0,
      { owltMs: 1500 },
    );
    expect(r.ok && r.value.added[0]?.owltMs).toBe(1500);
    const q = router.applyConfig([{ command: 'query', nodeId: 'ipn:2.0', reachableEids: [], contacts: [] }], T0);
    expect(q.ok || q.error.code).toBe('UNSUPPORTED');
  });
});

describe('route: contacts in the past, present and future', () => {
  const plan = [add('dtn://mars.dtn/', 'mtcp:127.0.0.1:4224', [contact(T0 - 2 * H, T0 - H, 1000), contact(T0 - 10 * S, T0 + 10 * S, 100), contact(T0 + H, T0 + 2 * H, 1000)])];

  it('an active contact carries the bundle now', () => {
    const router = routerWith(plan, T0 - 3 * H);
    const d = router.route('dtn://mars.dtn/smtp', 100, T0);
    // 20 s × 100 B/s = 2000 B, half the time left → 1000 B.
    expect(d.kind === 'forward-now' && [d.contact.start, d.maxBundleBytes]).toEqual([T0 - 10 * S, 1000]);
  });

  it('after the active contact, the bundle waits for the next one; ended contacts are never chosen', () => {
    const router = routerWith(plan, T0 - 3 * H);
    const d = router.route('dtn://mars.dtn/smtp', 100, T0 + 10 * S);
    expect(d.kind === 'wait' && [d.until, d.contact.end, d.maxBundleBytes]).toEqual([T0 + H, T0 + 2 * H, 3_600_000]);
    expect(router.route('dtn://mars.dtn/smtp', 100, T0 + 2 * H)).toEqual({ kind: 'no-route', reason: 'no-usable-contact' });
  });

  it('prefers an active contact over a future one that ends earlier, then the earliest end', () => {
    const router = routerWith([
      add('dtn://relay-a.dtn/', 'mtcp:a:1', [contact(T0 - H, T0 + 10 * H, 1000)], ['dtn://mars.dtn/']),
      add('dtn://relay-b.dtn/', 'mtcp:b:1', [contact(T0 + 60 * S, T0 + 120 * S, 1000)], ['dtn://mars.dtn/']),
      add('dtn://relay-c.dtn/', 'mtcp:c:1', [contact(T0 - H, T0 + 5 * H, 1000)], ['dtn://mars.dtn/']),
    ]);
    const d = router.route('dtn://mars.dtn/smtp', 10, T0);
    expect(d.kind === 'forward-now' && d.contact.peerNodeId).toBe('dtn://relay-c.dtn/');
  });

  it('no contact to the destination at all, or none before the bundle expires', () => {
    const router = routerWith(plan, T0 - 3 * H);
    expect(router.route('dtn://venus.dtn/smtp', 1, T0)).toEqual({ kind: 'no-route', reason: 'unknown-destination' });
    expect(router.route('dtn://mars.dtn/smtp', 1, T0 + 10 * S, { expiresAt: T0 + H })).toEqual({ kind: 'no-route', reason: 'no-usable-contact' });
    expect(router.route('dtn://mars.dtn/smtp', 1, T0 + 10 * S, { expiresAt: T0 + H + 1 }).kind).toBe('wait');
  });
});

describe('route: volume', () => {
  // mars: 10 s × 100 B/s = 1000 B from T0; then 1000 s × 10 B/s = 10000 B from T0 + 1 h.
  const plan = [add('dtn://mars.dtn/', 'mtcp:m:1', [contact(T0, T0 + 10 * S, 100), contact(T0 + H, T0 + H + 1000 * S, 10)])];

  it('tracks remaining volume; a bigger bundle gets the rest for proactive fragmentation and the next contact the remainder', () => {
    const router = routerWith(plan);
    const first = router.route('dtn://mars.dtn/a', 400, T0);
    expect(first.kind === 'forward-now' && first.maxBundleBytes).toBe(1000);
    if (first.kind !== 'forward-now') return;
    expect(router.consume(first.contact.id, 400).ok).toBe(true);
    expect(router.remaining(first.contact.id, T0)).toBe(600);

    const big = router.route('dtn://mars.dtn/a', 1500, T0);
    expect(big.kind === 'forward-now' && [big.contact.id, big.maxBundleBytes]).toEqual([first.contact.id, 600]);
    expect(router.consume(first.contact.id, 600).ok).toBe(true);
    const rest = router.route('dtn://mars.dtn/a', 900, T0);
    expect(rest.kind === 'wait' && [rest.until, rest.maxBundleBytes]).toEqual([T0 + H, 10000]);
  });

  it('during a contact, the time left bounds the volume too (uD3TN contact_get_remaining_capacity_bytes)', () => {
    const router = routerWith(plan);
    const id = router.contacts()[0]?.id as string;
    expect(router.remaining(id, T0 + 7500)).toBe(250);
    router.consume(id, 900);
    expect(router.remaining(id, T0 + 5 * S)).toBe(100);
    expect(router.remaining(id, T0 + 10 * S)).toBe(0);
    expect(router.release(id, 400).ok).toBe(true);
    expect(router.remaining(id, T0)).toBe(500);
  });

  it('mustNotFragment skips contacts too small for the whole bundle; minFragmentBytes skips slivers', () => {
    const router = routerWith(plan);
    const id = router.contacts()[0]?.id as string;
    router.consume(id, 950);
    expect(router.route('dtn://mars.dtn/a', 100, T0, { mustNotFragment: true }).kind).toBe('wait');
    expect(router.route('dtn://mars.dtn/a', 100, T0, { minFragmentBytes: 60 }).kind).toBe('wait');
    const d = router.route('dtn://mars.dtn/a', 100, T0, { minFragmentBytes: 50 });
    expect(d.kind === 'forward-now' && d.maxBundleBytes).toBe(50);
    expect(router.route('dtn://mars.dtn/a', 20000, T0 + 2 * H, { mustNotFragment: true })).toEqual({ kind: 'no-route', reason: 'no-usable-contact' });
  });

  it('minFragmentBytes as a function is worked out only when a contact has less room than the whole bundle', () => {
    const router = routerWith(plan);
    const id = router.contacts()[0]?.id as string;
    let asked = 0;
    const floor = (value: number) => () => {
      asked++;
      return value;
    };
    expect(router.route('dtn://mars.dtn/a', 100, T0, { minFragmentBytes: floor(60) }).kind).toBe('forward-now');
    expect(asked).toBe(0);
    router.consume(id, 950);
    expect(router.route('dtn://mars.dtn/a', 100, T0, { minFragmentBytes: floor(60) }).kind).toBe('wait');
    const d = router.route('dtn://mars.dtn/a', 100, T0, { minFragmentBytes: floor(50) });
    expect(d.kind === 'forward-now' && d.maxBundleBytes).toBe(50);
    expect(asked).toBe(2);
  });

  it('capacity at INT32_MAX counts as unlimited, INT32_MAX − 1 does not (node.c recalculate_contact_capacity)', () => {
    const router = routerWith([
      add('dtn://a.dtn/', 'mtcp:a:1', [contact(T0, T0 + S, 2147483647)]),
      add('dtn://b.dtn/', 'mtcp:b:1', [contact(T0, T0 + S, 2147483646)]),
    ]);
    const a = router.route('dtn://a.dtn/x', 1, T0);
    const b = router.route('dtn://b.dtn/x', 1, T0);
    expect([a.kind === 'forward-now' && a.maxBundleBytes, b.kind === 'forward-now' && b.maxBundleBytes]).toEqual([Number.POSITIVE_INFINITY, 2147483646]);
  });

  it('consume and release refuse unknown contacts and bad byte counts', () => {
    const router = routerWith(plan);
    const id = router.contacts()[0]?.id as string;
    const codes = [router.consume('nope', 1), router.release('nope', 1), router.consume(id, -1), router.consume(id, 1.5)].map((r) => r.ok || r.error.code);
    expect(codes).toEqual(['NOT_FOUND', 'NOT_FOUND', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT']);
  });
});

describe('route: destinations and reachable EIDs (uD3TN router_lookup_destination)', () => {
  const router = routerWith([
    add('dtn://mars.dtn', 'mtcp:m:1', [contact(T0 - H, T0 + H, 1000), contact(T0 + 2 * H, T0 + 3 * H, 1000, { reachableEids: ['dtn://deimos.dtn/relay'] })], ['dtn://phobos.dtn/any', 'dtn://group/~all']),
    add('ipn:2.0', 'tcpclv3:10.0.0.2:4556', [contact(T0 - H, T0 + H, 1000)], ['ipn:7.3']),
  ]);
  const via = (dest: string): string => {
    const d = router.route(dest, 1, T0);
    return d.kind === 'no-route' ? d.reason : `${d.kind} ${d.contact.peerNodeId} ${d.kind === 'wait' ? d.until - T0 : 0}`;
  };

  it('by node ID, whatever the demux, with or without the trailing slash', () => {
    expect(via('dtn://mars.dtn/smtp')).toBe('forward-now dtn://mars.dtn/ 0');
    expect(via('dtn://mars.dtn/a/b')).toBe('forward-now dtn://mars.dtn/ 0');
    expect(via('dtn://mars.dtn')).toBe('forward-now dtn://mars.dtn/ 0');
    expect(via('ipn:2.25')).toBe('forward-now ipn:2.0 0');
  });

  it('node-level reachable EIDs stand for their node and reach it during every contact of the node', () => {
    expect(via('dtn://phobos.dtn/smtp')).toBe('forward-now dtn://mars.dtn/ 0');
    expect(via('ipn:7.25')).toBe('forward-now ipn:2.0 0');
  });

  it('contact-level reachable EIDs reach their node only during that contact', () => {
    expect(via('dtn://deimos.dtn/smtp')).toBe(`wait dtn://mars.dtn/ ${2 * H}`);
  });

  it('by node ID, not by text prefix; non-singleton EIDs by exact text', () => {
    expect(via('dtn://phobos.dtn.evil/smtp')).toBe('unknown-destination');
    expect(via('dtn://mars.dtnx/smtp')).toBe('unknown-destination');
    expect(via('ipn:22.1')).toBe('unknown-destination');
    expect(via('dtn://group/~all')).toBe('forward-now dtn://mars.dtn/ 0');
    expect(via('dtn://group/~other')).toBe('unknown-destination');
  });
});

describe('nextEvent, activeContacts, dropExpired', () => {
  const plan = [
    add('dtn://a.dtn/', 'mtcp:a:1', [contact(T0 - H, T0 + 30 * S, 10), contact(T0 + H, T0 + 2 * H, 10)]),
    add('dtn://b.dtn/', 'mtcp:b:1', [contact(T0 + 20 * S, T0 + 40 * S, 10)]),
  ];

  it('the next start or end after now', () => {
    const router = routerWith(plan);
    expect(router.nextEvent(T0)).toBe(T0 + 20 * S);
    expect(router.nextEvent(T0 + 20 * S)).toBe(T0 + 30 * S);
    expect(router.nextEvent(T0 + 30 * S)).toBe(T0 + 40 * S);
    expect(router.nextEvent(T0 + 40 * S)).toBe(T0 + H);
    expect(router.nextEvent(T0 + 2 * H)).toBeUndefined();
  });

  it('active contacts, and ended ones removed and returned', () => {
    const router = routerWith(plan);
    expect(router.activeContacts(T0 + 25 * S).map((c) => c.peerNodeId)).toEqual(['dtn://a.dtn/', 'dtn://b.dtn/']);
    expect(router.dropExpired(T0 + 30 * S).map((c) => [c.peerNodeId, c.end])).toEqual([['dtn://a.dtn/', T0 + 30 * S]]);
    expect(router.contacts().length).toBe(2);
    expect(router.dropExpired(T0 + 30 * S)).toEqual([]);
    expect(router.route('dtn://a.dtn/x', 1, T0).kind).toBe('wait');
  });
});

describe('estimateArrival: contact start + transmission time + OWLT', () => {
  const MARS_OWLT = 12 * 60 * S;

  it('a future contact: start, bytes / rate, then the light time', () => {
    const router = routerWith([add('dtn://mars.dtn/', 'mtcp:m:1', [contact(T0 + H, T0 + 2 * H, 1000, { owltMs: MARS_OWLT })])]);
    // 5000 B at 1000 B/s = 5 s.
    expect(router.estimateArrival('dtn://mars.dtn/smtp', 5000, T0)).toBe(T0 + H + 5 * S + MARS_OWLT);
  });

  it('an active contact sends from now, after the bytes already committed to it', () => {
    const router = routerWith([add('dtn://mars.dtn/', 'mtcp:m:1', [contact(T0 - S, T0 + H, 1000, { owltMs: MARS_OWLT })])]);
    expect(router.estimateArrival('dtn://mars.dtn/smtp', 500, T0)).toBe(T0 + 500 + MARS_OWLT);
    router.consume(router.contacts()[0]?.id as string, 3000);
    // Committed bytes occupy T0 − 1 s … T0 + 2 s.
    expect(router.estimateArrival('dtn://mars.dtn/smtp', 500, T0)).toBe(T0 + 2 * S + 500 + MARS_OWLT);
  });

  it('fragments over several contacts: the last arrival counts', () => {
    const router = routerWith([
      add('dtn://mars.dtn/', 'mtcp:m:1', [contact(T0, T0 + 10 * S, 100), contact(T0 + H, T0 + 2 * H, 1000, { owltMs: 500 })]),
    ]);
    // 1000 B in the first contact (10 s), 500 B in the second (0.5 s + 0.5 s OWLT).
    expect(router.estimateArrival('dtn://mars.dtn/x', 1500, T0)).toBe(T0 + H + S);
    expect(router.estimateArrival('dtn://mars.dtn/x', 1000, T0)).toBe(T0 + 10 * S);
    expect(router.estimateArrival('dtn://mars.dtn/x', 1500, T0, { mustNotFragment: true })).toBe(T0 + H + 2 * S);
    expect(router.estimateArrival('dtn://mars.dtn/x', 3_601_001, T0)).toBeUndefined();
    expect(router.estimateArrival('dtn://venus.dtn/x', 1, T0)).toBeUndefined();
  });
});

describe('commands (uD3TN routing_table.c semantics)', () => {
  const cla = 'mtcp:127.0.0.1:4224';

  it('add: a new node needs a CLA address; an existing node keeps it unless a new one is given', () => {
    const router = createRouter();
    const none = router.applyPlan([{ command: 'add', nodeId: 'dtn://m/', reachableEids: [], contacts: [contact(T0, T0 + H, 1)] }], T0);
    expect(none.ok || none.error.code).toBe('CONFIG_INVALID');
    router.applyPlan([add('dtn://m/', cla, [contact(T0, T0 + H, 1)])], T0);
    router.applyPlan([add('dtn://m', '', [contact(T0 + 2 * H, T0 + 3 * H, 1)])], T0);
    expect(router.contacts().map((c) => c.claAddress)).toEqual([cla, cla]);
    router.applyPlan([add('dtn://m/x', 'tcpclv3:h:4556', [])], T0);
    expect(router.contacts().map((c) => c.claAddress)).toEqual(['tcpclv3:h:4556', 'tcpclv3:h:4556']);
  });

  it('add: an overlapping contact merges (earliest start, latest end, new rate, EIDs united, id and volume used kept)', () => {
    const router = routerWith([add('dtn://m/', cla, [contact(T0, T0 + 100 * S, 10, { reachableEids: ['dtn://x/'] })])]);
    const id = router.contacts()[0]?.id as string;
    router.consume(id, 300);
    const r = router.applyPlan([add('dtn://m/', cla, [contact(T0 + 50 * S, T0 + 150 * S, 20, { reachableEids: ['dtn://y/'] })])], T0);
    expect(r.ok && [r.value.added.length, r.value.changed.map((c) => c.id)]).toEqual([0, [id]]);
    expect(router.contacts()).toEqual([
      { id, peerNodeId: 'dtn://m/', claAddress: cla, start: T0, end: T0 + 150 * S, rateBytesPerSec: 20, owltMs: 0, reachableEids: ['dtn://x/', 'dtn://y/'] },
    ]);
    // 150 s × 20 B/s − 300 B used.
    expect(router.remaining(id, T0)).toBe(2700);
  });

  it('add: a contact bridging two existing ones merges all three', () => {
    const router = routerWith([add('dtn://m/', cla, [contact(T0, T0 + 10 * S, 1), contact(T0 + 20 * S, T0 + 30 * S, 1)])]);
    const r = router.applyPlan([add('dtn://m/', cla, [contact(T0 + 5 * S, T0 + 25 * S, 1)])], T0);
    expect(r.ok && [r.value.changed.length, r.value.removed.length]).toEqual([1, 1]);
    expect(router.contacts().map((c) => [c.start - T0, c.end - T0])).toEqual([[0, 30 * S]]);
  });

  it('refuses, changing nothing: overlapping contacts in one command, ended contacts, end ≤ start, bad node IDs', () => {
    const router = routerWith([add('dtn://m/', cla, [contact(T0, T0 + H, 1)])]);
    const before = router.contacts();
    const bad: PlanCommand[] = [
      add('dtn://m/', cla, [contact(T0 + 2 * H, T0 + 4 * H, 1), contact(T0 + 3 * H, T0 + 5 * H, 1)]),
      add('dtn://m/', cla, [contact(T0 - 2 * H, T0 - H, 1)]),
      add('dtn://m/', cla, [contact(T0 + 2 * H, T0 + 2 * H, 1)]),
      add('dtn://m/~group', cla, []),
      add('mailto:a@b', cla, []),
      add('dtn://m/', cla, [contact(T0 + 2 * H, T0 + 3 * H, 1.5)]),
    ];
    for (const cmd of bad) {
      const r = router.applyPlan([cmd], T0);
      expect(r.ok || r.error.code).toBe('CONFIG_INVALID');
    }
    expect(router.contacts()).toEqual(before);
  });

  it('plan files may skip contacts that already ended', () => {
    const router = createRouter();
    const r = router.applyPlan([add('dtn://m/', cla, [contact(T0 - 2 * H, T0 - H, 1), contact(T0, T0 + H, 1)])], T0, { dropEnded: true });
    expect(r.ok && r.value.added.map((c) => c.start)).toEqual([T0]);
  });

  it('replace: only an existing node, with a CLA address; everything is replaced', () => {
    const router = routerWith([add('dtn://m/', cla, [contact(T0, T0 + H, 1)], ['dtn://x/'])]);
    const missing = router.applyPlan([{ command: 'replace', nodeId: 'dtn://n/', claAddress: cla, reachableEids: [], contacts: [] }], T0);
    const noCla = router.applyPlan([{ command: 'replace', nodeId: 'dtn://m/', reachableEids: [], contacts: [] }], T0);
    expect([missing.ok || missing.error.code, noCla.ok || noCla.error.code]).toEqual(['NOT_FOUND', 'CONFIG_INVALID']);
    const r = router.applyPlan([{ command: 'replace', nodeId: 'dtn://m/', claAddress: 'smtcp:h:4222', reachableEids: ['dtn://y/'], contacts: [contact(T0 + 2 * H, T0 + 3 * H, 1)] }], T0);
    expect(r.ok && [r.value.removed.map((c) => c.start), r.value.added.map((c) => c.start)]).toEqual([[T0], [T0 + 2 * H]]);
    expect(router.route('dtn://x/a', 1, T0)).toEqual({ kind: 'no-route', reason: 'unknown-destination' });
    const d = router.route('dtn://y/a', 1, T0);
    expect(d.kind === 'wait' && d.contact.claAddress).toBe('smtcp:h:4222');
  });

  it('delete: the whole node, listed node EIDs, listed contacts, or EIDs of a contact', () => {
    const c1 = contact(T0, T0 + H, 1, { reachableEids: ['dtn://c/', 'dtn://d/'] });
    const c2 = contact(T0 + 2 * H, T0 + 3 * H, 1);
    const router = routerWith([add('dtn://m/', cla, [c1, c2], ['dtn://x/', 'dtn://y/'])]);
    const del = (reachableEids: string[], contacts: ContactInput[]): void => {
      const r = router.applyPlan([{ command: 'delete', nodeId: 'dtn://m/', reachableEids, contacts }], T0);
      expect(r.ok).toBe(true);
    };
    del(['dtn://x/'], []);
    expect(router.route('dtn://x/a', 1, T0).kind).toBe('no-route');
    expect(router.route('dtn://y/a', 1, T0).kind).toBe('forward-now');
    del([], [{ ...c1, reachableEids: ['dtn://c/'] }]);
    expect(router.route('dtn://c/a', 1, T0).kind).toBe('no-route');
    expect(router.route('dtn://d/a', 1, T0).kind).toBe('forward-now');
    del([], [contact(T0, T0 + H, 99)]);
    expect(router.contacts().map((c) => c.start)).toEqual([T0 + 2 * H]);
    del([], []);
    expect(router.contacts()).toEqual([]);
    const gone = router.applyPlan([{ command: 'delete', nodeId: 'dtn://m/', reachableEids: [], contacts: [] }], T0);
    expect(gone.ok || gone.error.code).toBe('NOT_FOUND');
  });

  it('contact ids from a plan must be unique', () => {
    const router = routerWith([add('dtn://m/', cla, [contact(T0, T0 + H, 1, { id: 'pass-1' })])]);
    expect(router.contact('pass-1')?.start).toBe(T0);
    const r = router.applyPlan([add('dtn://n/', cla, [contact(T0, T0 + H, 1, { id: 'pass-1' })])], T0);
    expect(r.ok || r.error.code).toBe('CONFIG_INVALID');
  });
});
