/**
 * Reading a mail stack's logs (mailstack.ts `logs`) for tests that count what Postfix handed to LMTP and
 * what Dovecot's Sieve discarded (mailbox-dedupe.ts): the copies an MTA hand-off repeat (RFC 1047) leaves.
 */
import { readFileSync } from 'node:fs';

/** What a stack's Postfix log tells about the copies it delivered (maillog lines of smtpd, cleanup, lmtp). */
export interface PostfixLedger {
  /** Message-ID (with angle brackets) + recipient → queue IDs delivered to that recipient, in log order. */
  readonly copies: Map<string, string[]>;
  /** Queue IDs that were the last message of an SMTP connection its client left without QUIT. */
  readonly lastBeforeDrop: Set<string>;
}

export function readPostfixLedger(path: string): PostfixLedger {
  const messageIdOf = new Map<string, string>();
  const copies = new Map<string, string[]>();
  const lastBeforeDrop = new Set<string>();
  /** smtpd process → the last queue ID of its current connection. */
  const lastOf = new Map<string, string>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    let m = /postfix\/smtpd\[(\d+)\]: connect from /.exec(line);
    if (m !== null) {
      lastOf.delete(m[1] ?? '');
      continue;
    }
    m = /postfix\/smtpd\[(\d+)\]: ([0-9A-Z]+): client=/.exec(line);
    if (m !== null) {
      lastOf.set(m[1] ?? '', m[2] ?? '');
      continue;
    }
    m = /postfix\/smtpd\[(\d+)\]: disconnect from .* commands=/.exec(line);
    if (m !== null) {
      const last = lastOf.get(m[1] ?? '');
      if (last !== undefined && !line.includes(' quit=')) lastBeforeDrop.add(last);
      lastOf.delete(m[1] ?? '');
      continue;
    }
    m = /postfix\/cleanup\[\d+\]: ([0-9A-Z]+): message-id=(<[^>]*>)/.exec(line);
    if (m !== null) {
      messageIdOf.set(m[1] ?? '', m[2] ?? '');
      continue;
    }
    m = /postfix\/lmtp\[\d+\]: ([0-9A-Z]+): to=<([^>]+)>.* status=sent /.exec(line);
    if (m !== null) {
      const key = `${messageIdOf.get(m[1] ?? '') ?? '(none)'} ${m[2] ?? ''}`;
      copies.set(key, [...(copies.get(key) ?? []), m[1] ?? '']);
    }
  }
  return { copies, lastBeforeDrop };
}

/**
 * Dovecot's Sieve discards (mailbox-dedupe.ts), Message-ID (with angle brackets) + recipient → count, from
 * its log: `lmtp(<recipient>)<…>: Info: sieve: msgid=<id>: discard action: …`.
 */
export function readSieveDiscards(path: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of readFileSync(path, 'utf8').matchAll(/lmtp\(([^)]+)\)<[^\n]*?: sieve: msgid=(<[^>]*>): discard action/g)) {
    const key = `${m[2] ?? ''} ${m[1] ?? ''}`;
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}
