import { describe, expect, it } from 'vitest';
import { ALLOWED_VERBS, MAIL_PARAM_RULES, RCPT_PARAM_RULES, formatEsmtpParams, isPathText, parseEsmtpParams } from './grammar';

describe('ESMTP parameters (RFC 5321 §4.1.2)', () => {
  it('parses "" and (SP keyword[=value])+, upper-casing keywords and keeping values as written', () => {
    expect(parseEsmtpParams('', MAIL_PARAM_RULES, 0)).toEqual({ ok: true, value: {} });
    expect(parseEsmtpParams(' body=8bitmime X-y=Ab;c SMTPUTF8', MAIL_PARAM_RULES, 0)).toEqual({
      ok: true,
      value: { BODY: '8bitmime', 'X-Y': 'Ab;c', SMTPUTF8: null },
    });
  });

  it('formats what it parses back in the same order', () => {
    const parsed = parseEsmtpParams(' SIZE=1 X-A RET=FULL', MAIL_PARAM_RULES, 0);
    expect(parsed.ok && formatEsmtpParams(parsed.value)).toBe(' SIZE=1 X-A RET=FULL');
  });

  it('checks known keywords only on the command they belong to', () => {
    // NOTIFY is a RCPT parameter: on MAIL it is an unknown parameter, carried as is
    expect(parseEsmtpParams(' NOTIFY=bogus', MAIL_PARAM_RULES, 0).ok).toBe(true);
    expect(parseEsmtpParams(' NOTIFY=bogus', RCPT_PARAM_RULES, 0).ok).toBe(false);
    expect(parseEsmtpParams(' SIZE=x', RCPT_PARAM_RULES, 0).ok).toBe(true);
  });

  it('reports the offset it was given', () => {
    const r = parseEsmtpParams(' =x', MAIL_PARAM_RULES, 42);
    expect(!r.ok && r.error).toMatchObject({ code: 'BSMTP_SYNTAX', offset: 42 });
  });
});

describe('path text', () => {
  it('is printable US-ASCII without SP, "<" and ">"', () => {
    expect(isPathText('a.b+c=d@[192.0.2.1]')).toBe(true);
    expect(isPathText('@relay:user@d')).toBe(true); // a source route (RFC 5321 §4.1.2) is kept as written
    for (const bad of ['', 'a b', 'a<b', 'a>b', 'a\tb', 'a\u007fb', 'caf\u00e9']) expect(isPathText(bad)).toBe(false);
  });
});

describe('commands RFC 2442 allows', () => {
  it('are the greeting, the transaction, RSET, NOOP and QUIT', () => {
    expect([...ALLOWED_VERBS].sort()).toEqual(['DATA', 'EHLO', 'HELO', 'MAIL', 'NOOP', 'QUIT', 'RCPT', 'RSET']);
  });
});
