/**
 * The embedded BPA and a real uD3TN exchanging bundles (interop tier, issue 3 "Must show"): over MTCP and
 * TCPCLv3, in both directions, agent to agent.
 *
 * uD3TN → Farside: a contact on uD3TN, set through its config agent, points at the BPA's CLA listener.
 * Farside → uD3TN: a contact in the BPA's plan (its config file's `nodes`) points at uD3TN's CLA port.
 * Payloads: the BSMTP stream of the uD3TN vectors and 1 MiB of random bytes, compared byte for byte at
 * the receiving agent; a fragmented ADU each way; status reports from uD3TN started with -r.
 *
 * Golden facts: ud3tn-behaviour.md §3 (contacts), §8 (reports: reception + delivery, deletion reason 6 for
 * no route, time 0), §9 (fragmentation with -m 1024), protocols.md §6.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decodeAdminRecord } from '../../shared/protocol/bpv7/admin-record';
import { isAsserted } from '../../shared/protocol/bpv7/status-report';
import type { StatusReport } from '../../shared/protocol/bpv7/status-report';
import { ud3tnVector } from '../../shared/test-support/vectors';
import type { BundleId } from '../services/aap-client/types';
import { connectAgent, sameBytes, unwrap } from './test-support/agent';
import type { TestAgent } from './test-support/agent';
import { startFarsideBpa } from './test-support/farside-bpa';
import type { FarsideBpa } from './test-support/farside-bpa';
import { freePort } from '../test-support/processes';
import { printLogIfTestFails, startUd3tn, ud3tnBinary } from './test-support/ud3tn';
import type { Ud3tnNode, Ud3tnOptions } from './test-support/ud3tn';

const BSMTP = ud3tnVector('aap1/bsmtp_payload.bin');
const MIB = randomBytes(1_048_576);
const FARSIDE = 'dtn://farside.dtn/';
const EARTH = 'dtn://earth.dtn/';

type Cla = 'mtcp' | 'tcpclv3';

/** A contact plan entry for the BPA's config (router/plan-file.ts): from now on for an hour. */
function planned(nodeId: string, claAddress: string, reachableEids: string[] = []): unknown {
  return { nodeId, claAddress, reachableEids, contacts: [{ start: '+0s', end: '+1h', rateBytesPerSec: 1_000_000_000 }] };
}

/** Configure a contact on a uD3TN node through its config agent (protocols.md §7) and wait until it started. */
async function ud3tnContact(node: Ud3tnNode, agent: TestAgent, peer: string, cla: string): Promise<void> {
  unwrap(await agent.client.addContact({ node: peer, cla }));
  const escaped = peer.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  await node.waitForLog(new RegExp(`Scheduled contact with "${escaped}" started`));
}

function claOf(bpa: FarsideBpa, cla: Cla): string {
  const a = bpa.cla[cla];
  if (a === undefined) throw new Error(`the BPA has no ${cla} listener`);
  return a;
}

// The one allowed skip: without a uD3TN binary (FARSIDE_UD3TN) there is nothing to interoperate with.
describe.skipIf(!ud3tnBinary)('embedded BPA ⇄ real uD3TN (FARSIDE_UD3TN)', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    // In parallel: one part stuck closing must not keep the others (or a uD3TN process) running.
    await Promise.all(cleanups.splice(0).map((c) => c()));
  });

  async function ud3tn(opts: Ud3tnOptions): Promise<Ud3tnNode> {
    const n = await startUd3tn(opts);
    cleanups.push(() => n.stop());
    return n;
  }
  async function bpa(nodeId: string, extra: Parameters<typeof startFarsideBpa>[1] = {}): Promise<FarsideBpa> {
    const b = await startFarsideBpa(nodeId, extra);
    cleanups.push(() => b.stop());
    return b;
  }
  async function agent(opts: Parameters<typeof connectAgent>[0]): Promise<TestAgent> {
    const a = await connectAgent(opts);
    cleanups.push(() => a.close());
    return a;
  }

  describe.each<Cla>(['mtcp', 'tcpclv3'])('%s', (cla) => {
    it('uD3TN → Farside: BSMTP and 1 MiB from a uD3TN agent reach the BPA agent byte-identical', async () => {
      const earth = await ud3tn({ nodeId: EARTH });
      const farside = await bpa(FARSIDE);
      const inbox = await agent({ transport: farside.aap1, agentId: 'smtp' });
      const mail = await agent({ transport: earth.aap1, agentId: 'mail' });
      await ud3tnContact(earth, mail, FARSIDE, claOf(farside, cla));
      const ids: BundleId[] = [];
      for (const payload of [BSMTP, MIB]) ids.push(unwrap(await mail.client.send(`${FARSIDE}smtp`, payload)));
      for (const payload of [BSMTP, MIB]) {
        const got = await inbox.next();
        expect([got.source, got.destination]).toEqual([`${EARTH}mail`, `${FARSIDE}smtp`]);
        expect(sameBytes(got.payload, payload)).toBe(true);
      }
      // The BPA logged the bundles under the IDs uD3TN's SENDCONFIRM gave (protocols.md §4.4).
      for (const id of ids) {
        await farside.waitFor('bundle.delivered', (e) => typeof e['id'] === 'string' && e['id'].includes(`${id.creationTime} ${id.sequence}`));
      }
    });

    it('Farside → uD3TN: a contact in the BPA plan; BSMTP and 1 MiB reach the uD3TN agent byte-identical, with the SENDCONFIRM bundle IDs', async () => {
      const earth = await ud3tn({ nodeId: EARTH });
      const farside = await bpa(FARSIDE, { nodes: [planned(EARTH, earth.claAddress(cla))] });
      // AAP 2.0 on uD3TN: the pushed BundleADU carries the creation timestamp uD3TN read off the bundle.
      const inbox = await agent({ transport: earth.aap2, protocol: 'aap2', agentId: 'smtp' });
      const mail = await agent({ transport: farside.aap1, agentId: 'mail' });
      const ids: BundleId[] = [];
      for (const payload of [BSMTP, MIB]) ids.push(unwrap(await mail.client.send(`${EARTH}smtp`, payload)));
      for (const [i, payload] of [BSMTP, MIB].entries()) {
        const got = await inbox.next();
        expect([got.source, got.destination]).toEqual([`${FARSIDE}mail`, `${EARTH}smtp`]);
        expect(got.bundleId).toEqual(ids[i]);
        expect(sameBytes(got.payload, payload)).toBe(true);
      }
    });
  });

  it('TCPCLv3 round trip over the one session the BPA opened: Farside → uD3TN echo agent → Farside', async () => {
    const earth = await ud3tn({ nodeId: EARTH, clas: ['tcpclv3'] });
    const farside = await bpa(FARSIDE, { nodes: [planned(EARTH, earth.claAddress('tcpclv3'))], cla: [] });
    const configurer = await agent({ transport: earth.aap1, agentId: 'config-client' });
    // Nothing listens there: uD3TN can answer only over the session the BPA opened (it associates an
    // open TCPCLv3 connection with a new contact for that peer, cla_tcpclv3.c).
    const nobody = await freePort();
    unwrap(await configurer.client.addContact({ node: FARSIDE, cla: `tcpclv3:127.0.0.1:${nobody}` }));
    const pipe = await agent({ transport: farside.aap1, agentId: 'pipe' });
    unwrap(await pipe.client.send(`${EARTH}echo`, BSMTP));
    const back = await pipe.next();
    expect([back.source, back.destination]).toEqual([`${EARTH}echo`, `${FARSIDE}pipe`]);
    expect(sameBytes(back.payload, BSMTP)).toBe(true);
  });

  it('fragments: uD3TN -m 1024 sends 4 fragments that the BPA reassembles; BPA fragments (max 1024) are reassembled by uD3TN', async () => {
    const earth = await ud3tn({ nodeId: EARTH, clas: ['mtcp'], maxBundleSize: 1024 });
    const farside = await bpa(FARSIDE, { nodes: [planned(EARTH, earth.claAddress('mtcp'))], maxBundleSize: 1024, cla: ['mtcp:127.0.0.1:0'] });
    const atFarside = await agent({ transport: farside.aap1, agentId: 'smtp' });
    const atEarth = await agent({ transport: earth.aap1, agentId: 'smtp' });
    await ud3tnContact(earth, atEarth, FARSIDE, claOf(farside, 'mtcp'));

    // 3113 bytes: 4 fragments of at most 1024 bytes (ud3tn-behaviour.md §9).
    const fromEarth = randomBytes(3113);
    unwrap(await atEarth.client.send(`${FARSIDE}smtp`, fromEarth));
    const got = await atFarside.next();
    expect(sameBytes(got.payload, fromEarth)).toBe(true);
    expect(await farside.waitFor('bundle.reassembled')).toMatchObject({ fragments: 4, bytes: 3113 });
    await atFarside.nothingFor(300);

    // uD3TN takes at most 10 fragments per bundle; 5000 bytes at 1024 need 6 or 7.
    const fromFarside = randomBytes(5000);
    unwrap(await atFarside.client.send(`${EARTH}smtp`, fromFarside));
    const delivered = await atEarth.next();
    expect(sameBytes(delivered.payload, fromFarside)).toBe(true);
    expect(farside.events.filter((e) => e.event === 'bundle.forwarded').every((e) => typeof e['bytes'] === 'number' && e['bytes'] <= 1024)).toBe(true);
    await atEarth.nothingFor(300);
  });

  it('ipn nodes: ipn:1.0 (uD3TN) ⇄ ipn:2.0 (Farside) over MTCP, agent 25 on both; each contact set through the node\'s config agent', async () => {
    const one = await ud3tn({ nodeId: 'ipn:1.0', clas: ['mtcp'] });
    const two = await bpa('ipn:2.0', { cla: ['mtcp:127.0.0.1:0'] });
    const atOne = await agent({ transport: one.aap1, agentId: '25' });
    const atTwo = await agent({ transport: two.aap1, agentId: '25' });
    await ud3tnContact(one, atOne, 'ipn:2.0', claOf(two, 'mtcp'));
    // The same uD3TN config text to the BPA's config agent, ipn:2.9000 (protocols.md §7.1).
    expect(unwrap(await atTwo.client.addContact({ node: 'ipn:1.0', cla: one.claAddress('mtcp') })).destination).toBe('ipn:2.9000');
    unwrap(await atOne.client.send('ipn:2.25', BSMTP));
    const a = await atTwo.next();
    expect([a.source, a.destination, sameBytes(a.payload, BSMTP)]).toEqual(['ipn:1.25', 'ipn:2.25', true]);
    unwrap(await atTwo.client.send('ipn:1.25', BSMTP));
    const b = await atOne.next();
    expect([b.source, b.destination, sameBytes(b.payload, BSMTP)]).toEqual(['ipn:2.25', 'ipn:1.25', true]);
  });

  describe('status reports from uD3TN -r to the BPA agent that asked for them', () => {
    /** What the agent got, as "subject:asserted items:reason", after the reports stopped coming (1.5 s quiet). */
    let seen: string[] = [];
    const parts: (() => Promise<void>)[] = [];
    let earth: Ud3tnNode | undefined;
    beforeAll(async () => {
      earth = await startUd3tn({ nodeId: EARTH, clas: ['mtcp'], statusReports: true });
      const node = earth;
      parts.push(() => node.stop());
      // venus is reachable through earth as far as the BPA knows; earth knows no route to it.
      const farside = await startFarsideBpa(FARSIDE, { nodes: [planned(EARTH, earth.claAddress('mtcp'), ['dtn://venus.dtn/'])], cla: ['mtcp:127.0.0.1:0'] });
      parts.push(() => farside.stop());
      const atEarth = await connectAgent({ transport: earth.aap1, agentId: 'smtp' });
      parts.push(() => atEarth.close());
      await ud3tnContact(earth, atEarth, FARSIDE, claOf(farside, 'mtcp'));
      const sender = await connectAgent({ transport: farside.aap1, agentId: 'smtp' });
      parts.push(() => sender.close());
      const reports = { reception: true, forwarding: true, delivery: true, deletion: true };
      // The processor's submit is what the AAP 2.0 server calls for adu_flags report bits (docs/status-reports.md).
      const delivered = unwrap(await farside.running.bpa.submit({ source: `${FARSIDE}smtp`, destination: `${EARTH}smtp`, payload: BSMTP, reports }));
      expect(sameBytes((await atEarth.next()).payload, BSMTP)).toBe(true);
      const lost = unwrap(await farside.running.bpa.submit({ source: `${FARSIDE}smtp`, destination: 'dtn://venus.dtn/smtp', payload: BSMTP, reports }));
      const name = (time: number, seq: number): string =>
        time === delivered.creationTime && seq === delivered.sequence ? 'delivered' : time === lost.creationTime && seq === lost.sequence ? 'lost' : 'unknown';
      for (;;) {
        let r;
        try {
          r = await sender.next(seen.length === 0 ? 10_000 : 1_500);
        } catch {
          break;
        }
        expect(r.source).toBe(EARTH);
        const rec = unwrap(decodeAdminRecord(r.payload));
        if (rec.kind !== 'status-report') throw new Error(`record type ${rec.type}`);
        const rep: StatusReport = rec.report;
        // uD3TN v0.13 writes time 0 into every assertion (ud3tn-behaviour.md §8).
        for (const k of ['received', 'forwarded', 'delivered', 'deleted'] as const) if (isAsserted(rep[k])) expect(rep[k]).toBe(0);
        const items = (['received', 'forwarded', 'delivered', 'deleted'] as const).filter((k) => isAsserted(rep[k]));
        seen.push(`${name(rep.subjectCreation.time, rep.subjectCreation.sequence)}:${items.join('+')}:${rep.reason}`);
      }
      seen = seen.sort();
    });
    beforeEach(() => {
      if (earth !== undefined) printLogIfTestFails(earth);
    });
    afterAll(async () => {
      await Promise.all(parts.map((p) => p()));
    });

    it('the reception report of each subject arrives', () => {
      expect(seen).toContain('delivered:received:0');
      expect(seen).toContain('lost:received:0');
    });

    it('the delivery report and the deletion report (reason 6, no route) arrive too, although uD3TN gives them the bundle ID of the reception report made in the same millisecond', () => {
      // uD3TN v0.13 sets sequence number 1 on every report (ud3tn-behaviour.md §8; status-reports/
      // mars-to-earth_01 and _02 share source dtn://mars.dtn/ and creation [848946059244, 1]).
      expect(seen).toEqual(['delivered:delivered:0', 'delivered:received:0', 'lost:deleted:6', 'lost:received:0']);
    });
  });
});
