import { describe, expect, it } from 'vitest';
import { ascii } from '../../../shared/test-support/vectors';
import { createFakeAgentHost } from '../aap/test-support/fake-agent-host';
import type { DeliveredAdu, LogEvent } from '../types';
import { startEchoAgent } from './echo-agent';

const adu = (over: Partial<DeliveredAdu> = {}): DeliveredAdu => ({
  source: 'dtn://earth.dtn/pipe',
  destination: 'dtn://earth.dtn/echo',
  creationTime: 1,
  sequence: 1,
  payload: ascii('ping-payload'),
  isAdminRecord: false,
  ...over,
});

describe('echo agent', () => {
  it('registers dtn://<node>/echo on a dtn node (echo_agent.h AGENT_ID_ECHO_DTN)', () => {
    const host = createFakeAgentHost({ nodeId: 'dtn://earth.dtn/' });
    const agent = startEchoAgent({ host, log: () => {} });
    expect(agent.ok && agent.value.eid).toBe('dtn://earth.dtn/echo');
    expect(host.registrations()).toEqual(['v1 dtn://earth.dtn/echo']);
  });

  it('registers ipn:N.9002 on an ipn node (AGENT_ID_ECHO_IPN)', () => {
    const host = createFakeAgentHost({ nodeId: 'ipn:1.0' });
    const agent = startEchoAgent({ host, log: () => {} });
    expect(agent.ok && agent.value.eid).toBe('ipn:1.9002');
  });

  it('sends the payload back to the source, from the echo endpoint', async () => {
    const host = createFakeAgentHost({ nodeId: 'dtn://earth.dtn/' });
    startEchoAgent({ host, log: () => {} });
    const request = adu();
    await expect(host.deliver('dtn://earth.dtn/echo', request)).resolves.toBe(true);
    expect(host.submitted).toHaveLength(1);
    expect(host.submitted[0]).toMatchObject({ source: 'dtn://earth.dtn/echo', destination: 'dtn://earth.dtn/pipe' });
    expect(host.submitted[0]?.payload).toEqual(request.payload);
  });

  it('echoes an empty payload too (probe_sendbundle_empty_payload)', async () => {
    const host = createFakeAgentHost({ nodeId: 'dtn://earth.dtn/' });
    startEchoAgent({ host, log: () => {} });
    await host.deliver('dtn://earth.dtn/echo', adu({ payload: new Uint8Array(0) }));
    expect(host.submitted).toHaveLength(1);
    expect(host.submitted[0]?.payload.length).toBe(0);
  });

  it('does not echo administrative records or bundles from dtn:none', async () => {
    const host = createFakeAgentHost({ nodeId: 'dtn://earth.dtn/' });
    const events: LogEvent[] = [];
    startEchoAgent({ host, log: (e) => events.push(e) });
    await expect(host.deliver('dtn://earth.dtn/echo', adu({ isAdminRecord: true, source: 'dtn://mars.dtn/' }))).resolves.toBe(true);
    await expect(host.deliver('dtn://earth.dtn/echo', adu({ source: 'dtn:none' }))).resolves.toBe(true);
    expect(host.submitted).toHaveLength(0);
    expect(events.filter((e) => e.event === 'echo.ignored')).toHaveLength(2);
  });

  it('logs a reply it could not create and still takes the ADU', async () => {
    const host = createFakeAgentHost({ nodeId: 'dtn://earth.dtn/' });
    const events: LogEvent[] = [];
    startEchoAgent({ host, log: (e) => events.push(e) });
    host.failNextSubmit('STORE_FULL');
    await expect(host.deliver('dtn://earth.dtn/echo', adu())).resolves.toBe(true);
    expect(events.find((e) => e.event === 'echo.reply_failed')?.['error']).toMatch(/^STORE_FULL/);
  });

  it('fails to start when the endpoint is taken, and stop() releases it', () => {
    const host = createFakeAgentHost({ nodeId: 'dtn://earth.dtn/' });
    const first = startEchoAgent({ host, log: () => {} });
    const second = startEchoAgent({ host, log: () => {} });
    expect(second.ok).toBe(false);
    if (first.ok) first.value.stop();
    expect(host.registrations()).toEqual([]);
  });
});
