/**
 * The BP ⇄ SMTP mail gateway (issue 4): the public API others wire together.
 *
 * - createGatewayStore: the durable state both halves share (SQLite, fsync per hand-over).
 * - createOutboundListener: site MTA → SMTP listener → one BSMTP bundle per destination gateway, queued.
 * - createBundleSender: queued bundles → the BP node (sendBundle), bundle ID recorded.
 * - createInboundProcessor: received ADUs → site MTA over SMTP, exactly once, with DSNs back over BP.
 */
export { createGatewayStore } from './store/gateway-store';
export type { BundleOrigin, Delivery, DeliveryRecipient, Durability, GatewayStore, QueuedBundle } from './store/gateway-store';
export { createRouteTable, domainOf } from './routes';
export type { Route, RouteEntry, RouteTable } from './routes';
export { createRelayPolicy } from './relay-policy';
export type { RelayPolicy, RelayPolicyConfig } from './relay-policy';
export { createOutboundListener } from './outbound-listener';
export type { OutboundLimits, OutboundListener, OutboundListenerOptions } from './outbound-listener';
export { createBundleSender } from './bundle-sender';
export type { BundleSender, BundleSenderOptions } from './bundle-sender';
export { createInboundProcessor } from './inbound-processor';
export type { InboundProcessor, InboundProcessorOptions, InboundRetry, ReceiveOutcome, ReceiveResult } from './inbound-processor';
export { bundleIdText } from './types';
export type { GatewayLog, GatewayLogEvent, ReceivedAdu, SendBundle } from './types';
