import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeXtext, encodeXtext, isXtext } from './xtext';

describe('xtext (RFC 3461 §4)', () => {
  it('leaves "!" .. "~" alone except "+" and "="', () => {
    expect(encodeXtext('!azAZ09~<>@.;"\\')).toEqual({ ok: true, value: '!azAZ09~<>@.;"\\' });
  });

  it('writes SP, "+", "=", controls and DEL as +HH with upper-case hex', () => {
    expect(encodeXtext('a b+c=d')).toEqual({ ok: true, value: 'a+20b+2Bc+3Dd' });
    expect(encodeXtext('\0\t\r\n\x1f\x7f')).toEqual({ ok: true, value: '+00+09+0D+0A+1F+7F' });
  });

  it('refuses non-ASCII text (RFC 3461 §4.2, §4.4 are US-ASCII)', () => {
    const r = encodeXtext('é');
    expect(!r.ok && r.error.code).toBe('INVALID_ARGUMENT');
  });

  it('decodes hexchars and xchars', () => {
    expect(decodeXtext('a+20b+2Bc+3Dd')).toEqual({ ok: true, value: 'a b+c=d' });
    expect(decodeXtext('')).toEqual({ ok: true, value: '' });
  });

  const bad: [string, string][] = [
    ['lower-case hex', 'a+2b'],
    ['a "+" at the end', 'a+'],
    ['one hex digit', 'a+2'],
    ['a non-hex digit', '+G0'],
    ['a raw "="', 'a=b'],
    ['a raw SP', 'a b'],
    ['a raw control', 'a\tb'],
    ['an octet above 0x7F', '+C3+A9'],
    ['a non-ASCII character', 'é'],
  ];
  for (const [name, value] of bad) {
    it(`refuses ${name}`, () => {
      const r = decodeXtext(value);
      expect(!r.ok && r.error.code).toBe('BSMTP_SYNTAX');
    });
  }

  it('round-trips every US-ASCII string, and its encoding uses only xchars and hexchars', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 64 }), (s) => {
        const e = encodeXtext(s);
        expect(e.ok).toBe(true);
        if (!e.ok) return;
        expect(e.value).toMatch(/^([\x21-\x2a\x2c-\x3c\x3e-\x7e]|\+[0-9A-F]{2})*$/);
        expect(decodeXtext(e.value)).toEqual({ ok: true, value: s });
      }),
    );
  });
});

describe('isXtext', () => {
  it('accepts exactly what decodeXtext accepts', () => {
    const xtextish = fc.string({ unit: fc.constantFrom('+', '=', ' ', 'a', 'F', 'f', '0', '7', '8', '9', 'G', '~', '\u007f', 'é'), maxLength: 12 });
    fc.assert(fc.property(xtextish, (s) => isXtext(s) === decodeXtext(s).ok), { numRuns: 2000 });
  });
});
