/**
 * Bundle status report reason codes (RFC 9171 §6.1.1; RFC 9172 §11.2 adds 12–16; IANA "Bundle Status
 * Report Reason Codes", protocols.md §3.11). A report may carry any uint here: codes we do not know are
 * kept as numbers and described as unknown, never rejected.
 */

export const StatusReason = {
  NO_ADDITIONAL_INFORMATION: 0,
  LIFETIME_EXPIRED: 1,
  FORWARDED_OVER_UNIDIRECTIONAL_LINK: 2,
  TRANSMISSION_CANCELED: 3,
  DEPLETED_STORAGE: 4,
  DESTINATION_EID_UNAVAILABLE: 5,
  NO_KNOWN_ROUTE: 6,
  NO_TIMELY_CONTACT: 7,
  BLOCK_UNINTELLIGIBLE: 8,
  HOP_LIMIT_EXCEEDED: 9,
  TRAFFIC_PARED: 10,
  BLOCK_UNSUPPORTED: 11,
  MISSING_SECURITY_OPERATION: 12,
  UNKNOWN_SECURITY_OPERATION: 13,
  UNEXPECTED_SECURITY_OPERATION: 14,
  FAILED_SECURITY_OPERATION: 15,
  CONFLICTING_SECURITY_OPERATION: 16,
  RESERVED: 255,
} as const;

export interface StatusReasonInfo {
  readonly code: number;
  /** The registry's name for the code. */
  readonly name: string;
  /** What it means for a person reading a message timeline. */
  readonly text: string;
}

const REASONS: readonly StatusReasonInfo[] = [
  { code: 0, name: 'No additional information', text: 'no further detail was given' },
  { code: 1, name: 'Lifetime expired', text: 'the bundle ran out of lifetime before it got further' },
  { code: 2, name: 'Forwarded over unidirectional link', text: 'it was sent over a one-way link, so no later report can come back' },
  { code: 3, name: 'Transmission canceled', text: 'sending it was canceled' },
  { code: 4, name: 'Depleted storage', text: 'the node ran out of storage for it' },
  // uD3TN names code 5 "destination EID unintelligible" (protocols.md §3.11).
  { code: 5, name: 'Destination endpoint ID unavailable', text: 'the destination address could not be used' },
  { code: 6, name: 'No known route to destination from here', text: 'the node knows no route towards the destination' },
  { code: 7, name: 'No timely contact with next node on route', text: 'no contact with the next node comes soon enough' },
  { code: 8, name: 'Block unintelligible', text: 'a part of the bundle could not be understood' },
  { code: 9, name: 'Hop limit exceeded', text: 'it passed through more nodes than its hop limit allows' },
  { code: 10, name: 'Traffic pared', text: 'the node dropped it to shed load' },
  { code: 11, name: 'Block unsupported', text: 'a part of the bundle is of a kind the node does not support' },
  { code: 12, name: 'Missing security operation', text: 'a required security protection was missing' },
  { code: 13, name: 'Unknown security operation', text: 'it used a security protection the node does not know' },
  { code: 14, name: 'Unexpected security operation', text: 'it carried a security protection the node did not expect' },
  { code: 15, name: 'Failed security operation', text: 'a security check on it failed' },
  { code: 16, name: 'Conflicting security operation', text: 'its security protections conflict with each other' },
  { code: 255, name: 'Reserved', text: 'a reserved reason code was given' },
];

const BY_CODE: ReadonlyMap<number, StatusReasonInfo> = new Map(REASONS.map((r) => [r.code, r]));

/** Name and plain-language text of a reason code; codes outside the registry get a generic description. */
export function describeStatusReason(code: number): StatusReasonInfo {
  return BY_CODE.get(code) ?? { code, name: `Unassigned (${code})`, text: `an unknown reason code (${code}) was given` };
}

/** True for the codes the registry assigns (0–16) or reserves (255). */
export function isKnownStatusReason(code: number): boolean {
  return BY_CODE.has(code);
}
