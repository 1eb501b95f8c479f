/**
 * The payload of `farside contact add` (issue 3): one ADD command with one contact, in the form uD3TN's
 * aap_config.py writes, e.g. "1(dtn://mars.dtn/):(mtcp:127.0.0.1:4224)::[{848946030,849032430,1000000000}];".
 * It is sent as its own bundle: uD3TN v0.13 applies only the first command of a payload (syntax.ts).
 */
import { err, ok } from '../../errors';
import type { Result } from '../../errors';
import { encodeConfig } from './encode';
import type { ConfigCommand } from './types';

export interface ContactAddOptions {
  /** The peer node, e.g. "dtn://mars.dtn/" or "ipn:2.0". */
  readonly nodeId: string;
  /** "<cla>:<host>:<port>", e.g. "mtcp:127.0.0.1:4224". */
  readonly claAddress: string;
  /** DTN seconds (dtn-seconds.ts converts from Unix ms). */
  readonly start: number;
  /** DTN seconds. */
  readonly end: number;
  /** Bytes per second; duration × rate ≥ INT32_MAX counts as unlimited in uD3TN (node.c recalculate_contact_capacity). */
  readonly rate: number;
  /** EIDs reachable during this contact only. */
  readonly reachableEids?: readonly string[];
}

export function contactAddCommand(o: ContactAddOptions): ConfigCommand {
  return {
    command: 'add',
    nodeId: o.nodeId,
    claAddress: o.claAddress,
    reachableEids: [],
    contacts: [{ start: o.start, end: o.end, rate: o.rate, reachableEids: o.reachableEids ?? [] }],
  };
}

/** Encoded ADD command; INVALID_ARGUMENT for values the format cannot carry or a contact that ends before it starts. */
export function contactAddPayload(o: ContactAddOptions): Result<Uint8Array> {
  if (o.claAddress === '') return err('INVALID_ARGUMENT', 'a contact needs a CLA address (uD3TN creates no node without one)');
  if (!(o.end > o.start)) return err('INVALID_ARGUMENT', `the contact must end after it starts (start ${o.start}, end ${o.end})`);
  return encodeConfig([contactAddCommand(o)]);
}

/**
 * The config agent's EID on a node (protocols.md §7.1): "dtn://<node>/config" or "ipn:<node>.9000".
 * `nodeId` is the node's ID ("dtn://mars.dtn/" or "ipn:2.0"); anything else is INVALID_EID.
 */
export function configAgentEid(nodeId: string): Result<string> {
  const dtn = /^dtn:\/\/([^/~]+)\/?$/.exec(nodeId);
  if (dtn) return ok(`dtn://${dtn[1]}/config`);
  const ipn = /^ipn:(\d+(?:\.\d+)?)\.0$/.exec(nodeId);
  if (ipn) return ok(`ipn:${ipn[1]}.9000`);
  return err('INVALID_EID', `${JSON.stringify(nodeId)} is not a node ID such as dtn://node/ or ipn:N.0`);
}
