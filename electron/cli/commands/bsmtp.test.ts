import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ud3tnVector } from '../../../shared/test-support/vectors';
import { memoryIo } from '../io';
import { runCli } from '../main';

const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

async function cli(argv: string[], input: Uint8Array | string = ''): Promise<{ code: number; out: string; err: string }> {
  const m = memoryIo(input);
  const code = await runCli(argv, m.io);
  return { code, out: m.outText(), err: m.errText() };
}

describe('farside bsmtp decode', () => {
  it('decodes the uD3TN BSMTP payload: envelope as the vectors README gives it, message after unstuffing', async () => {
    const bytes = ud3tnVector('aap1/bsmtp_payload.bin');
    const r = await cli(['bsmtp', 'decode'], bytes);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { transactions: { mailFrom: string; mailParams: object; rcptTo: unknown[]; messageLength: number; messageSha256: string }[] };
    expect(j.transactions).toHaveLength(1);
    const t = j.transactions[0];
    expect(t?.mailFrom).toBe('alice@earth.dtn');
    expect(t?.mailParams).toEqual({});
    expect(t?.rcptTo).toEqual([{ address: 'bob@mars.dtn', params: {} }]);
    // The message is what lies between "DATA\r\n" and "\r\n.\r\n" (final CRLF included); nothing is stuffed.
    const text = Buffer.from(bytes).toString('latin1');
    const message = text.slice(text.indexOf('DATA\r\n') + 6, text.lastIndexOf('\r\n.\r\n') + 2);
    expect(t?.messageLength).toBe(message.length);
    expect(t?.messageSha256).toBe(sha256(Buffer.from(message, 'latin1')));
  });

  it('keeps ESMTP parameters as written, upper-casing keywords, null for a bare keyword', async () => {
    const stream = 'EHLO gw\r\nMAIL FROM:<> body=8BITMIME X-FLAG\r\nRCPT TO:<b@y> NOTIFY=NEVER\r\nDATA\r\n..x\r\n.\r\nQUIT\r\n';
    const j = JSON.parse((await cli(['bsmtp', 'decode'], stream)).out) as { transactions: { mailFrom: string; mailParams: object; messageLength: number }[] };
    expect(j.transactions[0]?.mailFrom).toBe('');
    expect(j.transactions[0]?.mailParams).toEqual({ BODY: '8BITMIME', 'X-FLAG': null });
    expect(j.transactions[0]?.messageLength).toBe(4); // "..x" unstuffed is ".x", plus its CRLF
  });

  it('refuses SMTP smuggling whole: exit 1, nothing on stdout, one line on stderr', async () => {
    const r = await cli(['bsmtp', 'decode'], 'EHLO gw\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\nhi\n.\r\nMAIL FROM:<evil@x>\r\n');
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });
});

describe('farside bsmtp encode', () => {
  it('writes the envelope RFC 2442 / RFC 5321 prescribe, with SIZE, ENVID, NOTIFY and ORCPT', async () => {
    const r = await cli(
      ['bsmtp', 'encode', '--from', 'alice@earth.example', '--to', 'bob@mars.example', '--to', 'hidden@mars.example',
        '--envid', 'id+1', '--notify', 'success,failure'],
      'Subject: hi\n\n.dot\n',
    );
    expect(r.code).toBe(0);
    // Hand-written from RFC 5321 §4.1.1 / §4.5.2 and RFC 3461 §4 (xtext: "+" is written "+2B").
    // SIZE (RFC 1870 §4): the message with CRLF line ends, before stuffing: 13 + 2 + 6 = 21 octets.
    expect(r.out).toBe(
      'EHLO earth.example\r\n' +
        'MAIL FROM:<alice@earth.example> SIZE=21 ENVID=id+2B1\r\n' +
        'RCPT TO:<bob@mars.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@mars.example\r\n' +
        'RCPT TO:<hidden@mars.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;hidden@mars.example\r\n' +
        'DATA\r\n' +
        'Subject: hi\r\n\r\n..dot\r\n' +
        '.\r\n' +
        'QUIT\r\n',
    );
  });

  it('round-trips through decode', async () => {
    const enc = await cli(['bsmtp', 'encode', '--from', 'a@x.example', '--to', 'b@y.example'], 'Subject: t\r\n\r\nbody\r\n');
    const dec = JSON.parse((await cli(['bsmtp', 'decode'], enc.out)).out) as { transactions: { messageSha256: string }[] };
    expect(dec.transactions[0]?.messageSha256).toBe(sha256('Subject: t\r\n\r\nbody\r\n'));
  });

  it('needs --from and --to, and refuses a bad NOTIFY', async () => {
    expect((await cli(['bsmtp', 'encode', '--to', 'b@y'], 'x')).code).toBe(2);
    expect((await cli(['bsmtp', 'encode', '--from', 'a@x', '--to', 'b@y', '--notify', 'NEVER,SUCCESS'], 'x')).code).toBe(2);
  });
});
