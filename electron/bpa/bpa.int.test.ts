/**
 * Two embedded BPAs in one process (startBpa: real store, real MTCP sockets, real AAP v1 server), driven
 * by Farside's AAP client (electron/services/aap-client) and by raw MTCP sockets that play a peer byte for
 * byte (MTCP framing: protocols.md §6.2).
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeAdminRecord } from '../../shared/protocol/bpv7/admin-record';
import { encodeBundle } from '../../shared/protocol/bpv7/bundle';
import { DTN_EPOCH_UNIX_MS } from '../../shared/protocol/bpv7/dtn-time';
import { encodeHopCount } from '../../shared/protocol/bpv7/extension-blocks';
import type { Bundle, CanonicalBlock } from '../../shared/protocol/bpv7/types';
import { AAP2_RESPONSE_STATUS, createAap2Decoder, encodeAap2AduParts, encodeAap2Message, encodeAap2Response, type Aap2DecodeStep } from '../../shared/protocol/aap2';
import { encodeMtcpFrame } from '../../shared/protocol/mtcp';
import type { AapClient, ReceivedBundle } from '../services/aap-client/types';
import { until } from '../test-support/waiting';
import type { BpaConfigInput } from './config';
import type { PlanCommand } from './router/types';
import { connectTestClient, takeBundles } from './test-support/agent';
import { startTcpBpa, type TcpBpa } from './test-support/farside-bpa';
import { contactBetween, contactTo } from './test-support/unit-fixtures';

type Node = TcpBpa;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

const startNode = (nodeId: string, extra: BpaConfigInput = {}): Promise<Node> => startTcpBpa(nodeId, (f) => cleanups.push(f), extra);

const client = (aap: string, agentId: string): Promise<AapClient> => connectTestClient(aap, agentId, (f) => cleanups.push(f));

const take = (c: AapClient, n: number, timeoutMs = 20_000): Promise<ReceivedBundle[]> => takeBundles(c, n, timeoutMs);

function apply(n: Node, c: PlanCommand): void {
  const r = n.running.bpa.applyPlan([c]);
  if (!r.ok) throw new Error(r.error.message);
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

function rawSocket(address: string): Promise<Socket> {
  const [, host, port] = address.split(':') as [string, string, string];
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), host, () => resolve(s));
    s.once('error', reject);
    cleanups.push(() => void s.destroy());
  });
}

function crafted(destination: string, seq: number, payload: string, extra: CanonicalBlock[] = []): Uint8Array {
  const b: Bundle = {
    primary: {
      version: 7,
      flags: 0,
      crcType: 1,
      destination: { scheme: 'dtn', ssp: destination.slice(4) },
      source: { scheme: 'dtn', ssp: '//sender.dtn/smtp' },
      reportTo: { scheme: 'dtn', ssp: 'none' },
      creation: { time: Date.now() - DTN_EPOCH_UNIX_MS, sequence: seq },
      lifetime: 60_000,
    },
    blocks: [...extra, { type: 1, number: 1, flags: 0, crcType: 0, data: utf8(payload) }],
  };
  return encodeBundle(b);
}

describe('two BPAs over MTCP, driven over AAP v1', () => {
  it.each([
    ['dtn', 'dtn://earth.dtn/', 'dtn://mars.dtn/', 'smtp', 'dtn://mars.dtn/smtp'],
    ['ipn', 'ipn:1.0', 'ipn:2.0', '25', 'ipn:2.25'],
  ])('a BSMTP bundle submitted on earth reaches the agent on mars (%s nodes)', async (_kind, earthId, marsId, agent, destination) => {
    const earth = await startNode(earthId);
    const mars = await startNode(marsId);
    apply(earth, contactTo(marsId, mars.mtcp));
    const receiver = await client(mars.aap, agent);
    const sender = await client(earth.aap, agent);
    const bsmtp = utf8('HELO earth.dtn\r\nMAIL FROM:<alice@earth.dtn>\r\nRCPT TO:<bob@mars.dtn>\r\nDATA\r\nSubject: hi\r\n\r\nhello\r\n.\r\nQUIT\r\n');
    const sent = await sender.send(destination, bsmtp);
    expect(sent.ok).toBe(true);
    const [got] = await take(receiver, 1);
    expect(new Uint8Array(got?.payload ?? [])).toEqual(bsmtp);
    expect(got?.source).toBe(sent.ok ? sent.value.source : '');
    await mars.waitFor('bundle.delivered');
    // earth deletes it once the link stayed usable for the confirmation time (DEFAULT_SENT_CONFIRM_MS).
    await until(() => earth.running.store.usage().bundles === 0, 5000);
  });

  it('a 20 MiB payload is fragmented by the maximum bundle size and reassembled for the agent', async () => {
    const earth = await startNode('dtn://earth.dtn/', { maxBundleSize: 1024 * 1024 });
    const mars = await startNode('dtn://mars.dtn/');
    apply(earth, contactTo('dtn://mars.dtn/', mars.mtcp));
    const receiver = await client(mars.aap, 'smtp');
    const sender = await client(earth.aap, 'smtp');
    const payload = new Uint8Array(20 * 1024 * 1024);
    for (let i = 0; i < payload.length; i += 4096) payload[i] = (i / 4096) & 0xff;
    const t0 = Date.now();
    expect((await sender.send('dtn://mars.dtn/smtp', payload)).ok).toBe(true);
    const [got] = await take(receiver, 1, 60_000);
    const ms = Date.now() - t0;
    expect(got?.payload.length).toBe(payload.length);
    expect(Buffer.compare(Buffer.from(got?.payload ?? []), Buffer.from(payload))).toBe(0);
    const fragments = earth.events.filter((e) => e.event === 'bundle.fragmented');
    expect(fragments.length).toBeGreaterThanOrEqual(20);
    expect(earth.events.filter((e) => e.event === 'bundle.forwarded').every((e) => (e['bytes'] as number) <= 1024 * 1024)).toBe(true);
    expect(mars.events.find((e) => e.event === 'bundle.reassembled')).toMatchObject({ fragments: fragments.length, bytes: payload.length });
    console.log(`20 MiB end to end (fragmented into ${fragments.length}): ${ms} ms`);
  }, 120_000);

  it('a contact that opens 2 s later delivers what waited', async () => {
    const earth = await startNode('dtn://earth.dtn/');
    const mars = await startNode('dtn://mars.dtn/');
    const start = Date.now() + 2000;
    apply(earth, contactBetween('dtn://mars.dtn/', mars.mtcp, start, start + 60_000));
    const receiver = await client(mars.aap, 'smtp');
    const sender = await client(earth.aap, 'smtp');
    for (const m of ['first', 'second']) expect((await sender.send('dtn://mars.dtn/smtp', utf8(m))).ok).toBe(true);
    await earth.waitFor('bundle.waiting');
    const got = await take(receiver, 2);
    expect(Date.now()).toBeGreaterThanOrEqual(start);
    expect(got.map((b) => text(b.payload))).toEqual(['first', 'second']);
  });

  it('a bundle for an agent that registers later is delivered then', async () => {
    const earth = await startNode('dtn://earth.dtn/');
    const mars = await startNode('dtn://mars.dtn/');
    apply(earth, contactTo('dtn://mars.dtn/', mars.mtcp));
    const sender = await client(earth.aap, 'smtp');
    expect((await sender.send('dtn://mars.dtn/late', utf8('kept for you'))).ok).toBe(true);
    await mars.waitFor('bundle.received');
    await new Promise((r) => setTimeout(r, 200));
    const late = await client(mars.aap, 'late');
    const [got] = await take(late, 1);
    expect(text(got?.payload ?? new Uint8Array(0))).toBe('kept for you');
  });
});

describe('status reports and expiry', () => {
  it('reception, forwarding and delivery reports reach the sending agent (an AAP v1 client receives them as RECVBUNDLE from the reporting node)', async () => {
    const earth = await startNode('dtn://earth.dtn/', { statusReports: true });
    const mars = await startNode('dtn://mars.dtn/', { statusReports: true });
    apply(earth, contactTo('dtn://mars.dtn/', mars.mtcp));
    apply(mars, contactTo('dtn://earth.dtn/', earth.mtcp));
    const receiver = await client(mars.aap, 'smtp');
    const sender = await client(earth.aap, 'smtp');
    // AAP v1 cannot ask for reports (docs/status-reports.md): the sender's bundle is submitted through the processor.
    const r = await earth.running.bpa.submit({ source: 'dtn://earth.dtn/smtp', destination: 'dtn://mars.dtn/smtp', payload: utf8('mail'), reports: { reception: true, forwarding: true, delivery: true } });
    if (!r.ok) throw new Error(r.error.message);
    await take(receiver, 1);
    const reports = await take(sender, 3);
    const statuses = reports
      .map((b) => {
        const rec = decodeAdminRecord(b.payload);
        if (!rec.ok || rec.value.kind !== 'status-report') throw new Error('not a status report');
        const rep = rec.value.report;
        expect(rep.subjectCreation).toEqual({ time: r.value.creationTime, sequence: r.value.sequence });
        return `${b.source} ${(['received', 'forwarded', 'delivered', 'deleted'] as const).filter((k) => rep[k] !== false).join()}`;
      })
      .sort();
    expect(statuses).toEqual(['dtn://earth.dtn/ forwarded', 'dtn://mars.dtn/ delivered', 'dtn://mars.dtn/ received']);
  });

  it('a bundle that expires before any contact is deleted and its deletion report (reason 1) reaches the sender', async () => {
    const earth = await startNode('dtn://earth.dtn/', { statusReports: true });
    const sender = await client(earth.aap, 'smtp');
    const r = await earth.running.bpa.submit({ source: 'dtn://earth.dtn/smtp', destination: 'dtn://venus.dtn/smtp', payload: utf8('too late'), lifetimeMs: 500, reports: { deletion: true } });
    expect(r.ok).toBe(true);
    const [report] = await take(sender, 1);
    const rec = decodeAdminRecord(report?.payload ?? new Uint8Array(0));
    const status = rec.ok && rec.value.kind === 'status-report' ? rec.value.report : null;
    expect(status).toMatchObject({ reason: 1 });
    // asserted with its status time (a DTN time, a number), not merely asserted (true)
    expect(typeof status?.deleted).toBe('number');
    // The report went to an AAP v1 agent: it leaves the store once that delivery settled (delivery.ts).
    await earth.waitFor('bundle.delivered', (e) => e.admin === true);
    expect(earth.running.store.usage().bundles).toBe(0);
  });
});

describe('what arrives over MTCP', () => {
  it('a bundle whose hop count would exceed its limit is not forwarded (reason 9); a duplicate is suppressed; garbage does not affect the next frame', async () => {
    const mars = await startNode('dtn://mars.dtn/');
    const earth = await startNode('dtn://earth.dtn/');
    apply(mars, contactTo('dtn://earth.dtn/', earth.mtcp));
    const inbox = await client(mars.aap, 'smtp');
    const socket = await rawSocket(mars.mtcp);
    const hop = encodeHopCount({ limit: 1, count: 1 });
    if (!hop.ok) throw new Error('hop');
    const oneHopLeft = crafted('dtn://earth.dtn/smtp', 1, 'no more hops', [{ type: 10, number: 2, flags: 0, crcType: 0, data: hop.value }]);
    const first = crafted('dtn://mars.dtn/smtp', 2, 'one');
    socket.write(encodeMtcpFrame(oneHopLeft));
    socket.write(encodeMtcpFrame(first));
    socket.write(encodeMtcpFrame(first)); // duplicate
    socket.write(Uint8Array.of(0x01, 0x02, 0x03, 0x5f, 0xff)); // garbage, and an indefinite byte string header
    socket.write(encodeMtcpFrame(crafted('dtn://mars.dtn/smtp', 3, 'two')));
    const got = await take(inbox, 2);
    expect(got.map((b) => text(b.payload))).toEqual(['one', 'two']);
    expect(await mars.waitFor('bundle.deleted')).toMatchObject({ reason: 9 });
    await mars.waitFor('bundle.duplicate');
    expect(earth.events.filter((e) => e.event === 'bundle.received')).toHaveLength(0);
  });
});

describe('TCPCLv3 and remote configuration', () => {
  it('a TCPCLv3 session carries bundles both ways: mars answers over the session earth opened', async () => {
    const earth = await startNode('dtn://earth.dtn/', { cla: [] });
    const mars = await startNode('dtn://mars.dtn/', { cla: ['tcpclv3:127.0.0.1:0'] });
    apply(earth, contactTo('dtn://mars.dtn/', mars.running.addresses.cla[0] as string));
    // Nothing listens at earth's address: mars can only reach earth over the session earth opened.
    apply(mars, contactTo('dtn://earth.dtn/', 'tcpclv3:127.0.0.1:9'));
    const echoBack = await client(earth.aap, 'pipe');
    expect((await echoBack.send('dtn://mars.dtn/echo', utf8('round trip'))).ok).toBe(true);
    const [got] = await take(echoBack, 1);
    expect(got).toMatchObject({ source: 'dtn://mars.dtn/echo' });
    expect(text(got?.payload ?? new Uint8Array(0))).toBe('round trip');
    expect(await mars.waitFor('bundle.forwarded')).toMatchObject({ peer: 'dtn://earth.dtn/', cla: 'tcpclv3:127.0.0.1:9' });
  });

  it('a config bundle from another node is refused by default and applied with allowRemoteConfig (uD3TN -R)', async () => {
    const strict = await startNode('dtn://earth.dtn/');
    const open = await startNode('dtn://moon.dtn/', { allowRemoteConfig: true });
    const mars = await startNode('dtn://mars.dtn/');
    apply(mars, contactTo('dtn://earth.dtn/', strict.mtcp));
    apply(mars, contactTo('dtn://moon.dtn/', open.mtcp));
    const admin = await client(mars.aap, 'admin');
    const config = utf8('1(dtn://venus.dtn/):(mtcp:127.0.0.1:9)::[{848946030,999999999,1000}];');
    expect((await admin.send('dtn://earth.dtn/config', config)).ok).toBe(true);
    expect((await admin.send('dtn://moon.dtn/config', config)).ok).toBe(true);
    expect(await strict.waitFor('config.refused')).toMatchObject({ source: 'dtn://mars.dtn/admin', receivedFrom: 'cla' });
    await open.waitFor('plan.changed');
    expect(open.running.bpa.router.contacts().map((c) => c.peerNodeId)).toEqual(['dtn://venus.dtn/']);
    expect(strict.running.bpa.router.contacts()).toEqual([]);
  });
});

/** A byte-level AAP 2.0 connection (protocols.md §5.1): config, then ADUs (active) or pushed ADUs (subscriber). */
async function aap2(address: string, endpointId: string, subscriber: boolean) {
  const socket = await rawSocket(address);
  const decoder = createAap2Decoder({ role: 'client' });
  let wake: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    decoder.push(new Uint8Array(chunk));
    wake?.();
  });
  const next = async (): Promise<Aap2DecodeStep> => {
    for (;;) {
      const step = decoder.next();
      if (step.kind !== 'need-more') return step;
      await new Promise<void>((r) => (wake = r));
    }
  };
  const write = (bytes: Uint8Array): void => void socket.write(bytes);
  const welcome = await next();
  expect(welcome.kind).toBe('message');
  const config = encodeAap2Message({ kind: 'config', config: { endpointId, secret: 's3cret', isSubscriber: subscriber } });
  if (!config.ok) throw new Error(config.error.message);
  write(config.value);
  const configured = await next();
  expect(configured.kind === 'response' && configured.response.responseStatus).toBe(AAP2_RESPONSE_STATUS.SUCCESS);
  if (subscriber) decoder.expect('message');
  return {
    async send(dstEid: string, payload: Uint8Array, aduFlags: number) {
      const parts = encodeAap2AduParts({ dstEid, aduFlags }, payload);
      if (!parts.ok) throw new Error(parts.error.message);
      for (const p of parts.value) write(p);
      const r = await next();
      if (r.kind !== 'response') throw new Error(`expected a response, got ${r.kind}`);
      return r.response;
    },
    /** The next pushed ADU and its payload; answers SUCCESS. */
    async receive() {
      const m = await next();
      if (m.kind !== 'message' || m.message.kind !== 'adu') throw new Error(`expected an ADU, got ${m.kind}`);
      const payload = await next();
      if (payload.kind !== 'payload') throw new Error('expected the payload');
      const ok = encodeAap2Response({ responseStatus: AAP2_RESPONSE_STATUS.SUCCESS });
      if (ok.ok) write(ok.value);
      return { adu: m.message.adu, payload: payload.payload.slice() };
    },
  };
}

describe('AAP 2.0', () => {
  it('reports asked for in adu_flags (docs/status-reports.md) reach the sender\'s subscriber, flagged as administrative records', async () => {
    const earth = await startNode('dtn://earth.dtn/', { statusReports: true });
    const mars = await startNode('dtn://mars.dtn/', { statusReports: true });
    apply(earth, contactTo('dtn://mars.dtn/', mars.mtcp));
    apply(mars, contactTo('dtn://earth.dtn/', earth.mtcp));
    const inbox = await aap2(mars.aap2, 'dtn://mars.dtn/smtp', true);
    const subscriber = await aap2(earth.aap2, 'dtn://earth.dtn/smtp', true);
    const active = await aap2(earth.aap2, 'dtn://earth.dtn/smtp', false);
    const response = await active.send('dtn://mars.dtn/smtp', utf8('mail with receipts'), 0x4000 | 0x10000 | 0x20000);
    expect(response.responseStatus).toBe(AAP2_RESPONSE_STATUS.SUCCESS);
    const headers = response.bundleHeaders;
    expect(headers).toMatchObject({ srcEid: 'dtn://earth.dtn/smtp', dstEid: 'dtn://mars.dtn/smtp', payloadLength: 18 });
    const mail = await inbox.receive();
    expect(text(mail.payload)).toBe('mail with receipts');
    const statuses: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { adu, payload } = await subscriber.receive();
      expect(adu.aduFlags).toBe(0x2);
      const rec = decodeAdminRecord(payload);
      if (!rec.ok || rec.value.kind !== 'status-report') throw new Error('not a status report');
      const rep = rec.value.report;
      expect(rep.subjectCreation).toEqual({ time: Number(headers?.creationTimestampMs), sequence: Number(headers?.sequenceNumber) });
      statuses.push(`${adu.srcEid} ${(['received', 'forwarded', 'delivered'] as const).filter((k) => rep[k] !== false).join()}`);
    }
    expect(statuses.sort()).toEqual(['dtn://earth.dtn/ forwarded', 'dtn://mars.dtn/ delivered', 'dtn://mars.dtn/ received']);
  });
});
