import { describe, expect, it } from 'vitest';
import { createStyle, wantsColour } from './style';

describe('colour', () => {
  it('only on a terminal, and never when NO_COLOR is set or the terminal is dumb', () => {
    expect(wantsColour(true, {})).toBe(true);
    expect(wantsColour(false, {})).toBe(false);
    expect(wantsColour(true, { NO_COLOR: '1' })).toBe(false);
    expect(wantsColour(true, { NO_COLOR: '' })).toBe(true);
    expect(wantsColour(true, { TERM: 'dumb' })).toBe(false);
  });

  it('plain style leaves text alone; colour wraps it in SGR sequences that end in a reset', () => {
    const plain = createStyle(false);
    expect([plain.dim('a'), plain.bold('b'), plain.good('c'), plain.bad('d'), plain.site('mars', 'e')]).toEqual(['a', 'b', 'c', 'd', 'e']);
    const colour = createStyle(true);
    expect(colour.bad('x')).toBe('\u001b[1;31mx\u001b[0m');
    expect(colour.site('earth', 'Earth')).not.toBe(colour.site('mars', 'Earth'));
  });
});
