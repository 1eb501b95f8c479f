import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../shared/protocol/limits';
import { buildPostmasterNotice } from './postmaster-notice';

const base = {
  hostname: 'gw.mars.example',
  postmaster: 'postmaster@mars.example',
  source: 'dtn://earth.dtn/email',
  bundleKey: 'dtn://earth.dtn/email 1000 7',
  form: 'bsmtp',
  error: { code: 'BSMTP_SMUGGLING' as const, message: 'bare LF', offset: 42 },
  now: Date.UTC(2026, 10, 25, 12, 0, 0),
};

describe('postmaster notice', () => {
  it('explains the problem and attaches the object unchanged (RFC 2442: hand it to the postmaster)', async () => {
    const payload = new Uint8Array([0x4d, 0x41, 0x49, 0x4c, 0x0a, 0x2e, 0x0a, 0x00, 0xff, 0x0d]);
    const notice = buildPostmasterNotice({ ...base, payload });
    const mail = await simpleParser(Buffer.from(notice.message));
    expect(mail.to && !Array.isArray(mail.to) && mail.to.value[0]?.address).toBe('postmaster@mars.example');
    expect(mail.from?.value[0]?.address).toBe('MAILER-DAEMON@mars.example');
    expect(mail.subject).toBe('Invalid mail object from dtn://earth.dtn/email');
    expect(mail.messageId).toBe(`<${notice.messageId}>`);
    expect(mail.text).toContain('BSMTP_SMUGGLING at byte 42: bare LF');
    expect(mail.text).toContain('dtn://earth.dtn/email 1000 7');
    expect(mail.attachments).toHaveLength(1);
    expect([...mail.attachments[0]!.content]).toEqual([...payload]);
  });

  it('cuts a large object at LIMITS.gatewayPostmasterAttachmentBytes and says so', async () => {
    const payload = new Uint8Array(LIMITS.gatewayPostmasterAttachmentBytes + 10).fill(0x41);
    const mail = await simpleParser(Buffer.from(buildPostmasterNotice({ ...base, payload }).message));
    expect(mail.attachments[0]?.content.length).toBe(LIMITS.gatewayPostmasterAttachmentBytes);
    expect(mail.text).toContain('the rest was cut');
  });
});
