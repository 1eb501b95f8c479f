/**
 * createAapClient: one interface over AAP v1 and AAP 2.0 (protocols.md §4, §5), built for what a real
 * uD3TN v0.13 does (ud3tn-behaviour.md §0): one request in flight per connection with a reply deadline,
 * received bundles demultiplexed from replies and buffered until the consumer takes them, reconnect
 * with backoff and automatic re-registration, and every EID checked before it goes on the wire.
 *
 * Backpressure: when the consumer falls behind by inboxHighWaterBytes the client stops reading. AAP 2.0
 * needs nothing more: the node pushes the next bundle only after our SUCCESS, which we send when the
 * consumer is done with the bundle (it asks for the next one or ends its loop; inbox.ts). So over AAP 2.0
 * the node and the consumer do not work on bundles at the same time: the price of never losing one. On AAP v1 replies share the stream with RECVBUNDLEs, so the client keeps
 * reading while a request waits for its reply; the buffer can then grow past the mark by what the node
 * had queued ahead of the reply. Nothing read is ever dropped (§11: uD3TN does not keep it).
 */
import { err, type Result } from '../../../shared/errors';
import { LIMITS } from '../../../shared/protocol/limits';
import { createAap1Driver } from './aap1-driver';
import { createAap2Driver } from './aap2-driver';
import { addContact } from './config-agent';
import type { DriverOptions, ProtocolDriver, Registration } from './driver';
import { checkDestination, endpointOf } from './endpoint';
import { createInbox } from './inbox';
import type { LinkState } from './link';
import type { AapClient, AapClientOptions, AapClientState, BundleId, SendOptions } from './types';

function checkOptions(o: AapClientOptions): void {
  const positive = (v: number, name: string): void => {
    if (!Number.isFinite(v) || v <= 0) throw new RangeError(`createAapClient: ${name} must be a positive number`);
  };
  positive(o.requestTimeoutMs, 'requestTimeoutMs');
  positive(o.reconnect.initialMs, 'reconnect.initialMs');
  positive(o.reconnect.maxMs, 'reconnect.maxMs');
  if (o.connectTimeoutMs !== undefined) positive(o.connectTimeoutMs, 'connectTimeoutMs');
  if (o.inboxHighWaterBytes !== undefined) positive(o.inboxHighWaterBytes, 'inboxHighWaterBytes');
  if (o.subscriberConfirmDeadlineMs !== undefined) positive(o.subscriberConfirmDeadlineMs, 'subscriberConfirmDeadlineMs');
  if (o.keepaliveSeconds !== undefined && (!Number.isInteger(o.keepaliveSeconds) || o.keepaliveSeconds < 0 || o.keepaliveSeconds > 0xffff_ffff)) {
    throw new RangeError('createAapClient: keepaliveSeconds must be a uint32 (0 = off)');
  }
  if (o.maxPayloadBytes !== undefined && (!Number.isSafeInteger(o.maxPayloadBytes) || o.maxPayloadBytes < 0)) {
    throw new RangeError('createAapClient: maxPayloadBytes must be a non-negative safe integer');
  }
  if (o.agentId !== undefined && o.endpoint !== undefined) {
    throw new TypeError('createAapClient: give agentId or endpoint, not both');
  }
}

/** Build a client. Throws only for impossible options (programmer errors); everything else is a Result. */
export function createAapClient(options: AapClientOptions): AapClient {
  checkOptions(options);
  const clock = options.clock ?? Date.now;
  const listeners = new Set<(s: AapClientState) => void>();
  let state: AapClientState = 'idle';
  let everConnected = false;
  let closing = false;

  function setState(s: AapClientState): void {
    if (s === state) return;
    state = s;
    for (const l of listeners) l(s);
  }

  function onLinkState(s: LinkState): void {
    if (closing) return;
    if (s === 'up') everConnected = true;
    const mapped: Record<LinkState, AapClientState> = {
      idle: 'idle',
      connecting: everConnected ? 'reconnecting' : 'connecting',
      up: 'connected',
      backoff: 'reconnecting',
      failed: 'failed',
      closed: 'closed',
    };
    setState(mapped[s]);
  }

  let driver: ProtocolDriver | null = null;
  const inbox = createInbox({
    highWaterBytes: options.inboxHighWaterBytes ?? LIMITS.aapClientInboxHighWaterBytes,
    onFull: () => {
      options.log({ event: 'aap-inbox-full', bundles: inbox.length, bytes: inbox.bufferedBytes });
      driver?.setPaused(true);
    },
    onDrained: () => driver?.setPaused(false),
  });

  const registration: Registration | null =
    options.agentId !== undefined ? { agentId: options.agentId } : options.endpoint !== undefined ? { endpoint: options.endpoint } : null;
  const driverOptions: DriverOptions = {
    transport: options.transport,
    registration,
    // No secret unless the caller has one: see AapClientOptions.secret for the uD3TN v0.13 crash a
    // made-up one would risk.
    secret: options.secret ?? '',
    keepaliveSeconds: options.keepaliveSeconds ?? 0,
    subscriberConfirmDeadlineMs: options.subscriberConfirmDeadlineMs ?? null,
    requestTimeoutMs: options.requestTimeoutMs,
    connectTimeoutMs: options.connectTimeoutMs ?? options.requestTimeoutMs,
    reconnect: options.reconnect,
    maxPayloadBytes:
      options.maxPayloadBytes ?? (options.protocol === 'aap1' ? LIMITS.aapDefaultMaxPayload : LIMITS.aap2DefaultMaxPayload),
    inbox,
    log: options.log,
    onLinkState,
  };
  const d: ProtocolDriver = options.protocol === 'aap1' ? createAap1Driver(driverOptions) : createAap2Driver(driverOptions);
  driver = d;
  if (options.receive) d.receive();

  const closedError = err('CONNECTION_CLOSED', 'the client is closed');

  const client: AapClient = {
    protocol: options.protocol,
    get nodeId(): string | null {
      return d.nodeId;
    },
    get endpoint(): string | null {
      return d.endpoint;
    },
    get state(): AapClientState {
      return state;
    },
    async connect(): Promise<Result<{ nodeId: string }>> {
      if (closing) return closedError;
      return d.connect();
    },
    async register(agentId: string): Promise<Result<{ endpoint: string }>> {
      if (closing) return closedError;
      if (d.nodeId !== null) {
        const checked = endpointOf(d.nodeId, agentId);
        if (!checked.ok) return checked;
      }
      return d.register(agentId);
    },
    async send(destination: string, payload: Uint8Array, sendOptions: SendOptions = {}): Promise<Result<BundleId>> {
      if (closing) return closedError;
      const checked = checkDestination(destination);
      if (!checked.ok) return checked;
      if (payload.length > LIMITS.bundleMaxBytes) {
        return err('LIMIT_EXCEEDED', `payload of ${payload.length} bytes exceeds LIMITS.bundleMaxBytes (uD3TN BUNDLE_MAX_SIZE)`);
      }
      return d.send(destination, payload, sendOptions);
    },
    addContact(contact) {
      if (closing) return Promise.resolve(closedError);
      return addContact(client, contact, clock());
    },
    bundles() {
      d.receive();
      return inbox.iterator();
    },
    async ping(): Promise<Result<void>> {
      if (closing) return closedError;
      return d.ping();
    },
    async close(): Promise<void> {
      if (closing) return;
      closing = true;
      await d.close();
      if (inbox.length > 0) options.log({ event: 'aap-closed-with-unread-bundles', bundles: inbox.length });
      inbox.end();
      setState('closed');
    },
    onStateChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return client;
}
