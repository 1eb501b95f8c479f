/**
 * The AAP client between real uD3TN nodes (interop tier, design.md principle 11): contacts configured
 * through the config agent, BSMTP bundles from an AAP v1 / AAP 2.0 sender on one node to a receiver on
 * another, and the bundle ID the client derives from SENDCONFIRM / AAPResponse checked against the
 * primary block uD3TN actually put on the wire (read by a Farside MTCP tap, electron/bpa/test-support).
 *
 * Golden facts: protocols.md §4.4 (SENDCONFIRM id = creation time + sequence), §5.1 (bundle_headers),
 * §7 (config agent), ud3tn-behaviour.md §7 (the shape of AAP-created bundles).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decodeBundle } from '../../../shared/protocol/bpv7/bundle';
import { formatEid } from '../../../shared/protocol/bpv7/eid';
import type { DecodedBundle } from '../../../shared/protocol/bpv7/bundle';
import { ud3tnVector } from '../../../shared/test-support/vectors';
import { sameBytes as same, unwrap } from '../../bpa/test-support/agent';
import { startMtcpTap } from '../../bpa/test-support/mtcp-tap';
import type { MtcpTap } from '../../bpa/test-support/mtcp-tap';
import { printLogIfTestFails, startUd3tn, ud3tnBinary } from '../../bpa/test-support/ud3tn';
import type { Ud3tnNode } from '../../bpa/test-support/ud3tn';
import { createAapClient } from './client';
import type { AapClient, AapClientOptions, BundleId, ReceivedBundle } from './types';

const BSMTP = ud3tnVector('aap1/bsmtp_payload.bin');
const DTN_EPOCH_UNIX_MS = 946_684_800_000;

async function take(it: AsyncIterator<ReceivedBundle>, timeoutMs = 10_000): Promise<ReceivedBundle> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('no bundle in time')), timeoutMs);
  });
  try {
    const r = await Promise.race([it.next(), timeout]);
    if (r.done === true) throw new Error('bundle stream ended');
    return r.value;
  } finally {
    clearTimeout(timer);
  }
}

function decoded(bytes: Uint8Array): DecodedBundle {
  const d = decodeBundle(bytes);
  if (!d.ok) throw new Error(`tap bundle does not decode: ${d.error.code} ${d.error.message}`);
  return d.value;
}

/** The bundle on the wire is the one the client was told about, in the shape ud3tn-behaviour.md §7 gives. */
function expectWireBundle(bytes: Uint8Array, id: BundleId, destination: string, payload: Uint8Array): void {
  const d = decoded(bytes);
  const p = d.bundle.primary;
  expect(formatEid(p.source)).toBe(id.source);
  expect(p.creation).toEqual({ time: id.creationTime, sequence: id.sequence });
  expect(formatEid(p.destination)).toBe(destination);
  expect(formatEid(p.reportTo)).toBe('dtn:none');
  expect([p.flags, p.crcType, p.lifetime]).toEqual([0, 1, 86_400_000]);
  expect(d.bundle.blocks.map((b) => [b.type, b.number, b.flags, b.crcType])).toEqual([[1, 1, 0, 0]]);
  const data = d.bundle.blocks[0]?.data;
  expect(data !== undefined && same(data, payload)).toBe(true);
}

/** Wait until `node` has opened the contact to `peer` (ContactManager logs it at INFO, -L 3). */
async function contactStarted(node: Ud3tnNode, peer: string): Promise<void> {
  const escaped = peer.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  await node.waitForLog(new RegExp(`Scheduled contact with "${escaped}" started`));
}

// The one allowed skip: without a uD3TN binary (FARSIDE_UD3TN) there is nothing to interoperate with.
describe.skipIf(!ud3tnBinary)('AAP client between real uD3TN nodes (FARSIDE_UD3TN)', () => {
  let earth: Ud3tnNode | undefined;
  let mars: Ud3tnNode | undefined;
  let tap: MtcpTap | undefined;
  const clients: AapClient[] = [];

  function client(extra: Partial<AapClientOptions> & Pick<AapClientOptions, 'transport' | 'protocol'>): AapClient {
    const c = createAapClient({ requestTimeoutMs: 5_000, reconnect: { initialMs: 50, maxMs: 500 }, log: () => undefined, ...extra });
    clients.push(c);
    return c;
  }

  function nodes(): { earth: Ud3tnNode; mars: Ud3tnNode; tap: MtcpTap } {
    if (earth === undefined || mars === undefined || tap === undefined) throw new Error('beforeAll did not run');
    return { earth, mars, tap };
  }

  beforeAll(async () => {
    [earth, mars, tap] = await Promise.all([
      startUd3tn({ nodeId: 'dtn://earth.dtn/', clas: ['mtcp'] }),
      startUd3tn({ nodeId: 'dtn://mars.dtn/', clas: ['mtcp'] }),
      startMtcpTap(),
    ]);
  });

  beforeEach(() => {
    for (const n of [earth, mars]) if (n !== undefined) printLogIfTestFails(n);
  });

  afterAll(async () => {
    // In parallel: a client stuck closing must not keep the nodes running (stopping them ends its sockets).
    await Promise.all([...clients.map((c) => c.close()), earth?.stop(), mars?.stop(), tap?.close()]);
  });

  it('AAP v1/TCP: a contact through the config agent, then SENDCONFIRM ids equal the primary blocks on the wire', async () => {
    const { earth, tap } = nodes();
    const c = client({ transport: earth.aap1, protocol: 'aap1', agentId: 'smtp' });
    expect(unwrap(await c.connect())).toEqual({ nodeId: 'dtn://earth.dtn/' });
    const contact = unwrap(await c.addContact({ node: 'dtn://tap.dtn/', cla: tap.claAddress }));
    expect(contact.destination).toBe('dtn://earth.dtn/config');
    // protocols.md §7.2: ADD, node, CLA address with a colon, no reachable EIDs, one {start,end,rate} in DTN seconds.
    expect(contact.config).toMatch(new RegExp(`^1\\(dtn://tap\\.dtn/\\):\\(${tap.claAddress.replace(/\./g, '\\.')}\\)::\\[\\{\\d+,\\d+,\\d+\\}\\];$`));
    expect(contact.bundleId.source).toBe('dtn://earth.dtn/smtp');
    await contactStarted(earth, 'dtn://tap.dtn/');

    // Stop-and-wait sends within the same milliseconds: uD3TN counts the sequence number up (§7), and the
    // low 16 bits carried by SENDCONFIRM (§4.4) must still name each bundle.
    const ids: BundleId[] = [];
    for (let i = 0; i < 20; i++) ids.push(unwrap(await c.send('dtn://tap.dtn/smtp', i === 0 ? BSMTP : BSMTP.subarray(0, i))));
    const wire = await tap.waitFor(20);
    for (let i = 0; i < 20; i++) {
      const id = ids[i];
      const w = wire[i];
      if (id === undefined || w === undefined) throw new Error('missing bundle');
      expectWireBundle(w.bytes, id, 'dtn://tap.dtn/smtp', i === 0 ? BSMTP : BSMTP.subarray(0, i));
    }
    const first = ids[0];
    if (first === undefined) throw new Error('no id');
    expect(Math.abs(first.creationTime + DTN_EPOCH_UNIX_MS - Date.now())).toBeLessThan(60_000);
    expect(ids.some((id) => id.sequence > 1)).toBe(true);
    expect(unwrap(await c.ping())).toBeUndefined();
  });

  it('AAP v1/TCP: BSMTP earth → mars over uD3TN MTCP arrives byte-identical as RECVBUNDLE from the sender EID', async () => {
    const { earth, mars } = nodes();
    const rx = client({ transport: mars.aap1, protocol: 'aap1', agentId: 'smtp' });
    expect(unwrap(await rx.connect())).toEqual({ nodeId: 'dtn://mars.dtn/' });
    const inbox = rx.bundles();
    const tx = client({ transport: earth.aap1, protocol: 'aap1', agentId: 'mail' });
    unwrap(await tx.connect());
    unwrap(await tx.addContact({ node: 'dtn://mars.dtn/', cla: mars.claAddress('mtcp') }));
    await contactStarted(earth, 'dtn://mars.dtn/');
    const id = unwrap(await tx.send('dtn://mars.dtn/smtp', BSMTP));
    expect(id.source).toBe('dtn://earth.dtn/mail');
    const got = await take(inbox);
    expect([got.source, got.destination, got.bundleId, got.isBibe]).toEqual(['dtn://earth.dtn/mail', 'dtn://mars.dtn/smtp', null, false]);
    expect(same(got.payload, BSMTP)).toBe(true);
    expect(unwrap(await rx.ping())).toBeUndefined();
  });

  it('AAP 2.0: a mars → earth contact set over AAP 2.0; the earth subscriber gets the ADU with the bundle ID the mars sender was given', async () => {
    const { earth, mars, tap } = nodes();
    const rx = client({ transport: earth.aap2, protocol: 'aap2', agentId: 'inbox', receive: true });
    expect(unwrap(await rx.connect())).toEqual({ nodeId: 'dtn://earth.dtn/' });
    const inbox = rx.bundles();
    const tx = client({ transport: mars.aap2, protocol: 'aap2', agentId: 'smtp' });
    expect(unwrap(await tx.connect())).toEqual({ nodeId: 'dtn://mars.dtn/' });
    const contact = unwrap(await tx.addContact({ node: 'dtn://earth.dtn/', cla: earth.claAddress('mtcp') }));
    expect(contact.destination).toBe('dtn://mars.dtn/config');
    await contactStarted(mars, 'dtn://earth.dtn/');
    const id = unwrap(await tx.send('dtn://earth.dtn/inbox', BSMTP));
    expect(id.source).toBe('dtn://mars.dtn/smtp');
    const got = await take(inbox);
    expect([got.source, got.destination, got.isBibe]).toEqual(['dtn://mars.dtn/smtp', 'dtn://earth.dtn/inbox', false]);
    // §5.1: the pushed BundleADU carries creation time and sequence as earth read them off the bundle.
    expect(got.bundleId).toEqual(id);
    expect(same(got.payload, BSMTP)).toBe(true);
    expect(unwrap(await rx.ping())).toBeUndefined();
    expect(unwrap(await tx.ping())).toBeUndefined();

    // And the AAPResponse bundle_headers match the wire: earth's contact to the tap exists from the first test.
    const sender = client({ transport: earth.aap2, protocol: 'aap2', agentId: 'aap2-sender' });
    unwrap(await sender.connect());
    const before = tap.bundles.length;
    const tapped = unwrap(await sender.send('dtn://tap.dtn/smtp', BSMTP));
    const w = (await tap.waitFor(before + 1))[before];
    if (w === undefined) throw new Error('no tapped bundle');
    expectWireBundle(w.bytes, tapped, 'dtn://tap.dtn/smtp', BSMTP);
  });

  it('ipn nodes, AAP v1 over a UNIX socket: agent 25 on ipn:1.0 → agent 25 on ipn:2.0', async () => {
    const [one, two] = await Promise.all([
      startUd3tn({ nodeId: 'ipn:1.0', clas: ['mtcp'], aap1: 'unix' }),
      startUd3tn({ nodeId: 'ipn:2.0', clas: ['mtcp'], aap1: 'unix' }),
    ]);
    try {
      const rx = client({ transport: two.aap1, protocol: 'aap1', agentId: '25' });
      expect(unwrap(await rx.connect())).toEqual({ nodeId: 'ipn:2.0' });
      expect(rx.endpoint).toBe('ipn:2.25');
      const inbox = rx.bundles();
      const tx = client({ transport: one.aap1, protocol: 'aap1', agentId: '25' });
      unwrap(await tx.connect());
      const contact = unwrap(await tx.addContact({ node: 'ipn:2.0', cla: two.claAddress('mtcp') }));
      expect(contact.destination).toBe('ipn:1.9000');
      await contactStarted(one, 'ipn:2.0');
      const id = unwrap(await tx.send('ipn:2.25', BSMTP));
      expect(id.source).toBe('ipn:1.25');
      const got = await take(inbox);
      expect([got.source, got.destination]).toEqual(['ipn:1.25', 'ipn:2.25']);
      expect(same(got.payload, BSMTP)).toBe(true);
      // A non-numeric agent on an ipn node is refused before it reaches the node (protocols.md §4.3).
      const bad = await tx.register('smtp');
      expect(bad.ok ? 'ok' : bad.error.code).toBe('INVALID_EID');
      expect(unwrap(await tx.ping())).toBeUndefined();
    } finally {
      await Promise.all([one.stop(), two.stop()]);
    }
  });
});
