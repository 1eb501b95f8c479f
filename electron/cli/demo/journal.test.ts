import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createJournal } from './journal';
import type { DemoInput, Narrator, Step } from './narrate';

/** A narrator that turns each submitted input into one step whose text is the Message-ID. */
const echo: Narrator = (input: DemoInput) =>
  input.kind === 'submitted' ? [{ at: input.at, site: input.site, kind: 'submitted', message: input.messageId, text: input.messageId, tone: input.reply === 'fatal' ? 'fatal' : 'plain' }] : [];

const submitted = (messageId: string, reply = '250 ok'): DemoInput => ({ kind: 'submitted', at: 1, site: 'earth', messageId, reply, notify: 'SUCCESS' });

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('journal', () => {
  it('shows every step at once and finds one seen before the wait', async () => {
    const shown: Step[] = [];
    const j = createJournal(echo, (s) => shown.push(s), new AbortController().signal);
    j.observe(submitted('a'));
    expect(shown.map((s) => s.text)).toEqual(['a']);
    const r = await j.waitFor((s) => s.message === 'a', { timeoutMs: 1000, what: 'a' });
    expect(r.ok && r.value.text).toBe('a');
  });

  it('resolves a wait when the matching step comes later, and leaves other waits pending', async () => {
    const j = createJournal(echo, () => undefined, new AbortController().signal);
    const b = j.waitFor((s) => s.message === 'b', { timeoutMs: 1000, what: 'b' });
    const c = j.waitFor((s) => s.message === 'c', { timeoutMs: 1000, what: 'the step c' });
    j.observe(submitted('b'));
    expect((await b).ok).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    const late = await c;
    expect(late.ok).toBe(false);
    if (!late.ok) expect(late.error).toEqual({ code: 'TIMEOUT', message: 'timed out after 1 s waiting for the step c' });
  });

  it('ends every wait at the first fatal step, with its words, and refuses later waits the same way', async () => {
    const j = createJournal(echo, () => undefined, new AbortController().signal);
    const w = j.waitFor((s) => s.message === 'never', { timeoutMs: 60_000, what: 'x' });
    j.observe(submitted('node: expired — bundle 1', 'fatal'));
    const r = await w;
    expect(!r.ok && r.error).toEqual({ code: 'INTERNAL', message: 'node: expired — bundle 1' });
    const again = await j.waitFor(() => false, { timeoutMs: 60_000, what: 'y' });
    expect(!again.ok && again.error.message).toBe('node: expired — bundle 1');
  });

  it('ends every wait when the demo is interrupted or a watcher fails', async () => {
    const abort = new AbortController();
    const j = createJournal(echo, () => undefined, abort.signal);
    const w = j.waitFor(() => false, { timeoutMs: 60_000, what: 'x' });
    abort.abort();
    expect(!(await w).ok).toBe(true);

    const k = createJournal(echo, () => undefined, new AbortController().signal);
    const v = k.waitFor(() => false, { timeoutMs: 60_000, what: 'x' });
    k.fail('IMAP bob: connection lost');
    const r = await v;
    expect(!r.ok && r.error.message).toBe('IMAP bob: connection lost');
  });

  it('turns a narration bug into a failed wait instead of an exception in the caller (a component log callback)', async () => {
    const broken: Narrator = () => {
      throw new Error('no such field');
    };
    const j = createJournal(broken, () => undefined, new AbortController().signal);
    const w = j.waitFor(() => true, { timeoutMs: 60_000, what: 'x' });
    expect(() => j.observe(submitted('a'))).not.toThrow();
    const r = await w;
    expect(!r.ok && r.error.message).toBe('narrating submitted: no such field');
  });
});
