/**
 * The SMTP client against a scripted server on a loopback socket: the exact bytes it writes (parameters
 * verbatim, one pipelined group, dot-stuffing, RSET only when needed) and how it reports every reply.
 * The real-Postfix path is exercised by the gateway's integration tests.
 */
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ascii } from '../../../shared/test-support/vectors';
import { openSmtpSession, recipientAccepted } from './smtp-client';
import type { SmtpClientOptions, SmtpEnvelope } from './smtp-client';

type Responder = (line: string) => string | null;

interface Scripted {
  readonly port: number;
  /** Every byte the client wrote, as text. */
  received(): string;
  close(): Promise<void>;
}

const servers: Server[] = [];

/**
 * A server that answers each command line with `respond(line)` (null: say nothing) and, after a 354,
 * reads data up to CRLF "." CRLF and answers `dataReply`.
 */
async function scripted(ehloLines: readonly string[], respond: Responder, dataReply = '250 2.0.0 Ok: queued'): Promise<Scripted> {
  let text = '';
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    let buffer = '';
    let inData = false;
    s.setEncoding('latin1');
    s.write('220 test ESMTP\r\n');
    s.on('data', (d: string) => {
      text += d;
      buffer += d;
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          const empty = buffer.startsWith('.\r\n');
          if (end < 0 && !empty) return;
          buffer = empty ? buffer.slice(3) : buffer.slice(end + 5);
          inData = false;
          s.write(`${dataReply}\r\n`);
          continue;
        }
        const nl = buffer.indexOf('\r\n');
        if (nl < 0) return;
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 2);
        if (/^EHLO /i.test(line)) {
          s.write(ehloLines.map((l, i) => `250${i === ehloLines.length - 1 ? ' ' : '-'}${l}\r\n`).join(''));
          continue;
        }
        if (line === 'QUIT') {
          s.end('221 2.0.0 Bye\r\n');
          return;
        }
        const reply = respond(line);
        if (reply !== null) s.write(`${reply}\r\n`);
        if (reply?.startsWith('354')) inData = true;
      }
    });
    s.on('error', () => undefined);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = address !== null && typeof address === 'object' ? address.port : 0;
  return {
    port,
    received: () => text,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise<void>((r) => s.close(() => r()));
});

const opts = (port: number): SmtpClientOptions => ({ host: '127.0.0.1', port, ehloName: 'gw.mars.example', replyTimeoutMs: 2_000 });

/** Postfix-like answers: bob@ is unknown, everything else is fine. */
const postfixLike: Responder = (line) => {
  if (line.startsWith('MAIL FROM:')) return '250 2.1.0 Ok';
  if (line.startsWith('RCPT TO:<bob@')) return '550 5.1.1 <bob@mars.example>: Recipient address rejected: User unknown in local recipient table';
  if (line.startsWith('RCPT TO:')) return '250 2.1.5 Ok';
  if (line === 'DATA') return '354 End data with <CR><LF>.<CR><LF>';
  if (line === 'RSET') return '250 2.0.0 Ok';
  return '502 5.5.2 Error: command not recognized';
};

const envelope = {
  mailFrom: 'alice@earth.example',
  mailParams: { BODY: '8BITMIME', SIZE: '42', RET: 'HDRS', ENVID: 'abc+2Bdef' },
  rcptTo: [
    { address: 'carol@mars.example', params: { NOTIFY: 'SUCCESS,FAILURE', ORCPT: 'rfc822;carol@mars.example' } },
    { address: 'bob@mars.example', params: { NOTIFY: 'NEVER' } },
  ],
} as const;

describe('SMTP client', () => {
  it('writes the envelope parameters verbatim in one pipelined group and reports each reply', async () => {
    const srv = await scripted(['test', 'PIPELINING', 'SIZE 1000000', '8BITMIME', 'DSN'], postfixLike);
    const s = await openSmtpSession(opts(srv.port));
    if (!s.ok) throw new Error(s.error.message);
    expect(s.value.extensions.get('SIZE')).toBe('1000000');
    expect(s.value.extensions.has('DSN')).toBe(true);
    const r = await s.value.send(envelope, ascii('Subject: x\r\n\r\n.leading dot\r\nend\r\n'));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.mail.code).toBe(250);
    expect(r.value.rcpt.map((x) => x.enhanced)).toEqual(['2.1.5', '5.1.1']);
    expect(r.value.data?.code).toBe(250);
    expect(recipientAccepted(r.value, 0)).toBe(true);
    expect(recipientAccepted(r.value, 1)).toBe(false);
    await s.value.quit();
    expect(srv.received()).toBe(
      'EHLO gw.mars.example\r\n' +
        'MAIL FROM:<alice@earth.example> BODY=8BITMIME SIZE=42 RET=HDRS ENVID=abc+2Bdef\r\n' +
        'RCPT TO:<carol@mars.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;carol@mars.example\r\n' +
        'RCPT TO:<bob@mars.example> NOTIFY=NEVER\r\n' +
        'DATA\r\n' +
        'Subject: x\r\n\r\n..leading dot\r\nend\r\n.\r\n' +
        'QUIT\r\n',
    );
  });

  it('works command by command without PIPELINING and skips DATA when no recipient is accepted', async () => {
    let transactions = 0;
    const srv = await scripted(['test'], (line) => {
      if (line.startsWith('MAIL')) transactions++;
      // the first transaction's recipients are all refused, the second's accepted
      return line.startsWith('RCPT') && transactions === 1 ? '550 5.1.1 no' : postfixLike(line.replace('<bob@', '<b@'));
    });
    const s = await openSmtpSession(opts(srv.port));
    if (!s.ok) throw new Error(s.error.message);
    const r = await s.value.send(envelope, ascii('x\r\n'));
    expect(r.ok && r.value.data).toBeNull();
    expect(r.ok && r.value.rcpt.map((x) => x.code)).toEqual([550, 550]);
    // the transaction was left open after MAIL: the next one starts with RSET
    const again = await s.value.send({ ...envelope, rcptTo: [envelope.rcptTo[0]] }, ascii('y'));
    expect(again.ok).toBe(true);
    await s.value.quit();
    expect(srv.received().split('\r\n').filter((l) => /^[A-Z]{4}/.test(l))).toEqual([
      'EHLO gw.mars.example',
      'MAIL FROM:<alice@earth.example> BODY=8BITMIME SIZE=42 RET=HDRS ENVID=abc+2Bdef',
      'RCPT TO:<carol@mars.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;carol@mars.example',
      'RCPT TO:<bob@mars.example> NOTIFY=NEVER',
      'RSET',
      'MAIL FROM:<alice@earth.example> BODY=8BITMIME SIZE=42 RET=HDRS ENVID=abc+2Bdef',
      'RCPT TO:<carol@mars.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;carol@mars.example',
      'DATA',
      'QUIT',
    ]);
    // a message without a final line end gets one before the terminator (RFC 5321 §4.1.1.4)
    expect(srv.received()).toContain('DATA\r\ny\r\n.\r\nQUIT');
  });

  it('sends only the terminator after a 354 when every pipelined RCPT failed (RFC 2920 §3.1)', async () => {
    const srv = await scripted(['test', 'PIPELINING'], (line) => (line.startsWith('RCPT') ? '550 5.1.1 no' : postfixLike(line)), '554 5.5.1 Error: no valid recipients');
    const s = await openSmtpSession(opts(srv.port));
    if (!s.ok) throw new Error(s.error.message);
    const r = await s.value.send(envelope, ascii('secret body\r\n'));
    expect(r.ok && r.value.data?.code).toBe(554);
    expect(srv.received()).not.toContain('secret body');
    expect(srv.received()).toContain('DATA\r\n.\r\n');
    await s.value.quit();
  });

  it('reports a refused MAIL FROM with the replies the server gave', async () => {
    const srv = await scripted(['test'], (line) => (line.startsWith('MAIL') ? '452 4.3.1 Insufficient system storage' : postfixLike(line)));
    const s = await openSmtpSession(opts(srv.port));
    if (!s.ok) throw new Error(s.error.message);
    const r = await s.value.send(envelope, ascii('x\r\n'));
    expect(r.ok && r.value.mail.enhanced).toBe('4.3.1');
    expect(r.ok && r.value.rcpt).toEqual([]);
    expect(r.ok && r.value.data).toBeNull();
    await s.value.quit();
  });

  it('refuses an envelope that would inject a command, before writing anything', async () => {
    const srv = await scripted(['test', 'PIPELINING'], postfixLike);
    const s = await openSmtpSession(opts(srv.port));
    if (!s.ok) throw new Error(s.error.message);
    const bad: SmtpEnvelope[] = [
      { ...envelope, mailFrom: 'a@b\r\nRCPT TO:<x@y>' },
      { ...envelope, rcptTo: [{ address: 'x@y> NOTIFY=NEVER', params: {} }] },
      { ...envelope, mailParams: { ENVID: 'a\r\nQUIT' } },
      { ...envelope, mailParams: { 'BAD KEY': null } },
      { ...envelope, rcptTo: [] },
    ];
    for (const e of bad) {
      const r = await s.value.send(e, ascii('x\r\n'));
      expect(r.ok ? 'ok' : r.error.code).toBe('INVALID_ARGUMENT');
    }
    await s.value.quit();
    expect(srv.received()).toBe('EHLO gw.mars.example\r\nQUIT\r\n');
  });

  it('fails with CONNECTION_FAILED when nothing listens, TIMEOUT when the server stays silent', async () => {
    const srv = await scripted(['test'], () => null);
    const port = srv.port;
    await srv.close();
    const refused = await openSmtpSession(opts(port));
    expect(refused.ok ? 'ok' : refused.error.code).toBe('CONNECTION_FAILED');

    const silent = await scripted(['test'], () => null);
    const s = await openSmtpSession({ ...opts(silent.port), replyTimeoutMs: 200 });
    if (!s.ok) throw new Error(s.error.message);
    const r = await s.value.send(envelope, ascii('x\r\n'));
    expect(r.ok ? 'ok' : r.error.code).toBe('TIMEOUT');
    expect(s.value.usable).toBe(false);
  });

  it('fails with CONNECTION_CLOSED when the server drops the connection mid-transaction', async () => {
    let sock: Socket | null = null;
    const srv = await scripted(['test', 'PIPELINING'], (line) => {
      if (line === 'DATA') {
        sock?.destroy();
        return null;
      }
      return postfixLike(line);
    });
    const server = servers[servers.length - 1];
    server?.on('connection', (c: Socket) => {
      sock = c;
    });
    const s = await openSmtpSession(opts(srv.port));
    if (!s.ok) throw new Error(s.error.message);
    const r = await s.value.send(envelope, ascii('x\r\n'));
    expect(r.ok ? 'ok' : r.error.code).toBe('CONNECTION_CLOSED');
    expect(s.value.usable).toBe(false);
  });
});
