/**
 * EIDs the client puts on the wire, checked before they leave: a SENDBUNDLE with an invalid destination
 * aborts a debug build of uD3TN (ud3tn-behaviour.md §0.3, §5.3 probe_sendbundle_bad_dest_eid), and a
 * release build confirms the bundle and drops it. Text rules come from shared/protocol/bpv7/eid.ts,
 * which follows what uD3TN v0.13 accepts (components/ud3tn/eid.c validate_eid).
 *
 * Agent IDs (protocols.md §4.3): on a dtn node any VCHAR string ('/' allowed) appended to `dtn://node/`;
 * on an ipn node a decimal service number appended to `ipn:N.`. The empty ID, which uD3TN accepts and
 * turns into the bare node ID (ud3tn-behaviour.md §5.2), is refused: it is not an application endpoint.
 */
import { err, ok, type Result } from '../../../shared/errors';
import { formatEid, isNodeId, isNullEid, nodeIdOf, parseEid } from '../../../shared/protocol/bpv7/eid';
import type { Eid } from '../../../shared/protocol/bpv7/types';

/** uD3TN v0.13 parses `ipn:N.S` only; the RFC 9758 allocator form is refused rather than risk an abort. */
function usableByUd3tn(eid: Eid, text: string): Result<Eid> {
  if (eid.scheme === 'ipn' && eid.allocator !== 0) {
    return err('INVALID_EID', `"${text}": uD3TN v0.13 knows only ipn:node.service, not the RFC 9758 allocator form`);
  }
  return ok(eid);
}

/** A destination EID the node can take: valid text form, not the null endpoint. */
export function checkDestination(text: string): Result<string> {
  const parsed = parseEid(text);
  if (!parsed.ok) return parsed;
  if (isNullEid(parsed.value)) return err('INVALID_EID', 'dtn:none (the null endpoint) cannot be a destination');
  const usable = usableByUd3tn(parsed.value, text);
  return usable.ok ? ok(text) : usable;
}

/** The node ID of WELCOME / Welcome, checked: `dtn://node/` or `ipn:N.0`. */
export function checkNodeId(text: string): Result<Eid> {
  const parsed = parseEid(text);
  if (!parsed.ok) return err('MALFORMED', `the node announced an invalid node ID: ${parsed.error.message}`);
  if (!isNodeId(parsed.value)) return err('MALFORMED', `the node announced "${text}", which is not a node ID (dtn://node/ or ipn:N.0)`);
  return ok(parsed.value);
}

/** The full EID of `agentId` on node `nodeId`. */
export function endpointOf(nodeId: string, agentId: string): Result<string> {
  const node = checkNodeId(nodeId);
  if (!node.ok) return node;
  if (agentId.length === 0) return err('INVALID_ARGUMENT', 'the agent ID is empty (uD3TN would register the bare node ID)');
  if (node.value.scheme === 'ipn') {
    if (!/^(0|[1-9][0-9]{0,15})$/.test(agentId) || !Number.isSafeInteger(Number(agentId))) {
      return err('INVALID_EID', `on an ipn node the agent ID is a decimal service number, got ${JSON.stringify(agentId)}`);
    }
    if (agentId === '0') return err('INVALID_EID', 'ipn service 0 is the node ID itself, not an application endpoint');
    return ok(formatEid({ ...node.value, service: Number(agentId) }));
  }
  const text = `${nodeId}${agentId}`;
  const parsed = parseEid(text);
  if (!parsed.ok) return err('INVALID_EID', `agent ID ${JSON.stringify(agentId)}: ${parsed.error.message}`);
  return ok(text);
}

/** The agent ID of a full EID on node `nodeId` (what AAP v1 REGISTER carries). */
export function agentIdOf(nodeId: string, endpoint: string): Result<string> {
  const node = checkNodeId(nodeId);
  if (!node.ok) return node;
  const parsed = parseEid(endpoint);
  if (!parsed.ok) return parsed;
  if (formatEid(nodeIdOf(parsed.value)) !== formatEid(node.value)) {
    return err('INVALID_EID', `${endpoint} is not an endpoint of the node ${nodeId}`);
  }
  const agentId =
    parsed.value.scheme === 'ipn' ? String(parsed.value.service) : endpoint.slice(formatEid(node.value).length);
  const back = endpointOf(nodeId, agentId);
  return back.ok ? ok(agentId) : back;
}
