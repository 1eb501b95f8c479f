import { describe, expect, it } from 'vitest';
import { parseDsn } from '../../shared/mail/dsn';
import { decodeBsmtp } from '../../shared/protocol/bsmtp';
import { ascii } from '../../shared/test-support/vectors';
import { buildDsnBundle, notifyWants } from './dsn-bundle';
import type { DsnBundleInput } from './dsn-bundle';

const input: DsnBundleInput = {
  hostname: 'gw.mars.example',
  domain: 'mars.example',
  mailFrom: 'alice@earth.example',
  mailParams: { ENVID: 'farside+2Benv=1'.replace('=', '+3D'), RET: 'FULL' },
  message: ascii('Message-ID: <m1@earth.example>\r\nSubject: hi\r\n\r\nbody\r\n'),
  recipients: [
    { address: 'bob@mars.example', params: { NOTIFY: 'FAILURE', ORCPT: 'rfc822;Bob+2Bx@mars.example' }, action: 'failed', status: '5.1.1', reply: '550 5.1.1 <bob@mars.example>: User unknown', remoteMta: '127.0.0.1' },
    { address: 'carol@mars.example', params: { NOTIFY: 'NEVER' }, action: 'failed', status: '5.1.1' },
  ],
  arrivedAt: Date.UTC(2026, 10, 25, 12, 0, 0),
  now: Date.UTC(2026, 10, 25, 12, 0, 5),
};

describe('DSN bundles', () => {
  it('follow NOTIFY (RFC 3461 §4.1): absent means FAILURE, NEVER means nothing', () => {
    expect(notifyWants({}, 'failed')).toBe(true);
    expect(notifyWants({}, 'delayed')).toBe(false);
    expect(notifyWants({}, 'delivered')).toBe(false);
    expect(notifyWants({ NOTIFY: 'NEVER' }, 'failed')).toBe(false);
    expect(notifyWants({ NOTIFY: 'success,delay' }, 'failed')).toBe(false);
    expect(notifyWants({ NOTIFY: 'SUCCESS,DELAY' }, 'delayed')).toBe(true);
    expect(notifyWants({ NOTIFY: 'SUCCESS' }, 'relayed')).toBe(true);
    expect(notifyWants({ NOTIFY: 'FAILURE' }, 'relayed')).toBe(false);
  });

  it('are BSMTP with MAIL FROM:<> to the reverse-path, reporting only the recipients that asked', () => {
    const r = buildDsnBundle(input);
    if (!r.ok || r.value === null) throw new Error('no DSN');
    expect(r.value.recipients).toEqual(['bob@mars.example']);
    const decoded = decodeBsmtp(r.value.bsmtp);
    if (!decoded.ok) throw new Error(decoded.error.message);
    expect(decoded.value.ehlo).toBe('gw.mars.example');
    const tx = decoded.value.transactions[0]!;
    expect(tx.envelope.mailFrom).toBe('');
    expect(tx.envelope.mailParams).toEqual({ SIZE: String(tx.message.length) });
    expect(tx.envelope.rcptTo).toEqual([{ address: 'alice@earth.example', params: {} }]);
    const dsn = parseDsn(tx.message);
    if (!dsn.ok || dsn.value === null) throw new Error('not a DSN');
    // ENVID and ORCPT xtext-decoded (RFC 3461 §6.3)
    expect(dsn.value.originalEnvelopeId).toBe('farside+env=1');
    expect(dsn.value.reportingMta).toEqual({ type: 'dns', value: 'gw.mars.example' });
    expect(dsn.value.arrivalDate).toBe('Wed, 25 Nov 2026 12:00:00 +0000');
    expect(dsn.value.recipients).toEqual([
      {
        originalRecipient: { type: 'rfc822', value: 'Bob+x@mars.example' },
        finalRecipient: { type: 'rfc822', value: 'bob@mars.example' },
        action: 'failed',
        status: '5.1.1',
        remoteMta: { type: 'dns', value: '127.0.0.1' },
        diagnosticCode: { type: 'smtp', value: '550 5.1.1 <bob@mars.example>: User unknown' },
        lastAttemptDate: 'Wed, 25 Nov 2026 12:00:05 +0000',
      },
    ]);
    // RET=FULL: the message comes back whole
    expect(dsn.value.returnedMessageId).toBe('m1@earth.example');
    expect(new TextDecoder().decode(tx.message)).toContain('Content-Type: message/rfc822\r\n\r\nMessage-ID: <m1@earth.example>\r\nSubject: hi\r\n\r\nbody\r\n');
  });

  it('are never sent for a null reverse-path (RFC 5321 §4.5.5), nor when no recipient asked', () => {
    expect(buildDsnBundle({ ...input, mailFrom: '' })).toEqual({ ok: true, value: null });
    expect(buildDsnBundle({ ...input, recipients: [input.recipients[1]!] })).toEqual({ ok: true, value: null });
  });

  it('leave out an ENVID that does not decode rather than report it wrongly', () => {
    const r = buildDsnBundle({ ...input, mailParams: { ENVID: 'bad+zz' } });
    if (!r.ok || r.value === null) throw new Error('no DSN');
    const decoded = decodeBsmtp(r.value.bsmtp);
    const dsn = decoded.ok ? parseDsn(decoded.value.transactions[0]!.message) : null;
    expect(dsn?.ok && dsn.value?.originalEnvelopeId).toBeUndefined();
  });
});
