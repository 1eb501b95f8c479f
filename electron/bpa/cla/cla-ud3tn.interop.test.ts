/**
 * Farside's convergence layers against a real uD3TN (interop tier): MTCP and TCPCLv3 in both directions,
 * without the bundle processor in between, so a failure here points at a CLA or the BPv7 codec.
 *
 * uD3TN → Farside: a contact on uD3TN (set through its config agent) to a Farside CLA listener; an AAP
 * client on uD3TN sends; the CLA's sink gets the bundle. Farside → uD3TN: a Farside link to uD3TN's CLA
 * port carries bundles Farside encoded; an AAP client on uD3TN receives them.
 *
 * Golden facts: protocols.md §6.2 (MTCP), §6.4 (TCPCLv3), ud3tn-behaviour.md §7 (AAP-created bundles),
 * §8 (status reports: time 0, report-to dtn:none), §9 (fragmentation: at most 10 fragments).
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeAdminRecord } from '../../../shared/protocol/bpv7/admin-record';
import { decodeBundle, encodeBundleParts, payloadBlockOf } from '../../../shared/protocol/bpv7/bundle';
import { dtnTimeFromUnixMs } from '../../../shared/protocol/bpv7/dtn-time';
import { formatEid, parseEid } from '../../../shared/protocol/bpv7/eid';
import { BundleFlag } from '../../../shared/protocol/bpv7/flags';
import { fragmentBundle } from '../../../shared/protocol/bpv7/fragment';
import { createReassembler } from '../../../shared/protocol/bpv7/reassemble';
import { isAsserted } from '../../../shared/protocol/bpv7/status-report';
import type { Bundle, CrcType, Eid } from '../../../shared/protocol/bpv7/types';
import { ud3tnVector } from '../../../shared/test-support/vectors';
import { connectAgent, sameBytes, unwrap } from '../test-support/agent';
import type { TestAgent } from '../test-support/agent';
import { freePort } from '../../test-support/processes';
import { startUd3tn, ud3tnBinary } from '../test-support/ud3tn';
import type { Ud3tnNode } from '../test-support/ud3tn';
import type { BundleSink, ClaLink, ClaOrigin } from '../types';
import { createMtcpCla } from './mtcp-cla';
import { createTcpclv3Cla } from './tcpclv3-cla';

const BSMTP = ud3tnVector('aap1/bsmtp_payload.bin');
const MIB = randomBytes(1_048_576);
const FARSIDE = 'dtn://farside.dtn/';

interface Got {
  readonly bytes: Uint8Array;
  readonly origin: ClaOrigin;
}

function collector(): { sink: BundleSink; got: Got[]; waitFor(n: number, timeoutMs?: number): Promise<Got[]> } {
  const got: Got[] = [];
  return {
    // The CLA may reuse its read buffer after the call: keep a copy.
    sink: (bytes, origin) => got.push({ bytes: bytes.slice(), origin }),
    got,
    async waitFor(n, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (got.length < n) {
        if (Date.now() > deadline) throw new Error(`waited for ${n} bundles, got ${got.length}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return got;
    },
  };
}

function eid(text: string): Eid {
  return unwrap(parseEid(text));
}

let sequence = 0;
/** A bundle as a Farside node would make it (RFC 9171 §4.3): CRC on the primary, payload block last. */
function bundle(destination: string, payload: Uint8Array, opts: { crc?: CrcType; flags?: number; reportTo?: string; source?: string } = {}): Bundle {
  sequence += 1;
  return {
    primary: {
      version: 7,
      flags: opts.flags ?? 0,
      crcType: opts.crc ?? 1,
      destination: eid(destination),
      source: eid(opts.source ?? `${FARSIDE}smtp`),
      reportTo: eid(opts.reportTo ?? 'dtn:none'),
      creation: { time: dtnTimeFromUnixMs(Date.now()), sequence },
      lifetime: 3_600_000,
    },
    blocks: [{ type: 1, number: 1, flags: 0, crcType: opts.crc ?? 0, data: payload }],
  };
}

function decoded(bytes: Uint8Array): Bundle {
  const d = decodeBundle(bytes);
  if (!d.ok) throw new Error(`received bundle does not decode: ${d.error.code} ${d.error.message}`);
  return d.value.bundle;
}

function payloadOf(b: Bundle): Uint8Array {
  const p = payloadBlockOf(b);
  if (p === undefined) throw new Error('no payload block');
  return p.data;
}

async function send(link: ClaLink, b: Bundle): Promise<void> {
  unwrap(await link.send(encodeBundleParts(b)));
}

/** Configure a contact on `node` through its config agent (protocols.md §7) and wait until it started. */
async function contact(node: Ud3tnNode, agent: TestAgent, peer: string, cla: string): Promise<void> {
  unwrap(await agent.client.addContact({ node: peer, cla }));
  const escaped = peer.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  await node.waitForLog(new RegExp(`Scheduled contact with "${escaped}" started`));
}

/** host:port of a uD3TN CLA listener, as Cla.connect takes it. */
function hostPort(node: Ud3tnNode, cla: 'mtcp' | 'tcpclv3'): string {
  return node.claAddress(cla).slice(cla.length + 1);
}

// The one allowed skip: without a uD3TN binary (FARSIDE_UD3TN) there is nothing to interoperate with.
describe.skipIf(!ud3tnBinary)('Farside CLAs against a real uD3TN (FARSIDE_UD3TN)', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function earthWith(opts: { maxBundleSize?: number; statusReports?: boolean } = {}): Promise<{ earth: Ud3tnNode; smtp: TestAgent }> {
    const earth = await startUd3tn({ nodeId: 'dtn://earth.dtn/', ...opts });
    cleanups.push(() => earth.stop());
    const smtp = await connectAgent({ transport: earth.aap1, agentId: 'smtp' });
    cleanups.push(() => smtp.close());
    return { earth, smtp };
  }

  describe('MTCP', () => {
    it('uD3TN → Farside listener: the BSMTP bundle and a 1 MiB one, as uD3TN built them, with the SENDCONFIRM ids', async () => {
      const { earth, smtp } = await earthWith();
      const rx = collector();
      const cla = createMtcpCla({ sink: rx.sink, log: () => undefined });
      cleanups.push(() => cla.close());
      const l = unwrap(await cla.listen('127.0.0.1', 0));
      await contact(earth, smtp, FARSIDE, `mtcp:${l.address}`);
      const ids = [unwrap(await smtp.client.send(`${FARSIDE}smtp`, BSMTP)), unwrap(await smtp.client.send(`${FARSIDE}big`, MIB))];
      const got = await rx.waitFor(2);
      for (const [i, payload] of [BSMTP, MIB].entries()) {
        const b = decoded(got[i]?.bytes ?? new Uint8Array(0));
        expect(formatEid(b.primary.source)).toBe('dtn://earth.dtn/smtp');
        expect(b.primary.creation).toEqual({ time: ids[i]?.creationTime, sequence: ids[i]?.sequence });
        expect(sameBytes(payloadOf(b), payload)).toBe(true);
        expect(got[i]?.origin.cla).toBe('mtcp');
      }
    });

    it('Farside link → uD3TN: bundles with CRC-16, CRC-32C and no CRC, and 1 MiB, reach the agent byte-identical', async () => {
      const { earth, smtp } = await earthWith();
      const cla = createMtcpCla({ sink: () => undefined, log: () => undefined });
      cleanups.push(() => cla.close());
      const link = unwrap(await cla.connect(hostPort(earth, 'mtcp')));
      const cases: [CrcType, Uint8Array][] = [
        [1, BSMTP],
        [2, BSMTP],
        [0, BSMTP],
        [1, MIB],
      ];
      for (const [crc, payload] of cases) await send(link, bundle('dtn://earth.dtn/smtp', payload, { crc }));
      for (const [, payload] of cases) {
        const got = await smtp.next();
        expect(got.source).toBe(`${FARSIDE}smtp`);
        expect(sameBytes(got.payload, payload)).toBe(true);
      }
    });

    it('fragments both ways: uD3TN -m 1024 fragments reassemble in Farside; Farside fragments, out of order, reassemble in uD3TN', async () => {
      const { earth, smtp } = await earthWith({ maxBundleSize: 1024 });
      const rx = collector();
      const cla = createMtcpCla({ sink: rx.sink, log: () => undefined });
      cleanups.push(() => cla.close());
      const l = unwrap(await cla.listen('127.0.0.1', 0));
      await contact(earth, smtp, FARSIDE, `mtcp:${l.address}`);
      // 3113 bytes leave as 4 fragments of at most 1024 bytes (ud3tn-behaviour.md §9).
      const adu = randomBytes(3113);
      const id = unwrap(await smtp.client.send(`${FARSIDE}smtp`, adu));
      const got = await rx.waitFor(4);
      const reassembler = createReassembler();
      let whole: Bundle | undefined;
      for (const g of got) {
        expect(g.bytes.length).toBeLessThanOrEqual(1024);
        const f = decoded(g.bytes);
        expect(f.primary.fragment?.totalAduLength).toBe(3113);
        expect(f.primary.creation).toEqual({ time: id.creationTime, sequence: id.sequence });
        const r = reassembler.add(f);
        if (r.kind === 'rejected') throw new Error(r.error.message);
        if (r.kind === 'complete') whole = r.bundle;
      }
      if (whole === undefined) throw new Error('not reassembled');
      expect(sameBytes(payloadOf(whole), adu)).toBe(true);

      const link = unwrap(await cla.connect(hostPort(earth, 'mtcp')));
      const mine = randomBytes(5000);
      const pieces = unwrap(fragmentBundle(bundle('dtn://earth.dtn/smtp', mine), 1024, { maxFragments: 10 }));
      expect(pieces.length).toBeGreaterThan(4);
      for (const p of [...pieces].reverse()) await send(link, p);
      const delivered = await smtp.next();
      expect(sameBytes(delivered.payload, mine)).toBe(true);
      await smtp.nothingFor(300);
    });

    it('status reports from uD3TN -r (reception, delivery; deletion for no route) reach Farside and decode', async () => {
      const { earth, smtp } = await earthWith({ statusReports: true });
      const rx = collector();
      const cla = createMtcpCla({ sink: rx.sink, log: () => undefined });
      cleanups.push(() => cla.close());
      const l = unwrap(await cla.listen('127.0.0.1', 0));
      await contact(earth, smtp, FARSIDE, `mtcp:${l.address}`);
      const link = unwrap(await cla.connect(hostPort(earth, 'mtcp')));
      // ud3tn-behaviour.md §8: flags 0x074040 (all four reports + status time), report-to a Farside agent.
      const flags = BundleFlag.REPORT_RECEPTION | BundleFlag.REPORT_FORWARDING | BundleFlag.REPORT_DELIVERY | BundleFlag.REPORT_DELETION | BundleFlag.STATUS_TIME_REQUESTED;
      const delivered = bundle('dtn://earth.dtn/smtp', BSMTP, { flags, reportTo: `${FARSIDE}reports` });
      await send(link, delivered);
      expect(sameBytes((await smtp.next()).payload, BSMTP)).toBe(true);
      const noRoute = bundle('dtn://venus.dtn/smtp', BSMTP, { flags, reportTo: `${FARSIDE}reports` });
      await send(link, noRoute);
      const reports = (await rx.waitFor(4)).map((g) => decoded(g.bytes));
      const summary = reports.map((r) => {
        expect(formatEid(r.primary.destination)).toBe(`${FARSIDE}reports`);
        expect(formatEid(r.primary.source)).toBe('dtn://earth.dtn/');
        expect(r.primary.flags & BundleFlag.ADMIN_RECORD).toBe(BundleFlag.ADMIN_RECORD);
        const rec = unwrap(decodeAdminRecord(payloadOf(r)));
        if (rec.kind !== 'status-report') throw new Error('not a status report');
        const rep = rec.report;
        // uD3TN v0.13 puts time 0 into every assertion although status time was requested (§8).
        for (const a of [rep.received, rep.forwarded, rep.delivered, rep.deleted]) if (isAsserted(a)) expect(a).toBe(0);
        const subject = rep.subjectCreation.sequence === delivered.primary.creation.sequence ? 'delivered' : 'no-route';
        expect(formatEid(rep.subjectSource)).toBe(`${FARSIDE}smtp`);
        const asserted = (['received', 'forwarded', 'delivered', 'deleted'] as const).filter((k) => isAsserted(rep[k]));
        return `${subject}:${asserted.join('+')}:${rep.reason}`;
      });
      // Reason 6: no known route to the destination (RFC 9171 §6.1.1).
      expect(summary).toEqual(['delivered:received:0', 'delivered:delivered:0', 'no-route:received:0', 'no-route:deleted:6']);
    });
  });

  describe('TCPCLv3', () => {
    it('uD3TN dials the Farside listener; bundles flow both ways over that one session', async () => {
      const { earth, smtp } = await earthWith();
      const rx = collector();
      const cla = createTcpclv3Cla({ sink: rx.sink, log: () => undefined, localNodeId: FARSIDE });
      cleanups.push(() => cla.close());
      const l = unwrap(await cla.listen('127.0.0.1', 0));
      await contact(earth, smtp, FARSIDE, `tcpclv3:${l.address}`);
      const ids = [unwrap(await smtp.client.send(`${FARSIDE}smtp`, BSMTP)), unwrap(await smtp.client.send(`${FARSIDE}big`, MIB))];
      const got = await rx.waitFor(2);
      for (const [i, payload] of [BSMTP, MIB].entries()) {
        const g = got[i];
        if (g === undefined) throw new Error('missing');
        expect(g.origin.cla).toBe('tcpclv3');
        expect(g.origin.peerNodeId).toBe('dtn://earth.dtn/');
        const b = decoded(g.bytes);
        expect(b.primary.creation).toEqual({ time: ids[i]?.creationTime, sequence: ids[i]?.sequence });
        expect(sameBytes(payloadOf(b), payload)).toBe(true);
      }
      expect(cla.peers()).toEqual(['dtn://earth.dtn/']);
      const back = cla.linkFor('dtn://earth.dtn/');
      if (back === undefined) throw new Error('no session with earth');
      await send(back, bundle('dtn://earth.dtn/smtp', BSMTP));
      await send(back, bundle('dtn://earth.dtn/smtp', MIB));
      expect(sameBytes((await smtp.next()).payload, BSMTP)).toBe(true);
      expect(sameBytes((await smtp.next()).payload, MIB)).toBe(true);
    });

    it('Farside dials uD3TN; uD3TN sends its bundles for Farside back over that incoming session', async () => {
      const { earth, smtp } = await earthWith();
      const rx = collector();
      const cla = createTcpclv3Cla({ sink: rx.sink, log: () => undefined, localNodeId: FARSIDE });
      cleanups.push(() => cla.close());
      const link = unwrap(await cla.connect(hostPort(earth, 'tcpclv3'), 'dtn://earth.dtn/'));
      await send(link, bundle('dtn://earth.dtn/smtp', BSMTP));
      await send(link, bundle('dtn://earth.dtn/smtp', MIB));
      const a = await smtp.next();
      expect([a.source, sameBytes(a.payload, BSMTP)]).toEqual([`${FARSIDE}smtp`, true]);
      expect(sameBytes((await smtp.next()).payload, MIB)).toBe(true);
      // The contact names a port nobody listens on: what arrives can only have used our session
      // (uD3TN: "Associating open connection with … to new contact", cla_tcpclv3.c).
      const nobody = await freePort();
      await contact(earth, smtp, FARSIDE, `tcpclv3:127.0.0.1:${nobody}`);
      unwrap(await smtp.client.send(`${FARSIDE}smtp`, BSMTP));
      const got = await rx.waitFor(1);
      expect(got[0]?.origin.peerNodeId).toBe('dtn://earth.dtn/');
      expect(sameBytes(payloadOf(decoded(got[0]?.bytes ?? new Uint8Array(0))), BSMTP)).toBe(true);
    });
  });
});
