/**
 * The AAP servers in front of the real bundle processor (two nodes joined by the in-process CLA of
 * test-support/fake-network.ts): a mail sent over AAP 2.0 with Farside's report bits reaches an AAP v1
 * agent on the other node, and the status reports come back to the sending application's subscriber
 * connection flagged ADMIN_RECORD (docs/status-reports.md).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createAap2Decoder, encodeAap2Message, encodeAap2Response, type Aap2DecodeStep, type Aap2Decoder } from '../../../shared/protocol/aap2';
import { decodeAdminRecord } from '../../../shared/protocol/bpv7/admin-record';
import { ascii, fromHex, hex } from '../../../shared/test-support/vectors';
import { createFakeNetwork } from '../test-support/fake-network';
import { startTestNode, type TestNode } from '../test-support/test-node';
import { contactTo } from '../test-support/unit-fixtures';
import { createAapServer } from './aap-server';
import { createAap2Server } from './aap2-server';
import { connectRaw, type RawClient } from './test-support/raw-client';
import { listenOn } from './test-support/serve';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function node(nodeId: string, address: string, network: ReturnType<typeof createFakeNetwork>): Promise<TestNode> {
  const n = await startTestNode({ nodeId, network, address, options: { statusReports: true } });
  cleanups.push(() => n.destroy());
  return n;
}

function frame(r: { ok: true; value: Uint8Array } | { ok: false; error: { message: string } }): Uint8Array {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

/** What the node sends on an AAP 2.0 connection, decoded by the codec's client-side decoder. */
function aap2Reader(c: RawClient): { readonly decoder: Aap2Decoder; next(): Promise<Aap2DecodeStep> } {
  const decoder = createAap2Decoder({ role: 'client' });
  return {
    decoder,
    async next() {
      for (;;) {
        const step = decoder.next();
        if (step.kind !== 'need-more') return step;
        decoder.push(await c.read(1));
      }
    },
  };
}

describe('AAP servers in front of the bundle processor', () => {
  it('AAP 2.0 adu_flags 0x074000 → the bundle reaches an AAP v1 agent on mars and mars’s reception and delivery reports reach the sender’s subscriber', async () => {
    const network = createFakeNetwork();
    const earth = await node('dtn://earth.dtn/', 'earth:1', network);
    const mars = await node('dtn://mars.dtn/', 'mars:1', network);
    earth.bpa.applyPlan([contactTo('dtn://mars.dtn/', 'mtcp:mars:1', Date.now())]);
    mars.bpa.applyPlan([contactTo('dtn://earth.dtn/', 'mtcp:earth:1', Date.now())]);

    const aap2 = await listenOn(createAap2Server({ host: earth.bpa, log: () => {} }), 'unix');
    const aap1 = await listenOn(createAapServer({ host: mars.bpa, log: () => {} }), 'tcp');
    cleanups.push(aap2.cleanup, aap1.cleanup);
    const clients: RawClient[] = [];
    cleanups.push(async () => clients.forEach((c) => c.end()));
    const connect = async (target: Parameters<typeof connectRaw>[0]): Promise<RawClient> => {
      const c = await connectRaw(target);
      clients.push(c);
      return c;
    };

    // mars: an AAP v1 agent "smtp".
    const inbox = await connect(aap1.target);
    await inbox.read(18);
    await inbox.write(fromHex('120004736d7470'));
    expect(hex(await inbox.read(1))).toBe('10');

    // earth: the application's subscriber and active connections for dtn://earth.dtn/smtp.
    const subscriber = await connect(aap2.target);
    const subscriberReader = aap2Reader(subscriber);
    expect((await subscriberReader.next()).kind).toBe('message'); // Welcome
    await subscriber.write(frame(encodeAap2Message({ kind: 'config', config: { endpointId: 'dtn://earth.dtn/smtp', secret: 's', isSubscriber: true } })));
    expect(await subscriberReader.next()).toMatchObject({ kind: 'response', response: { responseStatus: 1 } });
    const active = await connect(aap2.target);
    const activeReader = aap2Reader(active);
    expect((await activeReader.next()).kind).toBe('message');
    await active.write(frame(encodeAap2Message({ kind: 'config', config: { endpointId: 'dtn://earth.dtn/smtp', secret: 's' } })));
    expect(await activeReader.next()).toMatchObject({ kind: 'response', response: { responseStatus: 1 } });

    const mail = ascii('HELO earth.dtn\r\nQUIT\r\n');
    await active.write(frame(encodeAap2Message({ kind: 'adu', adu: { dstEid: 'dtn://mars.dtn/smtp', payloadLength: mail.length, aduFlags: 0x074000 } })));
    await active.write(mail);
    const sent = await activeReader.next();
    if (sent.kind !== 'response' || sent.response.bundleHeaders === undefined) throw new Error('no bundle headers');
    const id = sent.response.bundleHeaders;
    expect(sent.response.responseStatus).toBe(1);

    // mars's agent gets the mail over AAP v1.
    const recv = await inbox.read(1 + 2 + 20 + 8 + mail.length);
    expect(hex(recv)).toBe(`140014${hex(ascii('dtn://earth.dtn/smtp'))}${mail.length.toString(16).padStart(16, '0')}${hex(mail)}`);

    // earth's subscriber gets the reports: adu_flags 2, from mars's node ID, about the bundle just sent.
    subscriberReader.decoder.expect('message');
    const seen = new Map<string, number>();
    while (!(seen.has('received dtn://mars.dtn/') && seen.has('delivered dtn://mars.dtn/'))) {
      const m = await subscriberReader.next();
      if (m.kind !== 'message' || m.message.kind !== 'adu') throw new Error(`expected an ADU push, got ${m.kind}`);
      const adu = m.message.adu;
      const p = await subscriberReader.next();
      if (p.kind !== 'payload') throw new Error('expected the ADU payload');
      await subscriber.write(frame(encodeAap2Response({ responseStatus: 1 })));
      expect(adu.aduFlags).toBe(2);
      expect(adu.dstEid).toBe('dtn://earth.dtn/smtp');
      const record = decodeAdminRecord(p.payload);
      if (!record.ok || record.value.kind !== 'status-report') throw new Error('not a status report');
      const r = record.value.report;
      expect(r.subjectSource).toEqual({ scheme: 'dtn', ssp: '//earth.dtn/smtp' });
      expect(r.subjectCreation).toEqual({ time: id.creationTimestampMs, sequence: id.sequenceNumber });
      for (const item of ['received', 'forwarded', 'delivered', 'deleted'] as const) {
        const a = r[item];
        if (a !== false) seen.set(`${item} ${adu.srcEid}`, typeof a === 'number' ? a : -1);
      }
    }
    // Real times (status time requested, 0x40), where uD3TN writes 0.
    expect(seen.get('received dtn://mars.dtn/')).toBeGreaterThan(0);
    expect(Number(seen.get('delivered dtn://mars.dtn/'))).toBeGreaterThan(0);
  });
});

describe('AAP v1 and reports from the bundle processor', () => {
  it('an AAP v1 agent gets the reports for its endpoint as RECVBUNDLE from mars’s node ID', async () => {
    const network = createFakeNetwork();
    const earth = await node('dtn://earth.dtn/', 'earth:1', network);
    const mars = await node('dtn://mars.dtn/', 'mars:1', network);
    earth.bpa.applyPlan([contactTo('dtn://mars.dtn/', 'mtcp:mars:1', Date.now())]);
    mars.bpa.applyPlan([contactTo('dtn://earth.dtn/', 'mtcp:earth:1', Date.now())]);
    const aap1 = await listenOn(createAapServer({ host: earth.bpa, log: () => {} }), 'tcp');
    const aap2 = await listenOn(createAap2Server({ host: earth.bpa, log: () => {} }), 'tcp');
    cleanups.push(aap1.cleanup, aap2.cleanup);

    // The application: receives over AAP v1 (no secret), sends over AAP 2.0 (no secret either).
    const v1 = await connectRaw(aap1.target);
    const active = await connectRaw(aap2.target);
    cleanups.push(async () => {
      v1.end();
      active.end();
    });
    await v1.read(19);
    await v1.write(fromHex('120004736d7470'));
    expect(hex(await v1.read(1))).toBe('10');
    const reader = aap2Reader(active);
    await reader.next();
    await active.write(frame(encodeAap2Message({ kind: 'config', config: { endpointId: 'dtn://earth.dtn/smtp' } })));
    expect(await reader.next()).toMatchObject({ kind: 'response', response: { responseStatus: 1 } });
    await active.write(frame(encodeAap2Message({ kind: 'adu', adu: { dstEid: 'dtn://mars.dtn/nobody', payloadLength: 2, aduFlags: 0x004000 } })));
    await active.write(ascii('hi'));
    expect(await reader.next()).toMatchObject({ kind: 'response', response: { responseStatus: 1 } });

    // RECVBUNDLE 0x14, source "dtn://mars.dtn/" (15 bytes), then the record [1, [[true, t], …]].
    const head = await v1.read(1 + 2 + 15 + 8);
    expect(hex(head.subarray(0, 18))).toBe(`14000f${hex(ascii('dtn://mars.dtn/'))}`);
    const length = Number(new DataView(head.buffer, head.byteOffset + 18, 8).getBigUint64(0));
    const record = decodeAdminRecord(await v1.read(length));
    if (!record.ok || record.value.kind !== 'status-report') throw new Error('not a status report');
    expect(record.value.report.received).toBeGreaterThan(0);
  });
});
