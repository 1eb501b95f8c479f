import { describe, expect, it } from 'vitest';
import { ascii } from '../test-support/vectors';
import { splitMultipart } from './multipart';

const decode = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('splitMultipart (RFC 2046 §5.1.1)', () => {
  it('splits the RFC 2046 §5.1.1 example into its two parts, preamble and epilogue dropped', () => {
    const body = ascii(
      'This is the preamble.  It is to be ignored, though it\r\nis a handy place for composition agents to include an\r\nexplanatory note to non-MIME conformant readers.\r\n\r\n' +
        '--simple boundary\r\n\r\nThis is implicitly typed plain US-ASCII text.\r\nIt does NOT end with a linebreak.\r\n' +
        '--simple boundary\r\nContent-type: text/plain; charset=us-ascii\r\n\r\nThis is explicitly typed plain US-ASCII text.\r\nIt DOES end with a linebreak.\r\n\r\n' +
        '--simple boundary--\r\n\r\nThis is the epilogue.  It is also to be ignored.\r\n',
    );
    const parts = splitMultipart(body, 'simple boundary').map((p) => decode(body.subarray(p.start, p.end)));
    expect(parts).toEqual([
      '\r\nThis is implicitly typed plain US-ASCII text.\r\nIt does NOT end with a linebreak.',
      'Content-type: text/plain; charset=us-ascii\r\n\r\nThis is explicitly typed plain US-ASCII text.\r\nIt DOES end with a linebreak.\r\n',
    ]);
  });

  it('accepts transport padding after a delimiter and ignores look-alike lines', () => {
    const body = ascii('--b  \r\nA\r\n--bb\r\n--b\t\r\nB\r\n--b--');
    expect(splitMultipart(body, 'b').map((p) => decode(body.subarray(p.start, p.end)))).toEqual(['A\r\n--bb', 'B']);
  });

  it('ends the last part at the end of input when the close delimiter is missing', () => {
    const body = ascii('--b\r\nA\r\n');
    expect(splitMultipart(body, 'b').map((p) => decode(body.subarray(p.start, p.end)))).toEqual(['A\r\n']);
  });
});
