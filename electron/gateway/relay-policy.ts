/**
 * The inbound relay policy (issue 4: "only configured source nodes/EIDs, only configured local domains;
 * anything else is refused … Never an open relay"). RFC 2442's security considerations (protocols.md §2.8)
 * say why: a BSMTP processor is a tunnel around the MTA's relay rules, so it must restrict who may feed it
 * and where the mail may go.
 *
 * A source entry that is a node ID (dtn://earth.dtn/ or ipn:1.0) authorises every endpoint of that node;
 * any other EID authorises exactly that endpoint. Sources are compared as parsed EIDs, so an unparsable
 * source is never authorised.
 */
import { err, ok } from '../../shared/errors';
import type { Result } from '../../shared/errors';
import { eidEquals, isNodeId, isNullEid, parseEid, sameNode } from '../../shared/protocol/bpv7/eid';
import type { Eid } from '../../shared/protocol/bpv7/types';
import { domainOf, isDomainName } from './routes';

export interface RelayPolicyConfig {
  /** Node IDs or EIDs allowed to send mail to this gateway. */
  readonly sources: readonly string[];
  /** Mail domains delivered at this site (the MTA's local domains), e.g. mars.example. */
  readonly localDomains: readonly string[];
  /**
   * Accept the plain RFC 5322 form of draft-blanchet-dtn-email-over-bp-00 (recipients from the headers),
   * as the draft author's testbed sends it (protocols.md §1.3). Default false: it loses the envelope.
   */
  readonly acceptPlainRfc5322?: boolean;
}

export interface RelayPolicy {
  isAuthorisedSource(eid: string): boolean;
  /** True when the address's domain is one of the local domains. */
  isLocalAddress(address: string): boolean;
  readonly localDomains: readonly string[];
  readonly acceptPlainRfc5322: boolean;
  /** postmaster@<first local domain>: where invalid objects go (RFC 2442, RFC 5321 §4.5.1). */
  readonly postmaster: string;
}

export function createRelayPolicy(config: RelayPolicyConfig): Result<RelayPolicy> {
  if (config.localDomains.length === 0) return err('CONFIG_INVALID', 'at least one local domain is needed');
  const domains = config.localDomains.map((d) => d.toLowerCase());
  for (const d of domains) if (!isDomainName(d)) return err('CONFIG_INVALID', `"${d}" is not a domain name`);
  const sources: Eid[] = [];
  for (const s of config.sources) {
    const eid = parseEid(s);
    if (!eid.ok) return err('CONFIG_INVALID', `source ${s}: ${eid.error.message}`);
    if (isNullEid(eid.value)) return err('CONFIG_INVALID', 'dtn:none cannot be a source');
    sources.push(eid.value);
  }
  const local = new Set(domains);
  return ok({
    isAuthorisedSource(text) {
      const eid = parseEid(text);
      if (!eid.ok || isNullEid(eid.value)) return false;
      return sources.some((s) => (isNodeId(s) ? sameNode(s, eid.value) : eidEquals(s, eid.value)));
    },
    isLocalAddress(address) {
      const domain = domainOf(address);
      return domain !== undefined && local.has(domain);
    },
    localDomains: domains,
    acceptPlainRfc5322: config.acceptPlainRfc5322 ?? false,
    postmaster: `postmaster@${domains[0]}`,
  });
}
