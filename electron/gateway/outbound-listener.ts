/**
 * The outbound half of the gateway (issue 4, "Outbound: mail to bundles"): an SMTP listener to which the
 * site MTA relays mail for remote domains (a Postfix transport map or relayhost). For each accepted
 * message it stores, durably and before the 250 reply, one BSMTP object per destination gateway, then
 * tells the BP side (onQueued), which sends it and marks it handed over with the bundle ID.
 *
 * Never an open relay:
 * - only configured peers may connect (loopback by default; RFC 5321 §3.6.2 lets a server refuse relaying);
 * - only recipients whose domain has a route are accepted; others get 550 at RCPT and the MTA bounces them;
 * - no AUTH and no STARTTLS: the peer is the site MTA on a trusted link;
 * - addresses must be what a BSMTP command line can carry (printable US-ASCII, protocols.md §2.4): others
 *   get 553 at MAIL or RCPT rather than a failure after DATA.
 *
 * Trace (RFC 5321 §4.4): the gateway relays the message, so it prepends a Received field
 * (trace-fields.ts relayReceivedField), built once when the message is accepted and stored inside the
 * queued BSMTP object: a send after a restart carries the same bytes.
 *
 * Size (RFC 1870): a route's limit is on the message as it is carried, Received field included, which is
 * also what the BSMTP MAIL FROM's SIZE states (outbound-envelope.ts: the exact size of the carried
 * message). The listener therefore takes the field's greatest length (relayReceivedMaxChars) off every
 * limit it applies to what the MTA sends: EHLO advertises the largest route's limit less it; a MAIL FROM
 * SIZE above that gets 552 (from smtp-server), a SIZE above the reduced limit of a recipient's route gets
 * 552 5.3.4 at that RCPT, and a message that turns out larger than the smallest reduced limit of its routes
 * gets 552 5.3.4 at the end of DATA; its bytes beyond the limit are not buffered. So a message exactly at
 * the advertised size is accepted and carried within its route's limit, and one of exactly the route's
 * limit is refused in the dialogue: it would exceed the limit once the field is added. Nothing is accepted
 * and then found too big.
 *
 * Replies carry RFC 3463 codes in their text (smtp-server's own enhanced-code table would label a size
 * refusal 5.2.2 "mailbox full", which tells the MTA the wrong thing).
 */
import type { Readable } from 'node:stream';
import { SMTPServer } from 'smtp-server';
import type { SMTPServerAddress, SMTPServerSession } from 'smtp-server';
import { err, ok } from '../../shared/errors';
import type { Result } from '../../shared/errors';
import { isPathText } from '../../shared/protocol/bsmtp/grammar';
import { LIMITS } from '../../shared/protocol/limits';
import { fieldValue, messageIdOf, parseHeader } from '../../shared/mail/header-fields';
import { buildOutboundGroups, mailArgsProblem, rcptArgsProblem } from './outbound-envelope';
import type { SessionArgs, SessionEnvelope } from './outbound-envelope';
import type { RouteTable } from './routes';
import type { GatewayStore, QueuedBundle } from './store/gateway-store';
import { relayReceivedField, relayReceivedMaxChars } from './trace-fields';
import type { GatewayLog } from './types';

export interface OutboundLimits {
  /** Overall cap on the message as carried (Received field included), at most the largest route's limit (the default). */
  readonly maxMessageBytes?: number;
  /** Recipients per transaction; default LIMITS.smtpMaxRecipients. */
  readonly maxRecipients?: number;
  /** Concurrent connections; default 32. */
  readonly maxConnections?: number;
  /** Idle time before a connection is closed; default 5 min (RFC 5321 §4.5.3.2.7). */
  readonly socketTimeoutMs?: number;
}

export interface OutboundListenerOptions {
  readonly store: GatewayStore;
  readonly routes: RouteTable;
  readonly limits?: OutboundLimits;
  readonly log: GatewayLog;
  /** Called after each queued bundle was committed (the BP side sends it). */
  readonly onQueued: (bundle: QueuedBundle) => void;
  /** This gateway's host name: the greeting, the BSMTP EHLO argument and the Received field. */
  readonly hostname: string;
  /** This gateway's own endpoint for the Received field's By comment, or null while the node has given none. */
  readonly endpoint?: () => string | null;
  /** Listen address; default 127.0.0.1. */
  readonly host?: string;
  /** Listen port; default 0 (chosen by the OS, read it from the result). */
  readonly port?: number;
  /** Client addresses allowed to connect; default loopback (127.0.0.1, ::1). */
  readonly allowedPeers?: readonly string[];
  /** Unix ms; default Date.now. */
  readonly clock?: () => number;
}

export interface OutboundListener {
  readonly host: string;
  readonly port: number;
  /** Stop accepting, end open sessions (after 1 s at most). */
  close(): Promise<void>;
}

/** An smtp-server refusal: the reply code, and text that starts with the RFC 3463 code. */
function refusal(code: number, text: string): Error & { responseCode: number } {
  return Object.assign(new Error(text), { responseCode: code });
}

function argsOf(a: SMTPServerAddress | false): SessionArgs {
  if (a === false || typeof a.args !== 'object' || a.args === null) return {};
  return a.args as SessionArgs;
}

function normalisePeer(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** Read the message, stopping to buffer once `limit` is passed; resolves with the bytes, or null when too big. */
function readLimited(stream: Readable, limit: number): Promise<{ bytes: Uint8Array | null; size: number }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= limit) chunks.push(c);
      else chunks.length = 0;
    });
    stream.on('end', () => resolve({ bytes: size <= limit ? Buffer.concat(chunks, size) : null, size }));
    stream.on('error', reject);
  });
}

export async function createOutboundListener(opts: OutboundListenerOptions): Promise<Result<OutboundListener>> {
  const clock = opts.clock ?? Date.now;
  const host = opts.host ?? '127.0.0.1';
  const peers = new Set((opts.allowedPeers ?? ['127.0.0.1', '::1']).map(normalisePeer));
  if (opts.routes.routes.length === 0) return err('CONFIG_INVALID', 'the outbound listener needs at least one route');
  /** Room kept in every limit for the Received field the listener prepends. */
  const reserve = relayReceivedMaxChars(opts.hostname);
  /** The largest message the MTA may send for a route limit or cap of `max` octets as carried. */
  const accepted = (max: number): number => max - reserve;
  const maxMessage = accepted(Math.min(opts.limits?.maxMessageBytes ?? opts.routes.largestMessageBytes, opts.routes.largestMessageBytes));
  const tooSmall = opts.routes.routes.find((r) => accepted(r.maxMessageBytes) <= 0);
  if (tooSmall !== undefined || maxMessage <= 0) {
    const what = tooSmall === undefined ? 'limits.maxMessageBytes' : `the route to ${tooSmall.domain}`;
    return err('CONFIG_INVALID', `${what}: the size limit must exceed the ${reserve} octets kept for the gateway's Received field`);
  }

  /** The limit that applies to the message for the recipients accepted so far. */
  const limitFor = (session: SMTPServerSession): number => {
    let limit = maxMessage;
    for (const r of session.envelope.rcptTo) {
      const route = opts.routes.routeFor(r.address);
      if (route !== undefined) limit = Math.min(limit, accepted(route.maxMessageBytes));
    }
    return limit;
  };

  const server = new SMTPServer({
    name: opts.hostname,
    banner: 'Farside mail gateway',
    secure: false,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    hideSTARTTLS: true,
    hideDSN: false,
    // UTF-8 envelopes cannot be carried: BSMTP command lines are US-ASCII (protocols.md §2.4)
    hideSMTPUTF8: true,
    size: maxMessage,
    maxRecipients: opts.limits?.maxRecipients ?? LIMITS.smtpMaxRecipients,
    maxClients: opts.limits?.maxConnections ?? 32,
    socketTimeout: opts.limits?.socketTimeoutMs ?? 300_000,
    closeTimeout: 1_000,
    disableReverseLookup: true,
    logger: false,

    onConnect(session, cb) {
      const peer = normalisePeer(session.remoteAddress);
      if (peers.has(peer)) return cb();
      opts.log({ event: 'outbound-peer-refused', peer });
      return cb(refusal(554, '5.7.1 this gateway accepts mail only from its site MTA'));
    },

    onMailFrom(address, _session, cb) {
      if (address.address !== '' && !isPathText(address.address)) {
        opts.log({ event: 'outbound-refused', stage: 'MAIL', from: address.address, code: 553, reason: 'address cannot be carried' });
        return cb(refusal(553, '5.1.7 the reverse-path must be printable US-ASCII to travel in Batch SMTP'));
      }
      const problem = mailArgsProblem(argsOf(address));
      if (problem === null) return cb();
      opts.log({ event: 'outbound-refused', stage: 'MAIL', from: address.address, reason: problem });
      return cb(refusal(501, `5.5.4 ${problem}`));
    },

    onRcptTo(address, session, cb) {
      if (!isPathText(address.address)) {
        opts.log({ event: 'outbound-refused', stage: 'RCPT', to: address.address, code: 553, reason: 'address cannot be carried' });
        return cb(refusal(553, '5.1.3 the address must be printable US-ASCII to travel in Batch SMTP'));
      }
      const route = opts.routes.routeFor(address.address);
      if (route === undefined) {
        opts.log({ event: 'outbound-refused', stage: 'RCPT', to: address.address, code: 550, reason: 'no route' });
        return cb(refusal(550, `5.1.2 <${address.address}>: no route to this domain (relay access denied)`));
      }
      const declared = Number(argsOf(session.envelope.mailFrom)['SIZE'] ?? 0);
      const max = Math.min(maxMessage, accepted(route.maxMessageBytes));
      if (declared > max) {
        opts.log({ event: 'outbound-refused', stage: 'RCPT', to: address.address, code: 552, size: declared, max });
        return cb(refusal(552, `5.3.4 <${address.address}>: message of ${declared} octets is too big for the route to ${route.domain} (at most ${max})`));
      }
      const problem = rcptArgsProblem(address.address, argsOf(address));
      if (problem !== null) {
        opts.log({ event: 'outbound-refused', stage: 'RCPT', to: address.address, code: 501, reason: problem });
        return cb(refusal(501, `5.5.4 ${problem}`));
      }
      return cb();
    },

    onData(stream, session, cb) {
      const limit = limitFor(session);
      readLimited(stream, limit).then(
        ({ bytes, size }) => {
          if (bytes === null || stream.sizeExceeded === true) {
            opts.log({ event: 'outbound-refused', stage: 'DATA', code: 552, size, max: limit });
            return cb(refusal(552, `5.3.4 message of ${size} octets is too big for its route (at most ${limit})`));
          }
          const queued = queueMessage(session, bytes);
          if (!queued.ok) {
            const temporary = queued.error.code === 'IO_ERROR';
            opts.log({ event: 'outbound-refused', stage: 'DATA', code: temporary ? 451 : 554, reason: queued.error.message });
            return cb(temporary ? refusal(451, '4.3.0 the gateway cannot store the message now') : refusal(554, `5.6.0 the message cannot be carried: ${queued.error.message}`));
          }
          const { bundles, receivedId } = queued.value;
          cb(null, `2.0.0 Ok: queued as ${bundles.map((b) => b.id).join(',')}`);
          for (const b of bundles) {
            opts.log({ event: 'outbound-queued', queueId: b.id, receivedId, destination: b.destination, messageId: b.messageId, envid: b.envid, recipients: b.recipients, size: b.size });
            try {
              opts.onQueued(b);
            } catch (e) {
              // the bundle is stored; a failing callback must not break the SMTP session
              opts.log({ event: 'outbound-onqueued-error', queueId: b.id, error: e instanceof Error ? e.message : String(e) });
            }
          }
          return undefined;
        },
        (e: unknown) => cb(refusal(451, `4.3.0 reading the message failed: ${e instanceof Error ? e.message : String(e)}`)),
      );
    },
  });

  /** Prepend the trace field (RFC 5321 §4.4), encode per destination and commit all rows at once. */
  const queueMessage = (session: SMTPServerSession, received: Uint8Array): Result<{ bundles: QueuedBundle[]; receivedId: string }> => {
    const now = clock();
    const from = session.envelope.mailFrom;
    const envelope: SessionEnvelope = {
      mailFrom: from === false ? '' : from.address,
      mailArgs: argsOf(from),
      rcptTo: session.envelope.rcptTo.map((r) => ({ address: r.address, args: argsOf(r) })),
    };
    // the session's random ID and the transaction's number in it: unique, and in the outbound-queued log line
    const receivedId = `${session.id}-${session.transaction}`;
    const trace = new TextEncoder().encode(
      relayReceivedField({
        helo: session.hostNameAppearsAs || '',
        peer: normalisePeer(session.remoteAddress),
        hostname: opts.hostname,
        endpoint: opts.endpoint?.() ?? null,
        protocol: session.transmissionType === 'SMTP' ? 'SMTP' : 'ESMTP',
        id: receivedId,
        receivedAt: now,
      }),
    );
    const message = new Uint8Array(trace.length + received.length);
    message.set(trace, 0);
    message.set(received, trace.length);
    const groups = buildOutboundGroups({ ehlo: opts.hostname, envelope, message, routes: opts.routes });
    if (!groups.ok) return groups;
    const messageId = messageIdOf(fieldValue(parseHeader(received).fields, 'Message-ID')) ?? null;
    const envid = typeof envelope.mailArgs['ENVID'] === 'string' ? envelope.mailArgs['ENVID'] : null;
    try {
      const bundles = opts.store.enqueueBundles(
        groups.value.map((g) => ({ origin: 'mail', destination: g.destination, messageId, envid, recipients: g.recipients.length, bsmtp: g.bsmtp })),
        now,
      );
      return ok({ bundles, receivedId });
    } catch (e) {
      return err('IO_ERROR', e instanceof Error ? e.message : String(e));
    }
  };

  const listening = await new Promise<Result<number>>((resolve) => {
    const onError = (e: Error): void => resolve(err('CONNECTION_FAILED', `cannot listen on ${host}:${opts.port ?? 0}: ${e.message}`));
    server.once('error', onError);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', onError);
      const a = server.server.address();
      resolve(a !== null && typeof a === 'object' ? ok(a.port) : err('INTERNAL', 'no listening address'));
    });
  });
  if (!listening.ok) return listening;
  server.on('error', (e: Error) => opts.log({ event: 'outbound-listener-error', error: e.message }));
  opts.log({ event: 'outbound-listening', host, port: listening.value, maxMessageBytes: maxMessage });
  return ok({
    host,
    port: listening.value,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
