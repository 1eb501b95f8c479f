/**
 * The key under which uD3TN's router looks a destination up (v0.13 `router.c` router_lookup_destination,
 * `eid.c` get_node_id): the destination's node ID, e.g. "dtn://mars.dtn/" for "dtn://mars.dtn/smtp" and
 * "ipn:2.0" for "ipn:2.25". EIDs without a node ID (a dtn demux starting with '~', i.e. a non-singleton
 * endpoint; dtn:none; other schemes) are looked up as they are, by exact text. The config parser stores
 * node IDs and reachable EIDs through the same function (config_parser.c end_read_eid), so a reachable
 * EID "dtn://phobos.dtn/x" stands for the whole node "dtn://phobos.dtn/": matching is by node ID, never
 * by arbitrary string prefix.
 *
 * Extension over uD3TN v0.13: three-component ipn EIDs (RFC 9758, "ipn:A.N.S") keep their allocator,
 * "ipn:A.N.0"; v0.13 does not accept them at all.
 */

const IPN = /^ipn:(\d+)\.(\d+)(?:\.(\d+))?$/;

/**
 * Node ID of `eid` in uD3TN's text form, or undefined when it has none. The text twin of
 * shared/protocol/bpv7/eid.ts `nodeIdOf(Eid): Eid` (RFC 9171 §4.2.5.2 over a parsed EID), kept apart on
 * purpose: it runs for every bundle routed, and parseEid + nodeIdOf + formatEid costs about 8× as much
 * (≈400 vs ≈50 ns a call, measured); and it answers as uD3TN's get_node_id does where the parsed one
 * cannot: "dtn://node" (no slash) is a node ID here but not a valid EID, "ipn:02.1" keeps its text, and a
 * '~' demux or dtn:none has no node ID here while the parsed one returns dtn:none itself.
 */
export function nodeIdOf(eid: string): string | undefined {
  if (eid.startsWith('dtn://')) {
    const slash = eid.indexOf('/', 6);
    // get_node_id: no slash after the authority → the EID is a node ID; uD3TN appends the slash.
    if (slash === -1) return eid.length > 6 ? `${eid}/` : undefined;
    if (slash === 6) return undefined;
    if (eid.charCodeAt(slash + 1) === 0x7e /* ~ */) return undefined;
    return eid.slice(0, slash + 1);
  }
  const ipn = IPN.exec(eid);
  if (ipn === null) return undefined;
  return ipn[3] === undefined ? `ipn:${ipn[1]}.0` : `ipn:${ipn[1]}.${ipn[2]}.0`;
}

/** The text a reachable EID or node ID is stored under: its node ID when it has one, else itself. */
export function routingKeyOf(eid: string): string {
  return nodeIdOf(eid) ?? eid;
}
