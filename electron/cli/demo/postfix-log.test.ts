import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { followLog, parsePostfixLine } from './postfix-log';

// Lines as Postfix 3.7.11 (Debian 12) wrote them into a private stack's maillog during a demo run.
const LINES = {
  cleanup: 'Nov 25 20:27:11 mta postfix/cleanup[29287]: 5019E21CDBE: message-id=<20261125202711.5019E21CDBE@mta.mars.example>',
  qmgrNull: 'Nov 25 20:27:11 mta postfix/qmgr[29033]: 5019E21CDBE: from=<>, size=2630, nrcpt=1 (queue active)',
  qmgr: 'Nov 25 20:26:59 mta postfix/qmgr[29028]: 463DA21C141: from=<alice@earth.example>, size=2153074, nrcpt=1 (queue active)',
  lmtp: 'Nov 25 20:27:11 mta postfix/lmtp[29288]: 18B0B21CDAD: to=<bob@mars.example>, relay=127.0.0.1[127.0.0.1]:46101, delay=0.16, delays=0.12/0.01/0/0.03, dsn=2.0.0, status=sent (250 2.0.0 <bob@mars.example> 0KgpDZ9EB2tScQAAg+zDdQ Saved)',
  smtp: 'Nov 25 20:26:59 mta postfix/smtp[29061]: 463DA21C141: to=<bob@mars.example>, relay=127.0.0.1[127.0.0.1]:37185, delay=0.3, delays=0.09/0.01/0.11/0.08, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 1)',
  bounce: 'Nov 25 20:27:11 mta postfix/bounce[29289]: 18B0B21CDAD: sender delivery status notification: 5019E21CDBE',
  removed: 'Nov 25 20:27:11 mta postfix/qmgr[29033]: 18B0B21CDAD: removed',
  smtpdClient: 'Nov 25 20:27:11 mta postfix/smtpd[29039]: 18B0B21CDAD: client=localhost[127.0.0.1]',
  master: 'Nov 25 20:26:59 mta postfix/master[29012]: daemon started -- version 3.7.11, configuration /tmp/x/postfix/etc',
};

describe('parsePostfixLine', () => {
  it('reads the Message-ID cleanup assigned to a queue ID', () => {
    expect(parsePostfixLine(LINES.cleanup)).toEqual({ kind: 'message-id', qid: '5019E21CDBE', messageId: '20261125202711.5019E21CDBE@mta.mars.example' });
  });

  it('reads the envelope sender and size, the null reverse-path included', () => {
    expect(parsePostfixLine(LINES.qmgrNull)).toEqual({ kind: 'queued', qid: '5019E21CDBE', from: '', size: 2630 });
    expect(parsePostfixLine(LINES.qmgr)).toEqual({ kind: 'queued', qid: '463DA21C141', from: 'alice@earth.example', size: 2153074 });
  });

  it('reads deliveries over LMTP and SMTP with the reply in parentheses', () => {
    expect(parsePostfixLine(LINES.lmtp)).toEqual({
      kind: 'delivery',
      qid: '18B0B21CDAD',
      service: 'lmtp',
      to: 'bob@mars.example',
      dsn: '2.0.0',
      status: 'sent',
      reply: '250 2.0.0 <bob@mars.example> 0KgpDZ9EB2tScQAAg+zDdQ Saved',
    });
    expect(parsePostfixLine(LINES.smtp)).toMatchObject({ service: 'smtp', to: 'bob@mars.example', status: 'sent', reply: '250 2.0.0 Ok: queued as 1' });
  });

  it('links a message to the DSN Postfix wrote about it', () => {
    expect(parsePostfixLine(LINES.bounce)).toEqual({ kind: 'notification', qid: '18B0B21CDAD', notice: 'delivery status', notificationQid: '5019E21CDBE' });
  });

  it('ignores every other line', () => {
    for (const line of [LINES.removed, LINES.smtpdClient, LINES.master, '', 'garbage']) expect(parsePostfixLine(line)).toBeNull();
  });
});

describe('followLog', () => {
  it('passes complete lines as the file grows, holding a partial line until its end arrives', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'farside-follow-'));
    try {
      const path = join(dir, 'postfix.log');
      writeFileSync(path, `${LINES.master}\n${LINES.cleanup.slice(0, 30)}`);
      const seen: string[] = [];
      let notify: () => void = () => undefined;
      const follower = followLog(
        path,
        (line) => {
          seen.push(line);
          notify();
        },
        (e) => {
          throw e;
        },
      );
      expect(seen).toEqual([LINES.master]);
      const more = new Promise<void>((resolve) => (notify = () => (seen.length === 3 ? resolve() : undefined)));
      appendFileSync(path, `${LINES.cleanup.slice(30)}\n${LINES.bounce}\n`);
      await more;
      follower.stop();
      expect(seen).toEqual([LINES.master, LINES.cleanup, LINES.bounce]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
