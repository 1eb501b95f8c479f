/**
 * Agent IDs: the part of an application EID after the node ID (protocols.md §4.3). The AAP v1 REGISTER
 * carries only this part; AAP 2.0 carries the full EID and the agent ID is what follows the node ID.
 *
 * Rules as uD3TN v0.13 applies them in `agent_register` (components/ud3tn/agent_manager.c):
 * - dtn node: any string of VCHARs (%x21-7E, RFC 5234), '/' allowed, no space (`validate_dtn_eid_demux`,
 *   components/ud3tn/eid.c). The empty string is accepted and yields the bare node ID
 *   (ud3tn-behaviour.md §5.2).
 * - ipn node: a decimal number (`parse_ipn_ull`); the empty string is refused.
 * - The built-in agents hold `config`/`9000` and `echo`/`9002` (include/agents/config_agent.h,
 *   echo_agent.h), so a client can never register them.
 */
import { err, ok, type Result } from '../../../shared/errors';
import { parseEid, sameNode } from '../../../shared/protocol/bpv7/eid';
import { LIMITS } from '../../../shared/protocol/limits';

export type NodeScheme = 'dtn' | 'ipn';

export function nodeScheme(nodeId: string): NodeScheme {
  return nodeId.startsWith('ipn:') ? 'ipn' : 'dtn';
}

/** Agent IDs of the built-in agents (config agent, echo agent), per node scheme. */
export const BUILTIN_AGENT_IDS = {
  config: { dtn: 'config', ipn: '9000' },
  echo: { dtn: 'echo', ipn: '9002' },
} as const;

/** The prefix an agent ID is appended to: "dtn://node/" as is, "ipn:N." for "ipn:N.0". */
function agentPrefix(nodeId: string): string {
  if (nodeScheme(nodeId) === 'dtn') return nodeId.endsWith('/') ? nodeId : `${nodeId}/`;
  return nodeId.slice(0, nodeId.lastIndexOf('.') + 1);
}

function isVcharString(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

const DECIMAL = /^[0-9]+$/;

/**
 * The full EID for `agentId` on node `nodeId`, or INVALID_EID when the ID breaks the rules above.
 * ipn service numbers are normalised ("025" → 25) so that one service has one registration.
 */
export function agentEid(nodeId: string, agentId: string): Result<string> {
  const prefix = agentPrefix(nodeId);
  if (prefix.length + agentId.length > LIMITS.eidMaxLength) {
    return err('LIMIT_EXCEEDED', `agent ID of ${agentId.length} characters is too long`);
  }
  if (nodeScheme(nodeId) === 'dtn') {
    if (!isVcharString(agentId)) return err('INVALID_EID', 'a dtn agent ID must consist of VCHARs (%x21-7E)');
    return ok(prefix + agentId);
  }
  if (!DECIMAL.test(agentId)) return err('INVALID_EID', 'an ipn agent ID must be a decimal service number');
  const service = Number(agentId);
  if (!Number.isSafeInteger(service)) return err('LIMIT_EXCEEDED', 'ipn service number above 2^53-1');
  return ok(`${prefix}${service}`);
}

/** The agent ID of `eid` when it is an application endpoint of node `nodeId` (not the node ID itself), else null. */
export function localAgentId(nodeId: string, eid: string): string | null {
  const prefix = agentPrefix(nodeId);
  if (!eid.startsWith(prefix) || eid.length === prefix.length) return null;
  return eid.slice(prefix.length);
}

/** True when `eid` (already normalised by agentEid) is the endpoint of a built-in agent on `nodeId`. */
export function isBuiltinAgentEid(nodeId: string, eid: string): boolean {
  const scheme = nodeScheme(nodeId);
  const id = localAgentId(nodeId, eid);
  return id === BUILTIN_AGENT_IDS.config[scheme] || id === BUILTIN_AGENT_IDS.echo[scheme];
}

/** True when `eid` is node `nodeId` itself or one of its endpoints (uD3TN's `get_node_id` comparison). */
export function isOnNode(nodeId: string, eid: string): boolean {
  const a = parseEid(nodeId);
  const b = parseEid(eid);
  return a.ok && b.ok && sameNode(a.value, b.value);
}
