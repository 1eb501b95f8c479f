/**
 * Watches one user's IMAP INBOX the way a mail client does (imapflow, IDLE): Dovecot announces each new
 * message with an untagged EXISTS (RFC 2177), the watcher fetches it and hands its facts on. Nothing is
 * polled, so the demo shows the moment a message lands in the mailbox.
 */
import { ImapFlow } from 'imapflow';
import type { ExistsEvent } from 'imapflow';
import { err, ok } from '../../../shared/errors';
import type { Result } from '../../../shared/errors';
import { LOOPBACK } from '../../gateway/test-support/mailstack/processes';
import { readMessageFacts } from './mail-facts';
import type { MessageFacts } from './mail-facts';

export interface InboxWatchOptions {
  readonly port: number;
  readonly user: string;
  readonly password: string;
  onMessage(uid: number, facts: MessageFacts): void;
  onError(message: string): void;
}

export interface InboxWatch {
  stop(): Promise<void>;
}

// Start IDLE almost at once after each command (imapflow's default waits 15 s, and without IDLE
// Dovecot reports new mail only in the reply to the next command).
const AUTO_IDLE_DELAY_MS = 50;

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export async function watchInbox(opts: InboxWatchOptions): Promise<Result<InboxWatch>> {
  const client = new ImapFlow({
    host: LOOPBACK,
    port: opts.port,
    secure: false,
    auth: { user: opts.user, pass: opts.password },
    logger: false,
    autoIdleDelay: AUTO_IDLE_DELAY_MS,
  });
  let stopping = false;
  client.on('error', (e: unknown) => {
    if (!stopping) opts.onError(`IMAP ${opts.user}: ${errorText(e)}`);
  });
  try {
    await client.connect();
  } catch (e) {
    return err('CONNECTION_FAILED', `IMAP login of ${opts.user} on port ${opts.port}: ${errorText(e)}`);
  }
  let known: number;
  try {
    known = (await client.mailboxOpen('INBOX')).exists;
  } catch (e) {
    await client.logout().catch(() => undefined);
    return err('CONNECTION_FAILED', `IMAP ${opts.user}: cannot open INBOX: ${errorText(e)}`);
  }

  // One fetch at a time, in the order the EXISTS responses came.
  let work: Promise<void> = Promise.resolve();
  const fetchUpTo = async (count: number): Promise<void> => {
    if (stopping || count <= known) return;
    const range = `${known + 1}:${count}`;
    known = count;
    const found: { uid: number; source: Buffer }[] = [];
    for await (const m of client.fetch(range, { uid: true, source: true })) {
      if (m.source !== undefined) found.push({ uid: m.uid, source: m.source });
    }
    for (const m of found) opts.onMessage(m.uid, await readMessageFacts(m.source));
  };
  client.on('exists', (e: ExistsEvent) => {
    work = work.then(() => fetchUpTo(e.count)).catch((x: unknown) => {
      if (!stopping) opts.onError(`IMAP ${opts.user}: fetching new mail failed: ${errorText(x)}`);
    });
  });

  return ok({
    async stop() {
      stopping = true;
      await work;
      await client.logout().catch(() => undefined);
      client.close();
    },
  });
}
