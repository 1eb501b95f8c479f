/**
 * From an SMTP session's envelope to the BSMTP objects the outbound listener queues: one object per
 * destination gateway, holding that gateway's recipients (issue 4: "sent as one BSMTP bundle"; protocols.md
 * §1.4: one e-mail per bundle).
 *
 * The DSN and size parameters of the session are carried through (protocols.md §2.5), read from what
 * smtp-server parsed: it hands over ENVID and ORCPT xtext-decoded, so they are encoded again here
 * (encodeBsmtpMessage writes ENVID and an rfc822 ORCPT as xtext; another ORCPT address type is written
 * verbatim as type;xtext). BODY, RET and NOTIFY are keywords and pass as given. SIZE is written as the
 * exact size of the message that is sent (RFC 1870 §4: a client that knows the size sends it), not the
 * estimate the site MTA declared, which the gateway has already checked. Parameters of extensions the
 * listener does not advertise are never received (smtp-server refuses them), so nothing else is carried.
 */
import { err, ok } from '../../shared/errors';
import type { Result } from '../../shared/errors';
import { encodeBsmtpMessage, encodeXtext } from '../../shared/protocol/bsmtp';
import type { BodyType, DsnCondition, DsnNotify, DsnReturn, EncodeRecipient } from '../../shared/protocol/bsmtp';
import type { Route, RouteTable } from './routes';

/** Parameters as smtp-server parses them: keyword (upper case) → value (xtext-decoded) or true. */
export type SessionArgs = Readonly<Record<string, string | boolean | undefined>>;

export interface SessionEnvelope {
  /** Reverse-path; "" for `<>`. */
  readonly mailFrom: string;
  readonly mailArgs: SessionArgs;
  readonly rcptTo: readonly { readonly address: string; readonly args: SessionArgs }[];
}

export interface OutboundGroup {
  /** The destination gateway's EID. */
  readonly destination: string;
  /** The smallest size limit of the routes in the group. */
  readonly maxMessageBytes: number;
  readonly recipients: readonly string[];
  readonly bsmtp: Uint8Array;
}

const str = (v: string | boolean | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

function bodyOf(args: SessionArgs): Result<BodyType | undefined> {
  const v = str(args['BODY'])?.toUpperCase();
  if (v === undefined) return ok(undefined);
  return v === '7BIT' || v === '8BITMIME' ? ok(v) : err('INVALID_ARGUMENT', 'BODY must be 7BIT or 8BITMIME (RFC 6152)');
}

function retOf(args: SessionArgs): Result<DsnReturn | undefined> {
  const v = str(args['RET'])?.toUpperCase();
  if (v === undefined) return ok(undefined);
  return v === 'FULL' || v === 'HDRS' ? ok(v) : err('INVALID_ARGUMENT', 'RET must be FULL or HDRS (RFC 3461 §4.3)');
}

function notifyOf(args: SessionArgs): Result<DsnNotify | undefined> {
  const v = str(args['NOTIFY'])?.toUpperCase();
  if (v === undefined) return ok(undefined);
  if (v === 'NEVER') return ok('NEVER');
  const list = v.split(',');
  const known = new Set<string>(['SUCCESS', 'FAILURE', 'DELAY']);
  if (list.some((c) => !known.has(c)) || new Set(list).size !== list.length) return err('INVALID_ARGUMENT', 'NOTIFY must be NEVER or SUCCESS, FAILURE, DELAY (RFC 3461 §4.1)');
  return ok(list as DsnCondition[]);
}

/** The MAIL FROM parameters the gateway carries, or why they cannot be carried (answered with 501). */
export function mailArgsProblem(args: SessionArgs): string | null {
  const body = bodyOf(args);
  if (!body.ok) return body.error.message;
  const ret = retOf(args);
  if (!ret.ok) return ret.error.message;
  const envid = str(args['ENVID']);
  if (envid !== undefined) {
    const x = encodeXtext(envid);
    if (!x.ok) return `ENVID cannot be carried: ${x.error.message}`;
    if (x.value.length > 100) return 'ENVID is longer than 100 characters (RFC 3461 §4.4)';
  }
  return null;
}

function recipientOf(address: string, args: SessionArgs): Result<EncodeRecipient> {
  const notify = notifyOf(args);
  if (!notify.ok) return notify;
  const orcpt = str(args['ORCPT']);
  let extra: EncodeRecipient | null = null;
  if (orcpt !== undefined) {
    const semi = orcpt.indexOf(';');
    if (semi <= 0) return err('INVALID_ARGUMENT', 'ORCPT must be addr-type;address (RFC 3461 §4.2)');
    const type = orcpt.slice(0, semi);
    const addr = orcpt.slice(semi + 1);
    const x = encodeXtext(addr);
    if (!x.ok) return x;
    if (type.length + 1 + x.value.length > 500) return err('INVALID_ARGUMENT', 'ORCPT is longer than 500 characters (RFC 3461 §4.2)');
    if (type.toLowerCase() === 'rfc822') {
      extra = { address, orcpt: addr };
    } else {
      extra = { address, extraParams: { ORCPT: `${type};${x.value}` } };
    }
  }
  return ok({ ...(extra ?? { address }), ...(notify.value === undefined ? {} : { notify: notify.value }) });
}

/** The RCPT parameters the gateway carries, or why they cannot be carried (answered with 501). */
export function rcptArgsProblem(address: string, args: SessionArgs): string | null {
  const r = recipientOf(address, args);
  return r.ok ? null : r.error.message;
}

/**
 * Group the recipients by destination gateway and encode one BSMTP object per group. Every recipient
 * must have a route (the listener refused the others at RCPT).
 */
export function buildOutboundGroups(input: {
  readonly ehlo: string;
  readonly envelope: SessionEnvelope;
  readonly message: Uint8Array;
  readonly routes: RouteTable;
}): Result<OutboundGroup[]> {
  const { envelope } = input;
  const body = bodyOf(envelope.mailArgs);
  if (!body.ok) return body;
  const ret = retOf(envelope.mailArgs);
  if (!ret.ok) return ret;
  const envid = str(envelope.mailArgs['ENVID']);
  const groups = new Map<string, { routes: Route[]; rcpts: EncodeRecipient[] }>();
  for (const r of envelope.rcptTo) {
    const route = input.routes.routeFor(r.address);
    if (route === undefined) return err('NO_ROUTE', `no route for ${r.address}`);
    const rcpt = recipientOf(r.address, r.args);
    if (!rcpt.ok) return rcpt;
    const g = groups.get(route.eid);
    if (g === undefined) groups.set(route.eid, { routes: [route], rcpts: [rcpt.value] });
    else {
      g.routes.push(route);
      g.rcpts.push(rcpt.value);
    }
  }
  const out: OutboundGroup[] = [];
  for (const [destination, g] of groups) {
    const bsmtp = encodeBsmtpMessage({
      ehlo: input.ehlo,
      envelope: {
        mailFrom: envelope.mailFrom,
        ...(body.value === undefined ? {} : { body: body.value }),
        size: 'auto',
        ...(ret.value === undefined ? {} : { ret: ret.value }),
        ...(envid === undefined ? {} : { envid }),
        rcptTo: g.rcpts,
      },
      message: input.message,
    });
    if (!bsmtp.ok) return bsmtp;
    out.push({ destination, maxMessageBytes: Math.min(...g.routes.map((r) => r.maxMessageBytes)), recipients: g.rcpts.map((r) => r.address), bsmtp: bsmtp.value });
  }
  return ok(out);
}
