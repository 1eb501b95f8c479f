/**
 * Fuzz tier for the SMTP reply decoder: whatever the server sends, in whatever chunking, the decoder returns
 * a Result, never throws, gives the same answer for every chunking, and every reply it accepts is within the
 * grammar and limits.
 */
import { describe, expect, it } from 'vitest';
import { isErrorCode } from '../../../shared/errors';
import type { Result } from '../../../shared/errors';
import { LIMITS } from '../../../shared/protocol/limits';
import { createRng, fuzzSeed, mutate, randomChunks } from '../../../shared/test-support/fuzz';
import { ascii, fuzzRuns } from '../../../shared/test-support/vectors';
import { createReplyDecoder } from './reply-decoder';
import type { SmtpReply } from './reply-decoder';

const SESSION = ascii(
  '220 localhost ESMTP Postfix\r\n250-localhost\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-DSN\r\n250 CHUNKING\r\n250 2.1.0 Ok\r\n550 5.1.1 <x@y>: User unknown\r\n354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued as 01AE220C29F\r\n',
);

function decode(parts: readonly Uint8Array[]): Result<SmtpReply[]> {
  const d = createReplyDecoder();
  const out: SmtpReply[] = [];
  for (const p of parts) {
    const r = d.push(p);
    if (!r.ok) return r;
    out.push(...r.value);
  }
  return { ok: true, value: out };
}

describe('SMTP reply decoder fuzz', () => {
  it(`returns the same Result for every chunking of ${fuzzRuns} mutated and random inputs`, () => {
    const rng = createRng(fuzzSeed);
    const started = Date.now();
    for (let run = 0; run < fuzzRuns; run++) {
      const input = run % 2 === 0 ? mutate(rng, SESSION) : rng.bytes(rng.int(256));
      const whole = decode([input]);
      const chunked = decode(randomChunks(rng, input, 1 + rng.int(16)));
      const where = `seed ${fuzzSeed} run ${run}`;
      if (whole.ok !== chunked.ok) throw new Error(`${where}: chunking changed the outcome`);
      if (!whole.ok) {
        if (!isErrorCode(whole.error.code)) throw new Error(`${where}: unknown code`);
        continue;
      }
      if (JSON.stringify(whole.value) !== JSON.stringify(chunked.ok ? chunked.value : null)) throw new Error(`${where}: chunking changed the replies`);
      for (const r of whole.value) {
        if (r.code < 200 || r.code > 559 || r.lines.length === 0 || r.lines.length > LIMITS.smtpMaxReplyLines) throw new Error(`${where}: reply out of range`);
      }
    }
    expect(Date.now() - started).toBeLessThan(Math.max(60_000, fuzzRuns / 2));
  });
});
