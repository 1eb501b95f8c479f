import { describe, expect, it } from 'vitest';
import { parseContentType } from './content-type';

describe('parseContentType (RFC 2045 §5.1)', () => {
  it('reads type, subtype and parameters; names lower-cased, values as written', () => {
    const ct = parseContentType('Multipart/Report; Report-Type=delivery-status;\r\n\tboundary="003A920C591.1795636947/mta.earth.example"');
    expect(ct?.type).toBe('multipart');
    expect(ct?.subtype).toBe('report');
    expect(ct?.params.get('report-type')).toBe('delivery-status');
    expect(ct?.params.get('boundary')).toBe('003A920C591.1795636947/mta.earth.example');
  });

  it('reads the RFC 2045 §5.1 examples, with comments and quoting', () => {
    expect(parseContentType('text/plain; charset=us-ascii (Plain text)')?.params.get('charset')).toBe('us-ascii');
    expect(parseContentType('text/plain; charset="us-ascii"')?.params.get('charset')).toBe('us-ascii');
    expect(parseContentType('text/plain; name="a \\"b\\" c"')?.params.get('name')).toBe('a "b" c');
  });

  it('keeps the first of a repeated parameter and skips empty ones', () => {
    const ct = parseContentType('text/plain;; charset=a; charset=b;');
    expect(ct?.params.get('charset')).toBe('a');
  });

  it('gives undefined without type "/" subtype', () => {
    expect(parseContentType('text')).toBeUndefined();
    expect(parseContentType('/plain')).toBeUndefined();
    expect(parseContentType('')).toBeUndefined();
  });
});
