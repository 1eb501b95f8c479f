import { describe, expect, it } from 'vitest';
import { parseContactPlan } from './plan-file';
import { createRouter } from './router';

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

const example = JSON.stringify({
  nodes: [
    {
      nodeId: 'dtn://mars.dtn/',
      claAddress: 'mtcp:127.0.0.1:4224',
      reachableEids: ['dtn://phobos.dtn/'],
      contacts: [
        { start: '+0s', end: '+1h', rateBytesPerSec: 125000, owltMs: 720000 },
        { id: 'pass-2', start: '2026-11-26T08:00:00Z', end: Date.UTC(2026, 10, 26, 9), rateBytesPerSec: 1000000 },
        { start: '2026-11-25T13:00:00+01:00', end: '2026-11-25T12:30:00.000Z', rateBytesPerSec: 10 },
      ],
    },
    { nodeId: 'ipn:2.0', claAddress: 'tcpclv3:10.0.0.2:4556' },
  ],
});

function failure(text: string): string {
  const r = parseContactPlan(text, T0);
  if (r.ok) throw new Error('expected the plan to be refused');
  return `${r.error.code} ${r.error.message}`;
}

describe('parseContactPlan', () => {
  it('resolves relative, ISO and Unix-ms times and fills defaults', () => {
    const r = parseContactPlan(example, T0);
    expect(r.ok && r.value).toEqual([
      {
        command: 'add',
        nodeId: 'dtn://mars.dtn/',
        claAddress: 'mtcp:127.0.0.1:4224',
        reachableEids: ['dtn://phobos.dtn/'],
        contacts: [
          { start: T0, end: T0 + 3_600_000, rateBytesPerSec: 125000, owltMs: 720000, reachableEids: [] },
          { id: 'pass-2', start: Date.UTC(2026, 10, 26, 8), end: Date.UTC(2026, 10, 26, 9), rateBytesPerSec: 1000000, owltMs: 0, reachableEids: [] },
          // 13:00+01:00 is 12:00Z = T0.
          { start: T0, end: T0 + 1_800_000, rateBytesPerSec: 10, owltMs: 0, reachableEids: [] },
        ],
      },
      { command: 'add', nodeId: 'ipn:2.0', claAddress: 'tcpclv3:10.0.0.2:4556', reachableEids: [], contacts: [] },
    ]);
  });

  it('names the path of each problem', () => {
    const plan = (node: object): string => JSON.stringify({ nodes: [node] });
    const base = { nodeId: 'dtn://m/', claAddress: 'mtcp:h:1' };
    expect(failure('{"nodes": [')).toMatch(/^CONFIG_INVALID the contact plan is not JSON/);
    expect(failure('{}')).toBe('CONFIG_INVALID contact plan: nodes: Invalid input: expected array, received undefined');
    expect(failure(plan({ ...base, claAddress: 'udp:h:1' }))).toBe('CONFIG_INVALID contact plan: nodes[0].claAddress: expected "<mtcp|smtcp|tcpclv3>:<host>:<port>"');
    expect(failure(plan({ ...base, nodeId: 'mailto:a@b' }))).toBe('CONFIG_INVALID contact plan: nodes[0].nodeId: expected a node EID such as dtn://node/ or ipn:N.0');
    expect(failure(plan({ ...base, contacts: [{ start: 'tomorrow', end: '+1h', rateBytesPerSec: 1 }] }))).toBe(
      'CONFIG_INVALID contact plan: nodes[0].contacts[0].start: expected Unix ms, an ISO 8601 date-time with zone, or "+<n>ms|s|m|h|d"',
    );
    expect(failure(plan({ ...base, contacts: [{ start: '2026-11-25T12:00:00', end: '+1h', rateBytesPerSec: 1 }] }))).toMatch(/nodes\[0\]\.contacts\[0\]\.start/);
    expect(failure(plan({ ...base, contacts: [{ start: '+1h', end: '+1h', rateBytesPerSec: 1 }] }))).toBe('CONFIG_INVALID contact plan: nodes[0].contacts[0].end: must be after start');
    expect(failure(plan({ ...base, contacts: [{ start: 0, end: 1, rateBytesPerSec: 0 }] }))).toMatch(/^CONFIG_INVALID contact plan: nodes\[0\]\.contacts\[0\]\.rateBytesPerSec: /);
    expect(failure(plan({ ...base, rate: 5 }))).toMatch(/^CONFIG_INVALID contact plan: nodes\[0\]: Unrecognized key: "rate"/);
    expect(failure(JSON.stringify({ nodes: [base, { ...base, nodeId: 'dtn://m' }] }))).toBe('CONFIG_INVALID contact plan: nodes[1].nodeId: node dtn://m/ is listed twice');
  });

  it('loads into a router; contacts that already ended are skipped, overlapping ones refused', () => {
    const r = parseContactPlan(example, T0 + 2 * 3_600_000);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const router = createRouter();
    const applied = router.applyPlan(r.value, T0 + 2 * 3_600_000, { dropEnded: true });
    // Loaded two hours after T0: "+0s".."+1h" now means T0+2h..T0+3h; the 12:00Z..12:30Z contact ended.
    expect(applied.ok && applied.value.added.map((c) => c.id)).toEqual(['c1', 'pass-2']);
    const d = router.route('dtn://phobos.dtn/smtp', 10, T0 + 2 * 3_600_000);
    expect(d.kind === 'forward-now' && [d.contact.peerNodeId, d.contact.owltMs]).toEqual(['dtn://mars.dtn/', 720000]);

    const overlapping = parseContactPlan(
      JSON.stringify({ nodes: [{ nodeId: 'dtn://m/', claAddress: 'mtcp:h:1', contacts: [{ start: '+0s', end: '+2h', rateBytesPerSec: 1 }, { start: '+1h', end: '+3h', rateBytesPerSec: 1 }] }] }),
      T0,
    );
    const o = overlapping.ok ? createRouter().applyPlan(overlapping.value, T0) : overlapping;
    expect(o.ok || o.error.code).toBe('CONFIG_INVALID');
  });
});
