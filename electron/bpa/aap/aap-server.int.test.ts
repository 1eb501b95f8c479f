/**
 * The AAP v1 server on real sockets (TCP and UNIX), against the bytes a real uD3TN v0.13 exchanged
 * (../shared/vectors/ud3tn/aap1, aap1-bibe, aap1-errors; ud3tn-behaviour.md §5). Replies are compared
 * byte for byte; the fake host's clock returns the creation time uD3TN used, so SENDCONFIRM matches too.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ascii, fromHex, haveVectors, hex, ud3tnVector, ud3tnVectorNames } from '../../../shared/test-support/vectors';
import { startConfigAgent, startEchoAgent } from '../agents';
import type { LogEvent } from '../types';
import { createAapServer } from './aap-server';
import { createFakeAgentHost, type FakeAgentHost } from './test-support/fake-agent-host';
import type { RawClient, RawTarget } from './test-support/raw-client';
import { serveRaw, type Transport } from './test-support/serve';

const EARTH = 'dtn://earth.dtn/';
const MARS = 'dtn://mars.dtn/';
const ACK = '10';
const NACK = '11';
const PING = fromHex('18');
const WELCOME_EARTH = '17001064746e3a2f2f65617274682e64746e2f';

/** Creation time (DTN ms) of a SENDCONFIRM bundle ID, per protocols.md §4.4: bits 61..16. */
function confirmTime(confirmHex: string): number {
  const id = BigInt(`0x${confirmHex.slice(2, 18)}`);
  return Number((id >> 16n) & ((1n << 46n) - 1n));
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

interface Node {
  host: FakeAgentHost;
  target: RawTarget;
  events: LogEvent[];
  connect(): Promise<RawClient>;
}

async function startNode(transport: Transport, nodeId: string, time = 1, readTimeoutMs = 300): Promise<Node> {
  const host = createFakeAgentHost({ nodeId, clock: () => time });
  const events: LogEvent[] = [];
  const server = createAapServer({ host, log: (e) => events.push(e), readTimeoutMs });
  const { target, connect } = await serveRaw(server, transport, (f) => cleanups.push(f));
  return { host, target, events, connect };
}

/**
 * Play one side of a recorded exchange: write each client→node file, read each node→client file and
 * compare. `before[file]` runs first (e.g. the delivery that makes the node send RECVBUNDLE).
 */
async function replay(client: RawClient, folder: string, side: string, before: Record<string, () => Promise<void>> = {}): Promise<void> {
  const files = ud3tnVectorNames(folder).filter((n) => n.startsWith(`${side}_`));
  expect(files.length).toBeGreaterThan(0);
  for (const name of files) {
    await before[name]?.();
    const bytes = ud3tnVector(`${folder}/${name}`);
    if (name.includes('_c2n_')) await client.write(bytes);
    else expect(hex(await client.read(bytes.length)), name).toBe(hex(bytes));
  }
  expect(hex(await client.drain(50)), `${side}: nothing after the last reply`).toBe('');
}

describe.runIf(haveVectors).each<Transport>(['tcp', 'unix'])('AAP v1 server over %s: uD3TN exchanges replayed', (transport) => {
  it('aap1/earth-smtp: WELCOME, REGISTER smtp, SENDBUNDLE → SENDCONFIRM 0x80c5a9206f9a0001, PING, CANCELBUNDLE → NACK, empty REGISTER → ACK', async () => {
    // README: bundle_id 0x80c5a9206f9a0001 = time 848946032538, seq 1.
    const earth = await startNode(transport, EARTH, 848946032538);
    await replay(await earth.connect(), 'aap1', 'earth-smtp');
    expect(earth.host.submitted).toHaveLength(1);
    expect(earth.host.submitted[0]).toMatchObject({ source: 'dtn://earth.dtn/smtp', destination: 'dtn://mars.dtn/smtp', bibe: false });
    expect(hex(earth.host.submitted[0]?.payload ?? new Uint8Array())).toBe(hex(ud3tnVector('aap1/bsmtp_payload.bin')));
    // The empty REGISTER (earth-smtp_10) registered the bare node ID, as uD3TN does (ud3tn-behaviour.md §5.2).
    expect(earth.host.registrations()).toEqual(['v1 dtn://earth.dtn/']);
  });

  it('aap1/earth-config: SENDBUNDLE to dtn://earth.dtn/config → SENDCONFIRM 0x80c5a9206d3e0001; the config agent gets the command', async () => {
    const earth = await startNode(transport, EARTH, 848946031934);
    const applied: string[] = [];
    startConfigAgent({
      host: earth.host,
      log: () => {},
      configure: (commands) => {
        applied.push(...commands.map((c) => `${c.command} ${c.nodeId} ${c.claAddress ?? ''} ${c.contacts.map((k) => `${k.start}-${k.end}@${k.rate}`).join()}`));
        return { ok: true, value: undefined };
      },
    });
    await replay(await earth.connect(), 'aap1', 'earth-config');
    await waitFor(() => applied.length === 1);
    expect(applied).toEqual(['add dtn://mars.dtn/ mtcp:127.0.0.1:15225 848946030-849032430@1000000000']);
  });

  it('aap1/mars-smtp: the bundle earth submitted is pushed as RECVBUNDLE from dtn://earth.dtn/smtp, byte-identical', async () => {
    const earth = await startNode(transport, EARTH, 848946032538);
    const mars = await startNode(transport, MARS);
    const marsClient = await mars.connect();
    const earthClient = await earth.connect();
    let delivered: Promise<boolean> = Promise.resolve(false);
    await replay(marsClient, 'aap1', 'mars-smtp', {
      'mars-smtp_04_n2c_RECVBUNDLE.bin': async () => {
        // Carry earth's submission to mars, as the CLA and the processor would.
        await replay(earthClient, 'aap1', 'earth-smtp');
        const b = earth.host.submitted[0];
        if (b === undefined) throw new Error('earth submitted nothing');
        delivered = mars.host.deliver(b.destination, {
          source: b.source,
          destination: b.destination,
          creationTime: 848946032538,
          sequence: 1,
          payload: b.payload,
          isAdminRecord: false,
          receivedFrom: 'cla',
        });
      },
    });
    await expect(delivered).resolves.toBe(true);
  });

  it('aap1-bibe: SENDBIBE → SENDCONFIRM 0x80c5a920c0cf0001 and submit(bibe); RECVBIBE on mars byte-identical', async () => {
    const earth = await startNode(transport, EARTH, 848946053327);
    const mars = await startNode(transport, MARS);
    const marsClient = await mars.connect();
    await replay(marsClient, 'aap1-bibe', 'mars-bibe', {
      'mars-bibe_04_n2c_RECVBIBE.bin': async () => {
        await replay(await earth.connect(), 'aap1-bibe', 'earth-bibe');
        const b = earth.host.submitted[0];
        if (b === undefined) throw new Error('earth submitted nothing');
        expect(b).toMatchObject({ source: 'dtn://earth.dtn/bibe', destination: 'dtn://mars.dtn/bibe', bibe: true });
        void mars.host.deliver(b.destination, { ...b, creationTime: 1, sequence: 1, isAdminRecord: false, isBibe: true });
      },
    });
  });
});

/** Poll until `cond` holds (deliveries run after the reply that triggered them). */
async function waitFor(cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

// ---------------------------------------------------------------------------------------------------
// aap1-errors: every probe gets an answer, and the connection goes on serving (a PING → ACK) unless
// we close it on purpose. The reply column is what this server answers; uD3TN's reaction is in the
// vectors' README table.

interface Probe {
  /** The file under aap1-errors/ (without .c2n.bin). */
  readonly name: string;
  /** Agent ID to REGISTER before the probe, if any. */
  readonly register?: string;
  /** Expected reply (hex) to the probe bytes. */
  readonly reply: string;
  /** 'ack': a following PING is answered ACK on the same connection; 'closed': we close the connection. */
  readonly after: 'ack' | 'closed';
  /** Write the probe in two parts, split here (probe_truncated_register_then_rest). */
  readonly splitAt?: number;
  readonly setup?: (node: Node) => Promise<void>;
}

/** RECVBUNDLE header up to the payload length: type 0x14, EID length 20, "dtn://earth.dtn/echo". */
const RECV_ECHO_HEADER = `140014${hex(ascii('dtn://earth.dtn/echo'))}`;

const PROBES: readonly (Probe & { readonly title: string })[] = [
  { title: 'PING with version nibble 2 (0x28) → NACK: undecodable byte, skipped (uD3TN skip-one-byte resync)', name: 'probe_wrong_version_ping', reply: NACK, after: 'ack' },
  {
    title: 'REGISTER with version nibble 0 → 7 NACKs: each of its 7 bytes is undecodable and skipped in turn',
    name: 'probe_wrong_version_register',
    reply: NACK.repeat(7),
    after: 'ack',
  },
  { title: 'reserved type 0xB → NACK: unknown type, byte skipped', name: 'probe_reserved_type_0xB', reply: NACK, after: 'ack' },
  { title: 'client sends ACK → NACK: a type only the node sends', name: 'probe_client_sends_ack', reply: NACK, after: 'ack' },
  { title: 'client sends WELCOME → one NACK: decoded whole, a type only the node sends', name: 'probe_client_sends_welcome', reply: NACK, after: 'ack' },
  {
    title: 'REGISTER completed by a second write → ACK: the decoder resumes',
    name: 'probe_truncated_register_then_rest',
    reply: ACK,
    after: 'ack',
    splitAt: 6,
  },
  {
    title: 'REGISTER never completed → NACK and close after the read timeout (the PING becomes an EID byte)',
    name: 'probe_truncated_register_never_completed',
    reply: NACK,
    after: 'closed',
  },
  {
    title: 'SENDBUNDLE cut inside the payload length → NACK and close after the read timeout',
    name: 'probe_truncated_sendbundle_header',
    register: 'trunc',
    reply: NACK,
    after: 'closed',
  },
  { title: 'SENDBUNDLE before REGISTER → NACK (uD3TN: silence; its doc: NACK)', name: 'probe_sendbundle_unregistered', reply: NACK, after: 'ack' },
  {
    title: "SENDBUNDLE to 'not-an-eid' → NACK: the destination is checked (uD3TN debug build aborts)",
    name: 'probe_sendbundle_bad_dest_eid',
    register: 'bad',
    reply: NACK,
    after: 'ack',
  },
  {
    title: 'SENDBUNDLE to a node without a route → SENDCONFIRM, as uD3TN: routing is the processor’s business',
    name: 'probe_sendbundle_dest_no_route',
    register: 'route',
    reply: '1580c5a91c74810001',
    after: 'ack',
  },
  {
    title: 'empty payload to the echo agent → SENDCONFIRM, then RECVBUNDLE from dtn://earth.dtn/echo with 0 bytes',
    name: 'probe_sendbundle_empty_payload',
    register: 'empty',
    reply: `1580c5a91c80430001${RECV_ECHO_HEADER}0000000000000000`,
    after: 'ack',
  },
  {
    title: 'payload length 1 GiB + 1 over the limit → NACK and close: skipping would read the payload as requests',
    name: 'probe_sendbundle_len_over_max',
    register: 'big',
    reply: NACK,
    after: 'closed',
  },
  { title: 'two PINGs in one write → two ACKs at once (no one-message-per-read lag)', name: 'probe_pipelined_two_pings', reply: ACK + ACK, after: 'ack' },
  {
    title: 'REGISTER + SENDBUNDLE to itself in one write → ACK, SENDCONFIRM and the looped-back RECVBUNDLE at once',
    name: 'probe_pipelined_register_sendbundle',
    // The uD3TN reply to the next write, from the README, here without the lag.
    reply: `${ACK}1580c5a91ca515000114001464746e3a2f2f65617274682e64746e2f7069706500000000000000046c6f6f70`,
    after: 'ack',
  },
  { title: "empty REGISTER after 'was' → ACK: the bare node ID is registered, as uD3TN does", name: 'probe_register_empty', register: 'was', reply: ACK, after: 'ack' },
  { title: "REGISTER 'mail/inbox' → ACK: '/' is a VCHAR", name: 'probe_register_with_slash', reply: ACK, after: 'ack' },
  { title: "REGISTER 'a b' → NACK: space is not a VCHAR", name: 'probe_register_with_space', reply: NACK, after: 'ack' },
  { title: "REGISTER 'config' → NACK: the config agent's ID", name: 'probe_register_config', reply: NACK, after: 'ack' },
  { title: "REGISTER 'echo' → NACK: the echo agent's ID", name: 'probe_register_echo', reply: NACK, after: 'ack' },
  { title: 'CANCELBUNDLE → NACK: not implemented, as uD3TN', name: 'probe_cancel_unknown', reply: NACK, after: 'ack' },
  { title: 'CANCELBUNDLE with ID 0 → NACK: invalid ID (uD3TN: silence)', name: 'probe_cancel_zero', reply: NACK, after: 'ack' },
  {
    title: 'SENDBUNDLE to the echo agent → SENDCONFIRM, then RECVBUNDLE from dtn://earth.dtn/echo with the payload',
    name: 'probe_echo_roundtrip',
    register: 'ping',
    reply: `1580c5a91cfa7a0001${RECV_ECHO_HEADER}000000000000000c${hex(ascii('ping-payload'))}`,
    after: 'ack',
  },
  {
    title: "REGISTER 'dup' held by another live connection → NACK",
    name: 'probe_register_duplicate',
    reply: NACK,
    after: 'ack',
    setup: async (node) => {
      const holder = await node.connect();
      await holder.read(19);
      await holder.write(fromHex('120003647570'));
      expect(hex(await holder.read(1))).toBe(ACK);
    },
  },
];

/** The creation time each probe's SENDCONFIRM carries, so the fake clock reproduces it. */
function probeTime(p: Probe): number {
  return p.reply.includes('1580') ? confirmTime(p.reply.slice(p.reply.indexOf('1580'))) : 1;
}

describe.runIf(haveVectors).each<Transport>(['tcp', 'unix'])('AAP v1 server over %s: aap1-errors probes', (transport) => {
  it('covers every probe file of aap1-errors', () => {
    expect(PROBES.map((p) => `${p.name}.c2n.bin`).sort()).toEqual(ud3tnVectorNames('aap1-errors'));
  });

  it.each(PROBES)('$name: $title', async (probe) => {
    const node = await startNode(transport, EARTH, probeTime(probe));
    const echo = startEchoAgent({ host: node.host, log: () => {} });
    expect(echo.ok).toBe(true);
    await probe.setup?.(node);
    const c = await node.connect();
    expect(hex(await c.read(19))).toBe(WELCOME_EARTH);
    if (probe.register !== undefined) {
      const id = ascii(probe.register);
      await c.write(Uint8Array.from([0x12, 0, id.length, ...id]));
      expect(hex(await c.read(1))).toBe(ACK);
    }
    const bytes = ud3tnVector(`aap1-errors/${probe.name}.c2n.bin`);
    if (probe.splitAt !== undefined) {
      await c.write(bytes.subarray(0, probe.splitAt));
      await new Promise((r) => setTimeout(r, 200));
      expect(hex(await c.drain(20)), 'nothing before the message is complete').toBe('');
      await c.write(bytes.subarray(probe.splitAt));
    } else {
      await c.write(bytes);
    }
    if (probe.after === 'closed' && probe.name.includes('truncated')) {
      // The client's next request only feeds the unfinished message; the read timeout ends it.
      await c.write(PING);
    }
    expect(hex(await c.read(probe.reply.length / 2))).toBe(probe.reply);
    if (probe.after === 'ack') {
      await c.write(PING);
      expect(hex(await c.read(1))).toBe(ACK);
      expect(hex(await c.drain(50))).toBe('');
      expect(c.isClosed()).toBe(false);
    } else {
      await c.closed;
      expect(node.events.some((e) => e.event === 'aap.closing')).toBe(true);
    }
    if (probe.name === 'probe_register_empty') expect(node.host.registrations()).toContain('v1 dtn://earth.dtn/');
  });
});

describe.each<Transport>(['tcp', 'unix'])('AAP v1 server over %s: robustness', (transport) => {
  it.runIf(haveVectors)('earth-smtp sent in one write, or one byte per write, gets all its replies, in order', async () => {
    const files = ud3tnVectorNames('aap1').filter((n) => n.startsWith('earth-smtp_'));
    const requests = Buffer.concat(files.filter((n) => n.includes('_c2n_')).map((n) => ud3tnVector(`aap1/${n}`)));
    const replies = hex(Buffer.concat(files.filter((n) => n.includes('_n2c_')).map((n) => ud3tnVector(`aap1/${n}`))));
    // Two nodes: one fake clock per node, so both SENDCONFIRMs carry sequence number 1.
    const whole = await (await startNode(transport, EARTH, 848946032538)).connect();
    await whole.write(requests);
    expect(hex(await whole.read(replies.length / 2))).toBe(replies);
    const trickle = await (await startNode(transport, EARTH, 848946032538)).connect();
    for (const b of requests) await trickle.write(Uint8Array.of(b));
    expect(hex(await trickle.read(replies.length / 2))).toBe(replies);
  });

  it('answers 256 KiB of undecodable bytes with as many NACKs, then PING → ACK, while another connection is served normally', async () => {
    const node = await startNode(transport, EARTH, 848946032538);
    const flooder = await node.connect();
    const other = await node.connect();
    await flooder.read(19);
    await other.read(19);
    const garbage = new Uint8Array(256 * 1024);
    for (let i = 0; i < garbage.length; i++) garbage[i] = 0x20 + ((i * 131) % 0xe0); // never version nibble 1
    const flood = flooder.write(garbage);
    // Meanwhile: REGISTER, SENDBUNDLE, PING on the other connection get exactly their replies.
    await other.write(fromHex('120004736d7470'));
    expect(hex(await other.read(1))).toBe(ACK);
    await other.write(fromHex('13001364746e3a2f2f6d6172732e64746e2f736d747000000000000000026869'));
    expect(hex(await other.read(9))).toBe('1580c5a9206f9a0001');
    await other.write(PING);
    expect(hex(await other.read(1))).toBe(ACK);
    await flood;
    const nacks = await flooder.read(garbage.length, 10_000);
    expect(nacks.every((b) => b === 0x11)).toBe(true);
    await flooder.write(PING);
    expect(hex(await flooder.read(1))).toBe(ACK);
    // One log line for the whole run of garbage, not one per byte.
    expect(node.events.filter((e) => e.event === 'aap.undecodable').length).toBeLessThan(64);
  });

  it('a connection closed by random garbage leaves the server accepting and serving', async () => {
    const node = await startNode(transport, EARTH);
    let seed = 7;
    const random = new Uint8Array(64 * 1024).map(() => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed >>> 24;
    });
    for (let i = 0; i < 4; i++) {
      const c = await node.connect();
      await c.write(random.subarray(i * 16 * 1024, (i + 1) * 16 * 1024));
      c.end();
    }
    const fresh = await node.connect();
    expect(hex(await fresh.read(19))).toBe(WELCOME_EARTH);
    await fresh.write(PING);
    expect(hex(await fresh.read(1))).toBe(ACK);
  });

  it('a REGISTER on a connection replaces its registration; closing the connection releases it', async () => {
    const node = await startNode(transport, EARTH);
    const c = await node.connect();
    await c.read(19);
    await c.write(fromHex('120001611200016212000162'));
    expect(hex(await c.read(3))).toBe(ACK + ACK + ACK);
    expect(node.host.registrations()).toEqual(['v1 dtn://earth.dtn/b']);
    c.end();
    await c.closed;
    await waitFor(() => node.host.registrations().length === 0);
  });

  it('refuses a non-numeric agent ID on an ipn node and registers ipn:1.25 for "25"', async () => {
    const node = await startNode(transport, 'ipn:1.0');
    const c = await node.connect();
    expect(hex(await c.read(10))).toBe(hex(fromHex('170007')) + hex(ascii('ipn:1.0')));
    await c.write(fromHex('120004736d7470')); // smtp
    await c.write(fromHex('120000')); // empty
    await c.write(fromHex('1200023235')); // 25
    expect(hex(await c.read(3))).toBe(NACK + NACK + ACK);
    expect(node.host.registrations()).toEqual(['v1 ipn:1.25']);
  });

  it('answers NACK when the processor refuses a bundle, and goes on', async () => {
    const node = await startNode(transport, EARTH);
    const c = await node.connect();
    await c.read(19);
    await c.write(fromHex('120004736d7470'));
    await c.read(1);
    node.host.failNextSubmit('STORE_FULL');
    await c.write(fromHex('13001364746e3a2f2f6d6172732e64746e2f736d74700000000000000002686918'));
    expect(hex(await c.read(2))).toBe(NACK + ACK);
  });

  it('delivers RECVBUNDLE to a registered connection at any moment and reports false once it is gone', async () => {
    const node = await startNode(transport, EARTH);
    const c = await node.connect();
    await c.read(19);
    await c.write(fromHex('120004736d7470'));
    await c.read(1);
    const adu = { source: 'dtn://mars.dtn/', destination: 'dtn://earth.dtn/smtp', creationTime: 1, sequence: 1, isAdminRecord: true, payload: fromHex('8201840000') };
    await expect(node.host.deliver('dtn://earth.dtn/smtp', adu)).resolves.toBe(true);
    // A status report arrives as RECVBUNDLE from the reporting node's ID (docs/status-reports.md).
    expect(hex(await c.read(1 + 2 + 15 + 8 + 5))).toBe(`14000f${hex(ascii('dtn://mars.dtn/'))}0000000000000005${'8201840000'}`);
    c.end();
    await c.closed;
    await expect(node.host.deliver('dtn://earth.dtn/smtp', adu)).resolves.toBe(false);
  });
});
