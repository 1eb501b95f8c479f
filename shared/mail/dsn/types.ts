/**
 * Delivery status notifications (RFC 3464): the machine-readable report of a multipart/report message
 * with report-type=delivery-status. One per-message group, then one group per recipient (§2.1).
 * The same shapes are what buildDsn writes and what parseDsn reads back.
 */

/** RFC 3464 §2.3.3. */
export type DsnAction = 'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded';

export const DSN_ACTIONS: readonly DsnAction[] = ['failed', 'delayed', 'delivered', 'relayed', 'expanded'];

/** A typed value such as "rfc822; bob@mars.example", "dns; mta.mars.example" or "smtp; 550 5.1.1 …". */
export interface TypedValue {
  /** address-type, mta-name-type or diagnostic-type (an atom, case-insensitive; returned lower case). */
  readonly type: string;
  readonly value: string;
}

/** Per-recipient fields (RFC 3464 §2.3). */
export interface DsnRecipientFields {
  /** §2.3.1, from the RCPT's ORCPT parameter; absent when the sender gave none. */
  readonly originalRecipient?: TypedValue;
  /** §2.3.2 (required). */
  readonly finalRecipient: TypedValue;
  /** §2.3.3 (required). */
  readonly action: DsnAction;
  /** §2.3.4 (required): an RFC 3463 status code, class.subject.detail. */
  readonly status: string;
  /** §2.3.5 */
  readonly remoteMta?: TypedValue;
  /** §2.3.6 */
  readonly diagnosticCode?: TypedValue;
  /** §2.3.7, an RFC 5322 date-time. */
  readonly lastAttemptDate?: string;
  /** §2.3.9, for action "delayed". */
  readonly willRetryUntil?: string;
}

/** Per-message fields (RFC 3464 §2.2) and the recipients. */
export interface DsnFields {
  /** §2.2.2 (required): the MTA that attempted the delivery and reports it. */
  readonly reportingMta: TypedValue;
  /** §2.2.1: the ENVID of the reported transaction (xtext-decoded, RFC 3461 §6.3). */
  readonly originalEnvelopeId?: string;
  /** §2.2.3: present when a gateway translated a foreign notification. */
  readonly dsnGateway?: TypedValue;
  /** §2.2.4 */
  readonly receivedFromMta?: TypedValue;
  /** §2.2.5, an RFC 5322 date-time. */
  readonly arrivalDate?: string;
  readonly recipients: readonly DsnRecipientFields[];
}
