/**
 * The outbound routing table: remote mail domain → the EID of the gateway that serves it (issue 4: "a
 * routing table maps domains to gateway EIDs"), with the largest message the route carries. Domains match
 * exactly and case-insensitively (RFC 5321 §2.4: domain names are not case-sensitive); a domain that is not
 * in the table is unroutable and is refused at RCPT, so the site MTA bounces it and the gateway never
 * becomes an open relay.
 */
import { err, ok } from '../../shared/errors';
import type { Result } from '../../shared/errors';
import { LIMITS } from '../../shared/protocol/limits';
import { formatEid, isNullEid, parseEid } from '../../shared/protocol/bpv7/eid';
import { isDomain } from '../../shared/protocol/bsmtp/grammar';

export interface RouteEntry {
  /** A mail domain, e.g. mars.example. */
  readonly domain: string;
  /** The remote gateway's EID, e.g. dtn://mars.dtn/email or ipn:2.25. */
  readonly eid: string;
  /** Largest message (RFC 1870 size) sent on this route; default LIMITS.gatewayDefaultMaxMessageBytes. */
  readonly maxMessageBytes?: number;
}

export interface Route {
  readonly domain: string;
  readonly eid: string;
  readonly maxMessageBytes: number;
}

export interface RouteTable {
  readonly routes: readonly Route[];
  /** The route for the domain of `address` (local-part@domain), or undefined when there is none. */
  routeFor(address: string): Route | undefined;
  /** The largest maxMessageBytes of any route: what the listener advertises in EHLO SIZE. */
  readonly largestMessageBytes: number;
}


/** The domain part of an address, lower case; undefined when there is no "@" or nothing after it. */
export function domainOf(address: string): string | undefined {
  const at = address.lastIndexOf('@');
  return at < 0 || at === address.length - 1 ? undefined : address.slice(at + 1).toLowerCase();
}

/**
 * A mail domain as configured: an RFC 5321 Domain (isDomain) of at least two labels, in lower case (callers
 * lower-case what they read, and domains are compared as domainOf writes them).
 */
export function isDomainName(text: string): boolean {
  return isDomain(text) && text.includes('.') && text === text.toLowerCase();
}

export function createRouteTable(entries: readonly RouteEntry[]): Result<RouteTable> {
  const byDomain = new Map<string, Route>();
  for (const [i, e] of entries.entries()) {
    const domain = e.domain.toLowerCase();
    if (!isDomainName(domain)) return err('CONFIG_INVALID', `route ${i}: "${e.domain}" is not a domain name`);
    if (byDomain.has(domain)) return err('CONFIG_INVALID', `route ${i}: domain ${domain} is listed twice`);
    const eid = parseEid(e.eid);
    if (!eid.ok) return err('CONFIG_INVALID', `route ${i} (${domain}): ${eid.error.message}`);
    if (isNullEid(eid.value)) return err('CONFIG_INVALID', `route ${i} (${domain}): dtn:none cannot receive mail`);
    const max = e.maxMessageBytes ?? LIMITS.gatewayDefaultMaxMessageBytes;
    if (!Number.isSafeInteger(max) || max <= 0 || max > LIMITS.bsmtpMaxBytes) {
      return err('CONFIG_INVALID', `route ${i} (${domain}): maxMessageBytes must be an integer from 1 to ${LIMITS.bsmtpMaxBytes}`);
    }
    byDomain.set(domain, { domain, eid: formatEid(eid.value), maxMessageBytes: max });
  }
  const routes = [...byDomain.values()];
  return ok({
    routes,
    routeFor(address) {
      const domain = domainOf(address);
      return domain === undefined ? undefined : byDomain.get(domain);
    },
    largestMessageBytes: routes.reduce((m, r) => Math.max(m, r.maxMessageBytes), 0),
  });
}
