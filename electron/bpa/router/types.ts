/**
 * The router's view of the contact plan (issue 3: "Router and contact plan"). Times are Unix
 * milliseconds; the BPA passes `now` into every call (no timers here) and schedules one timer from
 * `nextEvent`.
 */

/** One scheduled contact with a peer node, as the BPA and the UI see it. */
export interface Contact {
  /** Stable for the contact's life; assigned by the router ("c1", "c2", …) unless a plan file names it. */
  readonly id: string;
  /** The peer's node ID, e.g. "dtn://mars.dtn/" or "ipn:2.0". */
  readonly peerNodeId: string;
  /** "<cla>:<host>:<port>", e.g. "mtcp:127.0.0.1:4224"; the node's address (shared by its contacts). */
  readonly claAddress: string;
  /** Unix ms. */
  readonly start: number;
  /** Unix ms, exclusive. */
  readonly end: number;
  /** Expected data rate, bytes per second. */
  readonly rateBytesPerSec: number;
  /** One-way light time: a bundle sent at t arrives at t + owltMs. */
  readonly owltMs: number;
  /** EIDs reachable during this contact only (node IDs or exact EIDs, see routing-key.ts). */
  readonly reachableEids: readonly string[];
}

/** A contact as given to the router: by a config command (DTN seconds converted) or a plan file. */
export interface ContactInput {
  readonly id?: string;
  readonly start: number;
  readonly end: number;
  readonly rateBytesPerSec: number;
  readonly owltMs: number;
  readonly reachableEids: readonly string[];
}

/** uD3TN's router command (ConfigCommand) with times in Unix ms and OWLT added. */
export interface PlanCommand {
  readonly command: 'add' | 'replace' | 'delete' | 'query';
  readonly nodeId: string;
  readonly claAddress?: string;
  readonly reachableEids: readonly string[];
  readonly contacts: readonly ContactInput[];
}

/** What a command changed: the BPA reschedules bundles it had assigned to removed or changed contacts. */
export interface ApplySummary {
  readonly added: readonly Contact[];
  /** Contacts merged with an overlapping new one (uD3TN merge_contacts) or with reachable EIDs removed. */
  readonly changed: readonly Contact[];
  readonly removed: readonly Contact[];
}

export interface RouteOptions {
  /** The bundle's expiry (Unix ms): contacts starting at or after it are useless (uD3TN router_calculate_fragment_route). */
  readonly expiresAt?: number;
  /** The bundle must not be fragmented (RFC 9171 §4.2.3 flag 0x04): only a contact with room for all of it will do. */
  readonly mustNotFragment?: boolean;
  /**
   * Smallest useful share of a contact when fragmenting, in bytes (a fragment's headers plus the minimum
   * payload, ud3tn-behaviour.md §9). Contacts with less remaining volume are passed over. Default 1. A
   * function is called only when a contact has less room than the whole bundle (working it out costs).
   */
  readonly minFragmentBytes?: number | (() => number);
}

/**
 * `forward-now`: send over `contact` now; at most `maxBundleBytes` (its remaining volume, Infinity when
 * unlimited) fit, so a bigger bundle is fragmented proactively and the rest routed again.
 * `wait`: the best contact starts at `until` (with `maxBundleBytes` free on it, should the BPA queue the
 * bundle for it and consume now, as uD3TN does). `no-route`: no contact reaches the destination
 * (`unknown-destination`, status report reason 6 "no known route") or none has room before expiry
 * (`no-usable-contact`, reason 5 "no timely contact").
 */
export type RouteDecision =
  | { readonly kind: 'forward-now'; readonly contact: Contact; readonly maxBundleBytes: number }
  | { readonly kind: 'wait'; readonly until: number; readonly contact: Contact; readonly maxBundleBytes: number }
  | { readonly kind: 'no-route'; readonly reason: 'unknown-destination' | 'no-usable-contact' };
