/** The AAP client service: one interface over uD3TN's AAP v1 and AAP 2.0 (see client.ts). */
export { createAapClient } from './client';
export { formatAapAddress, parseAapAddress } from './transport';
export { checkDestination, endpointOf } from './endpoint';
export type {
  AapClient,
  AapClientLogEvent,
  AapClientOptions,
  AapClientState,
  AapProtocol,
  AapTransport,
  BundleId,
  ContactRequest,
  ContactSent,
  ReceivedBundle,
  SendOptions,
  StatusReportRequest,
} from './types';
