import { describe, expect, it } from 'vitest';
import { memoryIo, EXIT_USAGE } from '../io';
import { runCli } from '../main';

describe('farside demo: options', () => {
  it('refuses a light time that is not a number of seconds from 0 to 20, before starting anything', async () => {
    for (const bad of ['abc', '-1', '1e3', '25', '3s', '']) {
      const m = memoryIo();
      expect(await runCli(['demo', `--owlt=${bad}`], m.io), bad).toBe(EXIT_USAGE);
      expect(m.errText()).toBe(`farside demo: --owlt needs a number of seconds from 0 to 20, got '${bad}'\n`);
      expect(m.outText()).toBe('');
    }
  });

  it('refuses unknown options', async () => {
    const m = memoryIo();
    expect(await runCli(['demo', '--fast'], m.io)).toBe(EXIT_USAGE);
    expect(m.errText()).toMatch(/^farside demo: Unknown option '--fast'/);
  });

  it('explains itself', async () => {
    const m = memoryIo();
    expect(await runCli(['demo', '--help'], m.io)).toBe(0);
    expect(m.outText()).toMatch(/^Usage: farside demo \[--owlt SECONDS\] \[--keep\] \[--quiet\]\n/);
    expect(m.outText()).toContain('--keep          keep the temporary directory');
  });
});
