/**
 * Fuzz tier for parseDsn: DSNs arrive as mail from anywhere, so every input must end in a Result — never
 * an exception — within the recipient limit and in bounded time. Inputs: mutations of real Postfix DSNs,
 * DSN-shaped text built from the fields and delimiters that matter, and random bytes.
 */
import { describe, expect, it } from 'vitest';
import { isErrorCode } from '../../errors';
import { LIMITS } from '../../protocol/limits';
import { createRng, fuzzSeed, mutate } from '../../test-support/fuzz';
import { POSTFIX_FAILED, POSTFIX_RELAYED } from '../../test-support/postfix-dsn';
import { ascii, fuzzRuns } from '../../test-support/vectors';
import { DSN_ACTIONS } from './types';
import { parseDsn } from './parse';

function check(input: Uint8Array): void {
  const r = parseDsn(input);
  if (!r.ok) {
    if (!isErrorCode(r.error.code)) throw new Error(`unknown error code ${String(r.error.code)}`);
    return;
  }
  if (r.value === null) return;
  if (r.value.recipients.length === 0 || r.value.recipients.length > LIMITS.dsnMaxRecipients) throw new Error('recipient count out of range');
  for (const x of r.value.recipients) {
    if (!DSN_ACTIONS.includes(x.action)) throw new Error(`action ${x.action}`);
    if (!/^[245]\.\d{1,3}\.\d{1,3}$/.test(x.status)) throw new Error(`status ${x.status}`);
  }
}

const PIECES = [
  'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n',
  'Content-Type: message/delivery-status\r\n',
  'Content-Type: text/rfc822-headers\r\n',
  'Content-Transfer-Encoding: base64\r\n',
  'Content-Transfer-Encoding: quoted-printable\r\n',
  '\r\n',
  '\n',
  '--b\r\n',
  '--b--\r\n',
  'Reporting-MTA: dns; x\r\n',
  'Final-Recipient: rfc822; a@b\r\n',
  'Original-Recipient: rfc822;a@b\r\n',
  'Action: failed\r\n',
  'Status: 5.1.1\r\n',
  'Status: 9.9\r\n',
  ' folded\r\n',
  'Message-ID: <m@x>\r\n',
  '=3D=\r\n',
  '(comment',
  '"quoted',
  ';;;',
];

describe('parseDsn fuzz', () => {
  it(`never throws on ${fuzzRuns} mutated, DSN-shaped and random inputs`, () => {
    const rng = createRng(fuzzSeed);
    const seeds = [ascii(POSTFIX_FAILED), ascii(POSTFIX_RELAYED)];
    const started = Date.now();
    for (let run = 0; run < fuzzRuns; run++) {
      let input: Uint8Array;
      const kind = run % 3;
      if (kind === 0) input = mutate(rng, seeds[rng.int(seeds.length)]!);
      else if (kind === 1) {
        let text = PIECES[0]!;
        const n = 1 + rng.int(30);
        for (let i = 0; i < n; i++) text += PIECES[rng.int(PIECES.length)]!;
        input = ascii(text);
      } else input = rng.bytes(rng.int(512));
      try {
        check(input);
      } catch (e) {
        throw new Error(`seed ${fuzzSeed} run ${run}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    // bounded work: the whole default run stays well inside the tier's budget
    expect(Date.now() - started).toBeLessThan(Math.max(60_000, fuzzRuns / 2));
  });
});
