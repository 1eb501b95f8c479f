/**
 * RFC 5322 §3.3 date-time, always in UTC ("+0000"), for Date, Arrival-Date and Last-Attempt-Date fields:
 *
 *   Wed, 25 Nov 2026 19:55:08 +0000
 *
 * Pure: the caller passes the time (Unix milliseconds).
 */
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

const two = (n: number): string => (n < 10 ? `0${n}` : String(n));

export function formatRfc5322Date(unixMs: number): string {
  const d = new Date(unixMs);
  const time = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  return `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${time} +0000`;
}
