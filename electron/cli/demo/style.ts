/**
 * Colour for the demo's terminal output, only when standard output is a terminal (and NO_COLOR is not
 * set, https://no-color.org): a log file or a pipe gets plain text.
 */

export interface Style {
  /** Times and secondary detail. */
  dim(text: string): string;
  bold(text: string): string;
  /** Outcomes that are what the demo set out to show (delivered, SHA-256 matches). */
  good(text: string): string;
  /** Failures and timeouts. */
  bad(text: string): string;
  /** The site column: each site keeps its colour. */
  site(key: 'earth' | 'mars', text: string): string;
}

const sgr = (code: string) => (text: string) => `\u001b[${code}m${text}\u001b[0m`;

const PLAIN: Style = {
  dim: (t) => t,
  bold: (t) => t,
  good: (t) => t,
  bad: (t) => t,
  site: (_k, t) => t,
};

const COLOUR: Style = {
  dim: sgr('2'),
  bold: sgr('1'),
  good: sgr('32'),
  bad: sgr('1;31'),
  site: (k, t) => (k === 'earth' ? sgr('36')(t) : sgr('33')(t)),
};

export function createStyle(colour: boolean): Style {
  return colour ? COLOUR : PLAIN;
}

/** Colour when the stream is a terminal and the environment does not opt out. */
export function wantsColour(isTty: boolean, env: Readonly<Record<string, string | undefined>>): boolean {
  return isTty && (env['NO_COLOR'] === undefined || env['NO_COLOR'] === '') && env['TERM'] !== 'dumb';
}
