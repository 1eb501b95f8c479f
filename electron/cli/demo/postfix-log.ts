/**
 * What the demo reads from a private Postfix's mail log (postlogd writes it, maillog_file in main.cf; see
 * mailstack/postfix.ts): the few line types that show a message's steps inside the MTA, followed as the
 * file grows (inotify through fs.watch, no polling).
 *
 *   cleanup: 5019E21CDBE: message-id=<20261125202711.5019E21CDBE@mta.mars.example>
 *   qmgr:    5019E21CDBE: from=<>, size=2630, nrcpt=1 (queue active)
 *   lmtp:    18B0B21CDAD: to=<bob@mars.example>, relay=…, dsn=2.0.0, status=sent (250 2.0.0 <bob@…> … Saved)
 *   bounce:  18B0B21CDAD: sender delivery status notification: 5019E21CDBE
 *
 * The queue ID links them: the bounce line names the queue ID of the DSN Postfix wrote about a message,
 * and the cleanup line gives that DSN's Message-ID, so the demo can say which mail a DSN is about before
 * the DSN reaches the gateway.
 */
import { closeSync, openSync, readSync, watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';

export type PostfixLogEvent =
  | { readonly kind: 'message-id'; readonly qid: string; readonly messageId: string }
  | { readonly kind: 'queued'; readonly qid: string; readonly from: string; readonly size: number }
  | {
      readonly kind: 'delivery';
      readonly qid: string;
      /** smtp (relayed to the gateway), lmtp (into Dovecot), error, … */
      readonly service: string;
      readonly to: string;
      readonly dsn: string;
      /** sent, deferred, bounced, expired */
      readonly status: string;
      /** The remote server's reply or Postfix's reason, as logged in parentheses. */
      readonly reply: string;
    }
  | {
      readonly kind: 'notification';
      readonly qid: string;
      /** "delivery status" (NOTIFY=SUCCESS), "non-delivery" (a bounce) or "delay". */
      readonly notice: string;
      readonly notificationQid: string;
    };

// "Nov 25 20:27:11 mta postfix/lmtp[29288]: " — the service is the part after the slash
const PREFIX = /^\S+\s+\d+\s+[\d:]+\s+\S+\s+postfix\/([a-z]+)\[\d+\]:\s+([0-9A-F]+):\s+(.*)$/;
const DELIVERY = /^to=<([^>]*)>,.*\bdsn=(\d\.\d{1,3}\.\d{1,3}), status=([a-z]+) \((.*)\)$/;
const QUEUED = /^from=<([^>]*)>, size=(\d+), nrcpt=\d+/;
const NOTICE = /^sender (delivery status|non-delivery|delay) notification: ([0-9A-F]+)$/;
const MESSAGE_ID = /^message-id=<([^>]*)>$/;

/** One log line, or null when it is none of the kinds above. */
export function parsePostfixLine(line: string): PostfixLogEvent | null {
  const m = PREFIX.exec(line.trimEnd());
  if (m === null) return null;
  const [, service = '', qid = '', rest = ''] = m;
  if (service === 'cleanup') {
    const id = MESSAGE_ID.exec(rest);
    return id === null ? null : { kind: 'message-id', qid, messageId: id[1] ?? '' };
  }
  if (service === 'qmgr') {
    const q = QUEUED.exec(rest);
    return q === null ? null : { kind: 'queued', qid, from: q[1] ?? '', size: Number(q[2]) };
  }
  if (service === 'bounce') {
    const n = NOTICE.exec(rest);
    return n === null ? null : { kind: 'notification', qid, notice: n[1] ?? '', notificationQid: n[2] ?? '' };
  }
  const d = DELIVERY.exec(rest);
  if (d === null) return null;
  return { kind: 'delivery', qid, service, to: d[1] ?? '', dsn: d[2] ?? '', status: d[3] ?? '', reply: d[4] ?? '' };
}

export interface LogFollower {
  stop(): void;
}

const CHUNK = 64 * 1024;

/**
 * Follow `path` from its start: every complete line is passed to `onLine` as the file grows. Reads are
 * synchronous and small (a mail log grows by a few lines per message).
 */
export function followLog(path: string, onLine: (line: string) => void, onError: (e: Error) => void): LogFollower {
  let fd: number | null = openSync(path, 'r');
  let offset = 0;
  let partial = '';
  const buffer = Buffer.alloc(CHUNK);
  const drain = (): void => {
    if (fd === null) return;
    try {
      for (;;) {
        const n = readSync(fd, buffer, 0, CHUNK, offset);
        if (n === 0) break;
        offset += n;
        const lines = (partial + buffer.toString('utf8', 0, n)).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) onLine(line);
      }
    } catch (e) {
      onError(e instanceof Error ? e : new Error(String(e)));
    }
  };
  let watcher: FSWatcher | null = watch(path, () => drain());
  watcher.on('error', (e) => onError(e));
  drain();
  return {
    stop() {
      drain();
      watcher?.close();
      watcher = null;
      if (fd !== null) closeSync(fd);
      fd = null;
    },
  };
}
