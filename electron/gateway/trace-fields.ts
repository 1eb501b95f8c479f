/**
 * The trace header fields the gateway writes. Each is built once, when the gateway takes the message, and
 * stored with it, so that every later send — a retry, or a repeat after a crash in SMTP's hand-off window
 * (RFC 1047) — carries byte-identical text.
 *
 * Inbound (BP → SMTP), prepended to each message the gateway replays into the site MTA and stored with the
 * delivery (store/gateway-store.ts):
 *
 *   Received: from earth.dtn (dtn://earth.dtn/email) by gw.mars.example
 *    (dtn://mars.dtn/email) with BSMTP id 3f2a9c1e7b5d4a60b1c2; Wed, 25 Nov 2026
 *    19:55:08 +0000
 *   X-Farside-Transaction: 9c0f5e2a7d41b38e6a0c1d2e3f405162
 *
 * - Received (RFC 5321 §4.4): the gateway relays from BP to SMTP, and a relay MUST prepend one. From-domain
 *   is the source node's name when it is a Domain (else "unknown", as Postfix writes for a client without
 *   a name), By-domain the gateway's host name; each followed by its EID as a comment (the grammar's CFWS
 *   before BY and WITH). `with` names the payload form; `id` is an Atom, the SHA-256 of the transaction's
 *   name (below), cut to 80 bits; the date is the intake time. No FOR clause: it would disclose Bcc
 *   recipients.
 * - X-Farside-Transaction: a tag of the transaction, unique and the same for every replay, by which a
 *   mailbox's delivery agent can discard a second copy (RFC 7352 `duplicate :header`, mailbox-dedupe.ts;
 *   Message-ID is no such key: two messages may share one). The transaction's name is the ADU's received
 *   key (the bundle ID, or source + payload digest over AAP v1; gateway.ts receivedKey), "/" and its index
 *   in the object; the tag is HMAC-SHA-256 (RFC 2104) of that name under the gateway's own 32-byte secret
 *   (store/gateway-store.ts transactionSecret, kept in its SQLite store across restarts), cut to 128 bits
 *   as lower-case hex. The name itself is guessable — a bundle ID is a source, a clock and a counter — so
 *   a sender who can mail the user by another path could otherwise send a future transaction's value
 *   first and have the real message discarded; without the secret the tag cannot be predicted (2^-128 per
 *   guess). It carries no EID or other readable part of the name.
 *
 * Outbound (SMTP → BP), prepended by the outbound listener to each message the site MTA relays to it, and
 * stored inside the queued BSMTP object (outbound-listener.ts):
 *
 *   Received: from mta.earth.example ([127.0.0.1]) by gw.earth.example
 *    (dtn://earth.dtn/email) with ESMTP id 0abc1def2ghi3jkl-1; Wed, 25 Nov 2026
 *    19:55:08 +0000
 *
 * - From-domain is the client's EHLO/HELO argument when it is a Domain or an address literal (else
 *   "unknown"), with the client's address as TCP-info; By-domain the gateway's host name with its own
 *   endpoint as a comment when the node has registered it; `with` ESMTP or SMTP (RFC 3848, after EHLO or
 *   HELO); `id` names the acceptance (the listener's session and transaction, as in its log); the date is
 *   when the message was accepted. No FOR clause (RFC 5321 §4.4 makes it optional): with several
 *   recipients it would disclose the Bcc ones to all. With exactly one it would be harmless (only that
 *   recipient gets this copy) but says nothing the envelope does not carry; leaving it out keeps one form,
 *   and one length bound, for every message.
 *   relayReceivedMaxChars bounds the field's length: the listener subtracts it from every size limit, so
 *   the message as carried never exceeds its route's limit.
 *
 * All fields are printable ASCII (anything else in an EID percent-encoded) and folded (RFC 5322 §2.2.3: a
 * CRLF inserted before a space, so unfolding gives the exact value back) to 78 characters a line where a
 * token allows; an EID in a comment is cut to LIMITS.gatewayTraceTokenMaxChars characters as written. Only
 * prepended, never changing a byte of the message: DKIM signatures stay valid (RFC 6376 §5.4 signs
 * existing fields, and receivers are expected to see trace fields added above them).
 */
import { createHash, createHmac } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { formatRfc5322Date } from '../../shared/mail/date';
import { formatField } from '../../shared/mail/header-fields';
import { isDomain } from '../../shared/protocol/bsmtp/grammar';
import { LIMITS } from '../../shared/protocol/limits';

export const TRANSACTION_FIELD = 'X-Farside-Transaction';


export interface TraceInput {
  /** The gateway's X-Farside-Transaction key (store transactionSecret). */
  readonly secret: Uint8Array;
  /** The ADU's received key (gateway.ts receivedKey). */
  readonly bundleKey: string;
  /** The transaction's position in its object, from 0 (a postmaster notice, which has none, is 0). */
  readonly index: number;
  /** The bundle's source EID. */
  readonly source: string;
  /** The gateway's own endpoint the bundle came to, when known ('' counts as unknown). */
  readonly destination: string | null;
  /** The gateway's host name (By-domain). */
  readonly hostname: string;
  /** The payload form: 'bsmtp' → "with BSMTP", 'rfc5322' (draft -00) → "with RFC5322". */
  readonly form: 'bsmtp' | 'rfc5322';
  /** Intake time, Unix ms. */
  readonly receivedAt: number;
}

const utf8 = new TextEncoder();
const hex = (b: number): string => `%${b.toString(16).toUpperCase().padStart(2, '0')}`;

/** Printable ASCII: every other byte (UTF-8) becomes %XX. */
function printable(text: string): string {
  let out = '';
  for (const c of text) {
    const code = c.codePointAt(0) ?? 0;
    if (code > 0x20 && code < 0x7f) out += c;
    else for (const b of utf8.encode(c)) out += hex(b);
  }
  return out;
}

/**
 * A comment (RFC 5322 §3.2.2): the text made printable, "(", ")" and "\" written as quoted-pairs, and cut
 * after the last whole character that keeps the written text within LIMITS.gatewayTraceTokenMaxChars, "..."
 * marking the cut. The written text is what is cut, not the input: one character can take 12 (four UTF-8
 * bytes as %XX), and cutting whole characters never splits a %XX or a quoted-pair.
 */
function comment(text: string): string {
  let out = '';
  for (const c of text) {
    const written = printable(c).replace(/[()\\]/g, '\\$&');
    if (out.length + written.length > LIMITS.gatewayTraceTokenMaxChars) return `(${out}...)`;
    out += written;
  }
  return `(${out})`;
}

/** An EID as a comment token, or none when there is no EID: null, or '' (the AAP v1 driver's endpoint when the node gave none). */
const eidComment = (eid: string | null): string[] => (eid === null || eid === '' ? [] : [comment(eid)]);

/** The source node's name as From-domain: dtn://NAME/… when NAME is an RFC 5321 Domain. */
function nodeDomain(eid: string): string {
  const name = /^dtn:\/\/([^/]*)/.exec(eid)?.[1];
  return name !== undefined && isDomain(name) ? name : 'unknown';
}

/** The transaction's name: the index is a decimal number after the last "/", so distinct pairs give distinct names. */
const transactionName = (bundleKey: string, index: number): string => `${bundleKey}/${index}`;

/** Bytes of the HMAC kept: 128 bits, beyond guessing and beyond a chance collision of two transactions. */
const TAG_BYTES = 16;

/** The X-Farside-Transaction value of transaction `index` of the ADU `bundleKey`: HMAC-SHA-256 under `secret`, 128 bits in hex. */
export function transactionTag(secret: Uint8Array, bundleKey: string, index: number): string {
  return createHmac('sha256', secret).update(transactionName(bundleKey, index)).digest().subarray(0, TAG_BYTES).toString('hex');
}

/** "Name: " and the tokens, joined by spaces and folded to 78 characters a line (formatField), CRLF-terminated. */
function field(name: string, tokens: readonly string[]): string {
  const folded = formatField(name, tokens.join(' '));
  // every token is bounded (a Domain by 253, a comment by gatewayTraceTokenMaxChars), so no line nears 998
  if (folded === null) throw new Error(`${name} field has a token longer than a line may be`);
  return `${folded}\r\n`;
}

/** The Received and X-Farside-Transaction fields, CRLF-terminated, to put before the message. */
export function traceFields(t: TraceInput): string {
  const id = createHash('sha256').update(transactionName(t.bundleKey, t.index)).digest('hex').slice(0, 20);
  const received = [
    'from',
    nodeDomain(t.source),
    ...eidComment(t.source),
    'by',
    t.hostname,
    ...eidComment(t.destination),
    'with',
    t.form === 'bsmtp' ? 'BSMTP' : 'RFC5322',
    'id',
    `${id};`,
    ...formatRfc5322Date(t.receivedAt).split(' '),
  ];
  return field('Received', received) + transactionField(t.secret, t.bundleKey, t.index);
}

/** The X-Farside-Transaction field alone: also for the postmaster notice, a message the gateway writes itself. */
export function transactionField(secret: Uint8Array, bundleKey: string, index: number): string {
  return field(TRANSACTION_FIELD, [transactionTag(secret, bundleKey, index)]);
}

export interface RelayTraceInput {
  /** The client's EHLO or HELO argument. */
  readonly helo: string;
  /** The client's IP address (an IPv4-mapped IPv6 address already in its IPv4 form). */
  readonly peer: string;
  /** The gateway's host name (By-domain). */
  readonly hostname: string;
  /** The gateway's own endpoint (its registered mail agent), or null while the node has given none. */
  readonly endpoint: string | null;
  /** RFC 3848: ESMTP after EHLO, SMTP after HELO. */
  readonly protocol: 'ESMTP' | 'SMTP';
  /** What names the acceptance in the log: letters, digits and "-", at most ID_MAX characters (else it is digested). */
  readonly id: string;
  /** When the message was accepted, Unix ms. */
  readonly receivedAt: number;
}

/** RFC 5321 §4.1.2 Domain, at most 253 characters (RFC 1035 §2.3.4). */
const DOMAIN_MAX = 253;
/** "[IPv6:" + the longest IPv6 text (45, RFC 4291 §2.2 form 3) + "]". */
const LITERAL_MAX = 52;
const ID = /^[A-Za-z0-9-]{1,64}$/;
const ID_MAX = 64;
/** formatRfc5322Date's tokens at their longest (a six-digit year is the most a JS Date holds): "Wed," "25" "Nov" "275760" "19:55:08" "+0000". */
const DATE_TOKENS_MAX = [4, 2, 3, 6, 8, 5];

/** RFC 5321 §4.1.3 address-literal of an IP address, or null for anything else. */
function addressLiteral(ip: string): string | null {
  // a zone ("%eth0") is local to this host and has no place in an address literal
  const bare = ip.split('%')[0] ?? '';
  if (isIPv4(bare)) return `[${bare}]`;
  return isIPv6(bare) ? `[IPv6:${bare}]` : null;
}

/** The client's EHLO argument as From's Extended-Domain: a Domain or an address literal, else "unknown". */
function heloDomain(helo: string): string {
  if (isDomain(helo)) return helo;
  const inner = /^\[(?:IPv6:)?([^\]]*)\]$/i.exec(helo)?.[1];
  // the ABNF's "IPv6:" tag is case-insensitive (RFC 5234 §2.3); smtp-server lower-cases the argument
  return inner !== undefined && addressLiteral(inner)?.toLowerCase() === helo.toLowerCase() ? helo : 'unknown';
}

/** The Received field the outbound listener prepends to a message it accepted (see the file comment), CRLF-terminated. */
export function relayReceivedField(t: RelayTraceInput): string {
  const peer = addressLiteral(t.peer);
  const id = ID.test(t.id) ? t.id : createHash('sha256').update(t.id).digest('hex').slice(0, 20);
  return field('Received', [
    'from',
    heloDomain(t.helo),
    ...(peer === null ? [] : [`(${peer})`]),
    'by',
    t.hostname,
    ...eidComment(t.endpoint),
    'with',
    t.protocol,
    'id',
    `${id};`,
    ...formatRfc5322Date(t.receivedAt).split(' '),
  ]);
}

/**
 * The most characters relayReceivedField writes for `hostname`, whatever the client, endpoint, id and date:
 * each token at its longest, and each preceded by a CRLF and a space (a fold) rather than a space alone.
 */
export function relayReceivedMaxChars(hostname: string): number {
  // comment(): the written text cut at gatewayTraceTokenMaxChars, "..." and "()"
  const commentMax = LIMITS.gatewayTraceTokenMaxChars + 3 + 2;
  const tokens = [4, DOMAIN_MAX, LITERAL_MAX + 2, 2, hostname.length, commentMax, 4, 5, 2, ID_MAX + 1, ...DATE_TOKENS_MAX];
  return 'Received:'.length + tokens.reduce((sum, t) => sum + 3 + t, 0) + 2;
}
