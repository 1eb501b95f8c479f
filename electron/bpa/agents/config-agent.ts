/**
 * The config agent (`<node>config`, `ipn:N.9000`): reads uD3TN's contact configuration text
 * (protocols.md §7; shared/protocol/ud3tn-config) from the payload of bundles addressed to it and hands
 * the commands to the router through the injected `configure` callback. Like uD3TN it answers nothing:
 * the sender only ever sees the SENDCONFIRM of its config bundle (protocols.md §7.1).
 *
 * Who may configure (protocols.md §7.3; v0.13:components/agents/config_agent.c):
 * - by default only the local node: a bundle a local agent submitted (DeliveredAdu.receivedFrom 'local').
 *   When the processor does not say where the bundle came from, uD3TN's own test applies: the source
 *   EID's node must be this node. A bundle that arrived over a CLA is refused even when its source
 *   claims to be this node (uD3TN checks only the source EID, which any peer can forge);
 * - with allowRemoteConfig (uD3TN's -R/--allow-remote-config), bundles from any source.
 *
 * Unlike uD3TN, which applies the commands before a syntax error, a payload that does not parse applies
 * nothing (the parser is all-or-nothing); the error is logged with its byte offset. Administrative
 * records are ignored.
 */
import { toLogFormat, type Result } from '../../../shared/errors';
import { parseConfig } from '../../../shared/protocol/ud3tn-config/parse';
import type { ConfigCommand } from '../../../shared/protocol/ud3tn-config/types';
import { BUILTIN_AGENT_IDS, agentEid, isOnNode, nodeScheme } from '../aap/agent-id';
import type { AgentHost, DeliveredAdu, Log } from '../types';
import type { BuiltinAgent } from './builtin-agent';

export interface ConfigAgentOptions {
  readonly host: AgentHost;
  readonly log: Log;
  /** Accept configuration from other nodes, over a CLA (uD3TN's -R). Default false. */
  readonly allowRemoteConfig?: boolean;
  /** Apply parsed commands (the router and contact plan); called once per accepted bundle, in order. */
  configure(commands: readonly ConfigCommand[], source: string): Result<void> | Promise<Result<void>>;
}

export function startConfigAgent(options: ConfigAgentOptions): Result<BuiltinAgent> {
  const { host, log } = options;
  const allowRemote = options.allowRemoteConfig ?? false;
  const eid = agentEid(host.nodeId, BUILTIN_AGENT_IDS.config[nodeScheme(host.nodeId)]);
  if (!eid.ok) return eid;
  const configEid = eid.value;

  function authorised(adu: DeliveredAdu): boolean {
    if (allowRemote) return true;
    if (adu.receivedFrom !== undefined) return adu.receivedFrom === 'local';
    return isOnNode(host.nodeId, adu.source);
  }

  async function receive(adu: DeliveredAdu): Promise<boolean> {
    if (adu.isAdminRecord) {
      log({ event: 'config.ignored', source: adu.source, reason: 'administrative record' });
      return true;
    }
    if (!authorised(adu)) {
      log({ event: 'config.refused', source: adu.source, receivedFrom: adu.receivedFrom ?? 'unknown', reason: 'remote configuration is not allowed' });
      return true;
    }
    const parsed = parseConfig(adu.payload);
    if (!parsed.ok) {
      log({ event: 'config.invalid', source: adu.source, error: toLogFormat(parsed.error) });
      return true;
    }
    for (const c of parsed.value) {
      log({
        event: 'config.command',
        source: adu.source,
        command: c.command,
        node: c.nodeId,
        cla: c.claAddress ?? null,
        contacts: c.contacts.length,
        reachableEids: c.reachableEids.length,
      });
    }
    try {
      const r = await options.configure(parsed.value, adu.source);
      if (!r.ok) log({ event: 'config.failed', source: adu.source, error: toLogFormat(r.error) });
    } catch (e) {
      log({ event: 'config.failed', source: adu.source, error: e instanceof Error ? e.message : String(e) });
    }
    return true;
  }

  const reg = host.register(configEid, { deliver: receive });
  if (!reg.ok) return reg;
  log({ event: 'config.started', eid: configEid, allowRemoteConfig: allowRemote });
  return { ok: true, value: { eid: configEid, stop: () => reg.value.release() } };
}
