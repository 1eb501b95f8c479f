/**
 * The private mail stack itself (environment.md §2, §4, §7): real Dovecot and Postfix on run-time ports;
 * local delivery into IMAP, unknown users refused at RCPT, remote domains relayed through the transport
 * map with the DSN parameters, bounces generated as RFC 3464 reports, an outage and a restart, and a stop
 * that leaves no process and no directory behind.
 */
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import type { SMTPServerAddress } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForInbox } from './imap';
import { startMailStack } from './mailstack';
import type { MailStack } from './mailstack';
import { LOOPBACK, canConnect, descendantsOf, freePort, isRunning, readPidFile } from './processes';

interface Relayed {
  readonly from: SMTPServerAddress | false;
  readonly to: readonly SMTPServerAddress[];
}

let stack: MailStack;
let sink: SMTPServer;
const relayed: Relayed[] = [];

beforeAll(async () => {
  const sinkPort = await freePort();
  // stands in for the gateway's listener: accepts mars.example except zed@, records envelopes
  sink = new SMTPServer({
    disabledCommands: ['AUTH', 'STARTTLS'],
    authOptional: true,
    hideDSN: false,
    disableReverseLookup: true,
    logger: false,
    onRcptTo(address, _session, cb) {
      if (address.address.startsWith('zed@')) cb(Object.assign(new Error('5.1.1 no such user zed'), { responseCode: 550 }));
      else cb();
    },
    onData(stream, session, cb) {
      stream.resume();
      stream.on('end', () => {
        relayed.push({ from: session.envelope.mailFrom, to: session.envelope.rcptTo });
        cb();
      });
    },
  });
  await new Promise<void>((r) => sink.listen(sinkPort, LOOPBACK, r));
  stack = await startMailStack({ domain: 'earth.example', relay: [{ domain: 'mars.example', host: LOOPBACK, port: sinkPort }] });
});

afterAll(async () => {
  await stack?.stop();
  await new Promise<void>((r) => sink?.close(() => r()));
});

function transport(): Transporter {
  return nodemailer.createTransport({ host: LOOPBACK, port: stack.smtpPort, secure: false, ignoreTLS: true });
}

/** The EHLO reply of the stack's SMTP listener, raw. */
function ehlo(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ host: LOOPBACK, port });
    let text = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      text += d;
      if (/^220 /m.test(text) && !text.includes('EHLO-SENT')) {
        text += 'EHLO-SENT\n';
        s.write('EHLO test.example\r\n');
      }
      if (/^250 /m.test(text)) {
        s.end('QUIT\r\n');
        resolve(text);
      }
    });
    s.on('error', reject);
  });
}

describe('private mail stack', () => {
  it('runs each master under the pid in its master.pid', () => {
    const pids = stack.pids();
    expect(pids.dovecot).not.toBeNull();
    expect(pids.postfix).not.toBeNull();
    expect(readPidFile(`${stack.dir}/dovecot/run/master.pid`)).toBe(pids.dovecot);
    expect(readPidFile(`${stack.dir}/postfix/spool/pid/master.pid`)).toBe(pids.postfix);
  });

  it('advertises SIZE, 8BITMIME and DSN (RFC 2442 processor parameters, environment.md §5)', async () => {
    const reply = await ehlo(stack.smtpPort);
    expect(reply).toMatch(/^250-SIZE 67108864\r$/m);
    expect(reply).toMatch(/^250-8BITMIME\r$/m);
    expect(reply).toMatch(/^250-DSN\r$/m);
  });

  it('delivers a local recipient into the IMAP inbox', async () => {
    await transport().sendMail({ from: 'carol@earth.example', to: 'alice@earth.example', subject: 'local', text: 'hello alice' });
    const inbox = await waitForInbox(stack, 'alice', 1);
    expect(inbox[0]?.source).toContain('Subject: local');
    expect(inbox[0]?.source).toContain('hello alice');
  });

  it('refuses an unknown local user at RCPT with 550 5.1.1', async () => {
    await expect(transport().sendMail({ from: 'carol@earth.example', to: 'nobody@earth.example', text: 'x' })).rejects.toThrow(/550 5\.1\.1/);
  });

  it('relays a remote domain to the transport-map listener with the DSN parameters', async () => {
    await transport().sendMail({
      from: 'alice@earth.example',
      to: 'bob@mars.example',
      subject: 'relay',
      text: 'to mars',
      dsn: { id: 'env-relay-1', return: 'headers', notify: ['success', 'failure'], recipient: 'bob@mars.example' },
    });
    const deadline = Date.now() + 10_000;
    while (relayed.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const got = relayed[0];
    expect(got?.from && got.from.address).toBe('alice@earth.example');
    expect(got?.to.map((t) => t.address)).toEqual(['bob@mars.example']);
    // smtp-server decodes xtext into args; the values are what the sender gave
    expect(got?.from && got.from.args).toMatchObject({ ENVID: 'env-relay-1', RET: 'HDRS' });
    expect(got?.to[0]?.args).toMatchObject({ NOTIFY: 'SUCCESS,FAILURE', ORCPT: 'rfc822;bob@mars.example' });
  });

  it('bounces a recipient the relay refuses as a multipart/report DSN to the sender', async () => {
    await transport().sendMail({ from: 'carol@earth.example', to: 'zed@mars.example', subject: 'doomed', text: 'x', dsn: { id: 'env-bounce-1', notify: ['failure'] } });
    const inbox = await waitForInbox(stack, 'carol', 1);
    const dsn = inbox[0]?.source ?? '';
    expect(dsn).toMatch(/^Content-Type: multipart\/report; report-type=delivery-status;/m);
    expect(dsn).toMatch(/^Original-Envelope-Id: env-bounce-1$/m);
    expect(dsn).toMatch(/^Final-Recipient: rfc822; zed@mars\.example$/m);
    expect(dsn).toMatch(/^Action: failed$/m);
    expect(dsn).toMatch(/^Status: 5\.1\.1$/m);
  });

  it('stops and restarts Postfix on the same port (an MTA outage)', async () => {
    const before = stack.pids().postfix;
    await stack.stopPostfix();
    expect(stack.pids().postfix).toBeNull();
    expect(before !== null && isRunning(before)).toBe(false);
    expect(await canConnect(stack.smtpPort)).toBe(false);
    await stack.startPostfix();
    expect(await canConnect(stack.smtpPort)).toBe(true);
    await transport().sendMail({ from: 'carol@earth.example', to: 'bob@earth.example', subject: 'after restart', text: 'y' });
    expect((await waitForInbox(stack, 'bob', 1))[0]?.source).toContain('Subject: after restart');
  });

  it('stop() leaves no process and no directory behind', async () => {
    const masters = [stack.pids().dovecot, stack.pids().postfix].filter((p): p is number => p !== null);
    const all = masters.flatMap((p) => [p, ...descendantsOf(p)]);
    expect(all.length).toBeGreaterThan(masters.length);
    await stack.stop();
    for (const pid of all) expect(isRunning(pid), `pid ${pid}`).toBe(false);
    expect(existsSync(stack.dir)).toBe(false);
    expect(await canConnect(stack.imapPort)).toBe(false);
    expect(await canConnect(stack.smtpPort)).toBe(false);
  });
});
