import { describe, expect, it } from 'vitest';
import { ascii } from '../../shared/test-support/vectors';
import type { SmtpReply } from '../services/smtp/reply-decoder';
import { applyReplies, planReplay, replayMessage } from './replay';
import type { Delivery } from './store/gateway-store';

/** Postfix 3.7's EHLO keywords (environment.md §5). */
const POSTFIX = new Map([['PIPELINING', ''], ['SIZE', '10240000'], ['VRFY', ''], ['ETRN', ''], ['ENHANCEDSTATUSCODES', ''], ['8BITMIME', ''], ['DSN', ''], ['CHUNKING', '']]);

const delivery: Delivery = {
  id: 1,
  bundleKey: 'k',
  source: 'dtn://earth.dtn/email',
  kind: 'mail',
  mailFrom: 'alice@earth.example',
  mailParams: { BODY: '8BITMIME', SIZE: '20', RET: 'HDRS', ENVID: 'e1', XFOO: 'bar' },
  recipients: [
    { address: 'done@mars.example', params: {}, state: 'delivered' },
    { address: 'bob@mars.example', params: { NOTIFY: 'SUCCESS', ORCPT: 'rfc822;bob@mars.example' }, state: 'pending' },
    { address: 'carol@mars.example', params: { NOTIFY: 'FAILURE' }, state: 'pending' },
  ],
  message: ascii('Subject: x\r\n\r\nbody\r\n'),
  trace: '',
  messageId: null,
  receivedAt: 0,
  nextAttemptAt: 0,
  attempts: 0,
  delayNotified: false,
  lastError: null,
};

const reply = (code: number, enhanced: string | null, text = 'x'): SmtpReply => ({ code, enhanced, lines: [enhanced === null ? text : `${enhanced} ${text}`] });

describe('replay plan', () => {
  it('passes SIZE, BODY and the DSN parameters verbatim to an MTA that offers them, for pending recipients only', () => {
    const plan = planReplay(delivery, POSTFIX);
    expect(plan.envelope).toEqual({
      mailFrom: 'alice@earth.example',
      mailParams: { BODY: '8BITMIME', SIZE: '20', RET: 'HDRS', ENVID: 'e1' },
      rcptTo: [
        { address: 'bob@mars.example', params: { NOTIFY: 'SUCCESS', ORCPT: 'rfc822;bob@mars.example' } },
        { address: 'carol@mars.example', params: { NOTIFY: 'FAILURE' } },
      ],
    });
    expect(plan.indices).toEqual([1, 2]);
    // an unknown parameter would make the MTA refuse the whole message (555)
    expect(plan.dropped).toEqual(['XFOO']);
    expect(plan.refusal).toBeNull();
  });

  it('leaves off what the MTA does not offer, and refuses 8-bit content to an MTA without 8BITMIME (RFC 6152 §3)', () => {
    const plan = planReplay(delivery, new Map([['SIZE', '']]));
    expect(plan.envelope.mailParams).toEqual({ SIZE: '20' });
    expect(plan.envelope.rcptTo.map((r) => r.params)).toEqual([{}, {}]);
    expect(plan.refusal?.status).toBe('5.6.3');
    expect(planReplay({ ...delivery, mailParams: { BODY: '7BIT' } }, new Map()).refusal).toBeNull();
  });
});

describe('replay message and SIZE (trace fields, RFC 1870 §3)', () => {
  const trace = 'Received: from earth.dtn (dtn://earth.dtn/email) by gw.mars.example with BSMTP id 0a; Wed, 25 Nov 2026\r\n 19:55:08 +0000\r\nX-Farside-Transaction: k/0\r\n';
  const traced: Delivery = { ...delivery, trace };

  it('sends the stored trace fields before the message, which is otherwise unchanged', () => {
    const plan = planReplay(traced, POSTFIX);
    expect(new TextDecoder().decode(plan.message)).toBe(`${trace}Subject: x\r\n\r\nbody\r\n`);
    expect(replayMessage(traced)).toEqual(plan.message);
    // a delivery stored before trace fields existed goes out as stored
    expect(replayMessage(delivery)).toBe(delivery.message);
  });

  it('grows SIZE by the length of the trace fields, and leaves it alone without them', () => {
    expect(planReplay(traced, POSTFIX).envelope.mailParams['SIZE']).toBe(String(20 + trace.length));
    expect(planReplay(delivery, POSTFIX).envelope.mailParams['SIZE']).toBe('20');
    // RFC 1870 §3 allows 20 digits: no precision lost
    expect(planReplay({ ...traced, mailParams: { SIZE: '99999999999999999999' } }, POSTFIX).envelope.mailParams['SIZE']).toBe(String(99999999999999999999n + BigInt(trace.length)));
    expect(planReplay({ ...traced, mailParams: {} }, POSTFIX).envelope.mailParams).toEqual({});
  });
});

describe('replay replies (RFC 5321 §4.2.1)', () => {
  const plan = planReplay(delivery, POSTFIX);

  it('delivers a recipient whose MAIL, RCPT and data were accepted; fails it on 5yz; keeps it pending on 4yz', () => {
    const next = applyReplies(delivery, plan, { mail: reply(250, '2.1.0'), rcpt: [reply(250, '2.1.5'), reply(550, '5.1.1', 'User unknown')], data: reply(250, '2.0.0') });
    expect(next.map((r) => [r.address, r.state, r.status])).toEqual([
      ['done@mars.example', 'delivered', undefined],
      ['bob@mars.example', 'delivered', '2.0.0'],
      ['carol@mars.example', 'failed', '5.1.1'],
    ]);
    expect(next[2]?.reply).toBe('550 5.1.1 User unknown');
    expect(next[2]?.fromMta).toBe(true);
    const temp = applyReplies(delivery, plan, { mail: reply(250, '2.1.0'), rcpt: [reply(450, '4.2.1'), reply(250, '2.1.5')], data: reply(451, '4.3.0') });
    expect(temp.map((r) => r.state)).toEqual(['delivered', 'pending', 'pending']);
  });

  it('settles every recipient by the MAIL reply when MAIL was refused', () => {
    expect(applyReplies(delivery, plan, { mail: reply(553, '5.1.8'), rcpt: [], data: null }).map((r) => [r.state, r.status])).toEqual([
      ['delivered', undefined],
      ['failed', '5.1.8'],
      ['failed', '5.1.8'],
    ]);
    expect(applyReplies(delivery, plan, { mail: reply(421, null, 'closing'), rcpt: [], data: null }).map((r) => [r.state, r.status])).toEqual([
      ['delivered', undefined],
      ['pending', '4.0.0'],
      ['pending', '4.0.0'],
    ]);
  });

  it('fails accepted recipients when the data is refused for good', () => {
    expect(applyReplies(delivery, plan, { mail: reply(250, '2.1.0'), rcpt: [reply(250, '2.1.5'), reply(250, '2.1.5')], data: reply(552, '5.3.4') }).map((r) => r.state)).toEqual(['delivered', 'failed', 'failed']);
  });
});
