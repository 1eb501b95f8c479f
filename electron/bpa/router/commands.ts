/**
 * uD3TN's router commands applied to the plan state (v0.13 `router_task.c` router_process_command,
 * `routing_table.c`, `node.c`). Each command is checked whole before anything changes; a refused command
 * changes nothing.
 *
 * Checks, as node_prepare_and_verify: every contact ends after it starts and after `now`, and the
 * contacts of one command do not overlap. Then:
 * - add: a missing node is created (it needs a CLA address: add_new_node); for an existing one a non-empty
 *   CLA address replaces the old, reachable EIDs are added, and a new contact that overlaps existing
 *   ones of the node is merged with them (merge_contacts: earliest start, latest end, EIDs united, the
 *   new rate), others are inserted.
 * - replace: the node must exist (routing_table_replace_node); its data is replaced whole. Unlike uD3TN,
 *   which would keep a node without address, a replace needs a CLA address.
 * - delete: the node must exist. Without EIDs and contacts the node goes; otherwise the listed node EIDs
 *   go, and each listed contact with the same start and end goes, or, when it lists EIDs, only those
 *   EIDs leave it (contact_list_difference).
 * - query: v0.13 does not implement it (process_router_command has no case): UNSUPPORTED.
 * Where we differ: times are Unix ms with an OWLT per contact (uD3TN has none), and contact-plan files
 * may skip contacts that already ended instead of refusing them (`dropEnded`).
 */
import { err, ok } from '../../../shared/errors';
import type { Result } from '../../../shared/errors';
import { LIMITS } from '../../../shared/protocol/limits';
import { contactCapacity } from './capacity';
import { recomputeCapacity, removeContact, snapshot } from './plan-state';
import type { ContactState, NodeState, PlanState } from './plan-state';
import { nodeIdOf, routingKeyOf } from './routing-key';
import type { ApplySummary, Contact, ContactInput, PlanCommand } from './types';

export interface ApplyOptions {
  /** Skip contacts that ended at or before `now` instead of refusing the command (plan files). */
  readonly dropEnded?: boolean;
}

const overlaps = (a: { start: number; end: number }, b: { start: number; end: number }): boolean => a.start < b.end && a.end > b.start;

function checkContacts(contacts: readonly ContactInput[], now: number, dropEnded: boolean): Result<ContactInput[]> {
  const kept: ContactInput[] = [];
  for (const c of contacts) {
    for (const [name, v] of [['start', c.start], ['end', c.end], ['rate', c.rateBytesPerSec], ['OWLT', c.owltMs]] as const) {
      if (!Number.isSafeInteger(v) || v < 0) return err('CONFIG_INVALID', `contact ${name} must be a non-negative integer, got ${v}`);
    }
    if (c.end <= c.start) return err('CONFIG_INVALID', `a contact must end after it starts (start ${iso(c.start)}, end ${iso(c.end)})`);
    if (c.end <= now) {
      if (dropEnded) continue;
      return err('CONFIG_INVALID', `the contact ${iso(c.start)}–${iso(c.end)} has already ended`);
    }
    if (c.reachableEids.some((e) => e === '')) return err('CONFIG_INVALID', 'an empty reachable EID');
    kept.push(c);
  }
  kept.sort((a, b) => a.start - b.start);
  for (let i = 1; i < kept.length; i++) {
    const a = kept[i - 1] as ContactInput;
    const b = kept[i] as ContactInput;
    if (overlaps(a, b)) return err('CONFIG_INVALID', `contacts ${iso(a.start)}–${iso(a.end)} and ${iso(b.start)}–${iso(b.end)} overlap`);
  }
  return ok(kept);
}

function iso(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : String(ms);
}

function newContact(state: PlanState, node: NodeState, c: ContactInput): ContactState {
  const id = c.id ?? `c${state.nextId++}`;
  const contact: ContactState = {
    id,
    node,
    start: c.start,
    end: c.end,
    rate: c.rateBytesPerSec,
    owltMs: c.owltMs,
    eids: new Set(c.reachableEids.map(routingKeyOf)),
    capacity: contactCapacity(c.start, c.end, c.rateBytesPerSec),
    consumed: 0,
  };
  state.contacts.set(id, contact);
  return contact;
}

function sortContacts(node: NodeState): void {
  node.contacts.sort((a, b) => a.start - b.start);
}

/** Ids given by a plan file must be new (a merge keeps the existing contact's id). */
function checkIds(state: PlanState, contacts: readonly ContactInput[], replacing: NodeState | undefined): Result<void> {
  const seen = new Set<string>();
  for (const c of contacts) {
    if (c.id === undefined) continue;
    const existing = state.contacts.get(c.id);
    if (seen.has(c.id) || (existing !== undefined && existing.node !== replacing)) return err('CONFIG_INVALID', `contact id ${JSON.stringify(c.id)} is already in use`);
    seen.add(c.id);
  }
  return ok(undefined);
}

function checkRoom(state: PlanState, adding: number): Result<void> {
  if (state.contacts.size + adding > LIMITS.contactPlanMaxContacts) {
    return err('LIMIT_EXCEEDED', `the contact plan would hold more than ${LIMITS.contactPlanMaxContacts} contacts`);
  }
  return ok(undefined);
}

function add(state: PlanState, cmd: PlanCommand, nodeId: string, contacts: ContactInput[]): Result<ApplySummary> {
  let node = state.nodes.get(nodeId);
  const ids = checkIds(state, contacts, undefined);
  if (!ids.ok) return ids;
  const room = checkRoom(state, contacts.length);
  if (!room.ok) return room;
  if (node === undefined) {
    if (cmd.claAddress === undefined || cmd.claAddress === '') return err('CONFIG_INVALID', `node ${nodeId} is new and needs a CLA address`);
    node = { nodeId, claAddress: cmd.claAddress, eids: new Set(), contacts: [] };
    state.nodes.set(nodeId, node);
  } else if (cmd.claAddress !== undefined && cmd.claAddress !== '') {
    node.claAddress = cmd.claAddress;
  }
  for (const eid of cmd.reachableEids) node.eids.add(routingKeyOf(eid));

  const added: ContactState[] = [];
  const changed = new Set<ContactState>();
  const removed: Contact[] = [];
  for (const input of contacts) {
    const hits = node.contacts.filter((c) => overlaps(c, input));
    const target = hits[0];
    if (target === undefined) {
      const c = newContact(state, node, input);
      node.contacts.push(c);
      added.push(c);
      continue;
    }
    // merge_contacts, extended to every overlapped contact so that the node's contacts stay disjoint.
    for (const other of hits) {
      target.start = Math.min(target.start, other.start, input.start);
      target.end = Math.max(target.end, other.end, input.end);
      if (other === target) continue;
      for (const e of other.eids) target.eids.add(e);
      target.consumed += other.consumed;
      removed.push(snapshot(other));
      changed.delete(other);
      removeContact(state, other);
    }
    target.start = Math.min(target.start, input.start);
    target.end = Math.max(target.end, input.end);
    for (const e of input.reachableEids) target.eids.add(routingKeyOf(e));
    target.rate = input.rateBytesPerSec;
    target.owltMs = input.owltMs;
    recomputeCapacity(target);
    if (!added.includes(target)) changed.add(target);
  }
  sortContacts(node);
  state.index = undefined;
  return ok({ added: added.map(snapshot), changed: [...changed].map(snapshot), removed });
}

function replace(state: PlanState, cmd: PlanCommand, nodeId: string, contacts: ContactInput[]): Result<ApplySummary> {
  const old = state.nodes.get(nodeId);
  if (old === undefined) return err('NOT_FOUND', `replace: no node ${nodeId} (uD3TN replaces only existing nodes)`);
  if (cmd.claAddress === undefined || cmd.claAddress === '') return err('CONFIG_INVALID', `replace: node ${nodeId} needs a CLA address`);
  const ids = checkIds(state, contacts, old);
  if (!ids.ok) return ids;
  const room = checkRoom(state, contacts.length - old.contacts.length);
  if (!room.ok) return room;
  const removed = old.contacts.map(snapshot);
  for (const c of [...old.contacts]) removeContact(state, c);
  const node: NodeState = { nodeId, claAddress: cmd.claAddress, eids: new Set(cmd.reachableEids.map(routingKeyOf)), contacts: [] };
  state.nodes.set(nodeId, node);
  const added = contacts.map((c) => newContact(state, node, c));
  node.contacts = added;
  sortContacts(node);
  state.index = undefined;
  return ok({ added: added.map(snapshot), changed: [], removed });
}

function remove(state: PlanState, cmd: PlanCommand, nodeId: string, contacts: ContactInput[]): Result<ApplySummary> {
  const node = state.nodes.get(nodeId);
  if (node === undefined) return err('NOT_FOUND', `delete: no node ${nodeId}`);
  state.index = undefined;
  if (cmd.reachableEids.length === 0 && cmd.contacts.length === 0) {
    const removed = node.contacts.map(snapshot);
    for (const c of [...node.contacts]) removeContact(state, c);
    state.nodes.delete(nodeId);
    return ok({ added: [], changed: [], removed });
  }
  for (const eid of cmd.reachableEids) node.eids.delete(routingKeyOf(eid));
  const changed: ContactState[] = [];
  const removed: Contact[] = [];
  for (const input of contacts) {
    const match = node.contacts.find((c) => c.start === input.start && c.end === input.end);
    if (match === undefined) continue;
    if (input.reachableEids.length === 0) {
      removed.push(snapshot(match));
      removeContact(state, match);
    } else {
      for (const e of input.reachableEids) match.eids.delete(routingKeyOf(e));
      changed.push(match);
    }
  }
  return ok({ added: [], changed: changed.filter((c) => state.contacts.has(c.id)).map(snapshot), removed });
}

/** Apply one command; on error nothing changed. */
export function applyPlanCommand(state: PlanState, cmd: PlanCommand, now: number, opts: ApplyOptions = {}): Result<ApplySummary> {
  if (cmd.command === 'query') return err('UNSUPPORTED', 'the query command is not implemented (uD3TN v0.13 does not implement it either)');
  const nodeId = nodeIdOf(cmd.nodeId);
  if (nodeId === undefined) return err('CONFIG_INVALID', `${JSON.stringify(cmd.nodeId)} is not a node EID (dtn://node/ or ipn:N.0)`);
  // A delete names contacts by their times: the "already ended" check of node_prepare_and_verify still applies.
  const checked = checkContacts(cmd.contacts, now, opts.dropEnded ?? false);
  if (!checked.ok) return checked;
  switch (cmd.command) {
    case 'add':
      return add(state, cmd, nodeId, checked.value);
    case 'replace':
      return replace(state, cmd, nodeId, checked.value);
    case 'delete':
      return remove(state, cmd, nodeId, checked.value);
  }
}
