/**
 * The router's mutable state: nodes (uD3TN `struct node`) with their contacts, and the lookup index from
 * routing keys to contacts (uD3TN's eid_table in routing_table.c). Only commands.ts and router.ts touch it.
 */
import { contactCapacity } from './capacity';
import type { Contact } from './types';

export interface NodeState {
  /** Routing key of the node (routing-key.ts), e.g. "dtn://mars.dtn/". */
  readonly nodeId: string;
  claAddress: string;
  /** Node-level reachable EIDs, as routing keys. */
  readonly eids: Set<string>;
  /** Sorted by start; never overlapping (uD3TN node_prepare_and_verify / contact_list_union). */
  contacts: ContactState[];
}

export interface ContactState {
  readonly id: string;
  readonly node: NodeState;
  start: number;
  end: number;
  rate: number;
  owltMs: number;
  /** Contact-level reachable EIDs, as routing keys. */
  readonly eids: Set<string>;
  /** Bytes; Infinity when unlimited (capacity.ts). */
  capacity: number;
  /** Bytes committed to the contact (consume − release). */
  consumed: number;
}

export interface PlanState {
  readonly nodes: Map<string, NodeState>;
  readonly contacts: Map<string, ContactState>;
  nextId: number;
  /** Routing key → contacts that reach it; rebuilt lazily after a change. */
  index: Map<string, Set<ContactState>> | undefined;
}

export function createPlanState(): PlanState {
  return { nodes: new Map(), contacts: new Map(), nextId: 1, index: undefined };
}

export function recomputeCapacity(c: ContactState): void {
  c.capacity = contactCapacity(c.start, c.end, c.rate);
}

export function snapshot(c: ContactState): Contact {
  return {
    id: c.id,
    peerNodeId: c.node.nodeId,
    claAddress: c.node.claAddress,
    start: c.start,
    end: c.end,
    rateBytesPerSec: c.rate,
    owltMs: c.owltMs,
    reachableEids: [...c.eids],
  };
}

export function removeContact(state: PlanState, c: ContactState): void {
  state.contacts.delete(c.id);
  c.node.contacts = c.node.contacts.filter((x) => x !== c);
  state.index = undefined;
}

/**
 * uD3TN add_node_to_tables: every contact is reachable under its node's ID, the node's reachable EIDs
 * and its own reachable EIDs.
 */
export function lookupIndex(state: PlanState): Map<string, Set<ContactState>> {
  if (state.index !== undefined) return state.index;
  const index = new Map<string, Set<ContactState>>();
  const add = (key: string, c: ContactState): void => {
    const set = index.get(key);
    if (set === undefined) index.set(key, new Set([c]));
    else set.add(c);
  };
  for (const node of state.nodes.values()) {
    for (const c of node.contacts) {
      add(node.nodeId, c);
      for (const eid of node.eids) add(eid, c);
      for (const eid of c.eids) add(eid, c);
    }
  }
  state.index = index;
  return index;
}
