/**
 * The "host:port" part of a CLA address (protocols.md §6.1: `<cla>:<host>:<port>`, IPv6 as
 * `<cla>:[addr]:port`, as uD3TN's `cla_tcp_sockaddr_to_cla_addr` writes it).
 */
import { err, ok } from '../../../shared/errors';
import type { Result } from '../../../shared/errors';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

const PORT_TEXT = /^[0-9]{1,5}$/;

/** Parse "host:port" or "[v6addr]:port". Port 0 is refused (we only parse addresses to connect to). */
export function parseHostPort(text: string): Result<HostPort> {
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') return err('INVALID_ARGUMENT', 'expected "[address]:port"');
    host = text.slice(1, close);
    portText = text.slice(close + 2);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) return err('INVALID_ARGUMENT', 'expected "host:port"');
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    // A bare IPv6 address without brackets is ambiguous ("::1:4556"); uD3TN's address form brackets it.
    if (host.includes(':')) return err('INVALID_ARGUMENT', 'an IPv6 address must be written "[address]:port"');
  }
  if (host.length === 0) return err('INVALID_ARGUMENT', 'missing host');
  if (!PORT_TEXT.test(portText)) return err('INVALID_ARGUMENT', 'port must be a decimal number');
  const port = Number(portText);
  if (port < 1 || port > 65535) return err('INVALID_ARGUMENT', 'port must be 1..65535');
  return ok({ host, port });
}

/** "host:port", with IPv6 addresses in brackets so the text parses back with parseHostPort. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
