/**
 * `farside send` and `farside contact add` against the scripted uD3TN AAP v1 node on real sockets.
 * Golden bytes: ../shared/vectors/ud3tn/aap1 (earth-config_02/_04 are what a client wrote to a real node).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { decodeBsmtp } from '../../../shared/protocol/bsmtp';
import { encodeAapBundleId, encodeAapMessage } from '../../../shared/protocol/aap';
import { ud3tnVector } from '../../../shared/test-support/vectors';
import { startScriptedNode, type ScriptedNode } from '../../services/aap-client/test-support/scripted-node';
import { ud3tnAap1, type Aap1Node } from '../../services/aap-client/test-support/ud3tn-aap1';
import { formatAapAddress } from '../../services/aap-client/transport';
import { memoryIo } from '../io';
import { runCli } from '../main';
import { contactAddCommand } from './contact';
import { sendCommand } from './send';

const v = (name: string): Uint8Array => ud3tnVector(`aap1/${name}`);

function replies(welcome = v('earth-smtp_01_n2c_WELCOME.bin'), confirm = v('earth-smtp_05_n2c_SENDCONFIRM.bin')) {
  return { welcome, ack: v('earth-smtp_03_n2c_ACK.bin'), nack: v('earth-smtp_09_n2c_NACK.bin'), confirm: () => confirm };
}

const nodes: ScriptedNode[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.close();
});

async function node(kind: 'tcp' | 'unix', behaviour: Aap1Node): Promise<ScriptedNode> {
  const n = await startScriptedNode(kind, behaviour);
  nodes.push(n);
  return n;
}

const MESSAGE = [
  'From: alice@earth.dtn',
  'To: bob@mars.dtn',
  'Subject: hello',
  '',
  '.a line that needs dot-stuffing',
  'caf\u00e9',
  '',
].join('\r\n');

describe.each(['tcp', 'unix'] as const)('farside send / contact add over %s', (kind) => {
  it('send: one BSMTP bundle with the envelope from --from/--to (Bcc included), bundle ID as JSON', async () => {
    const behaviour = ud3tnAap1(replies());
    const n = await node(kind, behaviour);
    const { io, outText, errText } = memoryIo(MESSAGE);
    const argv = ['--aap', formatAapAddress(n.transport), '--destination', 'dtn://mars.dtn/email', '--from', 'alice@earth.dtn', '--to', 'bob@mars.dtn', '--to', 'hidden-bcc@mars.dtn', '--notify', 'success,failure', '--envid', 'id 1'];
    const code = await sendCommand.run(argv, io);
    expect(errText()).toBe('');
    expect(code).toBe(0);
    const printed = JSON.parse(outText()) as Record<string, unknown>;

    const sent = behaviour.parsed.find((p) => p.message.type === 'SENDBUNDLE')?.message;
    if (!sent || sent.type !== 'SENDBUNDLE') throw new Error('no SENDBUNDLE');
    expect(sent.eid).toBe('dtn://mars.dtn/email');
    expect(printed).toEqual({ source: 'dtn://earth.dtn/farside-send', creationTime: 848946032538, sequence: 1, destination: 'dtn://mars.dtn/email', payloadLength: sent.payload.length });
    expect(behaviour.parsed.map((p) => p.message.type)).toEqual(['REGISTER', 'SENDBUNDLE']);

    const bsmtp = decodeBsmtp(sent.payload);
    if (!bsmtp.ok) throw new Error(bsmtp.error.message);
    expect(bsmtp.value.ehlo).toBe('earth.dtn');
    const [t] = bsmtp.value.transactions;
    expect(t?.envelope.mailFrom).toBe('alice@earth.dtn');
    expect(t?.envelope.mailParams['BODY']).toBe('8BITMIME');
    expect(t?.envelope.mailParams['ENVID']).toBe('id+201');
    expect(t?.envelope.rcptTo.map((r) => [r.address, r.params['NOTIFY']])).toEqual([
      ['bob@mars.dtn', 'SUCCESS,FAILURE'],
      ['hidden-bcc@mars.dtn', 'SUCCESS,FAILURE'],
    ]);
    expect(Buffer.from(t?.message ?? []).toString('utf8')).toBe(MESSAGE);
  });

  it('send: a bad destination EID is a usage error and nothing is connected', async () => {
    const n = await node(kind, ud3tnAap1(replies()));
    const { io, errText } = memoryIo(MESSAGE);
    const code = await sendCommand.run(['--aap', formatAapAddress(n.transport), '--destination', 'not-an-eid', '--from', 'a@b', '--to', 'c@d'], io);
    expect(code).toBe(2);
    expect(errText()).toMatch(/^farside send: INVALID_EID/);
    expect(n.connections.length).toBe(0);
  });

  it('send: an AAP 2.0 node met without --aap2 fails with AAP_VERSION_MISMATCH naming --aap2', async () => {
    const greeting = Buffer.concat([ud3tnVector('aap2/earth-sender_01_n2c_VERSION_INDICATOR.bin'), ud3tnVector('aap2/earth-sender_02_n2c_AAPMessage-welcome.bin')]);
    const n = await node(kind, { ...ud3tnAap1(replies()), greeting });
    const { io, errText } = memoryIo(MESSAGE);
    const code = await sendCommand.run(['--aap', formatAapAddress(n.transport), '--destination', 'dtn://mars.dtn/email', '--from', 'a@earth.dtn', '--to', 'c@d'], io);
    expect(code).toBe(1);
    expect(errText()).toContain('AAP_VERSION_MISMATCH');
    expect(errText()).toContain('--aap2');
  });

  it('send: on an ipn node --agent must be a service number', async () => {
    const welcome = encodeAapMessage({ type: 'WELCOME', eid: 'ipn:1.0' });
    if (!welcome.ok) throw new Error(welcome.error.message);
    const confirm = encodeAapMessage({ type: 'SENDCONFIRM', bundleId: encodeAapBundleId(848946032538, 1) });
    if (!confirm.ok) throw new Error(confirm.error.message);
    const n = await node(kind, ud3tnAap1(replies(welcome.value, confirm.value)));
    const base = ['--aap', formatAapAddress(n.transport), '--destination', 'ipn:2.25', '--from', 'alice@ipn1.example', '--to', 'bob@ipn2.example'];
    const first = memoryIo(MESSAGE);
    expect(await sendCommand.run(base, first.io)).toBe(2);
    expect(first.errText()).toContain('--agent');
    const second = memoryIo(MESSAGE);
    expect(await sendCommand.run([...base, '--agent', '25'], second.io)).toBe(0);
    expect(JSON.parse(second.outText())).toMatchObject({ source: 'ipn:1.25', creationTime: 848946032538, sequence: 1, destination: 'ipn:2.25' });
  });

  it('contact add: writes exactly earth-config_02 + earth-config_04 and prints the SENDCONFIRM (848946031934/1)', async () => {
    const n = await node(kind, ud3tnAap1(replies(undefined, v('earth-config_05_n2c_SENDCONFIRM.bin'))));
    const addr = formatAapAddress(n.transport);
    // Unix seconds and ISO 8601 name the same instants (DTN 848946030 and 849032430).
    for (const [start, end] of [
      ['1795630830', '1795717230'],
      ['2026-11-25T18:20:30Z', '2026-11-26T19:20:30+01:00'],
    ] as const) {
      const { io, outText, errText } = memoryIo();
      const argv = ['--aap', addr, '--agent', 'config-client', '--node', 'dtn://mars.dtn/', '--cla', 'mtcp:127.0.0.1:15225', '--start', start, '--end', end, '--rate', '1000000000'];
      expect(await contactAddCommand.run(argv, io)).toBe(0);
      expect(errText()).toBe('');
      expect(JSON.parse(outText())).toEqual({
        source: 'dtn://earth.dtn/config-client',
        creationTime: 848946031934,
        sequence: 1,
        destination: 'dtn://earth.dtn/config',
        config: '1(dtn://mars.dtn/):(mtcp:127.0.0.1:15225)::[{848946030,849032430,1000000000}];',
      });
    }
    for (const conn of n.connections) {
      expect(Buffer.from(conn.received()).toString('hex')).toBe(
        Buffer.concat([v('earth-config_02_c2n_REGISTER.bin'), v('earth-config_04_c2n_SENDBUNDLE.bin')]).toString('hex'),
      );
    }
  });

  it('contact add: defaults are now, now + 1 day and an unlimited rate; bad times are usage errors', async () => {
    const n = await node(kind, ud3tnAap1(replies(undefined, v('earth-config_05_n2c_SENDCONFIRM.bin'))));
    const addr = formatAapAddress(n.transport);
    const before = Math.floor((Date.now() - 946_684_800_000) / 1000);
    const { io, outText } = memoryIo();
    expect(await contactAddCommand.run(['--aap', addr, '--node', 'dtn://mars.dtn/', '--cla', 'mtcp:127.0.0.1:4224'], io)).toBe(0);
    const config = (JSON.parse(outText()) as { config: string }).config;
    const m = /^1\(dtn:\/\/mars\.dtn\/\):\(mtcp:127\.0\.0\.1:4224\)::\[\{(\d+),(\d+),(\d+)\}\];$/.exec(config);
    expect(m).not.toBeNull();
    const [s, e, r] = [Number(m?.[1]), Number(m?.[2]), Number(m?.[3])];
    expect(s - before).toBeGreaterThanOrEqual(0);
    expect(s - before).toBeLessThanOrEqual(2);
    expect(e - s).toBe(86400);
    expect(r).toBe(4294967295);

    for (const bad of [['--start', '2026-01-01T00:00:00'], ['--start', 'yesterday'], ['--rate', '0'], ['--cla', 'mtcp:host'], ['--node', 'dtn://mars.dtn/smtp']]) {
      const run = memoryIo();
      const argv = ['--aap', addr, '--node', 'dtn://mars.dtn/', '--cla', 'mtcp:127.0.0.1:4224', ...bad];
      expect(await contactAddCommand.run(argv, run.io), bad.join(' ')).toBe(2);
      expect(run.errText()).toMatch(/^farside contact add: INVALID_ARGUMENT/);
    }
  });
});

describe('the farside CLI entry', () => {
  it('lists send and contact add and shows their help', async () => {
    const overview = memoryIo();
    await runCli(['--help'], overview.io);
    expect(overview.outText()).toMatch(/farside send\s/);
    expect(overview.outText()).toMatch(/farside contact add\s/);
    for (const argv of [['send', '--help'], ['contact', 'add', '--help']]) {
      const { io, outText } = memoryIo();
      expect(await runCli(argv, io)).toBe(0);
      expect(outText()).toContain(`Usage: farside ${argv.slice(0, -1).join(' ')} --aap`);
    }
  });
});
