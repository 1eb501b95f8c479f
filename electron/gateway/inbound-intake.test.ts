import { describe, expect, it } from 'vitest';
import { ascii } from '../../shared/test-support/vectors';
import { intakePayload } from './inbound-intake';
import { createRelayPolicy } from './relay-policy';

function policy(acceptPlainRfc5322 = false) {
  const p = createRelayPolicy({ sources: ['dtn://earth.dtn/'], localDomains: ['mars.example'], acceptPlainRfc5322 });
  if (!p.ok) throw new Error(p.error.message);
  return p.value;
}

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('inbound intake', () => {
  it('reads every transaction of a BSMTP object (RSET between them) and splits local from refused recipients', () => {
    const payload = ascii(
      'EHLO gw.earth.example\r\n' +
        'MAIL FROM:<alice@earth.example> ENVID=e1\r\n' +
        'RCPT TO:<bob@mars.example> NOTIFY=FAILURE\r\n' +
        'RCPT TO:<BOB@mars.example>\r\n' +
        'RCPT TO:<eve@venus.example>\r\n' +
        'RCPT TO:<postmaster>\r\n' +
        'DATA\r\nMessage-ID: <m1@earth.example>\r\n\r\none\r\n.\r\n' +
        'RSET\r\n' +
        'MAIL FROM:<>\r\nRCPT TO:<carol@mars.example>\r\nDATA\r\nSubject: two\r\n\r\n..two\r\n.\r\n' +
        'QUIT\r\n',
    );
    const intake = intakePayload(payload, policy());
    if (intake.kind !== 'transactions') throw new Error(intake.error.message);
    expect(intake.form).toBe('bsmtp');
    const [t1, t2] = intake.transactions;
    expect(t1?.mailParams).toEqual({ ENVID: 'e1' });
    expect(t1?.messageId).toBe('m1@earth.example');
    // the same address twice is delivered once
    expect(t1?.local).toEqual([{ address: 'bob@mars.example', params: { NOTIFY: 'FAILURE' } }]);
    expect(t1?.refused.map((r) => [r.recipient.address, r.status])).toEqual([
      ['eve@venus.example', '5.7.1'],
      ['postmaster', '5.1.3'],
    ]);
    expect(t2?.mailFrom).toBe('');
    expect(t2?.messageId).toBeNull();
    expect(text(t2!.message)).toBe('Subject: two\r\n\r\n.two\r\n');
  });

  it('accepts DATA with no recipient (RFC 2442) as a transaction with nothing to deliver', () => {
    const intake = intakePayload(ascii('MAIL FROM:<a@earth.example>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n'), policy());
    expect(intake.kind === 'transactions' && intake.transactions.map((t) => [t.local.length, t.refused.length])).toEqual([[0, 0]]);
  });

  it.each([
    ['a bare-LF end of data (SMTP smuggling)', 'MAIL FROM:<a@earth.example>\r\nRCPT TO:<b@mars.example>\r\nDATA\r\nx\n.\nMAIL FROM:<evil@x>\r\n.\r\n', 'BSMTP_SMUGGLING'],
    ['a command BSMTP has no place for', 'EHLO x\r\nVRFY bob\r\nQUIT\r\n', 'BSMTP_COMMAND_NOT_ALLOWED'],
    ['a truncated object', 'MAIL FROM:<a@earth.example>\r\nRCPT TO:<b@mars.example>\r\nDATA\r\nx\r\n', 'TRUNCATED'],
    ['a NUL octet (SMTP smuggling)', '\x00\x01\x02binary', 'BSMTP_SMUGGLING'],
    ['bytes that are no mail at all', '12345 binary\r\n', 'BSMTP_SYNTAX'],
  ])('gives %s to the postmaster as invalid, whole', (_name, payload, code) => {
    const intake = intakePayload(ascii(payload), policy());
    expect(intake.kind === 'invalid' && intake.error.code).toBe(code);
  });

  it('refuses the plain RFC 5322 form unless the configuration accepts it', () => {
    const intake = intakePayload(ascii('From: alice@earth.example\r\nTo: bob@mars.example\r\n\r\nhi\r\n'), policy(false));
    expect(intake.kind === 'invalid' && [intake.form, intake.error.code]).toEqual(['rfc5322', 'BSMTP_NOT_BSMTP']);
  });

  it('takes the -00 form when allowed: recipients from To, Cc and Bcc, the Bcc field removed, From as reverse-path', () => {
    const payload = ascii(
      'From: Alice <alice@earth.example>\r\nTo: Bob <bob@mars.example>, eve@venus.example\r\nCc: carol@mars.example\r\nBcc: dave@mars.example,\r\n  erin@mars.example\r\nSubject: testbed\r\nMessage-ID: <t1@earth.example>\r\n\r\nbody\r\n',
    );
    const intake = intakePayload(payload, policy(true));
    if (intake.kind !== 'transactions') throw new Error(intake.error.message);
    const t = intake.transactions[0]!;
    expect(intake.form).toBe('rfc5322');
    expect(t.mailFrom).toBe('alice@earth.example');
    expect(t.local.map((r) => r.address)).toEqual(['bob@mars.example', 'carol@mars.example', 'dave@mars.example', 'erin@mars.example']);
    expect(t.refused.map((r) => r.recipient.address)).toEqual(['eve@venus.example']);
    expect(text(t.message)).toBe('From: Alice <alice@earth.example>\r\nTo: Bob <bob@mars.example>, eve@venus.example\r\nCc: carol@mars.example\r\nSubject: testbed\r\nMessage-ID: <t1@earth.example>\r\n\r\nbody\r\n');
    expect(t.messageId).toBe('t1@earth.example');
  });

  it('gives a -00 message without recipients to the postmaster', () => {
    const intake = intakePayload(ascii('From: alice@earth.example\r\nSubject: x\r\n\r\nhi\r\n'), policy(true));
    expect(intake.kind === 'invalid' && intake.error.code).toBe('MALFORMED');
  });
});
