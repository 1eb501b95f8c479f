/**
 * The addr-specs of an address-list header value such as To or Cc (RFC 5322 §3.4):
 *
 *   address-list = address *("," address)      address = mailbox / group
 *   mailbox      = name-addr / addr-spec       name-addr = [display-name] "<" addr-spec ">"
 *   group        = display-name ":" [mailbox-list] ";"
 *
 * Display names, comments "(...)" and group names are dropped; a quoted local-part keeps its quotes
 * ("a b"@example.test). The obsolete route syntax "<@relay:user@host>" yields user@host (RFC 5322 §4.4).
 * Entries that hold no "@" (e.g. "undisclosed-recipients:;" or a bare name) yield nothing: they name no
 * mailbox.
 */

type Token = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'special'; readonly text: string };

function tokenize(value: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < value.length) {
    const c = value[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(') {
      let depth = 0;
      while (i < value.length) {
        const d = value[i++]!;
        if (d === '\\') i++;
        else if (d === '(') depth++;
        else if (d === ')' && --depth === 0) break;
      }
    } else if (c === '"') {
      let text = '"';
      i++;
      while (i < value.length && value[i] !== '"') {
        if (value[i] === '\\' && i + 1 < value.length) text += value[i++];
        text += value[i++];
      }
      i++;
      out.push({ kind: 'text', text: `${text}"` });
    } else if ('<>,:;'.includes(c)) {
      out.push({ kind: 'special', text: c });
      i++;
    } else {
      const start = i;
      while (i < value.length && !/[\s()"<>,:;]/.test(value[i]!)) i++;
      out.push({ kind: 'text', text: value.slice(start, i) });
    }
  }
  return out;
}

export function parseAddressList(value: string): string[] {
  const tokens = tokenize(value);
  const out: string[] = [];
  let words: string[] = []; // text tokens of the current address outside angle brackets
  let angle: string[] | null = null; // inside "<...>"
  let angled: string | null = null; // the last complete angle-addr of the current address
  const finish = (): void => {
    const addr = angled ?? words.join('');
    if (addr.includes('@')) out.push(addr);
    words = [];
    angled = null;
  };
  for (const t of tokens) {
    if (angle !== null) {
      if (t.text === '>' && t.kind === 'special') {
        const inner = angle.join('');
        // RFC 5322 §4.4 obs-route: "@relay,@relay:" before the addr-spec
        const colon = inner.startsWith('@') ? inner.indexOf(':') : -1;
        angled = colon >= 0 ? inner.slice(colon + 1) : inner;
        angle = null;
      } else {
        angle.push(t.text);
      }
      continue;
    }
    if (t.kind === 'special') {
      if (t.text === '<') angle = [];
      else if (t.text === ',' || t.text === ';') finish();
      else if (t.text === ':') words = []; // a group's display name ends; its members follow
    } else {
      words.push(t.text);
    }
  }
  finish();
  return out;
}
