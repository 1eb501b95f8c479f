/**
 * A Content-Type field value (RFC 2045 §5.1):
 *
 *   content   = type "/" subtype *(";" parameter)
 *   parameter = attribute "=" value          value = token / quoted-string (RFC 5322 §3.2.4)
 *
 * Type, subtype and attribute names are case-insensitive and returned in lower case; values keep their
 * case (a boundary is case-sensitive, RFC 2046 §5.1.1). RFC 822 comments "(...)" between tokens are
 * skipped. RFC 2231 continuations are not needed for the fields Farside reads (boundary, report-type,
 * charset) and are not joined.
 */

export interface ContentType {
  readonly type: string;
  readonly subtype: string;
  /** attribute (lower case) → value (quotes and quoting backslashes removed). */
  readonly params: ReadonlyMap<string, string>;
}

/** RFC 2045 §5.1 tspecials plus SP and CTLs end a token. */
const TOKEN_END = /[()<>@,;:\\"/[\]?=\s\x00-\x1f\x7f]/;

class Scanner {
  i = 0;
  constructor(readonly s: string) {}

  /** Skip white space and (nested) comments. */
  skip(): void {
    for (;;) {
      while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++;
      if (this.s[this.i] !== '(') return;
      let depth = 0;
      while (this.i < this.s.length) {
        const c = this.s[this.i++]!;
        if (c === '\\') this.i++;
        else if (c === '(') depth++;
        else if (c === ')' && --depth === 0) break;
      }
    }
  }

  token(): string {
    this.skip();
    const start = this.i;
    while (this.i < this.s.length && !TOKEN_END.test(this.s[this.i]!)) this.i++;
    return this.s.slice(start, this.i);
  }

  quoted(): string | undefined {
    this.skip();
    if (this.s[this.i] !== '"') return undefined;
    this.i++;
    let out = '';
    while (this.i < this.s.length) {
      const c = this.s[this.i++]!;
      if (c === '"') return out;
      out += c === '\\' && this.i < this.s.length ? this.s[this.i++]! : c;
    }
    return undefined; // unterminated
  }

  take(ch: string): boolean {
    this.skip();
    if (this.s[this.i] !== ch) return false;
    this.i++;
    return true;
  }
}

/** Parse a Content-Type value; undefined when it does not start with type "/" subtype. */
export function parseContentType(value: string): ContentType | undefined {
  const s = new Scanner(value);
  const type = s.token().toLowerCase();
  if (type === '' || !s.take('/')) return undefined;
  const subtype = s.token().toLowerCase();
  if (subtype === '') return undefined;
  const params = new Map<string, string>();
  while (s.take(';')) {
    const attribute = s.token().toLowerCase();
    if (attribute === '') continue; // an empty parameter (";;" or a trailing ";") carries nothing
    if (!s.take('=')) break;
    const v = s.quoted() ?? s.token();
    // the first occurrence wins; a repeated parameter is an error a reader cannot resolve either way
    if (!params.has(attribute)) params.set(attribute, v);
  }
  return { type, subtype, params };
}
