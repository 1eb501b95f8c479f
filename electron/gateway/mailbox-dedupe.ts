/**
 * What a site's mailbox does with the X-Farside-Transaction field (trace-fields.ts) to close SMTP's
 * hand-off window (RFC 1047) at the mailbox: a global Sieve script, run before the user's own, that
 * discards a second copy of a transaction (RFC 7352 `duplicate`, Dovecot Pigeonhole's implementation).
 * docs/gateway-exactly-once.md shows it to site admins; the test and demo mail stacks install it
 * (test-support/mailstack/dovecot.ts).
 *
 * The period: a repeat reaches the mailbox at most the gateway's downtime plus the MTA's queueing of the
 * repeat later than the first copy; 30 days covers every outage the gateway itself tolerates (it gives up
 * after 5 days, and remembers received bundles for 30, inbound-processor.ts dedupeWindowMs). Pigeonhole
 * caps :seconds at sieve_duplicate_max_period (2 days by default), so the Dovecot configuration raises
 * that cap with it. Each transaction costs one entry of the user's duplicate database for that long.
 */
import { TRANSACTION_FIELD } from './trace-fields';

/** How long a transaction's tag is remembered (see the period above). */
const MAILBOX_DEDUPE_SECONDS = 30 * 86_400;

/** The Sieve script (RFC 5228, RFC 7352): a repeat of a transaction is discarded, nothing else is touched. */
export const MAILBOX_DEDUPE_SIEVE = `require ["duplicate"];
# Farside mail gateway: a transaction the gateway handed to the MTA again after a crash between the
# MTA's 250 and its own commit (RFC 1047) arrives with the same ${TRANSACTION_FIELD} field.
# A message without the field is never taken for a duplicate.
if duplicate :header "${TRANSACTION_FIELD}" :seconds ${MAILBOX_DEDUPE_SECONDS} {
  discard;
  stop;
}
`;

/** The Pigeonhole settings for Dovecot's plugin {} section, with the script at `scriptPath` (sieve_before). */
export function pigeonholeSettings(scriptPath: string): Readonly<Record<string, string>> {
  return {
    sieve_before: scriptPath,
    sieve_duplicate_max_period: `${MAILBOX_DEDUPE_SECONDS}s`,
  };
}
