/**
 * The header fields the inbound gateway prepends to each message it replays into the site MTA, built once
 * at intake and stored with the delivery (store/gateway-store.ts), so that every replay of a transaction —
 * a retry, or a repeat after a crash in SMTP's hand-off window (RFC 1047) — carries byte-identical text:
 *
 *   Received: from earth.dtn (dtn://earth.dtn/email) by gw.mars.example
 *    (dtn://mars.dtn/email) with BSMTP id 3f2a9c1e7b5d4a60b1c2; Wed, 25 Nov 2026
 *    19:55:08 +0000
 *   X-Farside-Transaction: dtn://earth.dtn/email 848946031000 7/0
 *
 * - Received (RFC 5321 §4.4): the gateway relays from BP to SMTP, and a relay MUST prepend one. From-domain
 *   is the source node's name when it is a Domain (else "unknown", as Postfix writes for a client without
 *   a name), By-domain the gateway's host name; each followed by its EID as a comment (the grammar's CFWS
 *   before BY and WITH). `with` names the payload form; `id` is an Atom derived from the transaction key;
 *   the date is the intake time. No FOR clause: it would disclose Bcc recipients.
 * - X-Farside-Transaction: the transaction's key, unique and the same for every replay: the ADU's received
 *   key (the bundle ID, or source + payload digest over AAP v1; gateway.ts receivedKey) and the index of
 *   the transaction in its object. A mailbox's delivery agent can discard a second copy by it (RFC 7352
 *   `duplicate :header`, mailbox-dedupe.ts). Message-ID is no such key: two messages may share one.
 *
 * Both are printable ASCII (anything else, and "%", percent-encoded, so distinct keys stay distinct) and
 * folded (RFC 5322 §2.2.3: a CRLF inserted before a space, so unfolding gives the exact value back) to 78
 * characters a line where a token allows; tokens are bounded by LIMITS.gatewayTraceTokenMaxChars. Only
 * prepended, never changing a byte of the message: DKIM signatures stay valid (RFC 6376 §5.4 signs
 * existing fields, and receivers are expected to see trace fields added above them).
 */
import { createHash } from 'node:crypto';
import { formatRfc5322Date } from '../../shared/mail/date';
import { LIMITS } from '../../shared/protocol/limits';

export const TRANSACTION_FIELD = 'X-Farside-Transaction';

/** RFC 5322 §2.1.1: a line SHOULD be at most 78 characters, excluding the CRLF. */
const LINE = 78;
const DOMAIN = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

export interface TraceInput {
  /** The ADU's received key (gateway.ts receivedKey). */
  readonly bundleKey: string;
  /** The transaction's position in its object, from 0 (a postmaster notice, which has none, is 0). */
  readonly index: number;
  /** The bundle's source EID. */
  readonly source: string;
  /** The gateway's own endpoint the bundle came to, when known. */
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

/** Printable ASCII: `keep` decides which printable characters stay; every other byte (UTF-8) becomes %XX. */
function printable(text: string, keep: (c: string) => boolean): string {
  let out = '';
  for (const c of text) {
    const code = c.codePointAt(0) ?? 0;
    if (code > 0x20 && code < 0x7f && keep(c)) out += c;
    else for (const b of utf8.encode(c)) out += hex(b);
  }
  return out;
}

/** A comment's text (RFC 5322 §3.2.2 ctext, with "(", ")" and "\" as quoted-pairs), cut at the limit. */
function comment(text: string): string {
  const cut = text.length > LIMITS.gatewayTraceTokenMaxChars ? `${text.slice(0, LIMITS.gatewayTraceTokenMaxChars)}...` : text;
  return `(${printable(cut, () => true).replace(/[()\\]/g, '\\$&')})`;
}

/** The source node's name as From-domain: dtn://NAME/… when NAME is an RFC 5321 Domain. */
function nodeDomain(eid: string): string {
  const name = /^dtn:\/\/([^/]*)/.exec(eid)?.[1];
  return name !== undefined && DOMAIN.test(name) ? name : 'unknown';
}

/** The key of transaction `index` of the ADU `bundleKey` as the header carries it, unique and bounded. */
export function transactionKey(bundleKey: string, index: number): string {
  // spaces are the bundle key's own separators (bundleIdText); "%" is encoded, so the mapping is one to one
  const key = bundleKey
    .split(' ')
    .map((part) => printable(part, (c) => c !== '%'))
    .join(' ');
  const bounded = key.length > LIMITS.gatewayTraceTokenMaxChars ? `sha256:${createHash('sha256').update(bundleKey).digest('hex')}` : key;
  return `${bounded}/${index}`;
}

/** "Name: " and the tokens, joined by spaces, a CRLF inserted before a space wherever a line would pass LINE. */
function field(name: string, tokens: readonly string[]): string {
  let out = `${name}:`;
  let line = out.length;
  for (const t of tokens) {
    if (line + 1 + t.length > LINE && line > name.length + 1 && t.length > 0) {
      out += '\r\n';
      line = 0;
    }
    out += ` ${t}`;
    line += 1 + t.length;
  }
  return `${out}\r\n`;
}

/** The Received and X-Farside-Transaction fields, CRLF-terminated, to put before the message. */
export function traceFields(t: TraceInput): string {
  const key = transactionKey(t.bundleKey, t.index);
  const id = createHash('sha256').update(key).digest('hex').slice(0, 20);
  const received = [
    'from',
    nodeDomain(t.source),
    comment(t.source),
    'by',
    t.hostname,
    ...(t.destination === null ? [] : [comment(t.destination)]),
    'with',
    t.form === 'bsmtp' ? 'BSMTP' : 'RFC5322',
    'id',
    `${id};`,
    ...formatRfc5322Date(t.receivedAt).split(' '),
  ];
  return field('Received', received) + field(TRANSACTION_FIELD, key.split(' '));
}

/** The X-Farside-Transaction field alone: for the postmaster notice, a message the gateway writes itself. */
export function transactionField(bundleKey: string, index: number): string {
  return field(TRANSACTION_FIELD, transactionKey(bundleKey, index).split(' '));
}
