/**
 * createGateway against a real embedded BPA (startBpa in-process) without a mail stack: the node's side
 * of the service. A node that is down at start, or restarts, loses nothing and the mail agent is
 * registered again; AAP v1 bundles (no bundle ID) are de-duplicated by source and payload digest; an ipn
 * node gets the ipn:N.25 agent; conditions retrying cannot fix end in `failure`.
 *
 * The site MTA is a closed port here: received mail waits in the inbound queue, which is all these
 * tests need (two-sites.int.test.ts covers delivery with real Postfix and Dovecot). Over AAP 2.0 the
 * gateway's bundles ask for status reports, which come back to it as administrative records: logged and
 * linked to the message, never taken for mail, and dropped when unreadable.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeBsmtp, encodeBsmtpMessage } from '../../shared/protocol/bsmtp';
import { encodeBundle } from '../../shared/protocol/bpv7/bundle';
import { dtnTimeFromUnixMs } from '../../shared/protocol/bpv7/dtn-time';
import { BundleFlag } from '../../shared/protocol/bpv7/flags';
import { encodeMtcpFrame } from '../../shared/protocol/mtcp';
import { ascii } from '../../shared/test-support/vectors';
import { startFarsideBpa } from '../bpa/test-support/farside-bpa';
import type { FarsideBpa } from '../bpa/test-support/farside-bpa';
import { createAapClient } from '../services/aap-client/client';
import type { AapClient, AapTransport, ReceivedBundle } from '../services/aap-client/types';
import { openSmtpSession } from '../services/smtp/smtp-client';
import { parseGatewayConfig } from './config';
import { createGateway } from './gateway';
import type { Gateway, GatewayAddresses } from './gateway';
import { LOOPBACK, freePort, sleep } from './test-support/mailstack/processes';
import type { GatewayLogEvent } from './types';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

interface Running {
  readonly gateway: Gateway;
  readonly addresses: GatewayAddresses;
  readonly logs: GatewayLogEvent[];
}

function aapAddress(t: AapTransport): string {
  return t.kind === 'unix' ? `unix:${t.path}` : `tcp:${t.host}:${t.port}`;
}

async function startGateway(node: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'farside-gw-node-'));
  const config = parseGatewayConfig(
    JSON.stringify({
      node: { reconnect: { initialMs: 50, maxMs: 300 }, requestTimeoutMs: 5000, ...node },
      // nothing listens there: received mail stays in the inbound queue
      mta: { host: LOOPBACK, port: await freePort() },
      listen: { host: LOOPBACK, port: 0 },
      routes: [{ domain: 'mars.example', eid: 'dtn://earth.dtn/sink' }],
      localDomains: ['earth.example'],
      authorisedSources: ['dtn://earth.dtn/', 'ipn:7.0'],
      store: { dir },
      retry: { bp: { initialMs: 50, maxMs: 300 }, mta: { initialMs: 60_000, maxMs: 60_000 } },
      ...extra,
    }),
    dir,
  );
  if (!config.ok) throw new Error(config.error.message);
  const logs: GatewayLogEvent[] = [];
  const gateway = createGateway({ config: config.value, log: (e) => logs.push(e) });
  const started = await gateway.start();
  if (!started.ok) throw new Error(started.error.message);
  cleanups.push(async () => {
    await gateway.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { gateway, addresses: started.value, logs };
}

async function bpa(nodeId: string, aapPort?: number, statusReports = false): Promise<FarsideBpa> {
  const b = await startFarsideBpa(nodeId, { ...(aapPort === undefined ? {} : { aap: [`tcp:${LOOPBACK}:${aapPort}`] }), statusReports });
  cleanups.push(() => b.stop());
  return b;
}

async function agent(b: FarsideBpa, agentId: string): Promise<AapClient> {
  const c = createAapClient({ transport: b.aap1, protocol: 'aap1', agentId, receive: true, requestTimeoutMs: 5000, reconnect: { initialMs: 50, maxMs: 300 }, log: () => undefined });
  cleanups.push(() => c.close());
  const r = await c.connect();
  if (!r.ok) throw new Error(r.error.message);
  return c;
}

async function until<T>(what: string, f: () => T | undefined, logs: readonly GatewayLogEvent[], timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; logs: ${JSON.stringify(logs.slice(-8))}`);
    await sleep(25);
  }
}

const find = (logs: readonly GatewayLogEvent[], event: string, match: (e: GatewayLogEvent) => boolean = () => true) => logs.find((e) => e.event === event && match(e));

async function relay(port: number, subject: string): Promise<void> {
  const s = await openSmtpSession({ host: LOOPBACK, port, ehloName: 'mta.earth.example', replyTimeoutMs: 5000 });
  if (!s.ok) throw new Error(s.error.message);
  const r = await s.value.send({ mailFrom: 'alice@earth.example', mailParams: {}, rcptTo: [{ address: 'bob@mars.example', params: {} }] }, ascii(`Subject: ${subject}\r\nMessage-ID: <${subject.replace(/ /g, '-')}@earth.example>\r\n\r\nx\r\n`));
  await s.value.quit();
  expect(r.ok && r.value.data?.code).toBe(250);
}

async function takeOne(c: AapClient, timeoutMs = 10_000): Promise<ReceivedBundle> {
  const it = c.bundles();
  const r = await Promise.race([it.next(), sleep(timeoutMs).then(() => null)]);
  if (r === null || r.done === true) throw new Error('no bundle arrived');
  return r.value;
}

function subjectOf(b: ReceivedBundle): string | undefined {
  const d = decodeBsmtp(b.payload);
  if (!d.ok) return undefined;
  return /\r\nSubject: ([^\r]*)\r\n/.exec(`\r\n${new TextDecoder().decode(d.value.transactions[0]?.message)}`)?.[1];
}

describe('gateway ⇄ BP node', () => {
  it('queues mail while the node is down, registers when it comes up, and hands the mail over; after a node restart it registers again', async () => {
    const aapPort = await freePort();
    const gw = await startGateway({ aap: `tcp:${LOOPBACK}:${aapPort}`, protocol: 'aap1' });
    await until('the node reported down', () => find(gw.logs, 'node-unavailable'), gw.logs);
    await relay(gw.addresses.smtp.port, 'while down');
    expect(gw.gateway.metrics().queue.outbound).toBe(1);
    expect(gw.gateway.metrics().node.connected).toBe(false);

    const first = await bpa('dtn://earth.dtn/', aapPort);
    const sink = await agent(first, 'sink');
    await until('registered', () => find(gw.logs, 'gateway-registered', (e) => e['endpoint'] === 'dtn://earth.dtn/email'), gw.logs);
    const got = await takeOne(sink);
    expect(got.source).toBe('dtn://earth.dtn/email');
    expect(subjectOf(got)).toBe('while down');
    const handed = await until('handed over', () => find(gw.logs, 'bundle-handed-over'), gw.logs);
    expect(handed).toMatchObject({ origin: 'mail', destination: 'dtn://earth.dtn/sink', messageId: 'while-down@earth.example' });
    expect(gw.gateway.metrics().queue.outbound).toBe(0);
    // waiting for the node is not a failed attempt
    expect(find(gw.logs, 'bundle-send-failed')).toBeUndefined();

    // the node goes away and comes back (a new process on the same AAP port)
    await first.stop();
    await until('the drop noticed', () => find(gw.logs, 'aap-connection-lost'), gw.logs);
    await relay(gw.addresses.smtp.port, 'across restart');
    const second = await bpa('dtn://earth.dtn/', aapPort);
    // the sink's own client reconnects and registers again, as the gateway's does
    expect(subjectOf(await takeOne(sink))).toBe('across restart');
    expect(gw.gateway.status()).toMatchObject({ node: 'connected', endpoint: 'dtn://earth.dtn/email' });
    // the registration is held: mail sent to the agent after the restart is received
    const from = await agent(second, 'peer');
    const payload = encodeBsmtpMessage({ ehlo: 'x', envelope: { mailFrom: 'carol@earth.example', rcptTo: [{ address: 'dave@earth.example' }] }, message: ascii('Subject: in\r\n\r\nx\r\n') });
    if (!payload.ok) throw new Error(payload.error.message);
    expect((await from.send('dtn://earth.dtn/email', payload.value)).ok).toBe(true);
    await until('received after the restart', () => find(gw.logs, 'inbound-accepted', (e) => e['source'] === 'dtn://earth.dtn/peer'), gw.logs);
  });

  it('keys AAP v1 bundles by source and payload digest: the same bytes again are a duplicate, from another source they are not', async () => {
    const node = await bpa('dtn://earth.dtn/');
    const gw = await startGateway({ aap: aapAddress(node.aap1), protocol: 'aap1' });
    await until('registered', () => find(gw.logs, 'gateway-registered'), gw.logs);
    const payload = encodeBsmtpMessage({ ehlo: 'x', envelope: { mailFrom: 'carol@earth.example', rcptTo: [{ address: 'dave@earth.example' }] }, message: ascii('Subject: twice\r\nMessage-ID: <twice@earth.example>\r\n\r\nx\r\n') });
    if (!payload.ok) throw new Error(payload.error.message);
    const a = await agent(node, 'a');
    const b = await agent(node, 'b');
    expect((await a.send('dtn://earth.dtn/email', payload.value)).ok).toBe(true);
    expect((await a.send('dtn://earth.dtn/email', payload.value)).ok).toBe(true);
    expect((await b.send('dtn://earth.dtn/email', payload.value)).ok).toBe(true);
    await until('three bundles taken', () => (gw.logs.filter((e) => e.event === 'inbound-accepted' || e.event === 'inbound-duplicate-bundle').length === 3 ? true : undefined), gw.logs);
    const accepted = gw.logs.filter((e) => e.event === 'inbound-accepted');
    const duplicate = gw.logs.filter((e) => e.event === 'inbound-duplicate-bundle');
    expect(accepted.map((e) => e['source'])).toEqual(['dtn://earth.dtn/a', 'dtn://earth.dtn/b']);
    expect(duplicate.map((e) => e['bundle'])).toEqual([accepted[0]?.['bundle']]);
    expect(String(accepted[0]?.['bundle'])).toMatch(/^dtn:\/\/earth\.dtn\/a sha256:[0-9a-f]{64}$/);
    // b's copy was taken as a bundle, and the Message-ID check kept it from being delivered twice
    expect(find(gw.logs, 'inbound-duplicate-message', (e) => e['messageId'] === 'twice@earth.example')).toBeDefined();
    expect(gw.gateway.metrics().queue.inbound).toBe(1);
    expect(gw.gateway.metrics().counters).toMatchObject({ received: 3, duplicates: 2 });
  });

  it('registers ipn:N.25 on an ipn node over AAP 2.0 and keys received bundles by their bundle ID', async () => {
    const node = await bpa('ipn:7.0');
    const gw = await startGateway({ aap: aapAddress(node.aap2), protocol: 'aap2' }, { routes: [{ domain: 'mars.example', eid: 'ipn:7.99' }] });
    await until('registered', () => find(gw.logs, 'gateway-registered', (e) => e['endpoint'] === 'ipn:7.25'), gw.logs);
    const from = await agent(node, '30');
    const payload = encodeBsmtpMessage({ ehlo: 'x', envelope: { mailFrom: 'carol@earth.example', rcptTo: [{ address: 'dave@earth.example' }] }, message: ascii('Subject: ipn\r\n\r\nx\r\n') });
    if (!payload.ok) throw new Error(payload.error.message);
    const sent = await from.send('ipn:7.25', payload.value);
    if (!sent.ok) throw new Error(sent.error.message);
    const accepted = await until('accepted', () => find(gw.logs, 'inbound-accepted'), gw.logs);
    expect(accepted['bundle']).toBe(`ipn:7.30 ${sent.value.creationTime} ${sent.value.sequence}`);
  });

  it('over AAP 2.0 asks for status reports, logs each report that comes back linked to its message, and drops an unreadable administrative record', async () => {
    const node = await bpa('dtn://earth.dtn/', undefined, true);
    const gw = await startGateway({ aap: aapAddress(node.aap2), protocol: 'aap2' });
    await until('registered', () => find(gw.logs, 'gateway-registered'), gw.logs);
    const sink = await agent(node, 'sink');
    await relay(gw.addresses.smtp.port, 'with receipts');
    expect(subjectOf(await takeOne(sink))).toBe('with receipts');
    const handed = await until('handed over', () => find(gw.logs, 'bundle-handed-over'), gw.logs);
    const report = await until('the delivery report', () => find(gw.logs, 'report-received', (e) => String(e['assertions']).includes('delivered')), gw.logs);
    expect(report).toMatchObject({
      reporter: 'dtn://earth.dtn/',
      subject: handed['bundleId'],
      assertions: 'delivered',
      reason: 0,
      reasonName: 'No additional information',
      queueId: handed['queueId'],
      origin: 'mail',
      messageId: 'with-receipts@earth.example',
      destination: 'dtn://earth.dtn/sink',
    });
    expect(Date.parse(String(report['deliveredAt']))).toBeGreaterThan(Date.now() - 60_000);
    // the report was no mail: nothing waits for the MTA but nothing was received as mail either
    expect(gw.gateway.metrics().counters).toMatchObject({ received: 0, status_reports: 1, status_reports_linked: 1, admin_records_dropped: 0 });

    // an administrative record that cannot be read, from another node over MTCP, addressed to the mail agent
    const mtcp = node.cla['mtcp']?.split(':') ?? [];
    const garbage = encodeBundle({
      primary: {
        version: 7,
        flags: BundleFlag.ADMIN_RECORD,
        crcType: 1,
        destination: { scheme: 'dtn', ssp: '//earth.dtn/email' },
        source: { scheme: 'dtn', ssp: '//mars.dtn/' },
        reportTo: { scheme: 'dtn', ssp: 'none' },
        creation: { time: dtnTimeFromUnixMs(Date.now()), sequence: 1 },
        lifetime: 60_000,
      },
      // a status report cut off after its first bytes
      blocks: [{ type: 1, number: 1, flags: 0, crcType: 0, data: new Uint8Array([0x82, 0x01, 0x84]) }],
    });
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(mtcp[2]), mtcp[1], () => socket.end(encodeMtcpFrame(garbage), () => resolve()));
      socket.once('error', reject);
    });
    const dropped = await until('the record dropped', () => find(gw.logs, 'admin-record-dropped'), gw.logs);
    expect(dropped).toMatchObject({ source: 'dtn://mars.dtn/', size: 3, reason: 'undecodable' });
    await gw.gateway.idle();
    expect(find(gw.logs, 'inbound-invalid-object')).toBeUndefined();
    expect(gw.gateway.metrics().queue.inbound).toBe(0);
    expect(gw.gateway.metrics().counters).toMatchObject({ received: 0, postmaster_notices: 0, admin_records_dropped: 1 });
  });

  it('reports what retrying cannot fix: a configured agent the node cannot have, another AAP version', async () => {
    const node = await bpa('ipn:7.0');
    const badAgent = await startGateway({ aap: aapAddress(node.aap1), protocol: 'aap1', agent: 'email' });
    const f1 = await badAgent.gateway.failure;
    expect(f1.code).toBe('CONFIG_INVALID');
    expect(f1.message).toMatch(/^node\.agent: "email" cannot be registered on ipn:7\.0/);

    const wrongProtocol = await startGateway({ aap: aapAddress(node.aap2), protocol: 'aap1' });
    expect((await wrongProtocol.gateway.failure).code).toBe('AAP_VERSION_MISMATCH');
    expect(find(wrongProtocol.logs, 'gateway-failed')).toBeDefined();
  });
});
