import { describe, expect, it } from 'vitest';
import { formatRfc5322Date } from './date';

describe('formatRfc5322Date (RFC 5322 §3.3)', () => {
  it('formats UTC date-times with a +0000 zone', () => {
    expect(formatRfc5322Date(0)).toBe('Thu, 1 Jan 1970 00:00:00 +0000');
    // the Date of RFC 5322 Appendix A.1.1, 21 Nov 1997 09:55:06 -0600, in UTC
    expect(formatRfc5322Date(Date.UTC(1997, 10, 21, 15, 55, 6))).toBe('Fri, 21 Nov 1997 15:55:06 +0000');
  });
});
