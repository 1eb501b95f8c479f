/**
 * The floor of the 1 KiB end-to-end bench: the least a Node.js process must do per bundle on the path
 * AAP → node A → MTCP → node B → AAP, and nothing else. Not a BPA and not part of the product: a
 * measuring stick, so that `pair-cpu.ts floor` shows how far Farside's BPA is from what Node itself
 * allows on this machine, and how far that is from uD3TN (issue 3's 1 KiB goal).
 *
 * What each node does per bundle, and only that:
 * - A, per SENDBUNDLE: decode the AAP frame (shared codec), stamp and build the bundle as the BPA does
 *   (creation-clock.ts, submitted-bundle.ts, shared BPv7 encoder), append the store's own journal record
 *   for it in one writev(2) (intake-journal.ts: what kill -9 durability needs at the least), write
 *   SENDCONFIRM, then write the MTCP frame (head and bundle, one writev); two log lines;
 * - B, per MTCP frame: decode the bundle (shared decoder, CRCs checked), append its journal record the
 *   same way, write RECVBUNDLE to the registered agent; two log lines.
 * Log lines are batched by the BPA's own line-batch.ts, and the ready line has the shape of `bpa.ready`.
 *
 * Left out, because the floor is about the path, not about a node's duties: the SQLite store of
 * record, duplicate suppression, routing and contacts (the first config-agent bundle names the one
 * MTCP peer), delivery settling, status reports, expiry, every refusal but the codec's.
 *
 * Meant for small bundles: its journal is one growing file, so at 1 MiB each append costs the kernel
 * about 3 ms of new pages (pair-cpu.ts floor 1048576 800), where the BPA overwrites freed blob files
 * (docs/embedded-bpa.md); it is no floor there.
 *
 * Run as a child: node bin/run-ts.js bench/floor-node.ts NODE_ID DIR. It listens on loopback ports
 * chosen at run time and prints {"event":"bpa.ready","aap":["tcp:…"],"cla":["mtcp:…"]} once both are bound.
 */
import { writeSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { createAapDecoder, encodeAapBundleId, encodeAapMessage, encodeAapMessageParts } from '../shared/protocol/aap';
import type { AapMessage } from '../shared/protocol/aap';
import { decodeBundle, encodeBundleParts, payloadBlockOf } from '../shared/protocol/bpv7/bundle';
import { formatEid } from '../shared/protocol/bpv7/eid';
import { createMtcpDecoder } from '../shared/protocol/mtcp';
import { encodeMtcpHeader } from '../shared/protocol/mtcp/frame';
import { createCreationClock } from '../electron/bpa/creation-clock';
import { openJournal, putRecord } from '../electron/bpa/store/intake-journal';
import { DEFAULT_LIFETIME_MS, bundleForSubmit } from '../electron/bpa/submitted-bundle';
import { createLineBatch, LOG_LINE_BATCH } from '../electron/cli/line-batch';

const nodeId = process.argv[2] ?? 'dtn://floor.dtn/';
const dir = process.argv[3] ?? '.';
const journal = openJournal(join(dir, 'journal'));
const lines = createLineBatch((text) => writeSync(1, text), LOG_LINE_BATCH);
const log = (line: string): void => lines.push(`${line}\n`);
const creationClock = createCreationClock({ clock: Date.now });

/** The store's PUT record for a bundle in one buffer (the store copies the parts together likewise). */
function append(id: string, destination: string, source: string, createdAt: number, parts: readonly Uint8Array[]): void {
  let size = 0;
  for (const p of parts) size += p.length;
  const data = Buffer.allocUnsafe(size);
  let o = 0;
  for (const p of parts) {
    data.set(p, o);
    o += p.length;
  }
  const now = Date.now();
  const meta = { id, destination, source, createdAt, expiresAt: now + DEFAULT_LIFETIME_MS, state: 'forward' as const, agent: null, nextAttemptAt: null, contactHint: null, reportFlags: 0, storedAt: now };
  journal.append(putRecord(meta, data));
}

function encoded(message: AapMessage): Uint8Array {
  const r = encodeAapMessage(message);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

let agent: Socket | null = null;
let peer: Socket | null = null;

function submit(s: Socket, destination: string, payload: Uint8Array): void {
  if (destination.endsWith('/config')) {
    // The bench's contact (aap-client config-agent.ts): its CLA address is the one peer.
    const m = /mtcp:([\d.]+):(\d+)/.exec(new TextDecoder().decode(payload));
    if (m?.[1] !== undefined && m[2] !== undefined) {
      peer = connect(Number(m[2]), m[1]);
      peer.setNoDelay(true);
      peer.on('error', () => undefined);
    }
  }
  const { time, sequence } = creationClock.next();
  const shape = bundleForSubmit({ source: `${nodeId}bench`, destination, payload }, { time, sequence }, DEFAULT_LIFETIME_MS);
  if (!shape.ok) {
    s.write(encoded({ type: 'NACK' }));
    return;
  }
  const parts = encodeBundleParts(shape.value.bundle);
  let size = 0;
  for (const p of parts) size += p.length;
  const id = `${shape.value.source} ${time} ${sequence}`;
  append(id, shape.value.destination, shape.value.source, time, parts);
  s.write(encoded({ type: 'SENDCONFIRM', bundleId: encodeAapBundleId(time, sequence) }));
  log(`{"event":"bundle.stored","id":"${id}","bytes":${size}}`);
  if (peer === null || destination.endsWith('/config')) return;
  const link = peer;
  setImmediate(() => {
    link.cork();
    link.write(encodeMtcpHeader(size));
    for (const p of parts) link.write(p);
    link.uncork();
    log(`{"event":"bundle.forwarded","id":"${id}"}`);
  });
}

const aap = createServer((s) => {
  s.setNoDelay(true);
  s.on('error', () => undefined);
  const decoder = createAapDecoder({ recovery: 'skip-byte' });
  s.write(encoded({ type: 'WELCOME', eid: nodeId }));
  s.on('data', (chunk: Buffer) => {
    decoder.push(chunk);
    for (let step = decoder.next(); step.kind !== 'need-more'; step = decoder.next()) {
      if (step.kind === 'error') continue;
      const m = step.message;
      if (m.type === 'REGISTER') {
        agent = s;
        s.write(encoded({ type: 'ACK' }));
      } else if (m.type === 'PING') s.write(encoded({ type: 'ACK' }));
      else if (m.type === 'SENDBUNDLE') submit(s, m.eid, m.payload);
      else s.write(encoded({ type: 'NACK' }));
    }
  });
});

const mtcp = createServer((s) => {
  s.on('error', () => undefined);
  const decoder = createMtcpDecoder();
  s.on('data', (chunk: Buffer) => {
    decoder.push(chunk);
    for (let step = decoder.next(); step.kind !== 'need-more'; step = decoder.next()) {
      if (step.kind === 'error') {
        // Resync skips what it could not read; a decoder that stopped would repeat its error.
        if (step.skipped > 0) continue;
        s.destroy();
        return;
      }
      const b = decodeBundle(step.bundle);
      if (!b.ok) continue;
      const p = b.value.bundle.primary;
      const source = formatEid(p.source);
      const id = `${source} ${p.creation.time} ${p.creation.sequence}`;
      append(id, formatEid(p.destination), source, p.creation.time, [step.bundle]);
      log(`{"event":"bundle.received","id":"${id}","bytes":${step.bundle.length}}`);
      const frame = encodeAapMessageParts({ type: 'RECVBUNDLE', eid: source, payload: payloadBlockOf(b.value.bundle)?.data ?? new Uint8Array(0) });
      if (frame.ok && agent !== null) {
        agent.cork();
        for (const part of frame.value) agent.write(part);
        agent.uncork();
      }
      log(`{"event":"bundle.delivered","id":"${id}"}`);
    }
  });
});

function stop(): void {
  lines.flush();
  aap.close();
  mtcp.close();
  journal.close();
  process.exit(0);
}
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

aap.listen(0, '127.0.0.1', () => {
  mtcp.listen(0, '127.0.0.1', () => {
    const a = aap.address();
    const m = mtcp.address();
    if (a === null || typeof a === 'string' || m === null || typeof m === 'string') throw new Error('no TCP address');
    writeSync(1, `${JSON.stringify({ event: 'bpa.ready', nodeId, aap: [`tcp:127.0.0.1:${a.port}`], cla: [`mtcp:127.0.0.1:${m.port}`] })}\n`);
  });
});
