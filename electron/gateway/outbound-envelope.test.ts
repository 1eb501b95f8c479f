import { describe, expect, it } from 'vitest';
import { decodeBsmtp } from '../../shared/protocol/bsmtp';
import { ascii } from '../../shared/test-support/vectors';
import { buildOutboundGroups, mailArgsProblem, rcptArgsProblem } from './outbound-envelope';
import type { SessionEnvelope } from './outbound-envelope';
import { createRouteTable } from './routes';

const routes = (() => {
  const t = createRouteTable([
    { domain: 'mars.example', eid: 'dtn://mars.dtn/email', maxMessageBytes: 5000 },
    { domain: 'base.mars.example', eid: 'dtn://mars.dtn/email', maxMessageBytes: 3000 },
    { domain: 'venus.example', eid: 'ipn:3.25' },
  ]);
  if (!t.ok) throw new Error(t.error.message);
  return t.value;
})();

const message = ascii('From: alice@earth.example\r\nSubject: hi\r\n\r\n.dot line\r\n');

const envelope: SessionEnvelope = {
  mailFrom: 'alice@earth.example',
  // as smtp-server hands them over: keywords upper case, ENVID and ORCPT xtext-decoded
  mailArgs: { BODY: '8BITMIME', SIZE: '9999', RET: 'HDRS', ENVID: 'id+with=plus' },
  rcptTo: [
    { address: 'bob@mars.example', args: { NOTIFY: 'SUCCESS,FAILURE', ORCPT: 'rfc822;bob@mars.example' } },
    { address: 'x@venus.example', args: { NOTIFY: 'NEVER' } },
    { address: 'carol@base.mars.example', args: { ORCPT: 'x-local;carol 1' } },
  ],
};

describe('outbound envelope → BSMTP', () => {
  it('writes one BSMTP object per destination gateway with the session parameters carried through', () => {
    const r = buildOutboundGroups({ ehlo: 'gw.earth.example', envelope, message, routes });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.map((g) => [g.destination, g.recipients, g.maxMessageBytes])).toEqual([
      ['dtn://mars.dtn/email', ['bob@mars.example', 'carol@base.mars.example'], 3000],
      ['ipn:3.25', ['x@venus.example'], 64 * 1024 * 1024],
    ]);
    const text = new TextDecoder().decode(r.value[0]!.bsmtp);
    // SIZE is the exact RFC 1870 size (the unstuffed message), not the session's 9999
    expect(text).toBe(
      'EHLO gw.earth.example\r\n' +
        `MAIL FROM:<alice@earth.example> BODY=8BITMIME SIZE=${message.length} RET=HDRS ENVID=id+2Bwith+3Dplus\r\n` +
        'RCPT TO:<bob@mars.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@mars.example\r\n' +
        'RCPT TO:<carol@base.mars.example> ORCPT=x-local;carol+201\r\n' +
        'DATA\r\nFrom: alice@earth.example\r\nSubject: hi\r\n\r\n..dot line\r\n.\r\nQUIT\r\n',
    );
    const decoded = decodeBsmtp(r.value[1]!.bsmtp);
    expect(decoded.ok && decoded.value.transactions[0]?.envelope.rcptTo).toEqual([{ address: 'x@venus.example', params: { NOTIFY: 'NEVER' } }]);
  });

  it('writes the null reverse-path of a bounce as MAIL FROM:<>', () => {
    const r = buildOutboundGroups({ ehlo: 'gw.earth.example', envelope: { mailFrom: '', mailArgs: {}, rcptTo: [{ address: 'bob@mars.example', args: {} }] }, message, routes });
    expect(r.ok && new TextDecoder().decode(r.value[0]!.bsmtp)).toContain(`MAIL FROM:<> SIZE=${message.length}\r\n`);
  });

  it('refuses a recipient without a route', () => {
    const r = buildOutboundGroups({ ehlo: 'gw', envelope: { ...envelope, rcptTo: [{ address: 'z@pluto.example', args: {} }] }, message, routes });
    expect(r.ok ? 'ok' : r.error.code).toBe('NO_ROUTE');
  });

  it('names the MAIL and RCPT parameters it cannot carry', () => {
    expect(mailArgsProblem({ BODY: 'BINARYMIME' })).toMatch(/BODY/);
    expect(mailArgsProblem({ RET: 'ALL' })).toMatch(/RET/);
    expect(mailArgsProblem({ ENVID: 'caf\u00e9' })).toMatch(/ENVID/);
    expect(mailArgsProblem({ ENVID: 'x'.repeat(101) })).toMatch(/100/);
    expect(mailArgsProblem({ BODY: '7bit', RET: 'full', ENVID: 'ok' })).toBeNull();
    expect(rcptArgsProblem('a@b', { NOTIFY: 'SUCCESS,SUCCESS' })).toMatch(/NOTIFY/);
    expect(rcptArgsProblem('a@b', { ORCPT: 'nosemicolon' })).toMatch(/ORCPT/);
    expect(rcptArgsProblem('a@b', { ORCPT: `rfc822;${'x'.repeat(500)}` })).toMatch(/500/);
    expect(rcptArgsProblem('a@b', { NOTIFY: 'delay,failure', ORCPT: 'rfc822;a@b' })).toBeNull();
  });
});
