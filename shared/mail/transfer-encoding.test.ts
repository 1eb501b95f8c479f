import { describe, expect, it } from 'vitest';
import { ascii } from '../test-support/vectors';
import { decodeTransferEncoding } from './transfer-encoding';

const text = (encoding: string, body: string): string => {
  const r = decodeTransferEncoding(encoding, ascii(body));
  if (!r.ok) throw new Error(r.error.message);
  return new TextDecoder().decode(r.value);
};

describe('decodeTransferEncoding (RFC 2045 §6)', () => {
  it('decodes the RFC 4648 §10 base64 test vectors, skipping line breaks', () => {
    const vectors: [string, string][] = [['', ''], ['Zg==', 'f'], ['Zm8=', 'fo'], ['Zm9v', 'foo'], ['Zm9vYg==', 'foob'], ['Zm9vYmE=', 'fooba'], ['Zm9vYmFy', 'foobar']];
    for (const [b64, plain] of vectors) expect(text('base64', b64)).toBe(plain);
    expect(text('BASE64', 'Zm9v\r\nYmFy\r\n')).toBe('foobar');
  });

  it('decodes quoted-printable escapes and soft line breaks (RFC 2045 §6.7)', () => {
    expect(text('quoted-printable', 'caf=C3=A9 =3D ok=\r\ncontinued')).toBe('café = okcontinued');
    expect(text('quoted-printable', 'soft=  \r\nbreak')).toBe('softbreak');
  });

  it('passes 7bit, 8bit and binary through as the same bytes', () => {
    const body = ascii('x\r\n');
    for (const e of [undefined, '7bit', '8BIT', 'binary']) {
      const r = decodeTransferEncoding(e, body);
      expect(r.ok && r.value).toBe(body);
    }
  });

  it('refuses an unknown encoding', () => {
    const r = decodeTransferEncoding('x-uuencode', ascii('x'));
    expect(r.ok ? 'ok' : r.error.code).toBe('UNSUPPORTED');
  });
});
