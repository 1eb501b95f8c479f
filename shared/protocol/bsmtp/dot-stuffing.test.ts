import { describe, expect, it } from 'vitest';
import { ascii } from '../../test-support/vectors';
import { measureMessage, unstuffMessage, writeStuffedMessage } from './dot-stuffing';

const latin1 = (bytes: Uint8Array): string => new TextDecoder('latin1').decode(bytes);

function stuffed(message: string): string {
  const bytes = ascii(message);
  const shape = measureMessage(bytes);
  const out = new Uint8Array(shape.stuffedSize + 2).fill(0x7e); // two guard octets must stay untouched
  const end = writeStuffedMessage(bytes, out, 1);
  expect(end).toBe(1 + shape.stuffedSize);
  expect([out[0], out[end]]).toEqual([0x7e, 0x7e]);
  return latin1(out.subarray(1, end));
}

describe('measureMessage', () => {
  const cases: [string, string, { size: number; stuffedSize: number; longestLine: number }][] = [
    ['empty', '', { size: 0, stuffedSize: 0, longestLine: 0 }],
    ['one CRLF line', 'abc\r\n', { size: 5, stuffedSize: 5, longestLine: 5 }],
    ['no final line end: CRLF added', 'abc', { size: 5, stuffedSize: 5, longestLine: 5 }],
    ['bare LF and bare CR each gain one octet', 'a\nbc\r', { size: 7, stuffedSize: 7, longestLine: 4 }],
    ['stuffing dots count in stuffedSize only', '.a\r\n..\r\nb.\r\n', { size: 12, stuffedSize: 14, longestLine: 4 }],
    ['a dot line without line end', 'x\r\n.', { size: 6, stuffedSize: 7, longestLine: 3 }],
    ['the longest line excludes its stuffing dot', '.abcdef\r\nab\r\n', { size: 13, stuffedSize: 14, longestLine: 9 }],
  ];
  for (const [name, message, shape] of cases) it(name, () => expect(measureMessage(ascii(message))).toEqual(shape));
});

describe('writeStuffedMessage', () => {
  it('writes exactly measureMessage(…).stuffedSize octets where it is told to', () => {
    expect(stuffed('.a\nb\r.c\r\n\r\n..d')).toBe('..a\r\nb\r\n..c\r\n\r\n...d\r\n');
    expect(stuffed('plain\r\n')).toBe('plain\r\n');
    expect(stuffed('')).toBe('');
  });

  it('keeps TAB, NUL-free controls and 8-bit octets as they are', () => {
    const bytes = Uint8Array.of(0x09, 0x01, 0x0b, 0x0c, 0xff, 0x80, 0x0a);
    const out = new Uint8Array(measureMessage(bytes).stuffedSize);
    writeStuffedMessage(bytes, out, 0);
    expect([...out]).toEqual([0x09, 0x01, 0x0b, 0x0c, 0xff, 0x80, 0x0d, 0x0a]);
  });
});

describe('unstuffMessage', () => {
  it('drops the first dot of every line that has one (RFC 5321 §4.5.2)', () => {
    const data = ascii('EHLO\r\n..a\r\nb.\r\n.\r\n...\r\nc\r\nTAIL');
    // the region is the three stuffed lines and two plain ones after "EHLO" CRLF
    const start = 6;
    const end = data.length - 'TAIL'.length;
    expect(latin1(unstuffMessage(data, start, end, 3))).toBe('.a\r\nb.\r\n\r\n..\r\nc\r\n');
  });
});
