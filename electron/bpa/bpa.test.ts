/**
 * The bundle processor with a real store and in-process CLAs (test-support/fake-network.ts). Golden
 * values come from the uD3TN vectors (../shared/vectors/ud3tn) and RFC 9171.
 */
import { describe, expect, it } from 'vitest';
import { decodeBundle, encodeBundle, payloadBlockOf } from '../../shared/protocol/bpv7/bundle';
import { DTN_EPOCH_UNIX_MS } from '../../shared/protocol/bpv7/dtn-time';
import { formatEid } from '../../shared/protocol/bpv7/eid';
import { decodeHopCount, decodePreviousNode, encodeHopCount, findBlock } from '../../shared/protocol/bpv7/extension-blocks';
import { BlockType } from '../../shared/protocol/bpv7/flags';
import type { Bundle } from '../../shared/protocol/bpv7/types';
import { haveVectors, ud3tnVector } from '../../shared/test-support/vectors';
import { createFakeNetwork } from './test-support/fake-network';
import { recordingAgent, startTestNode, until, type TestNode } from './test-support/test-node';
import { contactTo, testNodes } from './test-support/unit-fixtures';

const { node, keep } = testNodes();

const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const bytesOf = (s: string): Uint8Array => new TextEncoder().encode(s);

function decoded(bytes: Uint8Array): Bundle {
  const d = decodeBundle(bytes);
  if (!d.ok) throw new Error(d.error.message);
  return d.value.bundle;
}

describe('bundles agents submit', () => {
  it.runIf(haveVectors)('are stored exactly as uD3TN v0.13 builds them (cla-mtcp/bsmtp-dtn.bundle.bin) before the submit resolves', async () => {
    const network = createFakeNetwork();
    // creation time 848946032538 (DTN ms) of the vector
    const earth = await node('dtn://earth.dtn/', network, 'earth:1', { clock: () => DTN_EPOCH_UNIX_MS + 848946032538 });
    const payload = ud3tnVector('aap1/bsmtp_payload.bin');
    const r = await earth.bpa.submit({ source: 'dtn://earth.dtn/smtp', destination: 'dtn://mars.dtn/smtp', payload });
    expect(r).toEqual({
      ok: true,
      value: { source: 'dtn://earth.dtn/smtp', destination: 'dtn://mars.dtn/smtp', creationTime: 848946032538, sequence: 1, lifetimeMs: 86_400_000, payloadLength: 369 },
    });
    const stored = earth.store.get('dtn://earth.dtn/smtp 848946032538 1');
    expect(stored.ok && stored.value.bytes).toEqual(ud3tnVector('cla-mtcp/bsmtp-dtn.bundle.bin'));
  });

  it.runIf(haveVectors)('on an ipn node too (cla-mtcp/bsmtp-ipn.bundle.bin: ipn:1.25 → ipn:2.25)', async () => {
    const vector = decoded(ud3tnVector('cla-mtcp/bsmtp-ipn.bundle.bin'));
    const time = vector.primary.creation.time;
    const earth = await node('ipn:1.0', createFakeNetwork(), 'earth:1', { clock: () => DTN_EPOCH_UNIX_MS + time });
    const payload = payloadBlockOf(vector)?.data ?? new Uint8Array(0);
    const r = await earth.bpa.submit({ source: formatEid(vector.primary.source), destination: formatEid(vector.primary.destination), payload });
    expect(r.ok && r.value.sequence).toBe(vector.primary.creation.sequence);
    const stored = earth.store.get(`${formatEid(vector.primary.source)} ${time} 1`);
    expect(stored.ok && stored.value.bytes).toEqual(ud3tnVector('cla-mtcp/bsmtp-ipn.bundle.bin'));
  });

  it('never hands out one creation timestamp twice: same millisecond, a clock that steps back, a restart', async () => {
    let now = DTN_EPOCH_UNIX_MS + 800_000_000_000;
    const network = createFakeNetwork();
    const earth = await node('dtn://earth.dtn/', network, 'earth:1', { clock: () => now });
    const ids = new Set<string>();
    const send = async (n: TestNode): Promise<void> => {
      const r = await n.bpa.submit({ source: 'dtn://earth.dtn/a', destination: 'dtn://earth.dtn/b', payload: bytesOf('x') });
      if (!r.ok) throw new Error(r.error.message);
      const key = `${r.value.creationTime} ${r.value.sequence}`;
      expect(ids.has(key)).toBe(false);
      ids.add(key);
    };
    await send(earth);
    await send(earth);
    now -= 60_000; // the clock steps back a minute
    await send(earth);
    const restarted = await earth.restart();
    keep(restarted);
    await send(restarted);
    await send(restarted);
    expect(ids.size).toBe(5);
    // Same millisecond: the sequence number counts (uD3TN allocate_sequence_number).
    expect([...ids].slice(0, 2)).toEqual(['800000000000 1', '800000000000 2']);
  });

  it('refuses a destination that is not an EID, and dtn:none', async () => {
    const earth = await node('dtn://earth.dtn/', createFakeNetwork(), 'earth:1');
    for (const destination of ['not-an-eid', 'dtn:none']) {
      const r = await earth.bpa.submit({ source: 'dtn://earth.dtn/a', destination, payload: bytesOf('x') });
      expect(r.ok || r.error.code).toBe('INVALID_EID');
    }
    expect(earth.store.usage().bundles).toBe(0);
  });

  it('asks for status reports with status time and report-to when SubmitRequest.reports says so (docs/status-reports.md)', async () => {
    const earth = await node('dtn://earth.dtn/', createFakeNetwork(), 'earth:1');
    const r = await earth.bpa.submit({
      source: 'dtn://earth.dtn/smtp',
      destination: 'dtn://mars.dtn/smtp',
      payload: bytesOf('x'),
      reports: { reception: true, forwarding: true, delivery: true, deletion: true },
    });
    if (!r.ok) throw new Error(r.error.message);
    const stored = earth.store.get(`dtn://earth.dtn/smtp ${r.value.creationTime} ${r.value.sequence}`);
    if (!stored.ok) throw new Error(stored.error.message);
    const p = decoded(stored.value.bytes).primary;
    // 0x074040: the four report requests and status time (protocols.md §3.5).
    expect(p.flags).toBe(0x074040);
    expect(formatEid(p.reportTo)).toBe('dtn://earth.dtn/smtp');
  });
});

describe('local delivery', () => {
  it('delivers to the registered agent after the submit resolved, then deletes the bundle', async () => {
    const earth = await node('dtn://earth.dtn/', createFakeNetwork(), 'earth:1');
    const agent = recordingAgent();
    expect(earth.bpa.register('dtn://earth.dtn/inbox', agent.sink).ok).toBe(true);
    const r = await earth.bpa.submit({ source: 'dtn://earth.dtn/out', destination: 'dtn://earth.dtn/inbox', payload: bytesOf('hello') });
    expect(agent.received).toHaveLength(0); // not before the confirmation
    const [adu] = await agent.waitFor(1);
    expect(adu).toMatchObject({ source: 'dtn://earth.dtn/out', destination: 'dtn://earth.dtn/inbox', isAdminRecord: false, receivedFrom: 'local' });
    expect(r.ok && adu?.creationTime).toBe(r.ok ? r.value.creationTime : -1);
    expect(text(adu?.payload ?? new Uint8Array(0))).toBe('hello');
    await until(() => earth.store.usage().bundles === 0);
  });

  it('keeps bundles for an agent that is not registered and delivers them in order once it registers (uD3TN drops them)', async () => {
    const earth = await node('dtn://earth.dtn/', createFakeNetwork(), 'earth:1');
    for (const m of ['one', 'two', 'three']) await earth.bpa.submit({ source: 'dtn://earth.dtn/out', destination: 'dtn://earth.dtn/late', payload: bytesOf(m) });
    await until(() => earth.bpa.status().waitingForAgent['dtn://earth.dtn/late'] === 3);
    const agent = recordingAgent();
    earth.bpa.register('dtn://earth.dtn/late', agent.sink);
    await agent.waitFor(3);
    expect(agent.received.map((a) => text(a.payload))).toEqual(['one', 'two', 'three']);
    await until(() => earth.store.usage().bundles === 0);
  });

  it('keeps a bundle the agent did not take (sink false) and delivers it to the next registration', async () => {
    const earth = await node('dtn://earth.dtn/', createFakeNetwork(), 'earth:1');
    const first = recordingAgent();
    first.refuse = true;
    const reg = earth.bpa.register('dtn://earth.dtn/inbox', first.sink);
    await earth.bpa.submit({ source: 'dtn://earth.dtn/out', destination: 'dtn://earth.dtn/inbox', payload: bytesOf('kept') });
    await until(() => earth.bpa.status().waitingForAgent['dtn://earth.dtn/inbox'] === 1);
    if (reg.ok) reg.value.release();
    const second = recordingAgent();
    earth.bpa.register('dtn://earth.dtn/inbox', second.sink);
    const [adu] = await second.waitFor(1);
    expect(text(adu?.payload ?? new Uint8Array(0))).toBe('kept');
  });

  it('registration rules: one receiver per EID; AAP 2.0 active + subscriber pair with the same secret', async () => {
    const earth = await node('dtn://earth.dtn/', createFakeNetwork(), 'earth:1');
    const a = recordingAgent();
    expect(earth.bpa.register('dtn://earth.dtn/x', a.sink).ok).toBe(true);
    const dup = earth.bpa.register('dtn://earth.dtn/x', a.sink);
    expect(dup.ok || dup.error.code).toBe('CONFLICT');
    expect(earth.bpa.register('dtn://earth.dtn/y', null, { role: 'active', secret: 's' }).ok).toBe(true);
    const wrong = earth.bpa.register('dtn://earth.dtn/y', a.sink, { role: 'subscriber', secret: 'other' });
    expect(wrong.ok || wrong.error.code).toBe('UNAUTHORIZED');
    expect(earth.bpa.register('dtn://earth.dtn/y', a.sink, { role: 'subscriber', secret: 's' }).ok).toBe(true);
  });
});

describe('forwarding between two processors', () => {
  it('forwards over the contact, replacing the previous node and counting the hop (RFC 9171 §4.4.1, §4.4.3)', async () => {
    const network = createFakeNetwork();
    const earth = await node('dtn://earth.dtn/', network, 'earth:1');
    const mars = await node('dtn://mars.dtn/', network, 'mars:1');
    const agent = recordingAgent();
    mars.bpa.register('dtn://mars.dtn/smtp', agent.sink);
    expect(earth.bpa.applyPlan([contactTo('dtn://mars.dtn/', 'mtcp:mars:1')]).ok).toBe(true);
    await earth.bpa.submit({ source: 'dtn://earth.dtn/smtp', destination: 'dtn://mars.dtn/smtp', payload: bytesOf('to mars') });
    const [adu] = await agent.waitFor(1);
    expect(adu).toMatchObject({ source: 'dtn://earth.dtn/smtp', receivedFrom: 'cla' });
    const wire = decoded(network.sent[0]?.bytes ?? new Uint8Array(0));
    const prev = findBlock(wire, BlockType.PREVIOUS_NODE);
    const prevNode = prev === undefined ? undefined : decodePreviousNode(prev.data);
    expect(prevNode?.ok === true && formatEid(prevNode.value)).toBe('dtn://earth.dtn/');
    expect(wire.blocks[wire.blocks.length - 1]?.type).toBe(BlockType.PAYLOAD);
    await until(() => earth.store.usage().bundles === 0 && mars.store.usage().bundles === 0);
    expect(earth.named('bundle.forwarded')).toHaveLength(1);
    expect(mars.named('bundle.received')[0]).toMatchObject({ from: 'fake:mars:1', cla: 'mtcp' });
  });

  it('on ipn nodes', async () => {
    const network = createFakeNetwork();
    const one = await node('ipn:1.0', network, 'one:1');
    const two = await node('ipn:2.0', network, 'two:1');
    const agent = recordingAgent();
    two.bpa.register('ipn:2.25', agent.sink);
    one.bpa.applyPlan([contactTo('ipn:2.0', 'mtcp:two:1')]);
    await one.bpa.submit({ source: 'ipn:1.25', destination: 'ipn:2.25', payload: bytesOf('ipn') });
    const [adu] = await agent.waitFor(1);
    expect(adu).toMatchObject({ source: 'ipn:1.25', destination: 'ipn:2.25' });
  });

  it('increments the hop count and deletes a bundle whose count would exceed its limit (reason 9)', async () => {
    const network = createFakeNetwork();
    const mars = await node('dtn://mars.dtn/', network, 'mars:1');
    const venus = await node('dtn://venus.dtn/', network, 'venus:1');
    mars.bpa.applyPlan([contactTo('dtn://venus.dtn/', 'mtcp:venus:1')]);
    const agent = recordingAgent();
    venus.bpa.register('dtn://venus.dtn/in', agent.sink);
    const withHops = (limit: number, count: number, seq: number): Uint8Array => {
      const hop = encodeHopCount({ limit, count });
      if (!hop.ok) throw new Error('hop');
      return encodeBundle({
        primary: { version: 7, flags: 0, crcType: 1, destination: { scheme: 'dtn', ssp: '//venus.dtn/in' }, source: { scheme: 'dtn', ssp: '//earth.dtn/a' }, reportTo: { scheme: 'dtn', ssp: 'none' }, creation: { time: Date.now() - DTN_EPOCH_UNIX_MS, sequence: seq }, lifetime: 60_000 },
        blocks: [
          { type: BlockType.HOP_COUNT, number: 2, flags: 0, crcType: 0, data: hop.value },
          { type: 1, number: 1, flags: 0, crcType: 0, data: bytesOf(`hops ${limit}/${count}`) },
        ],
      });
    };
    network.inject('mars:1', withHops(2, 1, 1));
    network.inject('mars:1', withHops(2, 2, 2));
    await agent.waitFor(1);
    const deleted = await mars.waitFor('bundle.deleted');
    expect(deleted).toMatchObject({ reason: 9 });
    const wire = decoded(network.sent[0]?.bytes ?? new Uint8Array(0));
    const hop = findBlock(wire, BlockType.HOP_COUNT);
    expect(hop && decodeHopCount(hop.data)).toEqual({ ok: true, value: { limit: 2, count: 2 } });
    expect(agent.received.map((a) => text(a.payload))).toEqual(['hops 2/1']);
  });

  it('suppresses a duplicate and survives garbage between two valid bundles', async () => {
    const network = createFakeNetwork();
    const mars = await node('dtn://mars.dtn/', network, 'mars:1');
    const agent = recordingAgent();
    mars.bpa.register('dtn://mars.dtn/smtp', agent.sink);
    const bundle = (seq: number): Uint8Array =>
      encodeBundle({
        primary: { version: 7, flags: 0, crcType: 1, destination: { scheme: 'dtn', ssp: '//mars.dtn/smtp' }, source: { scheme: 'dtn', ssp: '//earth.dtn/smtp' }, reportTo: { scheme: 'dtn', ssp: 'none' }, creation: { time: Date.now() - DTN_EPOCH_UNIX_MS, sequence: seq }, lifetime: 60_000 },
        blocks: [{ type: 1, number: 1, flags: 0, crcType: 0, data: bytesOf(`n${seq}`) }],
      });
    const one = bundle(1);
    const flipped = one.slice();
    flipped[10] = (flipped[10] as number) ^ 0x01; // a bit flipped inside the primary block: CRC-16 mismatch
    network.inject('mars:1', one);
    network.inject('mars:1', one);
    network.inject('mars:1', Uint8Array.of(0x01, 0x02, 0x03));
    network.inject('mars:1', flipped);
    network.inject('mars:1', bundle(2));
    await agent.waitFor(2);
    await mars.waitFor('bundle.duplicate');
    expect(agent.received.map((a) => text(a.payload))).toEqual(['n1', 'n2']);
    expect(mars.named('bundle.dropped')).toHaveLength(2);
    expect(mars.named('bundle.dropped')[1]?.['error']).toMatch(/^CRC_MISMATCH/);
  });
});

describe('after a restart', () => {
  it('every stored bundle is dispatched again; contacts configured at run time are still there (uD3TN forgets them)', async () => {
    const network = createFakeNetwork();
    const earth = await node('dtn://earth.dtn/', network, 'earth:1');
    const mars = await node('dtn://mars.dtn/', network, 'mars:1');
    network.breakAddress('mars:1');
    const now = Date.now();
    // uD3TN's text format through the config agent's callback: times in DTN seconds.
    const configured = earth.bpa.configure(
      [{ command: 'add', nodeId: 'dtn://mars.dtn/', claAddress: 'mtcp:mars:1', reachableEids: [], contacts: [{ start: Math.floor((now - DTN_EPOCH_UNIX_MS) / 1000) - 1, end: Math.floor((now - DTN_EPOCH_UNIX_MS) / 1000) + 3600, rate: 1_000_000, reachableEids: [] }] }],
      'dtn://earth.dtn/config-client',
    );
    expect(configured.ok).toBe(true);
    await earth.bpa.submit({ source: 'dtn://earth.dtn/smtp', destination: 'dtn://mars.dtn/smtp', payload: bytesOf('survives') });
    await earth.waitFor('link.retry');
    const restarted = await earth.restart();
    keep(restarted);
    expect(restarted.bpa.router.contacts()).toHaveLength(1);
    expect(restarted.named('bpa.started')[0]).toMatchObject({ bundles: 1, contacts: 1 });
    const agent = recordingAgent();
    mars.bpa.register('dtn://mars.dtn/smtp', agent.sink);
    network.healthy('mars:1');
    const [adu] = await agent.waitFor(1, 5000);
    expect(text(adu?.payload ?? new Uint8Array(0))).toBe('survives');
  });

  it('a bundle received over a CLA for an absent agent is delivered after the restart, still marked as from a CLA', async () => {
    const network = createFakeNetwork();
    const earth = await node('dtn://earth.dtn/', network, 'earth:1');
    const mars = await node('dtn://mars.dtn/', network, 'mars:1');
    earth.bpa.applyPlan([contactTo('dtn://mars.dtn/', 'mtcp:mars:1')]);
    await earth.bpa.submit({ source: 'dtn://earth.dtn/smtp', destination: 'dtn://mars.dtn/later', payload: bytesOf('wait for me') });
    await mars.waitFor('bundle.received');
    const again = await mars.restart();
    keep(again);
    const agent = recordingAgent();
    again.bpa.register('dtn://mars.dtn/later', agent.sink);
    const [adu] = await agent.waitFor(1);
    expect(adu).toMatchObject({ source: 'dtn://earth.dtn/smtp', receivedFrom: 'cla' });
  });

  it('a bundle that expired while the node was down gets its deletion report at the start', async () => {
    const earth = await node('dtn://earth.dtn/', createFakeNetwork(), 'earth:1', { options: { statusReports: true } });
    await earth.bpa.submit({ source: 'dtn://earth.dtn/smtp', destination: 'dtn://venus.dtn/x', payload: bytesOf('short'), lifetimeMs: 100_000, reports: { deletion: true } });
    await earth.stop();
    const later = Date.now() + 200_000; // the node comes back after the bundle's lifetime
    const afterExpiry = await startTestNode({ nodeId: 'dtn://earth.dtn/', network: createFakeNetwork(), address: 'earth:1', dir: earth.dir, clock: () => later, options: { statusReports: true } });
    keep(afterExpiry);
    expect(afterExpiry.named('bundle.expired')).toHaveLength(1);
    const agent = recordingAgent();
    afterExpiry.bpa.register('dtn://earth.dtn/smtp', agent.sink);
    const [report] = await agent.waitFor(1);
    expect(report).toMatchObject({ isAdminRecord: true, source: 'dtn://earth.dtn/' });
  });
});

describe('the node ID itself', () => {
  it('consumes administrative records for it when nobody registered it, but keeps other bundles for it', async () => {
    const network = createFakeNetwork();
    const mars = await node('dtn://mars.dtn/', network, 'mars:1');
    const forNode = (flags: number, seq: number): Uint8Array =>
      encodeBundle({
        primary: { version: 7, flags, crcType: 1, destination: { scheme: 'dtn', ssp: '//mars.dtn/' }, source: { scheme: 'dtn', ssp: '//earth.dtn/' }, reportTo: { scheme: 'dtn', ssp: 'none' }, creation: { time: Date.now() - DTN_EPOCH_UNIX_MS, sequence: seq }, lifetime: 60_000 },
        blocks: [{ type: 1, number: 1, flags: 0, crcType: 0, data: flags === 2 ? Uint8Array.of(0x82, 0x04, 0x00) : bytesOf('data') }],
      });
    network.inject('mars:1', forNode(2, 1));
    network.inject('mars:1', forNode(0, 2));
    await mars.waitFor('bundle.consumed');
    await until(() => mars.bpa.status().waitingForAgent['dtn://mars.dtn/'] === 1);
  });

  it('refuses a submission from an endpoint of another node', async () => {
    const earth = await node('dtn://earth.dtn/', createFakeNetwork(), 'earth:1');
    const r = await earth.bpa.submit({ source: 'dtn://mars.dtn/smtp', destination: 'dtn://earth.dtn/x', payload: bytesOf('spoof') });
    expect(r.ok || r.error.code).toBe('INVALID_EID');
  });
});

describe('a failing store', () => {
  it('is logged, never thrown out of a delivery or a timer', async () => {
    const earth = await node('dtn://earth.dtn/', createFakeNetwork(), 'earth:1');
    await earth.bpa.submit({ source: 'dtn://earth.dtn/a', destination: 'dtn://earth.dtn/b', payload: bytesOf('x') });
    await until(() => earth.bpa.status().waitingForAgent['dtn://earth.dtn/b'] === 1);
    earth.store.close(); // every store call now throws, as SQLite does when its disk goes away
    const agent = recordingAgent();
    earth.bpa.register('dtn://earth.dtn/b', agent.sink);
    await agent.waitFor(1);
    expect(await earth.waitFor('bpa.internal_error')).toMatchObject({ where: 'delivery' });
    await earth.bpa.stop();
  });
});
