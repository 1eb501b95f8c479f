import { describe, expect, it } from 'vitest';
import { parseAddressList } from './address-list';

describe('parseAddressList (RFC 5322 §3.4)', () => {
  it('reads the address lists of RFC 5322 Appendix A.1.2', () => {
    expect(parseAddressList('"Mary Smith: Personal Account" <smith@home.example>')).toEqual(['smith@home.example']);
    expect(parseAddressList('Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>')).toEqual(['mary@x.test', 'jdoe@example.org', 'one@y.test']);
    expect(parseAddressList('<boss@nil.test>, "Giant; \\"Big\\" Box" <sysservices@example.net>')).toEqual(['boss@nil.test', 'sysservices@example.net']);
  });

  it('reads groups, empty groups included (Appendix A.1.3)', () => {
    expect(parseAddressList('A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;')).toEqual(['c@a.test', 'joe@where.test', 'jdoe@one.test']);
    expect(parseAddressList('Undisclosed recipients:;')).toEqual([]);
  });

  it('drops comments, as in Appendix A.5', () => {
    expect(parseAddressList('Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>')).toEqual(['pete@silly.test']);
    expect(parseAddressList("A Group(Some people)\r\n     :Chris Jones <c@(Chris's host.)public.example>,\r\n         joe@example.org,\r\n  John <jdoe@one.test> (my dear friend); (the end of the group)")).toEqual([
      'c@public.example',
      'joe@example.org',
      'jdoe@one.test',
    ]);
  });

  it('keeps a quoted local-part and strips an obsolete route (§4.4)', () => {
    expect(parseAddressList('"john q"@example.org')).toEqual(['"john q"@example.org']);
    expect(parseAddressList('<@relay.test:user@host.test>')).toEqual(['user@host.test']);
  });

  it('yields nothing for entries that name no mailbox', () => {
    expect(parseAddressList('just a name, ,')).toEqual([]);
  });
});
