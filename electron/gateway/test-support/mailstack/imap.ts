/**
 * Reading a stack user's INBOX with imapflow (environment.md §3), for tests that check delivery.
 */
import { ImapFlow } from 'imapflow';
import type { MailStack, StackUser } from './mailstack';
import { LOOPBACK, sleep } from './processes';

export interface InboxMessage {
  readonly uid: number;
  /** The whole message as Dovecot stores it (Return-Path and Received added). */
  readonly source: string;
}

async function withClient<T>(stack: MailStack, user: StackUser, f: (c: ImapFlow) => Promise<T>): Promise<T> {
  const client = new ImapFlow({ host: LOOPBACK, port: stack.imapPort, secure: false, auth: { user: user.name, pass: user.password }, logger: false });
  await client.connect();
  try {
    return await f(client);
  } finally {
    await client.logout().catch(() => undefined);
  }
}

async function messageCount(c: ImapFlow): Promise<number> {
  const status = await c.status('INBOX', { messages: true });
  return status === false ? 0 : (status.messages ?? 0);
}

/** Every message in the user's INBOX, oldest first. */
export function readInbox(stack: MailStack, userName: string): Promise<InboxMessage[]> {
  return withClient(stack, stack.user(userName), async (c) => {
    const lock = await c.getMailboxLock('INBOX');
    try {
      const out: InboxMessage[] = [];
      if ((await messageCount(c)) === 0) return out;
      for await (const m of c.fetch('1:*', { uid: true, source: true })) {
        out.push({ uid: m.uid, source: m.source?.toString('utf8') ?? '' });
      }
      return out;
    } finally {
      lock.release();
    }
  });
}

/** Number of messages in the user's INBOX (IMAP STATUS). */
export function inboxCount(stack: MailStack, userName: string): Promise<number> {
  return withClient(stack, stack.user(userName), messageCount);
}

/**
 * Poll until the INBOX holds at least `count` messages (LMTP delivery is asynchronous after Postfix's
 * 250); returns them. Throws after `timeoutMs`.
 */
export async function waitForInbox(stack: MailStack, userName: string, count: number, timeoutMs = 10_000): Promise<InboxMessage[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await inboxCount(stack, userName)) >= count) return readInbox(stack, userName);
    if (Date.now() > deadline) throw new Error(`${userName}@${stack.domain}: fewer than ${count} messages after ${timeoutMs} ms`);
    await sleep(50);
  }
}
