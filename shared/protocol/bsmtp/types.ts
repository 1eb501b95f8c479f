/**
 * Batch SMTP (RFC 2442) data model: what the decoder returns and what the encoder takes.
 *
 * RFC 2442 carries the client half of an RFC 5321 ESMTP dialogue, so an envelope is exactly what MAIL FROM
 * and RCPT TO carry. Decoded envelopes keep every ESMTP parameter as written (design.md principle 5: carry
 * what you don't understand); the encoder takes typed options for the parameters RFC 2442 obliges a
 * processor to accept (8BITMIME, SIZE and DSN "NOTARY", RFC 2442 processing list) plus any other
 * parameters verbatim.
 */

/** ESMTP parameters of one command: keyword upper-cased → value as written, null when it has none. */
export type EsmtpParams = Record<string, string | null>;

export interface Recipient {
  /** The forward-path without angle brackets (RFC 5321 §4.1.2). */
  readonly address: string;
  readonly params: EsmtpParams;
}

export interface Envelope {
  /** The reverse-path without angle brackets; "" is the null reverse-path `<>` (RFC 5321 §4.5.5). */
  readonly mailFrom: string;
  readonly mailParams: EsmtpParams;
  /** One entry per RCPT TO, in stream order. May be empty: RFC 2442 makes a processor accept DATA anyway. */
  readonly rcptTo: readonly Recipient[];
}

export interface Transaction {
  readonly envelope: Envelope;
  /**
   * The message after dot-unstuffing, its final CRLF included (RFC 5321 §4.1.1.4: the CRLF before the
   * terminating "." belongs to the last line). A view into the decoded input when no line was stuffed.
   */
  readonly message: Uint8Array;
}

export interface DecodedBsmtp {
  /** The EHLO/HELO argument, or null when the stream starts directly with MAIL. */
  readonly ehlo: string | null;
  readonly transactions: readonly Transaction[];
}

// ---- Encoder input ----

/**
 * RFC 6152 (8BITMIME) body types. BINARYMIME (RFC 3030) is left out on purpose: it requires BDAT, and
 * BDAT cannot appear in a Batch SMTP object (RFC 2442 carries DATA only), so no BSMTP object can carry it.
 */
export type BodyType = '7BIT' | '8BITMIME';

/** RFC 3461 §4.3 RET: return the full message or only its headers in a failure DSN. */
export type DsnReturn = 'FULL' | 'HDRS';

/** RFC 3461 §4.1 NOTIFY conditions; NEVER stands alone. */
export type DsnCondition = 'SUCCESS' | 'FAILURE' | 'DELAY';
export type DsnNotify = 'NEVER' | readonly DsnCondition[];

export interface EncodeRecipient {
  /** Forward-path without angle brackets. Every envelope recipient, Bcc included. */
  readonly address: string;
  /** RFC 3461 §4.1; written in the order SUCCESS, FAILURE, DELAY. */
  readonly notify?: DsnNotify;
  /** RFC 3461 §4.2 original recipient, an RFC 822 address in plain text; written `ORCPT=rfc822;<xtext>`. */
  readonly orcpt?: string;
  /** Further ESMTP parameters written verbatim after the typed ones (keyword → value, null for none). */
  readonly extraParams?: Readonly<EsmtpParams>;
}

export interface EncodeEnvelope {
  /** Reverse-path without angle brackets; "" writes the null reverse-path `<>`. */
  readonly mailFrom: string;
  /** RFC 6152 BODY parameter. */
  readonly body?: BodyType;
  /**
   * RFC 1870 SIZE. 'auto' writes the exact message size as RFC 1870 §4 defines it: the octets sent after
   * DATA with CRLF line ends and the final CRLF, without the stuffing dots and without the `.` CRLF
   * terminator (which equals the length of the decoded message). A number is written as given.
   */
  readonly size?: number | 'auto';
  /** RFC 3461 §4.3 RET. */
  readonly ret?: DsnReturn;
  /** RFC 3461 §4.4 envelope identifier in plain text (printable US-ASCII); written as xtext. */
  readonly envid?: string;
  /** Further MAIL FROM parameters written verbatim after the typed ones. */
  readonly extraParams?: Readonly<EsmtpParams>;
  readonly rcptTo: readonly EncodeRecipient[];
}

export interface EncodeTransaction {
  readonly envelope: EncodeEnvelope;
  /** An RFC 5322 message; any line ends (CRLF, bare CR, bare LF), not yet dot-stuffed. */
  readonly message: Uint8Array;
}

export interface EncodeInput {
  /** The EHLO argument: the generating gateway's domain or address literal. */
  readonly ehlo: string;
  readonly transactions: readonly EncodeTransaction[];
}
