/**
 * The echo agent (`<node>echo`, `ipn:N.9002`): sends every payload it receives back to the bundle's
 * source, empty payloads included (v0.13:components/agents/echo_agent.c; ud3tn-behaviour.md §5.1 uses it
 * as a health check). It registers through the AgentHost like any application.
 *
 * Not echoed (uD3TN never hands these to agents): administrative records, which would bounce status
 * reports between nodes, and bundles from the null endpoint dtn:none, which has no one to answer.
 */
import { toLogFormat, type Result } from '../../../shared/errors';
import { BUILTIN_AGENT_IDS, agentEid, nodeScheme } from '../aap/agent-id';
import type { AgentHost, DeliveredAdu, Log } from '../types';
import type { BuiltinAgent } from './builtin-agent';

export interface EchoAgentOptions {
  readonly host: AgentHost;
  readonly log: Log;
}

export function startEchoAgent(options: EchoAgentOptions): Result<BuiltinAgent> {
  const { host, log } = options;
  const eid = agentEid(host.nodeId, BUILTIN_AGENT_IDS.echo[nodeScheme(host.nodeId)]);
  if (!eid.ok) return eid;
  const echoEid = eid.value;

  async function echo(adu: DeliveredAdu): Promise<boolean> {
    if (adu.isAdminRecord || adu.source === 'dtn:none') {
      log({ event: 'echo.ignored', source: adu.source, reason: adu.isAdminRecord ? 'administrative record' : 'anonymous source' });
      return true;
    }
    const r = await host.submit({ source: echoEid, destination: adu.source, payload: adu.payload });
    if (r.ok) log({ event: 'echo.replied', destination: adu.source, bytes: adu.payload.length });
    else log({ event: 'echo.reply_failed', destination: adu.source, error: toLogFormat(r.error) });
    // The agent has the ADU either way; like uD3TN it does not retry a reply it could not create.
    return true;
  }

  const reg = host.register(echoEid, { deliver: echo });
  if (!reg.ok) return reg;
  log({ event: 'echo.started', eid: echoEid });
  return {
    ok: true,
    value: { eid: echoEid, stop: () => reg.value.release() },
  };
}
