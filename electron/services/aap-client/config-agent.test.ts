import { describe, expect, it } from 'vitest';
import { ok, type Result } from '../../../shared/errors';
import { addContact } from './config-agent';
import type { BundleId } from './types';

function target(nodeId: string | null) {
  const sent: { destination: string; text: string }[] = [];
  return {
    sent,
    nodeId,
    async send(destination: string, payload: Uint8Array): Promise<Result<BundleId>> {
      sent.push({ destination, text: new TextDecoder().decode(payload) });
      return ok({ source: `${nodeId ?? ''}x`, creationTime: 1, sequence: 1 });
    },
  };
}

/** Unix ms of a DTN time in seconds (DTN epoch 2000-01-01T00:00:00Z = Unix 946684800 s). */
const unixMs = (dtnSeconds: number): number => (dtnSeconds + 946_684_800) * 1000;

describe('addContact', () => {
  it('sends the ADD text of the earth-config vector to <nodeId>config', async () => {
    const t = target('dtn://earth.dtn/');
    const r = await addContact(t, { node: 'dtn://mars.dtn/', cla: 'mtcp:127.0.0.1:15225', start: unixMs(848946030), end: unixMs(849032430), rateBytesPerSec: 1_000_000_000 }, 0);
    expect(r.ok).toBe(true);
    expect(t.sent).toEqual([{ destination: 'dtn://earth.dtn/config', text: '1(dtn://mars.dtn/):(mtcp:127.0.0.1:15225)::[{848946030,849032430,1000000000}];' }]);
  });

  it('addresses ipn:N.9000 on an ipn node (protocols.md §7.1, the ipn example of §7.2)', async () => {
    const t = target('ipn:1.0');
    await addContact(t, { node: 'ipn:2.0', cla: 'mtcp:127.0.0.1:15225', start: unixMs(848946032), end: unixMs(849032432), rateBytesPerSec: 1_000_000_000 }, 0);
    expect(t.sent).toEqual([{ destination: 'ipn:1.9000', text: '1(ipn:2.0):(mtcp:127.0.0.1:15225)::[{848946032,849032432,1000000000}];' }]);
  });

  it('defaults: start now (rounded down to the second), end one day later, unlimited rate (uint32 max)', async () => {
    const t = target('dtn://earth.dtn/');
    await addContact(t, { node: 'dtn://mars.dtn/', cla: 'mtcp:10.0.0.2:4224' }, unixMs(848946030) + 999);
    expect(t.sent[0]?.text).toBe('1(dtn://mars.dtn/):(mtcp:10.0.0.2:4224)::[{848946030,849032430,4294967295}];');
  });

  it('refuses a peer that is not a node ID, a contact that ends before it starts, and works only when connected', async () => {
    const t = target('dtn://earth.dtn/');
    const code = (r: Result<unknown>): string => (r.ok ? 'ok' : r.error.code);
    expect(code(await addContact(t, { node: 'dtn://mars.dtn/smtp', cla: 'mtcp:h:1' }, 0))).toBe('INVALID_EID');
    expect(code(await addContact(t, { node: 'dtn://mars.dtn/', cla: 'mtcp:h:1', start: unixMs(10), end: unixMs(5) }, 0))).toBe('INVALID_ARGUMENT');
    expect(code(await addContact(t, { node: 'dtn://mars.dtn/', cla: 'mtcp:(h):1' }, unixMs(10)))).toBe('INVALID_ARGUMENT');
    expect(code(await addContact(target(null), { node: 'dtn://mars.dtn/', cla: 'mtcp:h:1' }, 0))).toBe('CONNECTION_CLOSED');
    expect(t.sent).toEqual([]);
  });
});
