/**
 * The text key of a BPv7 bundle ID (RFC 9171 §4.3.1 / §5.6: source EID, creation timestamp and, for a
 * fragment, the fragment offset and payload length). uD3TN compares the same fields (bundle_is_equal,
 * v0.13 bundle.c) when it suppresses duplicates. Fields are separated by spaces, which no EID contains
 * (RFC 3986 has no unencoded space), so the key is unambiguous and readable in logs:
 * "dtn://earth.dtn/smtp 848946031000 1" or, for a fragment, "… 848946031000 1 945 945".
 */
export interface BundleIdParts {
  readonly source: string;
  /** DTN time of creation, ms (0 when unknown). */
  readonly creationTime: number;
  readonly sequence: number;
  /** For fragments: the offset of its payload in the ADU and its payload length. */
  readonly fragment?: { readonly offset: number; readonly payloadLength: number };
}

export function bundleKey(id: BundleIdParts): string {
  const base = `${id.source} ${id.creationTime} ${id.sequence}`;
  return id.fragment === undefined ? base : `${base} ${id.fragment.offset} ${id.fragment.payloadLength}`;
}
