import { describe, expect, it } from 'vitest';
import { ok, err, type Result } from '../../../shared/errors';
import { createAapDecoder } from '../../../shared/protocol/aap/decoder';
import type { ConfigCommand } from '../../../shared/protocol/ud3tn-config/types';
import { ascii, haveVectors, ud3tnVector } from '../../../shared/test-support/vectors';
import { createFakeAgentHost } from '../aap/test-support/fake-agent-host';
import type { DeliveredAdu, LogEvent } from '../types';
import { startConfigAgent, type ConfigAgentOptions } from './config-agent';

/** The config text earth's client sent in aap1/earth-config_04 (protocols.md §7.2 example). */
function vectorConfigPayload(): Uint8Array {
  const decoder = createAapDecoder();
  decoder.push(ud3tnVector('aap1/earth-config_04_c2n_SENDBUNDLE.bin'));
  const step = decoder.next();
  if (step.kind !== 'message' || step.message.type !== 'SENDBUNDLE') throw new Error('vector is not a SENDBUNDLE');
  expect(step.message.eid).toBe('dtn://earth.dtn/config');
  return step.message.payload;
}

const TEXT = '1(dtn://mars.dtn/):(mtcp:127.0.0.1:15225)::[{848946030,849032430,1000000000}];';
const EXPECTED: ConfigCommand = {
  command: 'add',
  nodeId: 'dtn://mars.dtn/',
  claAddress: 'mtcp:127.0.0.1:15225',
  reachableEids: [],
  contacts: [{ start: 848946030, end: 849032430, rate: 1000000000, reachableEids: [] }],
};

function setup(over: Partial<ConfigAgentOptions> = {}, nodeId = 'dtn://earth.dtn/') {
  const host = createFakeAgentHost({ nodeId });
  const events: LogEvent[] = [];
  const calls: { commands: readonly ConfigCommand[]; source: string }[] = [];
  const agent = startConfigAgent({
    host,
    log: (e) => events.push(e),
    configure: (commands, source): Result<void> => {
      calls.push({ commands, source });
      return ok(undefined);
    },
    ...over,
  });
  return { host, events, calls, agent };
}

const adu = (over: Partial<DeliveredAdu> = {}): DeliveredAdu => ({
  source: 'dtn://earth.dtn/config-client',
  destination: 'dtn://earth.dtn/config',
  creationTime: 848946031934,
  sequence: 1,
  payload: ascii(TEXT),
  isAdminRecord: false,
  receivedFrom: 'local',
  ...over,
});

describe('config agent', () => {
  it('registers dtn://<node>/config, or ipn:N.9000 on an ipn node (config_agent.h)', () => {
    expect(setup().agent).toMatchObject({ ok: true, value: { eid: 'dtn://earth.dtn/config' } });
    expect(setup({}, 'ipn:1.0').agent).toMatchObject({ ok: true, value: { eid: 'ipn:1.9000' } });
  });

  it.runIf(haveVectors)('applies the config bundle of aap1/earth-config from a local agent and logs each command', async () => {
    const { host, events, calls } = setup();
    await expect(host.deliver('dtn://earth.dtn/config', adu({ payload: vectorConfigPayload() }))).resolves.toBe(true);
    expect(calls).toEqual([{ commands: [EXPECTED], source: 'dtn://earth.dtn/config-client' }]);
    expect(events.filter((e) => e.event === 'config.command')).toEqual([
      expect.objectContaining({ command: 'add', node: 'dtn://mars.dtn/', cla: 'mtcp:127.0.0.1:15225', contacts: 1 }),
    ]);
  });

  it('refuses a bundle that came over a CLA, even with a local source EID (uD3TN only checks the EID)', async () => {
    const { host, events, calls } = setup();
    await expect(host.deliver('dtn://earth.dtn/config', adu({ receivedFrom: 'cla' }))).resolves.toBe(true);
    await host.deliver('dtn://earth.dtn/config', adu({ receivedFrom: 'cla', source: 'dtn://mars.dtn/admin' }));
    expect(calls).toEqual([]);
    expect(events.filter((e) => e.event === 'config.refused')).toHaveLength(2);
  });

  it('accepts remote configuration with allowRemoteConfig (uD3TN -R)', async () => {
    const { host, calls } = setup({ allowRemoteConfig: true });
    await host.deliver('dtn://earth.dtn/config', adu({ receivedFrom: 'cla', source: 'dtn://mars.dtn/admin' }));
    expect(calls.map((c) => c.source)).toEqual(['dtn://mars.dtn/admin']);
  });

  it('without receivedFrom, applies uD3TN\'s test: the source node must be this node', async () => {
    const { host, calls } = setup();
    const { receivedFrom: _omit, ...unknownOrigin } = adu();
    await host.deliver('dtn://earth.dtn/config', unknownOrigin);
    await host.deliver('dtn://earth.dtn/config', { ...unknownOrigin, source: 'dtn://mars.dtn/config-client' });
    await host.deliver('dtn://earth.dtn/config', { ...unknownOrigin, source: 'dtn://earth.dtnx/a' });
    expect(calls.map((c) => c.source)).toEqual(['dtn://earth.dtn/config-client']);
  });

  it('on an ipn node, accepts ipn:N.* sources and refuses other nodes when the origin is unknown', async () => {
    const { host, calls } = setup({}, 'ipn:1.0');
    const { receivedFrom: _omit, ...unknownOrigin } = adu({ destination: 'ipn:1.9000' });
    await host.deliver('ipn:1.9000', { ...unknownOrigin, source: 'ipn:1.25' });
    await host.deliver('ipn:1.9000', { ...unknownOrigin, source: 'ipn:12.25' });
    expect(calls.map((c) => c.source)).toEqual(['ipn:1.25']);
  });

  it('applies nothing from a payload that does not parse, and logs the offset', async () => {
    const { host, events, calls } = setup();
    await expect(host.deliver('dtn://earth.dtn/config', adu({ payload: ascii('1(dtn://mars.dtn/):(mtcp:x') }))).resolves.toBe(true);
    expect(calls).toEqual([]);
    expect(events.find((e) => e.event === 'config.invalid')?.['error']).toMatch(/^TRUNCATED at byte \d+/);
  });

  it('ignores administrative records', async () => {
    const { host, calls } = setup();
    await host.deliver('dtn://earth.dtn/config', adu({ isAdminRecord: true }));
    expect(calls).toEqual([]);
  });

  it('logs a configure failure or exception and keeps serving', async () => {
    let n = 0;
    const { host, events } = setup({
      configure: () => {
        n++;
        if (n === 1) return err('CONFIG_INVALID', 'unknown CLA');
        throw new Error('router gone');
      },
    });
    await expect(host.deliver('dtn://earth.dtn/config', adu())).resolves.toBe(true);
    await expect(host.deliver('dtn://earth.dtn/config', adu())).resolves.toBe(true);
    expect(events.filter((e) => e.event === 'config.failed').map((e) => e['error'])).toEqual(['CONFIG_INVALID: unknown CLA', 'router gone']);
  });
});
