/**
 * Two embedded BPAs as two processes (issue 3, "Must show": two BPAs "as two processes, exchange BSMTP
 * bundles (dtn and ipn nodes); a large one is fragmented and reassembled; a contact that opens later
 * delivers what waited; status reports reach the sending agent"). bpa.int.test.ts runs the same
 * scenarios with both nodes in the test process; here each node is a `farside bpa` child (bin/farside.js),
 * so what is tested is the command as shipped: its flags, its config file, its ready line, its config agent
 * and its clean stop.
 *
 * A (earth) and B (mars) listen on ports chosen at run time, keep their stores in a fresh temporary
 * directory and are linked over MTCP: A → B by A's config file (contact plan), B → A through B's config
 * agent (`addContact`, uD3TN's text format), so replies and status reports find their way back. Agents
 * are Farside's AAP client, over AAP v1 on TCP and over AAP 2.0 on a UNIX socket; status reports are asked
 * for with the adu_flags bits of docs/status-reports.md, which the AAP client does not send, so that test
 * speaks AAP 2.0 byte for byte (test-support/aap2-raw-agent.ts). Every node is stopped with SIGTERM and
 * must exit 0; no process and no file is left behind.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AAP2_ADU_FLAGS, AAP2_RESPONSE_STATUS } from '../../shared/protocol/aap2';
import { decodeAdminRecord } from '../../shared/protocol/bpv7/admin-record';
import { DTN_EPOCH_UNIX_MS } from '../../shared/protocol/bpv7/dtn-time';
import { assertionTime } from '../../shared/protocol/bpv7/status-report';
import { decodeBsmtp, encodeBsmtpMessage } from '../../shared/protocol/bsmtp';
import { alive } from '../test-support/processes';
import type { AapClient, AapProtocol, BundleId, ReceivedBundle } from '../services/aap-client/types';
import { connectRawAap2 } from './test-support/aap2-raw-agent';
import { connectTestClient, sameBytes } from './test-support/agent';
import { startBpaProcess, writeContactConfig, type BpaProcess } from './test-support/bpa-process';

/** RFC 9171 §4.2.3 report-request flags, as docs/status-reports.md maps them onto adu_flags. */
const REPORT_RECEPTION = 0x004000;
const REPORT_FORWARDING = 0x010000;
const REPORT_DELIVERY = 0x020000;
/** docs/status-reports.md: a pushed ADU that is an administrative record. */
const ADMIN_RECORD = 0x000002;
const SECRET = 'multiprocess-test';
const MAX_BUNDLE_SIZE = 512 * 1024;

interface Kind {
  readonly kind: 'dtn' | 'ipn';
  readonly a: string;
  readonly b: string;
  /** Agent IDs: names on a dtn node, service numbers on an ipn node. */
  readonly agents: { readonly v1: string; readonly v2: string; readonly bulk: string; readonly receipts: string; readonly late: string };
}

const KINDS: readonly Kind[] = [
  { kind: 'dtn', a: 'dtn://earth.dtn/', b: 'dtn://mars.dtn/', agents: { v1: 'smtp', v2: 'smtp2', bulk: 'bulk', receipts: 'receipts', late: 'late' } },
  { kind: 'ipn', a: 'ipn:1.0', b: 'ipn:2.0', agents: { v1: '25', v2: '26', bulk: '27', receipts: '28', late: '29' } },
];

/** The EID of `agent` on node `nodeId` (dtn://node/agent, ipn:N.agent). */
function eid(nodeId: string, agent: string): string {
  return nodeId.startsWith('ipn:') ? `${nodeId.slice(0, nodeId.indexOf('.'))}.${agent}` : `${nodeId}${agent}`;
}

const perTest: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (perTest.length > 0) await perTest.pop()?.();
});

/** Stop every node with SIGTERM (all of them, whatever happens), then check: exit code 0, the pid gone. */
async function stopCleanly(nodes: readonly (BpaProcess | undefined)[]): Promise<void> {
  const running = nodes.filter((n): n is BpaProcess => n !== undefined);
  const codes = await Promise.all(running.map((n) => n.stop()));
  expect(codes).toEqual(running.map(() => 0));
  for (const n of running) {
    expect(n.count('bpa.exit')).toBe(1);
    expect(alive(n.pid)).toBe(false);
  }
}

const agent = (address: string, protocol: AapProtocol, agentId: string): Promise<AapClient> =>
  connectTestClient(address, agentId, (f) => perTest.push(f), { protocol, receive: true, ...(protocol === 'aap2' ? { secret: SECRET } : {}) });

/** The next bundle the agent receives, within `timeoutMs`. */
async function next(c: AapClient, timeoutMs = 20_000): Promise<ReceivedBundle> {
  const it = c.bundles();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${c.endpoint ?? '?'}: no bundle within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const r = await Promise.race([it.next(), timeout]);
    if (r.done === true) throw new Error(`${c.endpoint ?? '?'}: the bundle stream ended`);
    return r.value;
  } finally {
    clearTimeout(timer);
  }
}

/** How the BPA's log lines name a bundle: source, creation time (DTN ms) and sequence number. */
function logId(id: BundleId): string {
  return `${id.source} ${id.creationTime} ${id.sequence}`;
}

/** One mail as one BSMTP object (RFC 2442), as the gateways put it in a bundle. */
function bsmtp(from: string, to: string, subject: string, body: string): Uint8Array {
  const message = new TextEncoder().encode(`From: <${from}>\r\nTo: <${to}>\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '-')}@farside.test>\r\n\r\n${body}`);
  const r = encodeBsmtpMessage({ ehlo: 'gateway.farside.test', envelope: { mailFrom: from, rcptTo: [{ address: to }] }, message });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

/** A body of `bytes` printable bytes in CRLF lines, different on every line. */
function largeBody(bytes: number): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `${i.toString(36).padStart(8, '0')} ${'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(2)}\r\n`;
    lines.push(line);
    size += line.length;
  }
  return lines.join('');
}

function envelopeOf(payload: Uint8Array): { from: string; to: string[] } {
  const d = decodeBsmtp(payload);
  if (!d.ok) throw new Error(`not BSMTP: ${d.error.message}`);
  const t = d.value.transactions[0];
  return { from: t?.envelope.mailFrom ?? '', to: t?.envelope.rcptTo.map((r) => r.address) ?? [] };
}

describe.each(KINDS)('two farside bpa processes over MTCP ($kind nodes)', ({ kind, a: aId, b: bId, agents }) => {
  let dir = '';
  let a: BpaProcess | undefined;
  let b: BpaProcess | undefined;
  const nodes = (): { a: BpaProcess; b: BpaProcess } => {
    if (a === undefined || b === undefined) throw new Error('the nodes did not start');
    return { a, b };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `farside-bpa-mp-${kind}-`));
    b = await startBpaProcess({ nodeId: bId, storeDir: join(dir, 'b'), aap2: [`unix:${join(dir, 'b.aap2.socket')}`], flags: ['--status-reports'] });
    const config = writeContactConfig(dir, 'a.json', [{ nodeId: bId, cla: b.cla[0] as string }]);
    a = await startBpaProcess({
      nodeId: aId,
      storeDir: join(dir, 'a'),
      aap2: [`unix:${join(dir, 'a.aap2.socket')}`],
      config,
      flags: ['--status-reports', '--max-bundle-size', String(MAX_BUNDLE_SIZE)],
    });
    expect(await a.waitFor('bpa.started')).toMatchObject({ contacts: 1 });
    // B → A through B's config agent, as `farside contact add` does it.
    const admin = await agent(b.aap[0] as string, 'aap1', kind === 'dtn' ? 'admin' : '90');
    const added = await admin.addContact({ node: aId, cla: a.cla[0] as string });
    if (!added.ok) throw new Error(added.error.message);
    await b.waitFor('plan.changed');
    while (perTest.length > 0) await perTest.pop()?.();
  }, 60_000);

  afterAll(async () => {
    try {
      await stopCleanly([a, b]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(existsSync(dir)).toBe(false);
  }, 30_000);

  it.each([
    ['AAP v1 over TCP', 'aap1', 'v1'],
    ['AAP 2.0 over a UNIX socket', 'aap2', 'v2'],
  ] as const)('a BSMTP bundle sent over %s reaches the agent at B byte-identical, and the reply comes back', async (_label, protocol, which) => {
    const { a: nodeA, b: nodeB } = nodes();
    const address = (n: BpaProcess): string => (protocol === 'aap1' ? n.aap[0] : n.aap2[0]) as string;
    const atB = await agent(address(nodeB), protocol, agents[which]);
    const atA = await agent(address(nodeA), protocol, agents[which]);
    const aEid = eid(aId, agents[which]);
    const bEid = eid(bId, agents[which]);
    expect([atA.endpoint, atB.endpoint]).toEqual([aEid, bEid]);

    const mail = bsmtp('alice@earth.test', 'bob@mars.test', `hello over ${protocol} ${kind}`, 'Hello Mars.\r\n');
    const sent = await atA.send(bEid, mail);
    if (!sent.ok) throw new Error(sent.error.message);
    expect(sent.value.source).toBe(aEid);
    const got = await next(atB);
    expect(got.source).toBe(aEid);
    expect(got.payload.length).toBe(mail.length);
    expect(sameBytes(got.payload, mail)).toBe(true);
    expect(envelopeOf(got.payload)).toEqual({ from: 'alice@earth.test', to: ['bob@mars.test'] });
    // AAP 2.0 hands over the bundle ID: the one A's SENDCONFIRM/AAPResponse named.
    if (protocol === 'aap2') expect(got.bundleId).toEqual(sent.value);

    const reply = bsmtp('bob@mars.test', 'alice@earth.test', `re: hello over ${protocol} ${kind}`, 'Hello Earth.\r\n');
    const back = await atB.send(got.source, reply);
    if (!back.ok) throw new Error(back.error.message);
    const answer = await next(atA);
    expect(answer.source).toBe(bEid);
    expect(sameBytes(answer.payload, reply)).toBe(true);
    expect(envelopeOf(answer.payload)).toEqual({ from: 'bob@mars.test', to: ['alice@earth.test'] });
    // Each way went through the other process over MTCP (log lines may trail the bundles a little).
    expect(await nodeA.waitFor('bundle.forwarded', (l) => l['id'] === logId(sent.value))).toMatchObject({ peer: bId });
    expect(await nodeB.waitFor('bundle.forwarded', (l) => l['id'] === logId(back.value))).toMatchObject({ peer: aId });
  }, 60_000);

  it('a 5 MiB BSMTP bundle leaves A in fragments of at most --max-bundle-size and reaches the agent at B reassembled', async () => {
    const { a: nodeA, b: nodeB } = nodes();
    const atB = await agent(nodeB.aap[0] as string, 'aap1', agents.bulk);
    const atA = await agent(nodeA.aap[0] as string, 'aap1', agents.bulk);
    const mail = bsmtp('alice@earth.test', 'bob@mars.test', `large ${kind}`, largeBody(5 * 1024 * 1024));
    expect(mail.length).toBeGreaterThan(5 * 1024 * 1024);
    const fragmentedBefore = nodeA.count('bundle.fragmented');
    const t0 = Date.now();
    const sent = await atA.send(eid(bId, agents.bulk), mail);
    if (!sent.ok) throw new Error(sent.error.message);
    const got = await next(atB, 40_000);
    const ms = Date.now() - t0;
    expect(got.payload.length).toBe(mail.length);
    expect(sameBytes(got.payload, mail)).toBe(true);

    const fragments = nodeA.lines.filter((l) => l['event'] === 'bundle.fragmented').slice(fragmentedBefore);
    // Each fragment carries its share of the payload plus under 1 KiB of blocks.
    expect(fragments.length).toBeGreaterThanOrEqual(Math.ceil(mail.length / MAX_BUNDLE_SIZE));
    expect(fragments.length).toBeLessThanOrEqual(Math.ceil(mail.length / (MAX_BUNDLE_SIZE - 1024)));
    const forwarded = nodeA.lines.filter((l) => l['event'] === 'bundle.forwarded' && l['peer'] === bId).slice(-fragments.length);
    expect(forwarded.every((f) => typeof f['bytes'] === 'number' && f['bytes'] <= MAX_BUNDLE_SIZE)).toBe(true);
    const reassembled = await nodeB.waitFor('bundle.reassembled', (l) => l['bytes'] === mail.length);
    expect(reassembled['fragments']).toBe(fragments.length);
    console.log(`${kind}: 5 MiB in ${fragments.length} fragments, A → B across processes in ${ms} ms`);
  }, 60_000);

  it('reception, forwarding and delivery reports asked for in adu_flags reach the sending agent at A', async () => {
    const { a: nodeA, b: nodeB } = nodes();
    const atB = await agent(nodeB.aap[0] as string, 'aap1', agents.receipts);
    const aEid = eid(aId, agents.receipts);
    const subscriber = await connectRawAap2(nodeA.aap2[0] as string, aEid, { subscriber: true, secret: SECRET });
    perTest.push(() => subscriber.close());
    const active = await connectRawAap2(nodeA.aap2[0] as string, aEid, { subscriber: false, secret: SECRET });
    perTest.push(() => active.close());

    const before = Date.now() - DTN_EPOCH_UNIX_MS;
    const mail = bsmtp('alice@earth.test', 'bob@mars.test', `receipts ${kind}`, 'Tell me when it arrives.\r\n');
    const response = await active.send(eid(bId, agents.receipts), mail, REPORT_RECEPTION | REPORT_FORWARDING | REPORT_DELIVERY);
    expect(response.responseStatus).toBe(AAP2_RESPONSE_STATUS.SUCCESS);
    const headers = response.bundleHeaders;
    expect(headers).toMatchObject({ srcEid: aEid, dstEid: eid(bId, agents.receipts), payloadLength: mail.length });
    expect(sameBytes((await next(atB)).payload, mail)).toBe(true);

    const statuses: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { adu, payload } = await subscriber.receive(20_000);
      expect(adu.aduFlags).toBe(ADMIN_RECORD);
      expect(adu.aduFlags & AAP2_ADU_FLAGS.BPDU).toBe(0);
      expect(adu.dstEid).toBe(aEid);
      const record = decodeAdminRecord(payload);
      if (!record.ok || record.value.kind !== 'status-report') throw new Error(`not a status report from ${adu.srcEid}`);
      const report = record.value.report;
      expect(report.subjectCreation).toEqual({ time: Number(headers?.creationTimestampMs), sequence: Number(headers?.sequenceNumber) });
      const asserted = (['received', 'forwarded', 'delivered', 'deleted'] as const).filter((s) => report[s] !== false);
      // Real times (the BPA sets STATUS_TIME_REQUESTED for the bundles agents ask reports for).
      for (const s of asserted) {
        const t = assertionTime(report[s]);
        expect(t).toBeGreaterThanOrEqual(before - 1000);
        expect(t).toBeLessThanOrEqual(Date.now() - DTN_EPOCH_UNIX_MS + 1000);
      }
      statuses.push(`${adu.srcEid} ${asserted.join()}`);
    }
    expect(statuses.sort()).toEqual([`${aId} forwarded`, `${bId} delivered`, `${bId} received`].sort());
  }, 60_000);
});

describe.each(KINDS)('a contact that opens later ($kind nodes, two farside bpa processes)', ({ kind, a: aId, b: bId, agents }) => {
  it('delivers, once it opens, the bundles that waited for it', async () => {
    const dir = mkdtempSync(join(tmpdir(), `farside-bpa-mp-late-${kind}-`));
    perTest.push(() => rmSync(dir, { recursive: true, force: true }));
    const [b, a] = await Promise.all([startBpaProcess({ nodeId: bId, storeDir: join(dir, 'b') }), startBpaProcess({ nodeId: aId, storeDir: join(dir, 'a') })]);
    perTest.push(() => stopCleanly([a, b]));
    const atB = await agent(b.aap[0] as string, 'aap1', agents.late);
    const atA = await agent(a.aap[0] as string, 'aap1', agents.late);
    // uD3TN's config format counts whole seconds: a start on a second boundary, 2 to 3 s from now.
    const start = Math.ceil((Date.now() + 2000) / 1000) * 1000;
    const added = await atA.addContact({ node: bId, cla: b.cla[0] as string, start, end: start + 3_600_000 });
    if (!added.ok) throw new Error(added.error.message);
    await a.waitFor('plan.changed');

    const mails = ['first', 'second', 'third'].map((s) => bsmtp('alice@earth.test', 'bob@mars.test', `${s} ${kind}`, `${s}\r\n`));
    for (const m of mails) {
      const sent = await atA.send(eid(bId, agents.late), m);
      if (!sent.ok) throw new Error(sent.error.message);
    }
    expect(await a.waitFor('bundle.waiting')).toMatchObject({ peer: bId, until: new Date(start).toISOString() });

    const got: ReceivedBundle[] = [];
    for (let i = 0; i < mails.length; i++) {
      got.push(await next(atB, 15_000));
      expect(Date.now()).toBeGreaterThanOrEqual(start);
    }
    expect(got.map((g, i) => sameBytes(g.payload, mails[i] as Uint8Array))).toEqual([true, true, true]);
    await a.waitFor('contact.started', (l) => l['peer'] === bId);
    expect(a.count('bundle.waiting')).toBe(mails.length);
  }, 60_000);
});
